/*
 * The two kinds of substitution a pipeline file has:
 *   - ${NAME} in any value, from the environment when the file is read (an
 *     unset variable is an error naming it, with the nearest variable that
 *     IS set as a hint: ${CLOUTY_API_KEY} -> CLOUTLY_API_KEY);
 *   - {name}, {date}, {time}, {run_id} in paths, when the load finishes. A
 *     path that must not change from run to run (the ledger) refuses the
 *     last three, or every run would get a fresh ledger and lock.
 */
#include "config/load.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/suggest.h"

extern char **environ;

/* ---- ${VAR} ----------------------------------------------------------------- */

enum expand_result { EXPAND_OK, EXPAND_UNSET, EXPAND_MALFORMED, EXPAND_NOMEM };

/* Copy `in` to `out` with each ${NAME} replaced; on EXPAND_UNSET `name` holds it. */
static enum expand_result expand_vars(const char *in, struct strbuf *out, char *name,
                                      size_t name_size)
{
    static const char name_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    const char *s = in, *d;

    while ((d = strstr(s, "${")) != NULL) {
        const char *v = d + 2;
        size_t n = strspn(v, name_chars);
        if (n == 0 || n >= name_size || v[n] != '}' || isdigit((unsigned char)v[0]))
            return EXPAND_MALFORMED;
        memcpy(name, v, n);
        name[n] = '\0';
        const char *value = getenv(name);
        if (!value)
            return EXPAND_UNSET;
        if (strbuf_add(out, s, (size_t)(d - s)) < 0 || strbuf_addstr(out, value) < 0)
            return EXPAND_NOMEM;
        s = v + n + 1;
    }
    return strbuf_addstr(out, s) < 0 ? EXPAND_NOMEM : EXPAND_OK;
}

/* The set (and non-empty) environment variable nearest `name`, at most two
 * edits away, into `out`; false when there is none. Only names are read
 * for the hint, never values. A wider limit would make every CP_X hint
 * at some CP_Y. */
static bool nearest_set_variable(const char *name, char *out, size_t n)
{
    struct suggest s;
    suggest_init(&s, name, 2);
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq && eq[1])
            suggest_offer(&s, *e, (size_t)(eq - *e));
    }
    const char *best = suggest_result(&s);
    if (!best || strlen(best) >= n)
        return false;
    memcpy(out, best, strlen(best) + 1);
    return true;
}

int cfg_expand_env(struct loader *l, const struct ynode *v, const char *key, char **out,
                   char **deferred)
{
    struct strbuf sb;
    char name[128], near[SUGGEST_MAX_LEN + 1], hint[sizeof near + 32];
    int rc = -1;

    if (l->literal) {
        *out = strdup(v->text);
        return *out ? 0 : cfg_nomem(l);
    }
    strbuf_init(&sb, CFG_MAX_VALUE_BYTES);
    switch (expand_vars(v->text, &sb, name, sizeof name)) {
    case EXPAND_OK:
        *out = sb.buf ? sb.buf : strdup("");
        sb.buf = NULL;
        rc = *out ? 0 : cfg_nomem(l);
        break;
    case EXPAND_UNSET:
        if (nearest_set_variable(name, near, sizeof near))
            snprintf(hint, sizeof hint, "did you mean %s?", near);
        else
            snprintf(hint, sizeof hint, "export it, or put the value in the pipeline");
        if (deferred)
            rc = cfg_defer(l, v, deferred, "environment variable '%s' is not set (%s)", name, hint);
        else
            cfg_fail(l, v, "environment variable '%s' is not set (%s)", name, hint);
        break;
    case EXPAND_MALFORMED:
        cfg_fail(l, v, "malformed '${' in '%s' (write ${NAME}: letters, digits and '_')", key);
        break;
    case EXPAND_NOMEM:
        cfg_fail(l, v, "'%s' is longer than 1 MiB once variables are expanded", key);
        break;
    }
    if (sb.buf)
        explicit_bzero(sb.buf, sb.len);
    strbuf_release(&sb);
    return rc;
}

int cfg_get_scalar(struct loader *l, const struct ynode *v, const char *key, const char *want,
                   char **out)
{
    *out = NULL;
    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_SCALAR)
        return cfg_fail(l, v, "'%s' must be %s, not %s", key, want, ynode_type_name(v));
    return cfg_expand_env(l, v, key, out, NULL);
}

/* ---- {templates} in paths --------------------------------------------------- */

int cfg_expand_templates(struct loader *l, const struct pending_path *pp, struct strbuf *out)
{
    char date[64], time_[64];
    const char *s = *pp->dst;
    bool stable = pp->flags & KEY_STABLE_PATH;

    strftime(date, sizeof date, "%Y-%m-%d", &l->tm);
    strftime(time_, sizeof time_, "%H%M%S", &l->tm);
    for (; *s; s++) {
        const char *close = *s == '{' ? strchr(s, '}') : NULL, *value = NULL;
        size_t n = close ? (size_t)(close - s + 1) : 1;
        if (*s == '{' && !close)
            return cfg_fail(l, pp->at,
                            "unmatched '{' in '%s' (templates are {name}, {date}, "
                            "{time} and {run_id})",
                            pp->key);
        if (close) {
            value = n == 6 && !memcmp(s, "{name}", n)     ? l->p->name
                    : n == 6 && !memcmp(s, "{date}", n)   ? date
                    : n == 6 && !memcmp(s, "{time}", n)   ? time_
                    : n == 8 && !memcmp(s, "{run_id}", n) ? l->p->run_id
                                                          : NULL;
            if (!value && stable)
                return cfg_fail(l, pp->at, "unknown template '%.*s' in '%s' (expected {name})",
                                (int)n, s, pp->key);
            if (!value)
                return cfg_fail(l, pp->at,
                                "unknown template '%.*s' in '%s' (expected {name}, "
                                "{date}, {time} or {run_id})",
                                (int)n, s, pp->key);
            if (stable && value != l->p->name)
                return cfg_fail(l, pp->at,
                                "'%.*s' in '%s' changes from run to run: every run "
                                "would get a fresh ledger and lock, so a resume or a second "
                                "run at the same time would send the whole file again (use "
                                "{name} or a fixed path)",
                                (int)n, s, pp->label);
        }
        if (value ? strbuf_addstr(out, value) < 0 : strbuf_add(out, s, 1) < 0)
            return cfg_fail(l, pp->at, "'%s' is too long", pp->key);
        s += n - 1;
    }
    return 0;
}

char *cfg_join_dir(const char *dir, const char *path)
{
    /* "-" is standard output (export.output): the same whether the
     * pipeline was named as "p.yaml" or "/srv/p.yaml". */
    if (path[0] == '/' || strcmp(path, "-") == 0 || strcmp(dir, ".") == 0)
        return strdup(path);
    size_t dl = strlen(dir), pl = strlen(path);
    bool slash = dir[dl - 1] == '/';
    char *out = malloc(dl + !slash + pl + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    if (!slash)
        out[dl++] = '/';
    memcpy(out + dl, path, pl + 1);
    return out;
}
