/*
 * The report model's reviews half (see model.h), from the review mirror
 * (export/mirror.h's schema): reviews per month by rating, average rating
 * per source and per business over the months, reply rate and median time
 * to reply, the reviews awaiting a reply and the changes since the last
 * report. Only existing reviews count (deleted_at IS NULL).
 *
 * One pass over the `reviews` view reads each review's `raw` once, with one
 * multi-path json_extract, and everything is counted here in C. The view's
 * typed columns would give the same values, but each is generated from raw
 * on every read (VIRTUAL): the nine the report needs cost nine JSON parses
 * per review, 4.7 s for 100,000 reviews against well under one this way.
 * The field rules are the mirror's: rating 5 and "5" are 5, other text is
 * no rating; awaiting a reply is not archived and no response name, date or
 * comment (the reviews_awaiting_reply view).
 *
 * Columns relied on: reviews(id, raw, deleted_at, and for the few reviews
 * listed author_name, name, business_id, source, created_at, rating,
 * review_url, text); review_changes(seq, id, at, kind).
 */
#include "report/model.h"
#include "report/model_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "core/isotime.h"

/* The fields of raw the report reads, in this order. */
static const char pass_sql[] =
    "SELECT id, json_extract(raw, '$.businessId', '$.createdAt', '$.email', '$.phoneNumber',"
    " '$.rating', '$.source', '$.response.date', '$.response.name', '$.response.comment',"
    " '$.isArchived') FROM reviews WHERE deleted_at IS NULL";
enum {
    F_BUSINESS,
    F_CREATED,
    F_EMAIL,
    F_PHONE,
    F_RATING,
    F_SOURCE,
    F_REPLY_DATE,
    F_REPLY_NAME,
    F_REPLY_COMMENT,
    F_ARCHIVED,
    F_COUNT
};

/* Per key (a source or a business) and month: for the averages. */
struct cell {
    long n, rated;
    double sum;
};
struct keyagg {
    char key[128];
    long total, rated;
    double sum;
    struct cell *cells; /* by pass month index */
    size_t n_cells;
};
struct keytab {
    struct keyagg *v;
    size_t n;
    size_t last; /* the last hit: reviews come in runs of one business */
};

/* Months as the pass meets them, sorted at the end. */
struct pmonth {
    char month[8];
    long by_rating[6];
    long total;
    long replies;
};

struct newest {
    char created[32];
    char id[64];
};

struct pass {
    struct pmonth *months;
    size_t n_months;
    struct keytab sources, businesses;
    double *reply_hours;
    size_t n_reply;
    struct newest top[REPORT_LIST_CAP];
    size_t n_top;
};

static const char *field(const cJSON *a, int i)
{
    const cJSON *x = cJSON_GetArrayItem(a, i);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* The mirror's rule: a number, or text that starts with a digit. */
static int rating_of(const cJSON *a)
{
    const cJSON *x = cJSON_GetArrayItem(a, F_RATING);
    if (cJSON_IsNumber(x))
        return (int)x->valuedouble;
    if (cJSON_IsString(x)) {
        const char *s = x->valuestring;
        while (isspace((unsigned char)*s))
            s++;
        if (isdigit((unsigned char)*s))
            return (int)strtol(s, NULL, 10);
    }
    return 0;
}

static long month_index(struct pass *p, const char *iso)
{
    char mo[8];
    snprintf(mo, sizeof mo, "%.7s", iso ? iso : "");
    for (size_t i = p->n_months; i-- > 0;)
        if (strcmp(p->months[i].month, mo) == 0)
            return (long)i;
    struct pmonth *m = rp_push((void **)&p->months, &p->n_months, sizeof *m);
    if (!m)
        return -1;
    memcpy(m->month, mo, sizeof mo);
    return (long)(p->n_months - 1);
}

static int key_add(struct keytab *t, const char *key, long month, int rating)
{
    char k[128];
    rp_copy(k, sizeof k, (const unsigned char *)(key ? key : "(none)"));
    struct keyagg *a = t->n && strcmp(t->v[t->last].key, k) == 0 ? &t->v[t->last] : NULL;
    for (size_t i = 0; !a && i < t->n; i++)
        if (strcmp(t->v[i].key, k) == 0) {
            a = &t->v[i];
            t->last = i;
        }
    if (!a) {
        if (!(a = rp_push((void **)&t->v, &t->n, sizeof *a)))
            return -1;
        memcpy(a->key, k, sizeof k);
        t->last = t->n - 1;
    }
    while (a->n_cells <= (size_t)month)
        if (!rp_push((void **)&a->cells, &a->n_cells, sizeof *a->cells))
            return -1;
    struct cell *c = &a->cells[month];
    a->total++;
    c->n++;
    if (rating >= 1 && rating <= 5) {
        a->rated++;
        a->sum += rating;
        c->rated++;
        c->sum += rating;
    }
    return 0;
}

/* Keep the REPORT_LIST_CAP newest reviews awaiting a reply (created, id descending). */
static void keep_newest(struct pass *p, const char *created, const char *id)
{
    struct newest n;
    rp_copy(n.created, sizeof n.created, (const unsigned char *)created);
    rp_copy(n.id, sizeof n.id, (const unsigned char *)id);
    size_t at = p->n_top;
    while (at > 0) {
        const struct newest *o = &p->top[at - 1];
        int c = strcmp(o->created, n.created);
        if (c > 0 || (c == 0 && strcmp(o->id, n.id) > 0))
            break;
        at--;
    }
    if (at >= REPORT_LIST_CAP)
        return;
    size_t last = p->n_top < REPORT_LIST_CAP ? p->n_top : REPORT_LIST_CAP - 1;
    memmove(&p->top[at + 1], &p->top[at], (last - at) * sizeof n);
    p->top[at] = n;
    if (p->n_top < REPORT_LIST_CAP)
        p->n_top++;
}

static int64_t seconds(const char *iso)
{
    int64_t us;
    return iso && isotime_parse(iso, strlen(iso), &us) == 0 ? us / 1000000 : 0;
}

/* One review into the pass; -1 out of memory. */
static int count_review(struct pass *p, const struct report_options *o, struct report_model *m,
                        struct rp_keys *keys, const char *id, const cJSON *a, const char *since)
{
    const char *created = field(a, F_CREATED);
    const char *reply_date = field(a, F_REPLY_DATE);
    if (keys) {
        int any = rp_keys_add(keys, field(a, F_BUSINESS), field(a, F_EMAIL), field(a, F_PHONE),
                              o->default_country, seconds(created));
        if (any < 0)
            return -1;
        if (any)
            m->reviews_with_contact++;
        else
            m->reviews_no_contact++;
    }
    if (since[0] && (!created || strcmp(created, since) < 0))
        return 0;
    int rating = rating_of(a);
    int replied = reply_date || field(a, F_REPLY_NAME) || field(a, F_REPLY_COMMENT);
    long mi = month_index(p, created);
    if (mi < 0)
        return -1;
    struct pmonth *mo = &p->months[mi];
    mo->by_rating[rating >= 1 && rating <= 5 ? rating : 0]++;
    mo->total++;
    m->reviews_total++;
    if (rating >= 1 && rating <= 5) {
        m->reviews_rated++;
        m->rating_avg += rating; /* a sum until the pass ends */
    }
    m->reviews_replied += replied;
    if (reply_date) {
        long ri = month_index(p, reply_date);
        if (ri < 0)
            return -1;
        p->months[ri].replies++;
        int64_t t0, t1;
        if (created && isotime_parse(created, strlen(created), &t0) == 0 &&
            isotime_parse(reply_date, strlen(reply_date), &t1) == 0) {
            double *h = rp_push((void **)&p->reply_hours, &p->n_reply, sizeof *h);
            if (!h)
                return -1;
            *h = (double)(t1 - t0) / 3600e6;
        }
    }
    const cJSON *arch = cJSON_GetArrayItem(a, F_ARCHIVED);
    int archived = cJSON_IsTrue(arch) || (cJSON_IsNumber(arch) && arch->valuedouble != 0);
    if (!replied && !archived) {
        m->awaiting_total++;
        keep_newest(p, created ? created : "", id);
    }
    if (key_add(&p->sources, field(a, F_SOURCE), mi, rating) < 0 ||
        key_add(&p->businesses, field(a, F_BUSINESS), mi, rating) < 0)
        return -1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_keyagg(const void *a, const void *b)
{
    const struct keyagg *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* The pass's months, sorted and capped, into the model; map[pass index] ->
 * model index or -1 (a month dropped, or a month only replies fell in). */
static int finish_months(struct pass *p, struct report_model *m, long *map)
{
    /* Sort the indexes by month, then keep the newest that have reviews. */
    size_t *order = malloc((p->n_months + 1) * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < p->n_months; i++)
        order[i] = i;
    for (size_t i = 1; i < p->n_months; i++) /* insertion sort: a few dozen months */
        for (size_t j = i;
             j > 0 && strcmp(p->months[order[j - 1]].month, p->months[order[j]].month) > 0; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    size_t with = 0;
    for (size_t i = 0; i < p->n_months; i++) {
        map[i] = -1;
        with += p->months[i].total > 0;
    }
    size_t skip = with > REPORT_MAX_MONTHS ? with - REPORT_MAX_MONTHS : 0;
    m->months = calloc(with - skip + 1, sizeof *m->months);
    if (!m->months) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < p->n_months; i++) {
        const struct pmonth *pm = &p->months[order[i]];
        if (!pm->total || (skip && skip--))
            continue;
        struct report_month *mo = &m->months[m->n_months];
        map[order[i]] = (long)m->n_months++;
        memcpy(mo->month, pm->month, sizeof mo->month);
        memcpy(mo->by_rating, pm->by_rating, sizeof mo->by_rating);
        mo->total = pm->total;
        mo->replies = pm->replies;
        long rated = 0, sum = 0;
        for (int r = 1; r <= 5; r++) {
            rated += mo->by_rating[r];
            sum += r * mo->by_rating[r];
        }
        mo->avg = rated ? (double)sum / (double)rated : 0;
    }
    free(order);
    return 0;
}

static int finish_keys(struct keytab *t, const long *map, struct report_avg_row **rows,
                       size_t *n_rows)
{
    qsort(t->v, t->n, sizeof *t->v, cmp_keyagg);
    size_t n = t->n < REPORT_MAX_KEYS ? t->n : REPORT_MAX_KEYS;
    *rows = calloc(n + 1, sizeof **rows);
    if (!*rows)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct keyagg *a = &t->v[i];
        struct report_avg_row *r = &(*rows)[i];
        memcpy(r->key, a->key, sizeof r->key);
        r->total = a->total;
        r->avg = a->rated ? a->sum / (double)a->rated : 0;
        for (int k = 0; k < REPORT_MAX_MONTHS; k++)
            r->month_avg[k] = -1;
        for (size_t c = 0; c < a->n_cells; c++) {
            if (map[c] < 0 || !a->cells[c].n)
                continue;
            r->month_n[map[c]] = a->cells[c].n;
            r->month_avg[map[c]] =
                a->cells[c].rated ? a->cells[c].sum / (double)a->cells[c].rated : -1;
        }
    }
    *n_rows = n;
    return 0;
}

/* The listed reviews' details, by id (the mirror's index on id). */
static int load_awaiting(sqlite3 *db, const struct pass *p, struct report_model *m,
                         struct cp_error *err)
{
    sqlite3_stmt *st;
    if (!p->n_top)
        return 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(author_name, name), business_id, source,"
                           " created_at, rating, review_url, text FROM reviews WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "mirror", err);
    m->awaiting = calloc(p->n_top, sizeof *m->awaiting);
    if (!m->awaiting) {
        sqlite3_finalize(st);
        return cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
    }
    for (size_t i = 0; i < p->n_top; i++) {
        struct report_review *r = &m->awaiting[m->n_awaiting++];
        rp_copy(r->id, sizeof r->id, (const unsigned char *)p->top[i].id);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, p->top[i].id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        rp_copy(r->author, sizeof r->author, sqlite3_column_text(st, 0));
        rp_copy(r->business_id, sizeof r->business_id, sqlite3_column_text(st, 1));
        rp_copy(r->source, sizeof r->source, sqlite3_column_text(st, 2));
        rp_copy(r->created_at, sizeof r->created_at, sqlite3_column_text(st, 3));
        r->rating = sqlite3_column_int(st, 4);
        rp_copy(r->url, sizeof r->url, sqlite3_column_text(st, 5));
        rp_copy(r->text, REPORT_TEXT_CAP + 1, sqlite3_column_text(st, 6));
        r->text_cut = sqlite3_column_bytes(st, 6) > REPORT_TEXT_CAP;
    }
    sqlite3_finalize(st);
    return 0;
}

static int load_changes(sqlite3 *db, long prev_seq, struct report_model *m, struct cp_error *err)
{
    sqlite3_stmt *st;
    int rc;
    if (rp_scalar(db, "SELECT coalesce(max(seq), 0) FROM review_changes WHERE ?1 >= 0", NULL, 0,
                  &m->changes_last_seq, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT kind, count(*) FROM review_changes WHERE seq > ?1"
                           " GROUP BY 1",
                           -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "mirror", err);
    sqlite3_bind_int64(st, 1, prev_seq);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        for (int k = 0; kind && k < 4; k++)
            if (strcmp(kind, report_change_kinds[k]) == 0)
                m->changes_by_kind[k] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rp_fail(db, "mirror", err);
    /* The listed reviews' names and links one by one, by the mirror's index
     * on id: a join with the view would build the whole view first. */
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, kind, id, at FROM review_changes WHERE seq > ?1"
                           " ORDER BY seq DESC LIMIT 50",
                           -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "mirror", err);
    sqlite3_bind_int64(st, 1, prev_seq);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct report_change *c = rp_push((void **)&m->changes, &m->n_changes, sizeof *c);
        if (!c) {
            sqlite3_finalize(st);
            return cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
        }
        c->seq = sqlite3_column_int64(st, 0);
        rp_copy(c->kind, sizeof c->kind, sqlite3_column_text(st, 1));
        rp_copy(c->id, sizeof c->id, sqlite3_column_text(st, 2));
        rp_copy(c->at, sizeof c->at, sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rp_fail(db, "mirror", err);
    if (!m->n_changes)
        return 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(author_name, name), rating, review_url FROM reviews"
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "mirror", err);
    for (size_t i = 0; i < m->n_changes; i++) {
        struct report_change *c = &m->changes[i];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        rp_copy(c->author, sizeof c->author, sqlite3_column_text(st, 0));
        c->rating = sqlite3_column_int(st, 1);
        rp_copy(c->url, sizeof c->url, sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    return 0;
}

void rp_since_text(time_t since, char *buf, size_t len)
{
    struct tm tm;
    buf[0] = '\0';
    if (since > 0 && gmtime_r(&since, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void pass_free(struct pass *p)
{
    struct keytab *tabs[2] = {&p->sources, &p->businesses};
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < tabs[t]->n; i++)
            free(tabs[t]->v[i].cells);
        free(tabs[t]->v);
    }
    free(p->months);
    free(p->reply_hours);
}

int rp_mirror(sqlite3 *db, const struct report_options *o, struct report_model *m,
              struct rp_keys *keys, struct cp_error *err)
{
    struct pass p = {0};
    sqlite3_stmt *st = NULL;
    long *map = NULL;
    char since[32];
    int rc, out = -1;
    rp_since_text(o->since, since, sizeof since);
    if (sqlite3_prepare_v2(db, pass_sql, -1, &st, NULL) != SQLITE_OK) {
        rp_fail(db, "mirror", err);
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *json = (const char *)sqlite3_column_text(st, 1);
        cJSON *a = json ? cJSON_Parse(json) : NULL;
        if (!a)
            continue; /* raw is NOT NULL JSON in the mirror: nothing to count */
        int r = count_review(&p, o, m, keys, id ? id : "", a, since);
        cJSON_Delete(a);
        if (r < 0) {
            cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        rp_fail(db, "mirror", err);
        goto done;
    }
    m->rating_avg = m->reviews_rated ? m->rating_avg / (double)m->reviews_rated : 0;
    if (p.n_reply) {
        qsort(p.reply_hours, p.n_reply, sizeof *p.reply_hours, cmp_double);
        size_t n = p.n_reply;
        m->median_reply_hours =
            n % 2 ? p.reply_hours[n / 2] : (p.reply_hours[n / 2 - 1] + p.reply_hours[n / 2]) / 2;
    }
    m->replies_timed = (long)p.n_reply;
    if (!(map = malloc((p.n_months + 1) * sizeof *map)) || finish_months(&p, m, map) < 0 ||
        finish_keys(&p.sources, map, &m->by_source, &m->n_by_source) < 0 ||
        finish_keys(&p.businesses, map, &m->by_business, &m->n_by_business) < 0) {
        cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
        goto done;
    }
    if (load_awaiting(db, &p, m, err) < 0 || load_changes(db, o->prev_seq, m, err) < 0)
        goto done;
    out = 0;
done:
    sqlite3_finalize(st);
    free(map);
    pass_free(&p);
    return out;
}
