/* Business names to ids from GET /businesses: see business_names.h. */
#include "business_names.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "api.h"
#include "fetch.h"
#include "log.h"

static int is_listing(void *ctx, const struct api_result *res, char *why, size_t whylen)
{
    (void)ctx;
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    int ok = cJSON_IsArray(j);
    cJSON_Delete(j);
    if (!ok)
        snprintf(why, whylen, "the answer is not a JSON array of businesses");
    return ok ? 0 : -1;
}

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
    if (!e->value || !e->business_id) {
        free(e->value);
        free(e->business_id);
        return -1;
    }
    p->invite.n_business_map++;
    return 0;
}

int business_names_load(struct pipeline *p, const char *key, struct cp_error *err)
{
    struct api_options ao = {.base_url = p->api.base_url, .api_key = key,
                             .timeout_ms = p->api.timeout_ms, .ca_file = p->api.ca_file};
    struct api_client *api = api_client_new(&ao, err);
    struct fetcher f;
    struct api_result res;
    cJSON *list = NULL;
    int rc = -1;
    if (!api)
        return -1;
    fetcher_init(&f, api, p->api.rate_per_sec, p->api.retries, NULL);
    if (fetch_get(&f, "/businesses", is_listing, NULL, &res, err) < 0) {
        cp_error_prefix(err, "invite.business_by_name: GET /businesses");
        goto out;
    }
    list = cJSON_ParseWithLength(res.body, res.body_len);
    const cJSON *b;
    int added = 0;
    cJSON_ArrayForEach(b, list) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(b, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (!cJSON_IsString(id) || !cJSON_IsString(name))
            continue;
        if (add_entry(p, name->valuestring, id->valuestring) < 0) {
            cp_fail(err, CP_EXIT_USAGE, "out of memory");
            goto out;
        }
        added++;
    }
    log_msg(LOG_DEBUG, "business_by_name: %d business names from GET /businesses", added);
    rc = 0;
out:
    cJSON_Delete(list);
    api_client_free(api);
    return rc;
}
