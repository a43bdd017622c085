/*
 * Did the invites work (see model.h): each invite the ledger shows as sent
 * is matched with the reviews of the same business whose author carries the
 * invite's email or phone, written within match_days after the invite.
 *
 * The mirror's reviewer emails and phones are normalised as intake
 * normalises a contact: an email trimmed and lower-cased by email_lower
 * (ASCII and the Latin-1 capitals), a phone to E.164 through libphonenumber
 * with the pipeline's default country. The reviews become one sorted array
 * of (business + contact, time) keys, so each invite is a binary search:
 * 100,000 reviews and a year of invites take a few hundred milliseconds.
 */
#include "report/model.h"
#include "report/model_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intake/email.h"
#include "intake/phone.h"

static int cmp_key(const void *a, const void *b)
{
    const struct rp_key *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : (x->t > y->t) - (x->t < y->t);
}

/* An email as intake keeps it, into buf; 0 when it is no email. */
static int email_key(const char *s, char *buf, size_t len)
{
    size_t n;
    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || n >= len || !email_valid(s, n))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    email_lower(buf, n);
    return 1;
}

/* A phone as intake keeps it (E.164), into buf; 0 when it is no phone. A
 * number already in E.164 is its own normal form and skips libphonenumber,
 * which is most of the mirror's cost otherwise. */
static int phone_key(const char *s, const char *country, char *buf, size_t len)
{
    size_t n = strlen(s), digits = 0;
    int plain = n > 1 && s[0] == '+' && s[1] != '0';
    for (size_t i = 1; plain && i < n; i++)
        plain = isdigit((unsigned char)s[i]) && ++digits <= 15;
    if (plain && digits >= 7 && n < len) {
        memcpy(buf, s, n + 1);
        return 1;
    }
    struct phone_result pr;
    if (!n || phone_normalise(s, n, country ? country : "", &pr) != 0 || !pr.e164[0])
        return 0;
    snprintf(buf, len, "%s", pr.e164);
    return 1;
}

static int add_key(struct rp_keys *ks, const char *business, char kind, const char *contact,
                   int64_t t)
{
    size_t bl = strlen(business), cl = strlen(contact);
    char *k = malloc(bl + cl + 3);
    if (!k)
        return -1;
    memcpy(k, business, bl);
    k[bl] = '\x1f';
    k[bl + 1] = kind;
    memcpy(k + bl + 2, contact, cl + 1);
    struct rp_key *slot = rp_push((void **)&ks->v, &ks->n, sizeof *slot);
    if (!slot) {
        free(k);
        return -1;
    }
    slot->k = k;
    slot->t = t;
    return 0;
}

int rp_keys_add(struct rp_keys *ks, const char *business, const char *email, const char *phone,
                const char *country, int64_t t)
{
    char buf[512];
    int any = 0;
    if (email && email_key(email, buf, sizeof buf)) {
        any = 1;
        if (add_key(ks, business ? business : "", 'e', buf, t) < 0)
            return -1;
    }
    if (phone && phone_key(phone, country, buf, sizeof buf)) {
        any = 1;
        if (add_key(ks, business ? business : "", 'p', buf, t) < 0)
            return -1;
    }
    return any;
}

void rp_keys_free(struct rp_keys *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        free(ks->v[i].k);
    free(ks->v);
    ks->v = NULL;
    ks->n = 0;
}

/* 1 when a review keyed business+kind+contact falls in [from, to]. */
static int reviewed(const struct rp_keys *ks, const char *business, char kind, const char *contact,
                    int64_t from, int64_t to)
{
    char k[640];
    size_t bl = strlen(business), cl = strlen(contact);
    if (bl + cl + 3 > sizeof k)
        return 0; /* longer than any key stored: no match */
    memcpy(k, business, bl);
    k[bl] = '\x1f';
    k[bl + 1] = kind;
    memcpy(k + bl + 2, contact, cl + 1);
    size_t lo = 0, hi = ks->n;
    struct rp_key probe = {k, from};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(&ks->v[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ks->n && strcmp(ks->v[lo].k, k) == 0 && ks->v[lo].t <= to;
}

static struct report_match *bucket(struct report_match **arr, size_t *n, const char *key)
{
    for (size_t i = *n; i-- > 0;)
        if (strcmp((*arr)[i].key, key) == 0)
            return &(*arr)[i];
    struct report_match *b = rp_push((void **)arr, n, sizeof *b);
    if (b)
        rp_copy(b->key, sizeof b->key, (const unsigned char *)key);
    return b;
}

static void count(struct report_match *b, int sms, int email, int hit, int open)
{
    b->invited++;
    b->reviewed += hit;
    b->open += open;
    if (sms) {
        b->sms_invited++;
        b->sms_reviewed += hit;
    }
    if (email) {
        b->email_invited++;
        b->email_reviewed += hit;
    }
}

static int cmp_month(const void *a, const void *b)
{
    return strcmp(((const struct report_match *)a)->key, ((const struct report_match *)b)->key);
}

static int cmp_invited(const void *a, const void *b)
{
    const struct report_match *x = a, *y = b;
    if (x->invited != y->invited)
        return x->invited < y->invited ? 1 : -1;
    return strcmp(x->key, y->key);
}

void rp_keys_sort(struct rp_keys *ks)
{
    qsort(ks->v, ks->n, sizeof *ks->v, cmp_key);
}

int rp_match_invite(const struct rp_keys *ks, const struct report_options *o,
                    struct report_model *m, const char *biz, const char *camp, const char *email,
                    const char *phone, time_t t)
{
    int64_t window = (int64_t)o->match_days * 86400;
    biz = biz ? biz : "";
    camp = camp ? camp : "";
    email = email ? email : "";
    phone = phone ? phone : "";
    int sms = phone[0] != '\0', mail = email[0] != '\0';
    int hit = (mail && reviewed(ks, biz, 'e', email, t, t + window)) ||
              (sms && reviewed(ks, biz, 'p', phone, t, t + window));
    int open = t + window > o->now;
    char month[8] = "";
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(month, sizeof month, "%Y-%m", &tm);
    struct report_match *bm = bucket(&m->match_month, &m->n_match_month, month);
    struct report_match *bc = bucket(&m->match_campaign, &m->n_match_campaign, camp);
    struct report_match *bb = bucket(&m->match_business, &m->n_match_business, biz);
    if (!bm || !bc || !bb)
        return -1;
    count(bm, sms, mail, hit, open);
    count(bc, sms, mail, hit, open);
    count(bb, sms, mail, hit, open);
    count(&m->match_total, sms, mail, hit, open);
    return 0;
}

void rp_match_finish(struct report_model *m)
{
    qsort(m->match_month, m->n_match_month, sizeof *m->match_month, cmp_month);
    if (m->n_match_month > REPORT_MAX_MONTHS) {
        size_t drop = m->n_match_month - REPORT_MAX_MONTHS;
        memmove(m->match_month, m->match_month + drop, REPORT_MAX_MONTHS * sizeof *m->match_month);
        m->n_match_month = REPORT_MAX_MONTHS;
    }
    qsort(m->match_campaign, m->n_match_campaign, sizeof *m->match_campaign, cmp_invited);
    qsort(m->match_business, m->n_match_business, sizeof *m->match_business, cmp_invited);
    if (m->n_match_campaign > REPORT_MAX_KEYS)
        m->n_match_campaign = REPORT_MAX_KEYS;
    if (m->n_match_business > REPORT_MAX_KEYS)
        m->n_match_business = REPORT_MAX_KEYS;
}
