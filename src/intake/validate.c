/* Validation and normalisation: see validate.h. */
#include "intake/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "intake/country.h"
#include "intake/email.h"
#include "intake/phone.h"

/* Quote a value in a reason, cut short so a 64 KiB cell stays readable. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

static void set(struct strbuf *sb, const char *v, size_t len)
{
    strbuf_reset(sb);
    if (v)
        strbuf_add(sb, v, len);
}

/* First and last name, from their columns or by splitting the full name
 * ("Jane Q Citizen" -> Jane / Q Citizen; "Citizen, Jane" -> Jane / Citizen). */
static void take_names(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    size_t flen, llen;
    const char *first = mapping_value(m, MAP_FIRST_NAME, row, &flen);
    const char *last = mapping_value(m, MAP_LAST_NAME, row, &llen);
    if (!m->n[MAP_FIRST_NAME]) {
        size_t len;
        const char *full = mapping_value(m, MAP_FULL_NAME, row, &len);
        if (full) {
            const char *comma = memchr(full, ',', len);
            if (comma) {
                /* "Citizen, Jane": the last name column, when filled, wins. */
                size_t clen;
                const char *clast = trim_span(full, (size_t)(comma - full), &clen);
                first = trim_span(comma + 1, len - (size_t)(comma - full) - 1, &flen);
                if (!last) {
                    last = clast;
                    llen = clen;
                }
            } else {
                size_t i = 0;
                while (i < len && !isspace((unsigned char)full[i]))
                    i++;
                first = full;
                flen = i;
                if (!last && i < len)
                    last = trim_span(full + i, len - i, &llen);
            }
        }
    }
    set(&r->first_name, first, flen);
    set(&r->last_name, last, llen);
}

/* Lower-case ASCII, and the accented capitals of Latin-1 (UTF-8 C3 80-9E
 * but the multiplication sign), so RENÉE@ and renée@ dedupe as one person. */
static void lower_email(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') {
            s[i] = (char)(c + ('a' - 'A'));
        } else if (c == 0xC3 && i + 1 < len) {
            unsigned char n = (unsigned char)s[i + 1];
            if (n >= 0x80 && n <= 0x9E && n != 0x97)
                s[i + 1] = (char)(n + 0x20);
            i++;
        }
    }
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
        row_note(r, "email domain '%.*s' looks like a typo of '%s' (validate.fix_email_typos: "
                    "true corrects it)", (int)dlen, at + 1, meant);
        return;
    }
    row_note(r, "email domain '%.*s' corrected to '%s'", (int)dlen, at + 1, meant);
    r->email.len = (size_t)(at - r->email.buf) + 1;
    strbuf_addstr(&r->email, meant);
}

/* 1 when the email is good and kept, 0 when absent, -1 when bad (noted). */
static int take_email(const struct pipeline *p, const struct mapping *m, const struct csv_row *row,
                      struct row_result *r)
{
    size_t len;
    const char *v = mapping_value(m, MAP_EMAIL, row, &len);
    strbuf_reset(&r->email);
    if (!v)
        return 0;
    if (!email_valid(v, len)) {
        row_note(r, "invalid email \"%.*s\"", SHOWN(len), v);
        return -1;
    }
    strbuf_add(&r->email, v, len);
    lower_email(r->email.buf, len);
    check_typo(p, r);
    return 1;
}

static int take_phone(const struct pipeline *p, const struct mapping *m, const struct csv_row *row,
                      struct row_result *r)
{
    size_t len;
    const char *v = mapping_value(m, MAP_PHONE, row, &len);
    strbuf_reset(&r->phone);
    if (!v)
        return 0;
    /* A country column, when the row fills it with a country this knows,
     * wins over validate.default_country for numbers written nationally. */
    char country[3];
    const char *region = p->validate.default_country;
    size_t clen;
    const char *cv = mapping_value(m, MAP_COUNTRY, row, &clen);
    if (cv && country_code(cv, clen, country))
        region = country;
    struct phone_result pr;
    if (phone_normalise(v, len, region, &pr) < 0) {
        row_note(r, "%s", pr.reason);
        return -1;
    }
    if (pr.type == PHONE_LANDLINE && p->validate.landlines == LANDLINES_SKIP) {
        row_note(r, "phone %s is a landline: not sent by SMS (validate.landlines: skip)", pr.e164);
        return -1;
    }
    strbuf_addstr(&r->phone, pr.e164);
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
static int consent_fails(const struct where_rule *w, int col, const struct csv_row *row,
                         char *why, size_t whylen)
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

/* A value this long is no name, email or phone: most likely a stray quote
 * swallowed the rows after it. */
static int oversized(const struct mapping *m, const struct csv_row *row, struct row_result *r)
{
    for (size_t i = 0; i < row->n; i++)
        if (row->lens[i] > VALIDATE_MAX_FIELD) {
            row_note(r, "column '%s' holds %zu bytes, over the 64 KiB a field may have "
                        "(an unbalanced quote?)",
                     i < m->header_n ? m->header[i] : "?", row->lens[i]);
            return 1;
        }
    return 0;
}

void validate_row(const struct pipeline *p, const struct mapping *m, const struct consent *c,
                  const struct csv_row *row, struct row_result *r)
{
    char why[256];
    if (oversized(m, row, r)) {
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
    if (c && (p->channels.sms || p->channels.email) && (email > 0 || phone > 0)) {
        apply_consent(p, c, row, r);
        if (email > 0 && !r->email.len)
            email = -1;
        if (phone > 0 && !r->phone.len)
            phone = -1;
        if (email <= 0 && phone <= 0 && !bad) {
            r->status = ROW_SKIPPED; /* not a fault of the row: the contact said no */
            return;
        }
    }
    if (email <= 0 && phone <= 0) {
        if (email == 0 && phone == 0)
            row_note(r, "no email or phone");
        bad = 1;
    } else if (!bad && email < 0) {
        row_note(r, "sent by phone only");
    } else if (!bad && phone < 0) {
        row_note(r, "sent by email only");
    }
    r->status = bad ? ROW_REJECTED : ROW_PENDING;
}
