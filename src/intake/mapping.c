/* Mapping CSV columns to API fields: see mapping.h. */
#include "intake/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strbuf.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

const char *trim_span(const char *s, size_t len, size_t *out_len)
{
    while (len && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len && is_blank(s[len - 1]))
        len--;
    *out_len = len;
    return s;
}

/* The column a pipeline names: by its name (exact, then ignoring case);
 * "Name#2" for the second column of a name the header repeats; "#5" for
 * the fifth column, whatever its name. -1 when there is none. */
static int find_column(const struct mapping *m, const char *name)
{
    for (size_t i = 0; i < m->header_n; i++)
        if (strcmp(m->header[i], name) == 0)
            return (int)i;
    for (size_t i = 0; i < m->header_n; i++)
        if (strcasecmp(m->header[i], name) == 0)
            return (int)i;
    const char *hash = strrchr(name, '#');
    if (!hash || !hash[1] || strspn(hash + 1, "0123456789") != strlen(hash + 1))
        return -1;
    long k = strtol(hash + 1, NULL, 10);
    size_t base = (size_t)(hash - name);
    if (k < 1)
        return -1;
    if (!base)
        return k <= (long)m->header_n ? (int)(k - 1) : -1;
    for (size_t i = 0; i < m->header_n; i++)
        if (strlen(m->header[i]) == base && strncasecmp(m->header[i], name, base) == 0 && !--k)
            return (int)i;
    return -1;
}

static void list_columns(const struct mapping *m, struct strbuf *sb)
{
    for (size_t i = 0; i < m->header_n && sb->len < 600; i++)
        strbuf_addf(sb, "%s'%s'", i ? ", " : "", m->header[i]);
}

static int missing_column(const struct mapping *m, const char *what, const char *name,
                          const char *input_path, struct cp_error *err)
{
    struct strbuf sb;
    strbuf_init(&sb, 4096);
    list_columns(m, &sb);
    cp_fail(err, CP_EXIT_INPUT,
            "'%s': no column '%s' (named by %s in the pipeline); the file's columns are: %s",
            input_path, name, what, strbuf_str(&sb));
    strbuf_release(&sb);
    return -1;
}

static int map_configured(struct mapping *m, enum map_field f, const struct column_ref *ref,
                          const char *input_path, struct cp_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "input.columns.%s", map_field_key[f]);
    for (size_t k = 0; k < ref->n && m->n[f] < MAPPING_MAX_ALTS; k++) {
        int col = find_column(m, ref->names[k]);
        if (col >= 0)
            m->cols[f][m->n[f]++] = col;
    }
    if (ref->n && !m->n[f])
        return missing_column(m, what, ref->names[0], input_path, err);
    return 0;
}

/* Two columns equally good for one field: the person picks, not us. */
static int ambiguous(const struct mapping *m, enum map_field f, const struct preset_match *pm,
                     const char *input_path, struct cp_error *err)
{
    struct strbuf sb;
    strbuf_init(&sb, 4096);
    for (size_t k = 0; k < pm->n_clash[f]; k++)
        strbuf_addf(&sb, "%s'%s'", k ? (k + 1 == pm->n_clash[f] ? " and " : ", ") : "",
                    m->header[pm->clash[f][k]]);
    cp_fail(err, CP_EXIT_INPUT,
            "'%s': %zu columns could be the %s: %s; set input.columns.%s in the pipeline to "
            "the one to use (or to a list of them: per row the first non-empty wins)",
            input_path, pm->n_clash[f], map_field_key[f], strbuf_str(&sb), map_field_key[f]);
    strbuf_release(&sb);
    return -1;
}

/* Fields the pipeline leaves out, from the presets' reading of the header.
 * A full name is only used without a first name, so only then can its
 * candidates be ambiguous. */
static int map_guessed(struct mapping *m, const struct pipeline *p, const char *input_path,
                       struct cp_error *err)
{
    struct preset_match pm;
    if (presets_match((const char *const *)m->header, m->header_n, &pm) < 0)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    m->system = pm.system;
    m->system_marks[0] = pm.marks_found;
    m->system_marks[1] = pm.marks_total;
    memcpy(m->optout, pm.optout, sizeof m->optout);
    m->n_optout = pm.n_optout;
    /* A consent-like column the pipeline has a rule for is understood. */
    for (size_t i = 0; i < pm.n_unknown_consent; i++) {
        const char *name = m->header[pm.unknown_consent[i]];
        const struct where_rule *rules[] = {p->channels.sms, p->channels.email};
        int ruled = 0;
        for (size_t k = 0; k < 2; k++)
            ruled |= rules[k] && strcasecmp(rules[k]->column, name) == 0;
        for (size_t k = 0; k < p->input.n_where; k++)
            ruled |= strcasecmp(p->input.where[k].column, name) == 0;
        if (!ruled)
            m->unknown_consent[m->n_unknown_consent++] = pm.unknown_consent[i];
    }
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        if (p->input.columns[f].names || f == MAP_BUSINESS_ID || !pm.n[f])
            continue;
        /* A pipeline that names a full-name column means it, first names aside. */
        if (f == MAP_FIRST_NAME && p->input.columns[MAP_FULL_NAME].names)
            continue;
        memcpy(m->cols[f], pm.cols[f], pm.n[f] * sizeof *pm.cols[f]);
        m->n[f] = pm.n[f];
        m->guessed[f] = 1;
    }
    /* With a first-name column, a full-name one is the per-row fallback
     * for an empty first name (Zoho's "Display Name"), when it is one column. */
    if (m->n[MAP_FIRST_NAME] && m->guessed[MAP_FULL_NAME] && pm.n_clash[MAP_FULL_NAME])
        m->n[MAP_FULL_NAME] = 0;
    for (int f = 0; f < MAP_FIELD_COUNT; f++)
        if (m->guessed[f] && m->n[f] && pm.n_clash[f])
            return ambiguous(m, (enum map_field)f, &pm, input_path, err);
    return 0;
}

static int map_where(struct mapping *m, const struct pipeline *p, const char *input_path,
                     struct cp_error *err)
{
    if (!p->input.n_where)
        return 0;
    m->where = calloc(p->input.n_where, sizeof *m->where);
    if (!m->where)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    for (size_t i = 0; i < p->input.n_where; i++) {
        const struct where_rule *w = &p->input.where[i];
        int col = find_column(m, w->column);
        if (col < 0)
            return missing_column(m, "input.where", w->column, input_path, err);
        m->where[m->n_where].col = col;
        m->where[m->n_where].rule = w;
        m->n_where++;
    }
    return 0;
}

/* -v shows the mapping a run uses, as `check` prints it. */
static void log_line(void *ctx, const char *s)
{
    (void)ctx;
    log_msg(LOG_DEBUG, "mapping: %s", s);
}

int mapping_init(struct mapping *m, const struct pipeline *p, const struct csv_row *header,
                 const char *input_path, struct cp_error *err)
{
    memset(m, 0, sizeof *m);
    m->header = calloc(header->n ? header->n : 1, sizeof *m->header);
    if (!m->header)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    m->header_n = header->n;
    for (size_t i = 0; i < header->n; i++) {
        size_t len;
        const char *s = trim_span(header->fields[i], header->lens[i], &len);
        m->header[i] = strndup(s, len);
        if (!m->header[i])
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    }
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        const struct column_ref *ref = &p->input.columns[f];
        if (ref->names && map_configured(m, (enum map_field)f, ref, input_path, err) < 0)
            return -1;
    }
    if (map_guessed(m, p, input_path, err) < 0)
        return -1;
    if (!m->n[MAP_FIRST_NAME] && !m->n[MAP_FULL_NAME]) {
        struct strbuf sb;
        strbuf_init(&sb, 4096);
        list_columns(m, &sb);
        cp_fail(err, CP_EXIT_INPUT,
                "'%s': no first-name column found: set input.columns.firstName (or fullName) "
                "in the pipeline; the file's columns are: %s",
                input_path, strbuf_str(&sb));
        strbuf_release(&sb);
        return -1;
    }
    if (!m->n[MAP_EMAIL] && !m->n[MAP_PHONE]) {
        struct strbuf sb;
        strbuf_init(&sb, 4096);
        list_columns(m, &sb);
        cp_fail(err, CP_EXIT_INPUT,
                "'%s': no email or phone column found: set input.columns.email or "
                "input.columns.phoneNumber in the pipeline; the file's columns are: %s",
                input_path, strbuf_str(&sb));
        strbuf_release(&sb);
        return -1;
    }
    if (map_where(m, p, input_path, err) < 0)
        return -1;
    /* `run` maps its input twice (the preflight count, then the run): once is
     * enough to read. mapping_init runs on the main thread only. */
    static int described;
    if (log_enabled(LOG_DEBUG) && !described++) {
        char sys[256];
        if (mapping_system(m, sys, sizeof sys))
            log_msg(LOG_DEBUG, "input: %s", sys);
        mapping_describe(m, log_line, NULL);
    }
    return 0;
}

void mapping_release(struct mapping *m)
{
    if (m->header)
        for (size_t i = 0; i < m->header_n; i++)
            free(m->header[i]);
    free(m->header);
    free(m->where);
    memset(m, 0, sizeof *m);
}

const char *mapping_value(const struct mapping *m, enum map_field f, const struct csv_row *row,
                          size_t *len)
{
    for (size_t k = 0; k < m->n[f]; k++) {
        size_t col = (size_t)m->cols[f][k];
        if (col >= row->n)
            continue;
        const char *v = trim_span(row->fields[col], row->lens[col], len);
        /* Shopify's (and Excel's) text marker: '+61412345678, '1234. */
        if (*len && v[0] == '\'' && (f == MAP_PHONE || f == MAP_SOURCE_CONTACT_ID))
            v = trim_span(v + 1, *len - 1, len);
        if (*len)
            return v;
    }
    *len = 0;
    return NULL;
}

static int listed(char *const *list, size_t n, const char *v, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (strlen(list[k]) == len && strncasecmp(list[k], v, len) == 0)
            return 1;
    return 0;
}

int where_rule_holds(const struct where_rule *w, const char *v, size_t len)
{
    if (w->in && !listed(w->in, w->n_in, v, len))
        return 0;
    return !(w->not_in && listed(w->not_in, w->n_not_in, v, len));
}

int mapping_where_ok(const struct mapping *m, const struct csv_row *row, char *why, size_t whylen)
{
    for (size_t i = 0; i < m->n_where; i++) {
        const struct where_rule *w = m->where[i].rule;
        size_t col = (size_t)m->where[i].col, len = 0;
        const char *v = col < row->n ? trim_span(row->fields[col], row->lens[col], &len) : "";
        if (!where_rule_holds(w, v, len)) {
            snprintf(why, whylen, "filtered out: '%s' is \"%.*s\" (input.where %s %s%s)", w->column,
                     (int)(len > 60 ? 60 : len), v, w->in ? "wants" : "refuses",
                     w->in ? (w->n_in ? w->in[0] : "") : (w->n_not_in ? w->not_in[0] : ""),
                     (w->in ? w->n_in : w->n_not_in) > 1 ? ", ..." : "");
            return 0;
        }
    }
    return 1;
}

const char *mapping_system(const struct mapping *m, char *buf, size_t cap)
{
    int guessed = 0;
    for (int f = 0; f < MAP_FIELD_COUNT; f++)
        guessed |= m->guessed[f] && m->n[f];
    if (!m->system && !guessed)
        return NULL;
    presets_describe(m->system, m->system_marks[0], m->system_marks[1], buf, cap);
    return buf;
}

void mapping_describe(const struct mapping *m, void (*line)(void *ctx, const char *s), void *ctx)
{
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        if (!m->n[f])
            continue;
        struct strbuf sb;
        strbuf_init(&sb, 4096);
        strbuf_addf(&sb, "%-16s <- ", map_field_key[f]);
        for (size_t k = 0; k < m->n[f]; k++) {
            char label[300];
            presets_column_label((const char *const *)m->header, m->header_n, (size_t)m->cols[f][k],
                                 label, sizeof label);
            strbuf_addf(&sb, "%s'%s'", k ? " | " : "", label);
        }
        if (m->guessed[f])
            strbuf_addstr(&sb, "  (from the header)");
        line(ctx, strbuf_str(&sb));
        strbuf_release(&sb);
    }
}

static const char *channels_word(unsigned ch)
{
    return ch == ((1u << PRESET_SMS) | (1u << PRESET_EMAIL)) ? "the contact is not invited"
           : ch == (1u << PRESET_EMAIL)                      ? "the email is not used"
                                                             : "the phone is not used";
}

void mapping_describe_optouts(const struct mapping *m, int honoured,
                              void (*line)(void *ctx, const char *s), void *ctx)
{
    char buf[512];
    for (size_t i = 0; i < m->n_optout; i++) {
        const struct preset_optout *o = &m->optout[i];
        const char *col = m->header[o->col];
        if (o->kind == OPTOUT_LIST)
            snprintf(buf, sizeof buf, "opt-out  '%s': the file is %s: %s on any row%s", col,
                     o->what, channels_word(o->channels),
                     honoured ? ""
                              : " (not obeyed: "
                                "validate.honour_opt_outs is false)");
        else
            snprintf(buf, sizeof buf, "opt-out  '%s': a row whose cell says %s: %s%s", col,
                     o->kind == OPTOUT_FLAG ? "yes/true/1"
                                            : "unsubscribed, bounced, cleaned, "
                                              "opted out...",
                     channels_word(o->channels),
                     honoured ? ""
                              : " (not obeyed: "
                                "validate.honour_opt_outs is false)");
        line(ctx, buf);
    }
    for (size_t i = 0; i < m->n_unknown_consent; i++) {
        snprintf(buf, sizeof buf,
                 "warning  '%s' looks like a consent column but is not one "
                 "this tool knows: it is ignored; add a channels: rule for it if it says who "
                 "may be contacted",
                 m->header[m->unknown_consent[i]]);
        line(ctx, buf);
    }
}
