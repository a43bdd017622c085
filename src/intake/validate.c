/* Validation and normalisation: see validate.h. */
#include "intake/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "intake/country.h"
#include "intake/email.h"
#include "intake/names.h"
#include "intake/phone.h"
#include "intake/utf8.h"

/* Quote a value in a reason, cut short so a 64 KiB cell stays readable. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

static void set(struct strbuf *sb, const char *v, size_t len)
{
    strbuf_reset(sb);
    if (v)
        strbuf_add(sb, v, len);
}

/* The full name of the row: the first of its columns that holds a name,
 * not an email address (Stripe's "Name" often holds the email). NULL with
 * *email_col set when the only full names are emails. */
static const char *full_name(const struct mapping *m, const struct csv_row *row, size_t *len,
                             int *email_col)
{
    *email_col = -1;
    for (size_t k = 0; k < m->n[MAP_FULL_NAME]; k++) {
        size_t col = (size_t)m->cols[MAP_FULL_NAME][k];
        if (col >= row->n)
            continue;
        const char *v = trim_span(row->fields[col], row->lens[col], len);
        if (!*len)
            continue;
        if (!name_is_email(v, *len))
            return v;
        if (*email_col < 0)
            *email_col = (int)col;
    }
    *len = 0;
    return NULL;
}

/* First and last name, from their columns or by splitting the full name
 * (names.h: "Jane Q Citizen" -> Jane / Q Citizen; "Citizen, Jane" -> Jane /
 * Citizen; quotes, brackets and titles dropped). A first name that is an
 * email address is no name: the row is then missing one, with the reason. */
static void take_names(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    size_t flen, llen;
    const char *first = mapping_value(m, MAP_FIRST_NAME, row, &flen);
    const char *last = mapping_value(m, MAP_LAST_NAME, row, &llen);
    struct name_part fp = {first, first ? flen : 0}, lp = {last, last ? llen : 0};
    if (first) {
        fp = name_drop_title(name_unwrap(first, flen));
        if (name_is_email(fp.p, fp.len)) {
            row_note(r, "the first-name column '%s' holds an email address, not a name",
                     m->header[m->cols[MAP_FIRST_NAME][0]]);
            fp.len = 0;
        }
    }
    if (last)
        lp = name_unwrap(last, llen);
    if (!m->n[MAP_FIRST_NAME] || !fp.len) {
        size_t len;
        int email_col;
        const char *full = full_name(m, row, &len, &email_col);
        if (full) {
            struct name_part sf, sl;
            name_split(full, len, &sf, &sl);
            fp = sf;
            /* The last name column, when filled, wins. */
            if (!lp.len)
                lp = sl;
        } else if (email_col >= 0) {
            row_note(r, "the name column '%s' holds an email address, not a name",
                     m->header[email_col]);
        }
    }
    set(&r->first_name, fp.p, fp.len);
    set(&r->last_name, lp.p, lp.len);
}

/* gmial.com: corrected when the pipeline says so, else only noted. */
static void check_typo(const struct pipeline *p, struct row_result *r)
{
    const char *at = memchr(r->email.buf, '@', r->email.len);
    size_t dlen = r->email.len - (size_t)(at - r->email.buf) - 1;
    const char *meant = email_domain_typo(at + 1, dlen);
    if (!meant)
        return;
    if (!p->validate.fix_email_typos) {
        row_note(r,
                 "email domain '%.*s' looks like a typo of '%s' (validate.fix_email_typos: "
                 "true corrects it)",
                 (int)dlen, at + 1, meant);
        return;
    }
    row_note(r, "email domain '%.*s' corrected to '%s'", (int)dlen, at + 1, meant);
    r->email.len = (size_t)(at - r->email.buf) + 1;
    strbuf_addstr(&r->email, meant);
}

/* 1 when the email is good and kept, 0 when absent, -1 when bad (noted). */
/* Google Contacts joins the values of one cell with " ::: ". The next part
 * of `v` from *pos, trimmed: 1 and the part, 0 past the last. A cell
 * without the separator is one part. */
#define MULTI_SEP " ::: "
static int multi_part(const char *v, size_t len, size_t *pos, const char **part, size_t *plen)
{
    if (*pos > len)
        return 0;
    const char *p = v + *pos, *end = v + len;
    /* By its ':' (rare in a cell): memmem's set-up costs more than the
     * search on a short cell, and this runs for every email and phone. */
    const char *q = NULL;
    for (const char *c = p; (c = memchr(c, ':', (size_t)(end - c))) != NULL; c++)
        if (c > p && c + 4 <= end && memcmp(c - 1, MULTI_SEP, sizeof MULTI_SEP - 1) == 0) {
            q = c - 1;
            break;
        }
    *part = trim_span(p, (size_t)((q ? q : end) - p), plen);
    *pos = q ? (size_t)(q - v) + sizeof MULTI_SEP - 1 : len + 1;
    return 1;
}

/* The first valid email of a multi-value cell, else its first part. */
static const char *first_email(const char *v, size_t *len)
{
    const char *part, *first = NULL;
    size_t plen, pos = 0, first_len = 0;
    while (multi_part(v, *len, &pos, &part, &plen)) {
        if (!first) {
            first = part;
            first_len = plen;
        }
        if (plen && email_valid(part, plen)) {
            *len = plen;
            return part;
        }
    }
    *len = first_len;
    return first;
}

static int take_email(const struct pipeline *p, const struct mapping *m, const struct csv_row *row,
                      struct row_result *r)
{
    size_t len;
    const char *v = mapping_value(m, MAP_EMAIL, row, &len);
    strbuf_reset(&r->email);
    if (!v)
        return 0;
    v = first_email(v, &len);
    if (!email_valid(v, len)) {
        row_note(r, "invalid email \"%.*s\"", SHOWN(len), v);
        return -1;
    }
    strbuf_add(&r->email, v, len);
    email_lower(r->email.buf, len);
    check_typo(p, r);
    return 1;
}

/* The number in a cell that also holds words: "0417 033 922 adele",
 * "+1 (849) 525-8432 Mami", "mob 0412 345 678". The words before the first
 * digit (or + or bracket) and after the last digit go; what is between is
 * left to libphonenumber, which reads extensions and vanity numbers. */
static const char *phone_without_words(const char *v, size_t len, size_t *out_len)
{
    size_t a = 0, b = len;
    while (a < len && !isdigit((unsigned char)v[a]) && v[a] != '+' && v[a] != '(')
        a++;
    while (b > a && !isdigit((unsigned char)v[b - 1]))
        b--;
    /* "ext 12" and "x12" end in digits and are kept; "ext." alone goes. */
    *out_len = b - a;
    return v + a;
}

/* A number the channel cannot take: not a fault of the row. */
#define CHANNEL_UNUSABLE (-2)

/* Numbers that cannot take an SMS, and how a person calls them. */
static int phone_type_unsmsable(enum phone_type t)
{
    return t == PHONE_LANDLINE || t == PHONE_TOLL_FREE || t == PHONE_PREMIUM;
}

static const char *phone_type_phrase(enum phone_type t)
{
    return t == PHONE_TOLL_FREE ? "a toll-free number"
           : t == PHONE_PREMIUM ? "a premium-rate number"
                                : "a landline";
}

/* One number, as written or without the words around it. */
static int parse_phone(const char *v, size_t len, const char *region, struct phone_result *pr)
{
    if (phone_normalise(v, len, region, pr) == 0)
        return 0;
    size_t wlen;
    const char *w = phone_without_words(v, len, &wlen);
    struct phone_result pw;
    if (wlen == len || !wlen || phone_normalise(w, wlen, region, &pw) < 0)
        return -1; /* pr keeps the reason for the number as written */
    *pr = pw;
    return 0;
}

static int take_phone(const struct pipeline *p, const struct mapping *m, const struct csv_row *row,
                      struct row_result *r)
{
    size_t len;
    const char *v = mapping_value(m, MAP_PHONE, row, &len);
    strbuf_reset(&r->phone);
    r->phone_region[0] = '\0';
    if (!v)
        return 0;

    /* A country column, when the row fills it with a country this knows,
     * wins over validate.default_country for numbers written nationally. */
    char country[3];
    const char *region = p->validate.default_country;
    size_t clen;
    const char *cv = mapping_value(m, MAP_COUNTRY, row, &clen);
    /* "AR" in a US export's Country/Region is Arkansas, not Argentina. */
    if (cv && country_code(cv, clen, country) &&
        !(country_is_us_state(cv, clen) && strcmp(p->validate.default_country, "US") == 0))
        region = country;
    /* A multi-value cell: its first number that parses. */
    struct phone_result pr, first;
    const char *part;
    size_t plen, pos = 0;
    int parts = 0, ok = 0;
    while (!ok && multi_part(v, len, &pos, &part, &plen)) {
        ok = plen && parse_phone(part, plen, region, &pr) == 0;
        if (!parts++)
            first = pr;
    }
    if (!ok) {
        row_note(r, "%s", first.reason);
        return -1;
    }
    /* Name the kind: a toll-free number is not someone's landline. */
    if (pr.type == PHONE_LANDLINE)
        pr.type = pr.kind;
    if (phone_type_unsmsable(pr.type) && p->validate.landlines == LANDLINES_SKIP) {
        row_note(r, "phone %s is %s: not sent by SMS (validate.landlines: skip)", pr.e164,
                 phone_type_phrase(pr.type));
        return CHANNEL_UNUSABLE;
    }
    strbuf_addstr(&r->phone, pr.e164);
    /* The send window's zone lookup starts from it: no second parse. */
    memcpy(r->phone_region, pr.region, sizeof pr.region);
    return 1;
}

static int take_business(const struct pipeline *p, const struct mapping *m,
                         const struct csv_row *row, struct row_result *r)
{
    size_t len;
    const char *v = mapping_value(m, MAP_BUSINESS_ID, row, &len);
    strbuf_reset(&r->business_id);
    if (v) {
        for (size_t i = 0; i < p->invite.n_business_map; i++) {
            const struct business_map_entry *e = &p->invite.business_map[i];
            if (strlen(e->value) == len && strncasecmp(e->value, v, len) == 0) {
                strbuf_addstr(&r->business_id, e->business_id);
                return 0;
            }
        }
        if (uuid_valid(v, len)) {
            strbuf_add(&r->business_id, v, len);
            return 0;
        }
        row_note(r, "unknown location \"%.*s\" (add it to invite.business_map)", SHOWN(len), v);
        return -1;
    }
    if (!p->invite.business_id) {
        row_note(r, "no location: the business column is empty and invite.business_id is not set");
        return -1;
    }
    strbuf_addstr(&r->business_id, p->invite.business_id);
    return 0;
}

/* A rule of channels: (consent) that this row fails, with why; NULL when
 * the row may be reached on that channel. */
static int consent_fails(const struct where_rule *w, int col, const struct csv_row *row, char *why,
                         size_t whylen)
{
    if (!w || col < 0)
        return 0;
    size_t len = 0;
    const char *v = (size_t)col < row->n ? trim_span(row->fields[col], row->lens[col], &len) : "";
    if (where_rule_holds(w, v, len))
        return 0;
    snprintf(why, whylen, "'%s' is \"%.*s\"", w->column, SHOWN(len), v);
    return 1;
}

/* Drop the channels the contact did not consent to (channels: in the
 * pipeline). The other channel still works. */
static void apply_consent(const struct pipeline *p, const struct consent *c,
                          const struct csv_row *row, struct row_result *r)
{
    char why[160];
    if (r->phone.len && consent_fails(p->channels.sms, c->sms_col, row, why, sizeof why)) {
        row_note(r, "no SMS consent (%s): phone not used", why);
        strbuf_reset(&r->phone);
    }
    if (r->email.len && consent_fails(p->channels.email, c->email_col, row, why, sizeof why)) {
        row_note(r, "no email consent (%s): email not used", why);
        strbuf_reset(&r->email);
    }
}

/* The export's own refusals (presets.h: opt-outs): a Mailchimp unsubscribed
 * export, "Email Status: bounced", "Do Not Contact: yes". The channels a
 * refusal names are dropped, with the column and value in the note. */
static void apply_optouts(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    for (size_t i = 0; i < m->n_optout && (r->email.len || r->phone.len); i++) {
        const struct preset_optout *o = &m->optout[i];
        size_t len = 0, col = (size_t)o->col;
        const char *v = col < row->n ? trim_span(row->fields[col], row->lens[col], &len) : "";
        const char *word;
        unsigned ch = preset_optout_refuses(o, v, len, &word);
        int phone = (ch & (1u << PRESET_SMS)) && r->phone.len;
        int email = (ch & (1u << PRESET_EMAIL)) && r->email.len;
        if (!phone && !email)
            continue;
        /* A refusal of both channels is of the person, whatever the row has. */
        int whole = (ch & (1u << PRESET_SMS)) && (ch & (1u << PRESET_EMAIL));
        const char *dropped = whole || (phone && email) ? "not invited"
                              : email                   ? "email not used"
                                                        : "phone not used";
        if (o->kind == OPTOUT_LIST)
            row_note(r, "%s: the file is %s (its '%s' column): %s", word, o->what, m->header[col],
                     dropped);
        else
            row_note(r, "%s ('%s' is \"%.*s\"): %s", word, m->header[col], SHOWN(len), v, dropped);
        if (phone)
            strbuf_reset(&r->phone);
        if (email)
            strbuf_reset(&r->email);
    }
}

/* A value this long is no name, email or phone: most likely a stray quote
 * swallowed the rows after it. The reader marks rows too big to hold
 * (csv_in.h): they are rejected like any other, and the file goes on. */
static int oversized(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    if (row->n > CSV_IN_MAX_FIELDS) {
        row_note(r,
                 "row has more than %d fields (or more data than a row may hold): not read "
                 "(a stray delimiter or quote?)",
                 CSV_IN_MAX_FIELDS);
        return 1;
    }
    for (size_t i = 0; i < row->n; i++)
        if (row->lens[i] > CSV_IN_MAX_FIELD) {
            row_note(r,
                     "column '%s' holds more than %d bytes (1 MiB, the most a field may "
                     "have; only its start is kept in the rejects file; an unbalanced quote?)",
                     i < m->header_n ? m->header[i] : "?", CSV_IN_MAX_FIELD);
            return 1;
        }
    for (size_t i = 0; i < row->n; i++)
        if (row->lens[i] > VALIDATE_MAX_FIELD) {
            row_note(r,
                     "column '%s' holds %zu bytes, over the 64 KiB a field may have "
                     "(an unbalanced quote?)",
                     i < m->header_n ? m->header[i] : "?", row->lens[i]);
            return 1;
        }
    return 0;
}

/* Bytes that are not UTF-8 (an encoded surrogate, a code point past
 * U+10FFFF) would reach the JSON body and the results file: the row is
 * rejected, naming the column and byte, never echoing the bytes. */
static int bad_utf8(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    long at = utf8_invalid_at(row->packed, row->packed_len);
    if (at < 0)
        return 0;
    size_t i = 0;
    while (i + 1 < row->n && row->fields[i + 1] - row->packed <= at)
        i++;
    row_note(r,
             "column '%s' is not valid UTF-8 (byte %ld of the field; set input.encoding "
             "if the file is in another encoding)",
             i < m->header_n ? m->header[i] : "?", at - (long)(row->fields[i] - row->packed) + 1);
    return 1;
}

void validate_row(const struct pipeline *p, const struct mapping *m, const struct consent *c,
                  const struct csv_row *row, struct row_result *r)
{
    char why[256];
    if (csv_row_blank(row)) {
        row_note(r, "blank row");
        r->status = ROW_SKIPPED;
        return;
    }
    if (oversized(m, row, r) || bad_utf8(m, row, r)) {
        r->status = ROW_REJECTED;
        return;
    }
    if (row->n != m->header_n) {
        row_note(r, "row has %zu fields but the header has %zu (a stray delimiter or quote?)",
                 row->n, m->header_n);
        r->status = ROW_REJECTED;
        return;
    }
    if (!mapping_where_ok(m, row, why, sizeof why)) {
        row_note(r, "%s", why);
        r->status = ROW_SKIPPED;
        return;
    }
    size_t len;
    const char *scid = mapping_value(m, MAP_SOURCE_CONTACT_ID, row, &len);
    set(&r->source_contact_id, scid, len);
    take_names(m, row, r);
    int bad = 0;
    if (!r->first_name.len) {
        row_note(r, "missing first name");
        bad = 1;
    }
    int email = take_email(p, m, row, r);
    int phone = take_phone(p, m, row, r);
    if (take_business(p, m, row, r) < 0)
        bad = 1;
    int asked = 0;
    const char *tz = mapping_value(m, MAP_TIMEZONE, row, &len);
    set(&r->timezone, tz, len);
    if (c && (p->channels.sms || p->channels.email) && (email > 0 || phone > 0)) {
        apply_consent(p, c, row, r);
        asked = 1;
    }
    if (p->validate.honour_opt_outs && m->n_optout && (r->email.len || r->phone.len)) {
        apply_optouts(m, row, r);
        asked = 1;
    }
    if (asked) {
        if (email > 0 && !r->email.len)
            email = CHANNEL_UNUSABLE;
        if (phone > 0 && !r->phone.len)
            phone = CHANNEL_UNUSABLE;
        if (email <= 0 && phone <= 0 && !bad) {
            r->status = ROW_SKIPPED; /* not a fault of the row: the contact said no */
            return;
        }
    }
    if (email <= 0 && phone <= 0) {
        if (email == 0 && phone == 0)
            row_note(r, "no email or phone");
        /* Nothing wrong with the row, only nothing to send on: a landline
         * and no email is skipped, as a contact without consent is. */
        if (!bad && email != -1 && phone != -1 &&
            (email == CHANNEL_UNUSABLE || phone == CHANNEL_UNUSABLE)) {
            row_note(r, "no channel left to invite on");
            r->status = ROW_SKIPPED;
            return;
        }
        bad = 1;
    } else if (!bad && email < 0) {
        row_note(r, "sent by phone only");
    } else if (!bad && phone < 0) {
        row_note(r, "sent by email only");
    }
    r->status = bad ? ROW_REJECTED : ROW_PENDING;
}
