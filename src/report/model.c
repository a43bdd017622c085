/*
 * The report model's lifecycle and its runs half (see model.h): the last
 * runs per pipeline (SQL), then one pass over the period's attempts for the
 * counts per status and run, sends per day, SMS credits left and the
 * invites to match; the deferred queue and the in_doubt rows are small SQL
 * queries. The reviews half is model_mirror.c, the invite matching match.c.
 */
#include "report/model.h"
#include "report/model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const status_names[RS_COUNT] = {
    "sent", "failed", "in_doubt", "retry", "skipped", "intent", "deferred", "other",
};

const char *const report_change_kinds[4] = {"created", "updated", "deleted", "restored"};

const char *report_status_name(enum report_status s)
{
    return (unsigned)s < RS_COUNT ? status_names[s] : "other";
}

static enum report_status status_of(const unsigned char *s)
{
    for (int i = 0; s && i < RS_OTHER; i++)
        if (strcmp((const char *)s, status_names[i]) == 0)
            return (enum report_status)i;
    return RS_OTHER;
}

int rp_fail(sqlite3 *db, const char *what, struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_USAGE, "report: reading the %s failed: %s", what,
                   db ? sqlite3_errmsg(db) : "out of memory");
}

int rp_open(const char *path, const char *what, sqlite3 **db, struct cp_error *err)
{
    struct stat st;
    *db = NULL;
    if (!path || stat(path, &st) != 0)
        return 0;
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        cp_fail(err, CP_EXIT_USAGE, "report: cannot open the %s '%s': %s", what, path,
                *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    /* A run may be writing: wait for its commit rather than fail. */
    sqlite3_busy_timeout(*db, 10000);
    /* A report reads every review and invite once or twice: map the file
     * instead of copying it through SQLite's small page cache, which halves
     * the time on a big mirror. Read-only, so a mapping is safe. */
    sqlite3_exec(*db,
                 "PRAGMA mmap_size = 4294967296; PRAGMA cache_size = -65536;"
                 " PRAGMA temp_store = MEMORY;",
                 NULL, NULL, NULL);
    return 1;
}

int rp_has_column(sqlite3 *db, const char *table, const char *col)
{
    sqlite3_stmt *st;
    int found = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    while (!found && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        found = name && strcmp((const char *)name, col) == 0;
    }
    sqlite3_finalize(st);
    return found;
}

void *rp_push(void **arr, size_t *n, size_t elem)
{
    /* One realloc per element is fine: every list is capped by its query. */
    char *p = realloc(*arr, (*n + 1) * elem);
    if (!p)
        return NULL;
    *arr = p;
    memset(p + *n * elem, 0, elem);
    return p + (*n)++ * elem;
}

int rp_scalar(sqlite3 *db, const char *sql, const char *text, int64_t num, long *out,
              struct cp_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "database", err);
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, (sqlite3_int64)num);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rp_fail(db, "database", err);
}

void rp_copy(char *dst, size_t len, const unsigned char *src)
{
    size_t n = src ? strlen((const char *)src) : 0;
    if (n >= len) {
        n = len - 1;
        /* Never leave half a UTF-8 sequence: back up to a lead byte. */
        while (n > 0 && (src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Run `sql` with ?1 = since and call `row` for each result. */
typedef int (*row_fn)(sqlite3_stmt *st, struct report_model *m);
static int each(sqlite3 *db, const char *sql, time_t since, row_fn row, struct report_model *m,
                struct cp_error *err)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "ledger", err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (row(st, m) < 0) {
            sqlite3_finalize(st);
            return cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
        }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : rp_fail(db, "ledger", err);
}

static int run_row(sqlite3_stmt *st, struct report_model *m)
{
    struct report_run *r = rp_push((void **)&m->runs, &m->n_runs, sizeof *r);
    if (!r)
        return -1;
    rp_copy(r->pipeline, sizeof r->pipeline, sqlite3_column_text(st, 0));
    rp_copy(r->run_id, sizeof r->run_id, sqlite3_column_text(st, 1));
    r->started_at = sqlite3_column_int64(st, 2);
    r->finished_at = sqlite3_column_int64(st, 3);
    r->has_exit = sqlite3_column_type(st, 4) != SQLITE_NULL;
    r->exit_code = sqlite3_column_int(st, 4);
    if (sqlite3_column_int(st, 5) == 1)
        m->pipelines++;
    return 0;
}

static int deferred_row(sqlite3_stmt *st, struct report_model *m)
{
    struct report_deferred *d = rp_push((void **)&m->deferred, &m->n_deferred, sizeof *d);
    if (!d)
        return -1;
    rp_copy(d->business_id, sizeof d->business_id, sqlite3_column_text(st, 0));
    rp_copy(d->campaign_id, sizeof d->campaign_id, sqlite3_column_text(st, 1));
    d->n = sqlite3_column_int64(st, 2);
    d->opens_at = sqlite3_column_int64(st, 3);
    return 0;
}

static int doubt_row(sqlite3_stmt *st, struct report_model *m)
{
    m->doubts_total = sqlite3_column_int64(st, 7);
    struct report_doubt *d = rp_push((void **)&m->doubts, &m->n_doubts, sizeof *d);
    if (!d)
        return -1;
    rp_copy(d->pipeline, sizeof d->pipeline, sqlite3_column_text(st, 0));
    const unsigned char *email = sqlite3_column_text(st, 1);
    rp_copy(d->contact, sizeof d->contact, email && *email ? email : sqlite3_column_text(st, 2));
    rp_copy(d->business_id, sizeof d->business_id, sqlite3_column_text(st, 3));
    d->at = sqlite3_column_int64(st, 4);
    rp_copy(d->file_path, sizeof d->file_path, sqlite3_column_text(st, 5));
    d->input_row = sqlite3_column_int64(st, 6);
    return 0;
}

/* The newest REPORT_RUNS_PER_PIPELINE runs of each pipeline; column 5 is 1
 * on each pipeline's newest run, so the pipelines are counted on the way. */
static const char runs_sql[] =
    "SELECT pipeline, run_id, started_at, coalesce(finished_at, 0), exit_code, rn FROM ("
    " SELECT *, row_number() OVER (PARTITION BY pipeline ORDER BY started_at DESC, run_id DESC)"
    " AS rn FROM runs WHERE started_at >= ?1)"
    " WHERE rn <= 10 ORDER BY pipeline, started_at DESC, run_id DESC";

static const char deferred_sql[] =
    "SELECT business_id, campaign_id, count(*), min(not_before) FROM attempts"
    " WHERE status = 'deferred' GROUP BY 1, 2 ORDER BY 4, 1, 2 LIMIT 50";

/* An in_doubt attempt needs a person only while it is its row's latest. */
static const char doubts_sql[] =
    "SELECT coalesce(r.pipeline, ''), a.email, a.phone, a.business_id, a.created_at,"
    " a.file_path, a.input_row, count(*) OVER () FROM attempts a"
    " LEFT JOIN runs r ON r.run_id = a.run_id"
    " WHERE a.status = 'in_doubt' AND NOT EXISTS (SELECT 1 FROM attempts b"
    "  WHERE b.file_hash = a.file_hash AND b.input_row = a.input_row AND b.id > a.id)"
    " ORDER BY a.created_at DESC, a.id DESC LIMIT 50";

/* One day of the ledger: sends, and the SMS balance of its last answer. */
struct dayacc {
    int64_t day; /* unix seconds / 86400 */
    long sends;
    long sms_left; /* -1: no answer with a balance that day */
    int64_t sms_at, sms_id;
};

static struct dayacc *day_of(struct dayacc **days, size_t *n, size_t *last, int64_t day)
{
    if (*n && (*days)[*last].day == day)
        return &(*days)[*last];
    for (size_t i = *n; i-- > 0;)
        if ((*days)[i].day == day) {
            *last = i;
            return &(*days)[i];
        }
    struct dayacc *d = rp_push((void **)days, n, sizeof *d);
    if (d) {
        d->day = day;
        d->sms_left = -1;
        *last = *n - 1;
    }
    return d;
}

static int cmp_day(const void *a, const void *b)
{
    const struct dayacc *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* The newest REPORT_MAX_DAYS days that have a value, oldest first. */
static int days_out(const struct dayacc *days, size_t n, int sms, struct report_day **out,
                    size_t *n_out)
{
    size_t with = 0;
    for (size_t i = 0; i < n; i++)
        with += sms ? days[i].sms_left >= 0 : days[i].sends > 0;
    size_t skip = with > REPORT_MAX_DAYS ? with - REPORT_MAX_DAYS : 0;
    *out = calloc(with - skip + 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i++) {
        long v = sms ? days[i].sms_left : days[i].sends;
        if ((sms ? v < 0 : v <= 0) || (skip && skip--))
            continue;
        struct report_day *d = &(*out)[(*n_out)++];
        time_t t = (time_t)(days[i].day * 86400);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(d->day, sizeof d->day, "%Y-%m-%d", &tm);
        d->value = v;
    }
    return 0;
}

/* One pass over the period's attempts: counts per status and run, sends
 * and SMS balance per day, and each sent invite matched (with keys). One
 * scan costs a third of three GROUP BY queries on a year of attempts. */
static int attempts_pass(sqlite3 *db, const struct report_options *o, struct report_model *m,
                         const struct rp_keys *keys, struct cp_error *err)
{
    sqlite3_stmt *st;
    struct dayacc *days = NULL;
    size_t n_days = 0, last_day = 0, last_run = 0;
    int rc, out = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, status, created_at, updated_at, sms_left, id,"
                           " business_id, campaign_id, coalesce(email, ''), coalesce(phone, '')"
                           " FROM attempts WHERE created_at >= ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return rp_fail(db, "ledger", err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)o->since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *run = (const char *)sqlite3_column_text(st, 0);
        enum report_status s = status_of(sqlite3_column_text(st, 1));
        int64_t created = sqlite3_column_int64(st, 2), updated = sqlite3_column_int64(st, 3);
        m->n_status[s]++;
        if (run && m->n_runs) {
            if (strcmp(m->runs[last_run].run_id, run) != 0)
                for (size_t i = 0; i < m->n_runs; i++)
                    if (strcmp(m->runs[i].run_id, run) == 0) {
                        last_run = i;
                        break;
                    }
            if (strcmp(m->runs[last_run].run_id, run) == 0)
                m->runs[last_run].n[s]++;
        }
        if (s == RS_SENT) {
            struct dayacc *d = day_of(&days, &n_days, &last_day, created / 86400);
            if (!d)
                goto oom;
            d->sends++;
            m->sends_total++;
            if (keys &&
                rp_match_invite(keys, o, m, (const char *)sqlite3_column_text(st, 6),
                                (const char *)sqlite3_column_text(st, 7),
                                (const char *)sqlite3_column_text(st, 8),
                                (const char *)sqlite3_column_text(st, 9), (time_t)created) < 0)
                goto oom;
        }
        if (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int64(st, 4) >= 0) {
            int64_t id = sqlite3_column_int64(st, 5);
            struct dayacc *d = day_of(&days, &n_days, &last_day, updated / 86400);
            if (!d)
                goto oom;
            if (d->sms_left < 0 || updated > d->sms_at ||
                (updated == d->sms_at && id > d->sms_id)) {
                d->sms_left = (long)sqlite3_column_int64(st, 4);
                d->sms_at = updated;
                d->sms_id = id;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        rp_fail(db, "ledger", err);
        goto done;
    }
    qsort(days, n_days, sizeof *days, cmp_day);
    if (days_out(days, n_days, 0, &m->sends, &m->n_sends) < 0 ||
        days_out(days, n_days, 1, &m->sms, &m->n_sms) < 0)
        goto oom;
    if (m->n_sms)
        m->sms_last = m->sms[m->n_sms - 1].value;
    out = 0;
    goto done;
oom:
    cp_fail(err, CP_EXIT_USAGE, "report: out of memory");
done:
    sqlite3_finalize(st);
    free(days);
    return out;
}

int rp_ledger(sqlite3 *db, const struct report_options *o, struct report_model *m,
              const struct rp_keys *keys, struct cp_error *err)
{
    time_t since = o->since;
    m->sms_last = -1;
    if (each(db, runs_sql, since, run_row, m, err) < 0 || attempts_pass(db, o, m, keys, err) < 0)
        return -1;
    if (keys)
        rp_match_finish(m);
    m->has_deferred_col = rp_has_column(db, "attempts", "not_before");
    if (m->has_deferred_col && each(db, deferred_sql, since, deferred_row, m, err) < 0)
        return -1;
    /* The listing is capped; the total is not. */
    if (m->has_deferred_col &&
        rp_scalar(db, "SELECT count(*) FROM attempts WHERE status = 'deferred' AND ?1 >= 0", NULL,
                  0, &m->deferred_total, err) < 0)
        return -1;
    return each(db, doubts_sql, since, doubt_row, m, err);
}

int report_model_build(const struct report_options *o, struct report_model *m, struct cp_error *err)
{
    sqlite3 *ledger = NULL, *mirror = NULL;
    struct rp_keys keys = {0};
    int rc = -1;
    memset(m, 0, sizeof *m);
    m->now = o->now;
    m->since = o->since;
    m->match_days = o->match_days;
    m->sms_last = -1;
    m->median_reply_hours = -1;
    int have = rp_open(o->ledger_path, "ledger", &ledger, err);
    if (have < 0)
        goto out;
    m->has_ledger = have;
    have = rp_open(o->mirror_path, "mirror", &mirror, err);
    if (have < 0)
        goto out;
    m->has_mirror = have;
    /* The reviews first: with a ledger they give the keys its invites are matched by. */
    if (mirror && rp_mirror(mirror, o, m, ledger ? &keys : NULL, err) < 0)
        goto out;
    if (mirror && ledger)
        rp_keys_sort(&keys);
    if (ledger && rp_ledger(ledger, o, m, mirror ? &keys : NULL, err) < 0)
        goto out;
    rc = 0;
out:
    rp_keys_free(&keys);
    sqlite3_close(ledger);
    sqlite3_close(mirror);
    if (rc < 0)
        report_model_free(m);
    return rc;
}

void report_model_free(struct report_model *m)
{
    free(m->runs);
    free(m->sends);
    free(m->sms);
    free(m->deferred);
    free(m->doubts);
    free(m->months);
    free(m->by_source);
    free(m->by_business);
    free(m->awaiting);
    free(m->changes);
    free(m->match_month);
    free(m->match_campaign);
    free(m->match_business);
    memset(m, 0, sizeof *m);
}
