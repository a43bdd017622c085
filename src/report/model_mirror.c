/*
 * The report model's reviews half (see model.h), from the review mirror
 * (export/mirror.h's schema): reviews per month by rating, average rating
 * per source and per business over the months, reply rate and median time
 * to reply, the reviews awaiting a reply and the changes since the last
 * report. Only existing reviews count (deleted_at IS NULL).
 *
 * Columns relied on: reviews(id, author_name, name, business_id,
 * created_at, email, phone_number, rating, source, review_url, text,
 * response_date, response_name, response_comment, deleted_at), the view
 * reviews_awaiting_reply, review_changes(seq, id, at, kind).
 */
#include "report/model.h"
#include "report/model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/isotime.h"

struct q {
    sqlite3 *db;
    sqlite3_stmt *st;
};

/* Prepare `sql` with ?1 = the since text ("" for everything). */
static int prep(struct q *q, const char *sql, const char *since, struct cp_error *err)
{
    if (sqlite3_prepare_v2(q->db, sql, -1, &q->st, NULL) != SQLITE_OK)
        return rp_fail(q->db, "mirror", err);
    sqlite3_bind_text(q->st, 1, since, -1, SQLITE_STATIC);
    return 0;
}

static int done(struct q *q, int rc, struct cp_error *err)
{
    sqlite3_finalize(q->st);
    q->st = NULL;
    if (rc == -2)
        return cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
    return rc == SQLITE_DONE ? 0 : rp_fail(q->db, "mirror", err);
}

static struct report_month *month_of(struct report_model *m, const char *month)
{
    if (m->n_months && strcmp(m->months[m->n_months - 1].month, month) == 0)
        return &m->months[m->n_months - 1];
    for (size_t i = 0; i < m->n_months; i++)
        if (strcmp(m->months[i].month, month) == 0)
            return &m->months[i];
    return NULL;
}

static int load_months(struct q *q, const char *since, struct report_model *m,
                       struct cp_error *err)
{
    int rc;
    if (prep(q, "SELECT substr(created_at, 1, 7), coalesce(rating, 0), count(*) FROM reviews"
                " WHERE deleted_at IS NULL AND created_at >= ?1 AND created_at IS NOT NULL"
                " GROUP BY 1, 2 ORDER BY 1, 2", since, err) < 0)
        return -1;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        const char *month = (const char *)sqlite3_column_text(q->st, 0);
        struct report_month *mo = month_of(m, month ? month : "");
        if (!mo) {
            if (!(mo = rp_push((void **)&m->months, &m->n_months, sizeof *mo))) {
                rc = -2;
                break;
            }
            rp_copy(mo->month, sizeof mo->month, (const unsigned char *)month);
        }
        int rating = sqlite3_column_int(q->st, 1);
        long n = sqlite3_column_int64(q->st, 2);
        mo->by_rating[rating >= 1 && rating <= 5 ? rating : 0] += n;
        mo->total += n;
    }
    if (done(q, rc, err) < 0)
        return -1;
    if (m->n_months > REPORT_MAX_MONTHS) {
        size_t drop = m->n_months - REPORT_MAX_MONTHS;
        memmove(m->months, m->months + drop, REPORT_MAX_MONTHS * sizeof *m->months);
        m->n_months = REPORT_MAX_MONTHS;
    }
    for (size_t i = 0; i < m->n_months; i++) {
        struct report_month *mo = &m->months[i];
        long rated = 0, sum = 0;
        for (int r = 1; r <= 5; r++) {
            rated += mo->by_rating[r];
            sum += r * mo->by_rating[r];
        }
        mo->avg = rated ? (double)sum / (double)rated : 0;
    }
    if (prep(q, "SELECT substr(response_date, 1, 7), count(*) FROM reviews WHERE deleted_at IS"
                " NULL AND response_date IS NOT NULL AND created_at >= ?1 GROUP BY 1", since,
             err) < 0)
        return -1;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        const char *month = (const char *)sqlite3_column_text(q->st, 0);
        struct report_month *mo = month_of(m, month ? month : "");
        if (mo)
            mo->replies = sqlite3_column_int64(q->st, 1);
    }
    return done(q, rc, err);
}

static int load_totals(struct q *q, const char *since, struct report_model *m,
                       struct cp_error *err)
{
    int rc;
    if (prep(q, "SELECT count(*), count(CASE WHEN rating BETWEEN 1 AND 5 THEN 1 END),"
                " avg(CASE WHEN rating BETWEEN 1 AND 5 THEN rating END),"
                " count(CASE WHEN response_date IS NOT NULL OR response_name IS NOT NULL OR"
                " response_comment IS NOT NULL THEN 1 END) FROM reviews"
                " WHERE deleted_at IS NULL AND created_at >= ?1", since, err) < 0)
        return -1;
    if ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        m->reviews_total = sqlite3_column_int64(q->st, 0);
        m->reviews_rated = sqlite3_column_int64(q->st, 1);
        m->rating_avg = sqlite3_column_double(q->st, 2);
        m->reviews_replied = sqlite3_column_int64(q->st, 3);
        rc = SQLITE_DONE;
    }
    return done(q, rc, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Hours from review to reply, over every reply with both dates. */
static int load_reply_times(struct q *q, const char *since, struct report_model *m,
                            struct cp_error *err)
{
    double *h = NULL;
    size_t n = 0;
    int rc;
    if (prep(q, "SELECT created_at, response_date FROM reviews WHERE deleted_at IS NULL AND"
                " response_date IS NOT NULL AND created_at >= ?1", since, err) < 0)
        return -1;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(q->st, 0);
        const char *b = (const char *)sqlite3_column_text(q->st, 1);
        int64_t ta, tb;
        if (!a || !b || isotime_parse(a, strlen(a), &ta) < 0 || isotime_parse(b, strlen(b), &tb) < 0)
            continue;
        double *slot = rp_push((void **)&h, &n, sizeof *h);
        if (!slot) {
            rc = -2;
            break;
        }
        *slot = (double)(tb - ta) / 3600e6;
    }
    if (rc == SQLITE_DONE && n) {
        qsort(h, n, sizeof *h, cmp_double);
        m->median_reply_hours = n % 2 ? h[n / 2] : (h[n / 2 - 1] + h[n / 2]) / 2;
    }
    m->replies_timed = (long)n;
    free(h);
    return done(q, rc, err);
}

static int cmp_avg_row(const void *a, const void *b)
{
    const struct report_avg_row *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* One row per `col` value, with its average per month of model.months. */
static int load_avg(struct q *q, const char *col, const char *since, struct report_model *m,
                    struct report_avg_row **rows, size_t *n_rows, struct cp_error *err)
{
    char sql[512];
    int rc;
    snprintf(sql, sizeof sql,
             "SELECT coalesce(%s, '(none)'), substr(created_at, 1, 7), count(*),"
             " count(CASE WHEN rating BETWEEN 1 AND 5 THEN 1 END),"
             " avg(CASE WHEN rating BETWEEN 1 AND 5 THEN rating END) FROM reviews"
             " WHERE deleted_at IS NULL AND created_at >= ?1 GROUP BY 1, 2 ORDER BY 1, 2", col);
    if (prep(q, sql, since, err) < 0)
        return -1;
    double *sum = NULL; /* rated-weighted sum per row, for the row's average */
    long *rated = NULL;
    size_t n_sum = 0, n_rated = 0;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q->st, 0);
        struct report_avg_row *r = *n_rows ? &(*rows)[*n_rows - 1] : NULL;
        char k[128];
        rp_copy(k, sizeof k, (const unsigned char *)key);
        if (!r || strcmp(r->key, k) != 0) {
            if (!(r = rp_push((void **)rows, n_rows, sizeof *r)) ||
                !rp_push((void **)&sum, &n_sum, sizeof *sum) ||
                !rp_push((void **)&rated, &n_rated, sizeof *rated)) {
                rc = -2;
                break;
            }
            memcpy(r->key, k, sizeof k);
            for (int i = 0; i < REPORT_MAX_MONTHS; i++)
                r->month_avg[i] = -1;
        }
        long n = sqlite3_column_int64(q->st, 2), nr = sqlite3_column_int64(q->st, 3);
        double avg = sqlite3_column_double(q->st, 4);
        r->total += n;
        sum[*n_rows - 1] += avg * (double)nr;
        rated[*n_rows - 1] += nr;
        const char *month = (const char *)sqlite3_column_text(q->st, 1);
        for (size_t i = 0; month && i < m->n_months; i++)
            if (strcmp(m->months[i].month, month) == 0) {
                r->month_n[i] = n;
                r->month_avg[i] = nr ? avg : -1;
            }
    }
    for (size_t i = 0; rc == SQLITE_DONE && i < *n_rows; i++)
        (*rows)[i].avg = rated[i] ? sum[i] / (double)rated[i] : 0;
    free(sum);
    free(rated);
    if (done(q, rc, err) < 0)
        return -1;
    qsort(*rows, *n_rows, sizeof **rows, cmp_avg_row);
    if (*n_rows > REPORT_MAX_KEYS)
        *n_rows = REPORT_MAX_KEYS;
    return 0;
}

static int load_awaiting(struct q *q, const char *since, struct report_model *m,
                         struct cp_error *err)
{
    int rc;
    if (prep(q, "SELECT id, coalesce(author_name, name), business_id, source, created_at,"
                " rating, review_url, text, count(*) OVER () FROM reviews_awaiting_reply"
                " WHERE created_at >= ?1 ORDER BY created_at DESC, id DESC LIMIT 50", since,
             err) < 0)
        return -1;
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        struct report_review *r = rp_push((void **)&m->awaiting, &m->n_awaiting, sizeof *r);
        if (!r) {
            rc = -2;
            break;
        }
        rp_copy(r->id, sizeof r->id, sqlite3_column_text(q->st, 0));
        rp_copy(r->author, sizeof r->author, sqlite3_column_text(q->st, 1));
        rp_copy(r->business_id, sizeof r->business_id, sqlite3_column_text(q->st, 2));
        rp_copy(r->source, sizeof r->source, sqlite3_column_text(q->st, 3));
        rp_copy(r->created_at, sizeof r->created_at, sqlite3_column_text(q->st, 4));
        r->rating = sqlite3_column_int(q->st, 5);
        rp_copy(r->url, sizeof r->url, sqlite3_column_text(q->st, 6));
        rp_copy(r->text, REPORT_TEXT_CAP + 1, sqlite3_column_text(q->st, 7));
        m->awaiting_total = sqlite3_column_int64(q->st, 8);
    }
    return done(q, rc, err);
}

static int load_changes(struct q *q, long prev_seq, struct report_model *m,
                        struct cp_error *err)
{
    int rc;
    if (rp_scalar(q->db, "SELECT coalesce(max(seq), 0) FROM review_changes WHERE ?1 >= 0", NULL,
                  0, &m->changes_last_seq, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(q->db, "SELECT kind, count(*) FROM review_changes WHERE seq > ?1"
                           " GROUP BY 1", -1, &q->st, NULL) != SQLITE_OK)
        return rp_fail(q->db, "mirror", err);
    sqlite3_bind_int64(q->st, 1, prev_seq);
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(q->st, 0);
        for (int k = 0; kind && k < 4; k++)
            if (strcmp(kind, report_change_kinds[k]) == 0)
                m->changes_by_kind[k] = sqlite3_column_int64(q->st, 1);
    }
    if (done(q, rc, err) < 0)
        return -1;
    if (sqlite3_prepare_v2(q->db, "SELECT c.seq, c.kind, c.id, c.at,"
                           " (SELECT coalesce(r.author_name, r.name) FROM reviews r WHERE r.id = c.id),"
                           " (SELECT r.rating FROM reviews r WHERE r.id = c.id),"
                           " (SELECT r.review_url FROM reviews r WHERE r.id = c.id)"
                           " FROM review_changes c WHERE c.seq > ?1 ORDER BY c.seq DESC LIMIT 50",
                           -1, &q->st, NULL) != SQLITE_OK)
        return rp_fail(q->db, "mirror", err);
    sqlite3_bind_int64(q->st, 1, prev_seq);
    while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
        struct report_change *c = rp_push((void **)&m->changes, &m->n_changes, sizeof *c);
        if (!c) {
            rc = -2;
            break;
        }
        c->seq = sqlite3_column_int64(q->st, 0);
        rp_copy(c->kind, sizeof c->kind, sqlite3_column_text(q->st, 1));
        rp_copy(c->id, sizeof c->id, sqlite3_column_text(q->st, 2));
        rp_copy(c->at, sizeof c->at, sqlite3_column_text(q->st, 3));
        rp_copy(c->author, sizeof c->author, sqlite3_column_text(q->st, 4));
        c->rating = sqlite3_column_int(q->st, 5);
        rp_copy(c->url, sizeof c->url, sqlite3_column_text(q->st, 6));
    }
    return done(q, rc, err);
}

/* "2026-11-01T00:00:00": compares as text with the mirror's ISO times. */
void rp_since_text(time_t since, char *buf, size_t len)
{
    struct tm tm;
    buf[0] = '\0';
    if (since > 0 && gmtime_r(&since, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

int rp_mirror(sqlite3 *db, const struct report_options *o, struct report_model *m,
              struct cp_error *err)
{
    struct q q = {db, NULL};
    char since[32];
    rp_since_text(o->since, since, sizeof since);
    if (load_totals(&q, since, m, err) < 0 || load_months(&q, since, m, err) < 0 ||
        load_reply_times(&q, since, m, err) < 0 ||
        load_avg(&q, "source", since, m, &m->by_source, &m->n_by_source, err) < 0 ||
        load_avg(&q, "business_id", since, m, &m->by_business, &m->n_by_business, err) < 0 ||
        load_awaiting(&q, since, m, err) < 0 || load_changes(&q, o->prev_seq, m, err) < 0)
        return -1;
    return 0;
}
