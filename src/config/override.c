/*
 * pipeline_override(): one key from the command line through the same table
 * entry and setter as the file (see pipeline.h). The value becomes a quoted
 * scalar with no place, so the setter parses it exactly as it would parse
 * `key: "value"`, and messages start with the option's name instead of
 * FILE:LINE:COL.
 */
#include "config/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "config/load.h"
#include "core/strbuf.h"
#include "core/suggest.h"

/* Setters of one scalar value: the keys an override can reach. List-, map-
 * and rule-valued keys, and the deferred api_key, keep to the file. */
static bool scalar_setter(key_fn fn)
{
    static const key_fn ok[] = {
        cfg_set_str,       cfg_set_path,    cfg_set_int,   cfg_set_bool,     cfg_set_tristate,
        cfg_set_uuid,      cfg_set_enum,    cfg_set_rate,  cfg_set_timeout,  cfg_set_delay,
        cfg_set_delimiter, cfg_set_country, cfg_set_since, cfg_set_base_url,
    };
    for (size_t i = 0; i < CFG_ARRAY_LEN(ok); i++)
        if (fn == ok[i])
            return true;
    return false;
}

/* Offer every overridable dotted key under `sec` (prefix `prefix`). */
static void offer_keys(struct suggest *s, const struct section *sec, char *prefix, size_t plen,
                       size_t cap)
{
    for (size_t i = 0; i < sec->n; i++) {
        const struct key_spec *ks = &sec->keys[i];
        size_t kl = strlen(ks->key);
        if (plen + kl + 2 > cap)
            continue;
        memcpy(prefix + plen, ks->key, kl + 1);
        if (ks->fn == cfg_set_section) {
            prefix[plen + kl] = '.';
            offer_keys(s, ks->arg, prefix, plen + kl + 1, cap);
        } else if (scalar_setter(ks->fn) && !(ks->flags & KEY_NO_OVERRIDE)) {
            suggest_offer(s, prefix, plen + kl);
        }
    }
    prefix[plen] = '\0';
}

static int unknown(struct loader *l, const char *key)
{
    struct suggest s;
    char buf[SUGGEST_MAX_LEN + 2] = "";
    suggest_init(&s, key, SUGGEST_DEFAULT_LIMIT);
    offer_keys(&s, &cfg_top_section, buf, 0, sizeof buf);
    if (suggest_result(&s))
        return cfg_fail(l, NULL, "unknown pipeline key '%s' (did you mean '%s'?)", key,
                        suggest_result(&s));
    return cfg_fail(l, NULL, "unknown pipeline key '%s'", key);
}

/* The table entry of dotted `key`, checking each section's kind on the way. */
static const struct key_spec *find(struct loader *l, const char *key)
{
    const struct section *sec = &cfg_top_section;
    const char *s = key;

    for (;;) {
        size_t n = strcspn(s, ".");
        const struct key_spec *ks = cfg_find_key(sec, s, n);
        if (!ks) {
            unknown(l, key);
            return NULL;
        }
        if (ks->fn != cfg_set_section) {
            if (s[n] != '\0') {
                unknown(l, key);
                return NULL;
            }
            return ks;
        }
        sec = ks->arg;
        if (!(sec->kinds & KIND_BIT(l->p->kind))) {
            cfg_fail(l, NULL, "%s%s'%s' does not apply to a 'kind: %s' pipeline",
                     l->origin != key ? l->origin : "", l->origin != key ? ": " : "", key,
                     cfg_kind_name(l->p->kind));
            return NULL;
        }
        if (s[n] == '\0') {
            cfg_fail(l, NULL, "'%s' is a section of the pipeline, not a key", key);
            return NULL;
        }
        s += n + 1;
    }
}

/* A path: parsed and expanded into a scratch field first, so a refused
 * value leaves the pipeline's as it was. */
static int set_path(struct loader *l, const struct ynode *v, char **dst, const struct key_spec *ks)
{
    struct key_spec scratch_ks = *ks;
    struct strbuf sb;
    char *raw = NULL;
    int rc = -1;

    scratch_ks.off = 0;
    strbuf_init(&sb, 4096);
    if (cfg_set_path(l, v, &raw, &scratch_ks) < 0 ||
        cfg_expand_templates(l, &l->paths[l->n_paths - 1], &sb) < 0)
        goto out;
    char *done = strdup(strbuf_str(&sb));
    if (!done) {
        cfg_nomem(l);
        goto out;
    }
    free(*dst);
    *dst = done;
    rc = 0;
out:
    free(raw);
    strbuf_release(&sb);
    return rc;
}

int pipeline_override(struct pipeline *p, const char *key, const char *value, const char *origin,
                      struct cp_error *err)
{
    struct loader l = {
        .file = NULL, .origin = origin ? origin : key, .p = p, .err = err, .literal = true};
    struct ynode v = {.type = Y_SCALAR, .plain = false};
    const struct key_spec *ks;
    time_t now = p->now;

    if (!localtime_r(&now, &l.tm))
        return cp_fail(err, CP_EXIT_USAGE, "%s: cannot convert the load's time", l.origin);
    if (!(ks = find(&l, key)))
        return -1;
    if ((ks->flags & KEY_NO_OVERRIDE) || !scalar_setter(ks->fn))
        return cp_fail(err, CP_EXIT_USAGE, "%s%s'%s' can only be set in the pipeline file",
                       origin ? origin : "", origin ? ": " : "", key);
    if (strlen(value) > CFG_MAX_VALUE_BYTES)
        return cp_fail(err, CP_EXIT_USAGE, "%s: the value is longer than 1 MiB", l.origin);
    if (!(v.text = strdup(value)))
        return cfg_nomem(&l);
    l.key_at = &v;
    int rc = ks->fn == cfg_set_path ? set_path(&l, &v, (char **)(void *)((char *)p + ks->off), ks)
                                    : ks->fn(&l, &v, p, ks);
    free(v.text);
    return rc;
}
