/*
 * The setters of the key tables: each parses one value into one field of
 * struct pipeline with the checks that value needs, and says what it
 * expected when the value will not do. They serve the YAML loader and
 * pipeline_override() alike, so a command-line value and a file value meet
 * the same parser and the same words; `cfg_subject()` is the key (from a
 * file) or the option (from the command line) a message names.
 */
#include "config/load.h"

#include <ctype.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/base_url.h"
#include "config/send_window.h"
#include "core/country_codes.h"
#include "core/duration.h"
#include "core/isotime.h"
#include "core/uuid.h"

#define FIELD(base, ks, type) ((type *)(void *)((char *)(base) + (ks)->off))

int cfg_set_section(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    const struct section *sec = ks->arg;
    if (!(sec->kinds & KIND_BIT(l->p->kind)))
        return cfg_fail(l, l->key_at, "section '%s' is not allowed in a 'kind: %s' pipeline",
                        sec->name, cfg_kind_name(l->p->kind));
    return cfg_walk_map(l, v, sec, base);
}

/* version and kind: already read by read_header(). */
int cfg_set_done(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    (void)l, (void)v, (void)base, (void)ks;
    return 0;
}

/* A non-empty string; null leaves the field as it was (NULL or a default). */
int cfg_set_str(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!*text) {
        free(text);
        return cfg_fail(l, v, "'%s' is empty (%s)", cfg_subject(l, ks),
                        l->origin ? "leave the option out to keep the pipeline's value"
                                  : "remove the key to leave it unset");
    }
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = text;
    return 0;
}

/* ---- quiet hours: invite.send_window, email_window, outside_window, spread ---- */

/* A window: a string (send_window.h's grammar) or a mapping {hours, days}. */
int cfg_set_send_window(struct loader *l, const struct ynode *v, void *base,
                        const struct key_spec *ks)
{
    char text[160], why[200];
    const char *hours = NULL, *days = NULL;
    char *scalar = NULL;
    const char *key = cfg_subject(l, ks);
    if (v->type == Y_MAP) {
        for (size_t i = 0; i + 1 < v->n; i += 2) {
            const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
            const char **dst = strcmp(k->text, "hours") == 0  ? &hours
                               : strcmp(k->text, "days") == 0 ? &days
                                                              : NULL;
            if (!dst)
                return cfg_fail(l, k, "unknown key '%s' in '%s' (expected hours and days)", k->text,
                                key);
            if (val->type != Y_SCALAR)
                return cfg_fail(l, val, "'%s.%s' must be a string", key, k->text);
            *dst = val->text;
        }
        if (!hours)
            return cfg_fail(l, v, "'%s' needs hours, e.g. hours: \"09:00-20:00\"", key);
        snprintf(text, sizeof text, "%s%s%s", days ? days : "", days ? " " : "", hours);
    } else {
        if (cfg_get_scalar(l, v, key, "hours like \"09:00-20:00\", any or us_state_rules",
                           &scalar) < 0)
            return -1;
        if (!scalar)
            return 0;
        snprintf(text, sizeof text, "%s", scalar);
        free(scalar);
    }
    if (send_window_parse(text, FIELD(base, ks, struct send_window), why, sizeof why) < 0)
        return cfg_fail(l, v,
                        "invalid %s %s (expected \"09:00-20:00\", \"mon-fri 09:00-20:00, "
                        "sat 10:00-16:00\", any or us_state_rules)",
                        key, why);
    if (FIELD(base, ks, struct send_window)->kind == SEND_WINDOW_US_STATE_RULES &&
        strcmp(ks->key, "send_window") != 0)
        return cfg_fail(l, v, "us_state_rules is for send_window (text messages), not %s", key);
    return 0;
}

int cfg_set_outside_window(struct loader *l, const struct ynode *v, void *base,
                           const struct key_spec *ks)
{
    static const char *const names[] = {"defer", "wait", "email_only"};
    char *text;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "defer, wait or email_only", &text) < 0)
        return -1;
    if (!text)
        return 0;
    for (int i = 0; i < 3; i++)
        if (strcasecmp(text, names[i]) == 0) {
            *FIELD(base, ks, enum outside_window) = (enum outside_window)i;
            ((struct pipeline *)base)->invite.outside_window_set = true;
            free(text);
            return 0;
        }
    int rc = cfg_fail(l, v, "invalid %s '%s' (expected defer, wait or email_only)",
                      cfg_subject(l, ks), text);
    free(text);
    return rc;
}

int cfg_set_spread(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "even or none", &text) < 0)
        return -1;
    if (!text)
        return 0;
    int ok = strcasecmp(text, "even") == 0 || strcasecmp(text, "none") == 0;
    int rc = 0;
    if (ok)
        *FIELD(base, ks, bool) = tolower((unsigned char)text[0]) == 'e';
    else
        rc = cfg_fail(l, v, "invalid %s '%s' (expected even or none)", cfg_subject(l, ks), text);
    free(text);
    return rc;
}

/* ---- issue 15: export.lookback and export.full_every ---- */

/* "14d", "36h", "90m": whole seconds, from 1 minute to 10 years. */
static bool parse_span(const char *text, long *secs)
{
    double d;
    if (!duration_parse(text, &d) || d < 60 || d > 3650.0 * 86400)
        return false;
    *secs = (long)(d + 0.5);
    return true;
}

/* export.lookback: a span like 14d, or a page count like "5 pages". */
int cfg_set_lookback(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct pipeline *p = base;
    char *text;
    long secs, pages;
    int rc = -1;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a span like 14d or a page count like 5 pages",
                       &text) < 0)
        return -1;
    if (!text)
        return 0;
    size_t len = strspn(text, "0123456789");
    const char *u = text + len;
    if (len && len <= 6 && (!strcmp(u, " pages") || !strcmp(u, " page") || !strcmp(u, "p")) &&
        (pages = strtol(text, NULL, 10)) >= 1) {
        p->export.lookback_pages = (int)pages;
        p->export.lookback_secs = 0;
        rc = 0;
    } else if (parse_span(text, &secs)) {
        p->export.lookback_secs = secs;
        p->export.lookback_pages = 0;
        rc = 0;
    } else {
        rc = cfg_fail(l, v,
                      "invalid %s '%s' (expected a span like 14d, 36h or 90m, or a page "
                      "count like 5 pages)",
                      cfg_subject(l, ks), text);
    }
    free(text);
    return rc;
}

/* export.full_every: a span like 7d, or never (full sweeps only with --full). */
int cfg_set_full_every(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    char *text;
    long secs;
    int rc = 0;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a span like 7d, or never", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!strcmp(text, "never"))
        *FIELD(base, ks, long) = 0;
    else if (parse_span(text, &secs))
        *FIELD(base, ks, long) = secs;
    else
        rc = cfg_fail(l, v, "invalid %s '%s' (expected a span like 7d, 36h or 90m, or never)",
                      cfg_subject(l, ks), text);
    free(text);
    return rc;
}

/* input.encoding: auto, utf-8, utf-16, utf-32, windows-1252, or any name
 * iconv knows (windows-1256, iso-8859-2, shift_jis...), checked here so a
 * typo is a pipeline error with its line, not a failure at read time. */
int cfg_set_encoding(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text = NULL;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    for (char *c = text; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int known =
        strcmp(text, "auto") == 0 || strcmp(text, "utf-16") == 0 || strcmp(text, "utf-32") == 0;
    if (!known && strlen(text) < 40) {
        iconv_t cd = iconv_open("UTF-8", text);
        known = cd != (iconv_t)-1;
        if (known)
            iconv_close(cd);
    }
    if (!known) {
        int rc = cfg_fail(l, v,
                          "invalid %s '%s' (expected auto, utf-8, utf-16, utf-32, "
                          "windows-1252 or another encoding name `iconv -l` lists)",
                          cfg_subject(l, ks), text);
        free(text);
        return rc;
    }
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = text;
    return 0;
}

/* A path: stored raw now, templates and the folder applied when the load
 * finishes (or at once by an override). ks->arg, when set, is the name the
 * path's messages use. */
int cfg_set_path(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    if (cfg_set_str(l, v, base, ks) < 0)
        return -1;
    if (!*dst)
        return 0;
    if (l->n_paths == CFG_MAX_PATHS) /* more path keys in the tables than CFG_MAX_PATHS */
        return cfg_fail(l, v, "internal limit: more than %d paths in one pipeline", CFG_MAX_PATHS);
    const char *name = cfg_subject(l, ks);
    const char *label = l->origin ? l->origin : ks->arg ? (const char *)ks->arg : ks->key;
    l->paths[l->n_paths++] = (struct pending_path){dst, v, name, label, ks->flags};
    return 0;
}

/* A whole decimal number, optionally negative; false on anything else. */
static bool parse_long(const char *s, long *out)
{
    const char *d = s + (*s == '-');
    size_t n = strspn(d, "0123456789");
    if (n == 0 || n > 15 || d[n] != '\0')
        return false;
    *out = strtol(s, NULL, 10);
    return true;
}

/* An integer within [ks->min, ks->max], stored into an int field. */
int cfg_set_int(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    long n;
    int rc = -1;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a whole number", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!parse_long(text, &n))
        cfg_fail(l, v, "invalid %s '%s' (expected a whole number from %ld to %ld)",
                 cfg_subject(l, ks), text, ks->min, ks->max);
    else if (n < ks->min || n > ks->max)
        cfg_fail(l, v, "invalid %s %ld (expected %ld to %ld)", cfg_subject(l, ks), n, ks->min,
                 ks->max);
    else {
        *FIELD(base, ks, int) = (int)n;
        rc = 0;
    }
    free(text);
    return rc;
}

/* true or false, and nothing else (no YAML 1.1 yes/no/on/off). -1 error, 0 null. */
static int get_bool(struct loader *l, const struct ynode *v, const char *key, int *out)
{
    char *text;
    int rc = -1;

    if (cfg_get_scalar(l, v, key, "true or false", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *out = text[0] == 't';
        rc = 0;
    } else {
        cfg_fail(l, v, "invalid %s '%s' (expected true or false)", key, text);
    }
    free(text);
    return rc;
}

int cfg_set_bool(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    int b = *FIELD(base, ks, bool);
    if (get_bool(l, v, cfg_subject(l, ks), &b) < 0)
        return -1;
    *FIELD(base, ks, bool) = b;
    return 0;
}

/* An int field: -1 (no filter, also for null), 0 or 1. */
int cfg_set_tristate(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    return get_bool(l, v, cfg_subject(l, ks), FIELD(base, ks, int));
}

static int bad_uuid(struct loader *l, const struct ynode *at, const char *what, const char *text,
                    const char *hint)
{
    return cfg_fail(l, at, "invalid %s '%s' (expected a UUID like " UUID_EXAMPLE "; %s)", what,
                    text, hint);
}

/* A UUID; ks->arg is the hint on where to find the right one. */
int cfg_set_uuid(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a UUID", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!uuid_valid_str(text)) {
        bad_uuid(l, v, cfg_subject(l, ks), text, ks->arg);
        free(text);
        return -1;
    }
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = text;
    return 0;
}

int cfg_pick(struct loader *l, const struct ynode *v, const char *subject,
             const struct enum_words *words, int *idx)
{
    char *text;
    int rc = -1;

    if (cfg_get_scalar(l, v, subject, "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    for (size_t i = 0; i < words->n && rc < 0; i++) {
        if (strcasecmp(text, words->names[i]) == 0) {
            *idx = (int)i;
            rc = 0;
        }
    }
    if (rc < 0)
        cfg_fail(l, v, "invalid %s '%s' (expected %s)", subject, text, words->expect);
    free(text);
    return rc;
}

/* The one enum setter: ks->arg is the struct enum_words. The field is an
 * enum (stored as its int index) or, with as_string, a char * holding the
 * canonical word. */
int cfg_set_enum(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    const struct enum_words *words = ks->arg;
    int i = -1;

    if (!words->as_string)
        i = *FIELD(base, ks, int);
    if (cfg_pick(l, v, cfg_subject(l, ks), words, &i) < 0)
        return -1;
    if (!words->as_string) {
        *FIELD(base, ks, int) = i;
        return 0;
    }
    if (i < 0)
        return 0;
    char *copy = strdup(words->names[i]);
    if (!copy)
        return cfg_nomem(l);
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = copy;
    return 0;
}

/* rate_limit: N/min or N/s, N > 0, at most 1000 a second. */
int cfg_set_rate(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    double n = 0, per = 0;
    int rc = -1;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a rate like 100/min", &text) < 0)
        return -1;
    if (!text)
        return 0;
    const char *slash = strchr(text, '/');
    if (slash && (strcmp(slash, "/min") == 0 || strcmp(slash, "/s") == 0))
        per = slash[1] == 'm' ? 60 : 1;
    if (!per || !decimal_parse(text, (size_t)(slash - text), &n) || n <= 0)
        cfg_fail(l, v, "invalid %s '%s' (expected N/min or N/s, e.g. 100/min)", cfg_subject(l, ks),
                 text);
    else if (n / per > 1000)
        cfg_fail(l, v, "invalid %s '%s' (at most 1000/s)", cfg_subject(l, ks), text);
    else {
        *FIELD(base, ks, double) = n / per;
        rc = 0;
    }
    free(text);
    return rc;
}

/* timeout: a duration (core/duration.h), 100ms to 10m, in milliseconds. */
int cfg_set_timeout(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    double secs;
    int rc = -1;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a duration like 30s", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!duration_parse(text, &secs))
        cfg_fail(l, v, "invalid %s '%s' (expected a duration like 30s, 500ms or 2m)",
                 cfg_subject(l, ks), text);
    else if (secs * 1000 < 100 - 1e-9 || secs * 1000 > 600000 + 1e-9) /* unit rounding */
        cfg_fail(l, v, "invalid %s '%s' (expected 100ms to 10m)", cfg_subject(l, ks), text);
    else {
        *FIELD(base, ks, long) = (long)(secs * 1000 + 0.5);
        rc = 0;
    }
    free(text);
    return rc;
}

/* invite_delay_days: absent or null = 0 (send at once), else 1 or 3. */
int cfg_set_delay(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    long n = 0;
    int rc = -1;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "1 or 3", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!parse_long(text, &n))
        cfg_fail(l, v, "invalid %s '%s' (the API allows 1 or 3, or omit it to send at once)",
                 cfg_subject(l, ks), text);
    else if (n != 1 && n != 3)
        cfg_fail(l, v, "invalid %s %ld (the API allows 1 or 3, or omit it to send at once)",
                 cfg_subject(l, ks), n);
    else {
        *FIELD(base, ks, int) = (int)n;
        rc = 0;
    }
    free(text);
    return rc;
}

/* delimiter: auto (stored as 0), "," ";" "|", or a tab: a real one, "\t" or tab. */
int cfg_set_delimiter(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    char *text;
    int rc = 0;
    char *dst = FIELD(base, ks, char);

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strcasecmp(text, "auto") == 0)
        *dst = 0;
    else if (strcmp(text, "\t") == 0 || strcmp(text, "\\t") == 0 || strcasecmp(text, "tab") == 0)
        *dst = '\t';
    else if (strlen(text) == 1 && strchr(",;|", text[0]))
        *dst = text[0];
    else
        rc = cfg_fail(l, v, "invalid %s '%s' (expected auto, \",\", \";\", \"\\t\", \"|\" or tab)",
                      cfg_subject(l, ks), text);
    free(text);
    return rc;
}

/* default_country: a region code phone numbers can be read in
 * (core/country_codes.h), any case, stored upper-case. A code that is not
 * one would reject every local number at run time, so it is refused here:
 * with the right code for a common wrong one (UK -> GB). */
int cfg_set_country(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text, code[3];
    char *dst = FIELD(base, ks, char);
    const char *alias;
    int rc = -1;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a country code", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strlen(text) != 2 || !isalpha((unsigned char)text[0]) || !isalpha((unsigned char)text[1]) ||
        (unsigned char)text[0] >= 0x80 || (unsigned char)text[1] >= 0x80) {
        cfg_fail(l, v, "invalid %s '%s' (expected a two-letter country code like AU)",
                 cfg_subject(l, ks), text);
        goto out;
    }
    code[0] = (char)toupper((unsigned char)text[0]);
    code[1] = (char)toupper((unsigned char)text[1]);
    code[2] = '\0';
    if ((alias = country_code_alias(code)) != NULL) {
        cfg_fail(l, v, "unknown %s '%s' (did you mean %s? phone numbers use ISO 3166 codes)",
                 cfg_subject(l, ks), text, alias);
        goto out;
    }
    if (!country_code_known(code)) {
        cfg_fail(l, v,
                 "unknown %s '%s' (expected an ISO 3166 two-letter code such as AU, CA, "
                 "GB, IE, NZ or US: the list is at https://www.iso.org/obp/ui/#search/code/)",
                 cfg_subject(l, ks), text);
        goto out;
    }
    memcpy(dst, code, 3);
    rc = 0;
out:
    free(text);
    return rc;
}

/* A name goes into file names: [A-Za-z0-9._-]+, and not "." or "..". */
bool cfg_valid_name(const char *s)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    return *s && s[strspn(s, ok)] == '\0' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int cfg_set_name(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    if (cfg_set_str(l, v, base, ks) < 0)
        return -1;
    if (*dst && !cfg_valid_name(*dst))
        return cfg_fail(l, v,
                        "invalid name '%s' (letters, digits, '.', '_' and '-' only: it goes into "
                        "file names)",
                        *dst);
    return 0;
}

/*
 * A string or a list of non-empty strings into *out / *n (an owned array);
 * null leaves them NULL / 0. The array is stored before it is filled, so the
 * pipeline owns whatever was parsed when an item fails.
 */
static int get_strlist(struct loader *l, const struct ynode *v, const char *key, char ***out,
                       size_t *n)
{
    const struct ynode *const *items = (const struct ynode *const *)&v;
    size_t count = 1;

    if (ynode_is_null(v))
        return 0;
    if (v->type == Y_MAP)
        return cfg_fail(l, v, "'%s' must be a string or a list of strings, not a mapping", key);
    if (v->type == Y_SEQ) {
        items = (const struct ynode *const *)v->kids;
        count = v->n;
        if (count == 0)
            return cfg_fail(l, v, "'%s' is an empty list (remove the key to leave it unset)", key);
    }
    if (!(*out = calloc(count, sizeof **out)))
        return cfg_nomem(l);
    *n = count;
    for (size_t i = 0; i < count; i++) {
        if (ynode_is_null(items[i]))
            return cfg_fail(l, items[i], "'%s' holds a null item", key);
        if (cfg_get_scalar(l, items[i], key, "a string", &(*out)[i]) < 0)
            return -1;
        if (!*(*out)[i])
            return cfg_fail(l, items[i], "'%s' holds an empty string", key);
    }
    return 0;
}

/* input.columns.<field>: a CSV column name, a list of them, or null. */
int cfg_set_column(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct column_ref *ref = FIELD(base, ks, struct column_ref);
    ref->line = l->key_at->line;
    return get_strlist(l, v, ks->key, &ref->names, &ref->n);
}

/* where[i].in: base is the where_rule. */
int cfg_set_where_in(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct where_rule *rule = base;
    return get_strlist(l, v, ks->key, &rule->in, &rule->n_in);
}

int cfg_set_where_not_in(struct loader *l, const struct ynode *v, void *base,
                         const struct key_spec *ks)
{
    struct where_rule *rule = base;
    return get_strlist(l, v, ks->key, &rule->not_in, &rule->n_not_in);
}

/* input.where: a list of {column, in} rules. */
int cfg_set_where(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct pipeline *p = base;
    (void)ks;
    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_SEQ)
        return cfg_fail(l, v, "'where' must be a list of {column, in} rules, not %s",
                        ynode_type_name(v));
    if (v->n && !(p->input.where = calloc(v->n, sizeof *p->input.where)))
        return cfg_nomem(l);
    p->input.n_where = v->n;
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *item = v->kids[i];
        struct where_rule *rule = &p->input.where[i];
        rule->line = item->line;
        if (item->type != Y_MAP)
            return cfg_fail(l, item, "a 'where' rule must be a mapping {column, in}, not %s",
                            ynode_type_name(item));
        if (cfg_walk_map(l, item, &cfg_where_section, rule) < 0)
            return -1;
        if (!rule->column || (!rule->in && !rule->not_in))
            return cfg_fail(l, item, "a 'where' rule needs '%s'",
                            rule->column ? "in' or 'not_in" : "column");
    }
    return 0;
}

/* channels.sms / channels.email: one {column, in} consent rule. */
int cfg_set_channel(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct where_rule **slot = FIELD(base, ks, struct where_rule *);
    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return cfg_fail(l, v, "'channels.%s' must be a rule {column, in}, not %s", ks->key,
                        ynode_type_name(v));
    if (!(*slot = calloc(1, sizeof **slot)))
        return cfg_nomem(l);
    (*slot)->line = v->line;
    if (cfg_walk_map(l, v, &cfg_where_section, *slot) < 0)
        return -1;
    if (!(*slot)->column || (!(*slot)->in && !(*slot)->not_in))
        return cfg_fail(l, v, "'channels.%s' needs '%s'", ks->key,
                        (*slot)->column ? "in' or 'not_in" : "column");
    return 0;
}

/* invite.business_map: CSV value -> business UUID. */
int cfg_set_business_map(struct loader *l, const struct ynode *v, void *base,
                         const struct key_spec *ks)
{
    struct pipeline *p = base;
    size_t n;

    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return cfg_fail(l, v, "'%s' must be a mapping of values to business ids, not %s", ks->key,
                        ynode_type_name(v));
    n = v->n / 2;
    if (n && !(p->invite.business_map = calloc(n, sizeof *p->invite.business_map)))
        return cfg_nomem(l);
    p->invite.n_business_map = n;
    for (size_t i = 0; i < n; i++) {
        struct business_map_entry *e = &p->invite.business_map[i];
        const struct ynode *k = v->kids[2 * i], *val = v->kids[2 * i + 1];
        if (!(e->value = strdup(k->text)))
            return cfg_nomem(l);
        if (val->type == Y_MAP) {
            if (cfg_set_location_target(l, val, e) < 0)
                return -1;
            continue;
        }
        if (cfg_get_scalar(l, val, ks->key, "a business id", &e->business_id) < 0)
            return -1;
        if (!e->business_id || !uuid_valid_str(e->business_id))
            return cfg_fail(
                l, val,
                "invalid business_map value '%s' for '%s' (expected a UUID like " UUID_EXAMPLE
                "; " HINT_BUSINESS ")",
                e->business_id ? e->business_id : "null", e->value);
    }
    return 0;
}

/* A review field for CSV export: a name, or a dotted path like response.comment. */
static bool valid_field(const char *s)
{
    static const char word[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    for (;;) {
        size_t n = strspn(s, word);
        if (n == 0)
            return false;
        s += n;
        if (*s == '\0')
            return true;
        if (*s++ != '.')
            return false;
    }
}

int cfg_set_fields(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct pipeline *p = base;
    if (get_strlist(l, v, ks->key, &p->export.fields, &p->export.n_fields) < 0)
        return -1;
    for (size_t i = 0; i < p->export.n_fields; i++) {
        if (!valid_field(p->export.fields[i]))
            return cfg_fail(l, v->type == Y_SEQ ? v->kids[i] : v,
                            "invalid field '%s' in '%s' (expected a review field or a dotted "
                            "path like response.comment)",
                            p->export.fields[i], ks->key);
    }
    return 0;
}

/* export.since: last_run, or an ISO date or date-time (core/isotime.h: the
 * one parser, so a date the export would refuse is refused here, with its
 * place). */
int cfg_set_since(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct pipeline *p = base;
    bool last_run;
    char *text;
    int64_t us;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a date or last_run", &text) < 0)
        return -1;
    if (!text)
        return 0;
    last_run = strcmp(text, "last_run") == 0;
    if (!last_run && isotime_parse(text, strlen(text), &us) < 0) {
        cfg_fail(l, v, "invalid %s '%s' (expected last_run or an ISO date like 2026-01-31)",
                 cfg_subject(l, ks), text);
        free(text);
        return -1;
    }
    free(p->export.since);
    p->export.since = last_run ? NULL : text;
    p->export.since_last_run = last_run;
    if (last_run)
        free(text);
    return 0;
}

bool cfg_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* api.api_key: an unset ${VAR} (or an unusable value) is remembered, not
 * raised: `check` and dry runs need no key. The value never goes into a message. */
int cfg_set_api_key(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    struct pipeline *p = base;
    char *text = NULL;
    const char *why = NULL;

    if (ynode_is_null(v))
        return 0;
    if (v->type != Y_SCALAR)
        return cfg_fail(l, v, "'%s' must be a string, not %s", ks->key, ynode_type_name(v));
    if (cfg_expand_env(l, v, ks->key, &text, &p->api.api_key_error) < 0)
        return -1;
    if (text && !*text)
        why = "'api_key' is empty (set the variable it names, or use api_key_file)";
    else if (text && cfg_has_control(text))
        why = "'api_key' holds a control character (a stray newline?)";
    if (why) {
        explicit_bzero(text, strlen(text));
        free(text);
        return cfg_defer(l, v, &p->api.api_key_error, "%s", why);
    }
    p->api.api_key = text;
    return 0;
}

int cfg_set_base_url(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    char why[sizeof l->err->msg];
    char *text;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a URL", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (base_url_check(text, why, sizeof why) < 0) {
        free(text);
        return cfg_fail(l, v, "%s", why);
    }
    free(*dst);
    *dst = text;
    return 0;
}

/* ---- ops (opskit): notify.ping_url ---------------------------------------- */

int cfg_set_ping_url(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    char why[sizeof l->err->msg];
    char *text;

    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a URL", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (base_url_check(text, why, sizeof why) < 0) {
        free(text);
        return cfg_fail(l, v,
                        "invalid ping_url (expected https://HOST/PATH, e.g. "
                        "https://hc-ping.com/UUID; http only to a loopback host)");
    }
    free(*dst);
    *dst = text;
    return 0;
}

/* state.url: a PostgreSQL URL for the ledger (store/pg_conn.h connects).
 * The value may carry a password, so no message quotes it. */
int cfg_set_state_url(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    char *text;
    if (cfg_get_scalar(l, v, cfg_subject(l, ks), "a URL", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strncmp(text, "postgresql://", 13) != 0 && strncmp(text, "postgres://", 11) != 0) {
        free(text);
        return cfg_fail(l, v,
                        "'%s' must be a postgresql:// URL, e.g. "
                        "postgresql://cloutly@db.internal/cloutly (for a file, use state.path)",
                        cfg_subject(l, ks));
    }
    free(*dst);
    *dst = text;
    return 0;
}
