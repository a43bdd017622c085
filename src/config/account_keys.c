/*
 * The pipeline keys of the account's ledger (issue 11): a location's own
 * campaign in invite.business_map ({business_id, campaign_id}) and
 * invite.campaigns (location name -> campaign). validate.cooldown_scope and
 * validate.suppress are plain keys in keys.c.
 */
#include <stdlib.h>
#include <string.h>

#include "config/load.h"
#include "core/uuid.h"

/* One UUID-valued key of a location's {business_id, campaign_id}. */
static int location_uuid(struct loader *l, const struct ynode *v, const char *key, const char *hint,
                         char **dst)
{
    if (cfg_get_scalar(l, v, key, "an id", dst) < 0)
        return -1;
    if (!*dst || !uuid_valid_str(*dst))
        return cfg_fail(l, v, "invalid %s '%s' (expected a UUID like " UUID_EXAMPLE "; %s)", key,
                        *dst ? *dst : "null", hint);
    return 0;
}

int cfg_set_location_target(struct loader *l, const struct ynode *v, struct business_map_entry *e)
{
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
        const char *key = k->text ? k->text : "";
        if (strcmp(key, "business_id") == 0) {
            if (location_uuid(l, val, "business_id", HINT_BUSINESS, &e->business_id) < 0)
                return -1;
        } else if (strcmp(key, "campaign_id") == 0) {
            if (location_uuid(l, val, "campaign_id", HINT_CAMPAIGN, &e->campaign_id) < 0)
                return -1;
        } else {
            return cfg_fail(l, k,
                            "unknown key '%s' in business_map value for '%s' (expected "
                            "business_id and campaign_id)",
                            key, e->value);
        }
    }
    if (!e->business_id)
        return cfg_fail(l, v, "business_map value for '%s' needs 'business_id'", e->value);
    return 0;
}

int cfg_set_campaigns(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    struct pipeline *p = base;
    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return cfg_fail(l, v, "'%s' must be a mapping of location names to campaign ids, not %s",
                        ks->key, ynode_type_name(v));
    size_t n = v->n / 2;
    if (n && !(p->invite.campaigns = calloc(n, sizeof *p->invite.campaigns)))
        return cfg_nomem(l);
    p->invite.n_campaigns = n;
    for (size_t i = 0; i < n; i++) {
        struct business_map_entry *e = &p->invite.campaigns[i];
        if (!(e->value = strdup(v->kids[2 * i]->text)))
            return cfg_nomem(l);
        if (location_uuid(l, v->kids[2 * i + 1], "campaign_id", HINT_CAMPAIGN, &e->campaign_id) < 0)
            return -1;
    }
    return 0;
}
