/* Business names to ids from GET /businesses: see business_names.h. */
#include "invite/business_names.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/businesses.h"
#include "api/fetch.h"
#include "core/log.h"

static int add_entry(struct pipeline *p, const char *name, const char *id)
{
    struct business_map_entry *v =
        realloc(p->invite.business_map, (p->invite.n_business_map + 1) * sizeof *v);
    if (!v)
        return -1;
    p->invite.business_map = v;
    struct business_map_entry *e = &v[p->invite.n_business_map];
    e->value = strdup(name);
    e->business_id = strdup(id);
    e->campaign_id = NULL;
    /* invite.campaigns routes a location, by its name, to its own campaign. */
    for (size_t i = 0; i < p->invite.n_campaigns; i++)
        if (strcasecmp(p->invite.campaigns[i].value, name) == 0)
            e->campaign_id = strdup(p->invite.campaigns[i].campaign_id);
    if (!e->value || !e->business_id) {
        free(e->campaign_id);
        free(e->value);
        free(e->business_id);
        return -1;
    }
    p->invite.n_business_map++;
    return 0;
}

int business_names_load(struct pipeline *p, const char *key, const struct rate_shared *shared,
                        struct cp_error *err)
{
    struct api_options ao = {.base_url = p->api.base_url,
                             .api_key = key,
                             .timeout_ms = p->api.timeout_ms,
                             .ca_file = p->api.ca_file};
    struct api_client *api = api_client_new(&ao, err);
    struct fetcher f;
    struct api_result res;
    struct business_list list = {0};
    int rc = -1, added = 0;
    if (!api)
        return -1;
    fetcher_init(&f, api, p->api.rate_per_sec, p->api.retries, NULL);
    fetcher_share_budget(&f, shared);
    fetcher_set_max_wait(&f, p->api.max_retry_wait_ms);
    if (fetch_get(&f, "/businesses", business_list_read, &list, &res, err) < 0) {
        cp_error_prefix(err, "invite.business_by_name: GET /businesses");
        goto out;
    }
    for (size_t i = 0; i < list.n; i++) {
        const struct business *b = &list.items[i];
        if (!b->id.len || !b->name.len)
            continue;
        if (add_entry(p, strbuf_str(&b->name), strbuf_str(&b->id)) < 0) {
            cp_fail(err, CP_EXIT_USAGE, "out of memory");
            goto out;
        }
        added++;
    }
    log_msg(LOG_DEBUG, "business_by_name: %d business names from GET /businesses", added);
    rc = 0;
out:
    business_list_release(&list);
    api_client_free(api);
    return rc;
}
