/*
 * The export job (export/export_job.h) and the mirror under it, driven
 * through a fake transport: a server played in memory behind the fetcher's
 * seam (api/fetch.h), so no process and no network.
 *
 * Proves: a plain export writes every review to its file in as many requests
 * as pages; a mirror from empty records each review `created` once and counts
 * as a full sweep; the same reviews served with keys reordered, numbers
 * respelled and escapes changed are no change, while one edited rating is
 * exactly one `updated` naming that field with old and new values; a
 * complete full sweep marks a vanished review `deleted` and its return
 * `restored`; a sweep whose total dropped mid-walk marks nothing; a 401
 * stops at the first request and leaves no run in the mirror; a stop (a
 * signal) mid-walk leaves the mirror as it was and the next run completes
 * it; a review whose createdAt changed is updated in place, not duplicated;
 * an incremental run with a lookback of one page reads one page and
 * catches a change there but not beyond; the change feed holds the run's
 * events; --from-mirror writes the mirror's reviews without one request.
 * And the canonical JSON form itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "api/fetch.h"
#include "api/json_scan.h"
#include "config/pipeline.h"
#include "core/strbuf.h"
#include "export/canon_json.h"
#include "export/export_job.h"
#include "unit_tmp.h"

/* ---- a server in memory ------------------------------------------------------ */

#define MAX_REVIEWS 1000

struct fake {
    char *reviews[MAX_REVIEWS]; /* ascending by createdAt; NULL = deleted */
    int n;
    int requests;
    int status_at, status;      /* answer `status` to request number status_at */
    int delete_at, delete_idx;  /* on request delete_at, delete review delete_idx */
    int stop_at;                /* raise the stop flag on request stop_at */
    volatile sig_atomic_t stop;
    struct strbuf body;
};

static char *review_json(int i, const char *rating, int respelled)
{
    char buf[512];
    if (respelled)
        snprintf(buf, sizeof buf,
                 "{\"text\":\"caf\\u00e9 %d\",\"rating\":%s,\"x\":{\"score\":0.85,\"exp\":1000.0},"
                 "\"id\":\"r%03d\",\"createdAt\":\"2024-01-01T00:%02d:%02d.000Z\"}",
                 i, rating, i, i / 60, i % 60);
    else
        snprintf(buf, sizeof buf,
                 "{\"id\":\"r%03d\",\"createdAt\":\"2024-01-01T00:%02d:%02d.000Z\",\"rating\":%s,"
                 "\"text\":\"café %d\",\"x\":{\"exp\":1E+3,\"score\":0.850}}",
                 i, i / 60, i % 60, rating, i);
    return strdup(buf);
}

static void fake_init(struct fake *f, int n)
{
    memset(f, 0, sizeof *f);
    strbuf_init(&f->body, 1u << 24);
    f->n = n;
    for (int i = 0; i < n; i++)
        f->reviews[i] = review_json(i, "\"5\"", 0);
}

static void fake_set(struct fake *f, int i, char *json)
{
    free(f->reviews[i]);
    f->reviews[i] = json;
}

static void fake_release(struct fake *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->reviews[i]);
    strbuf_release(&f->body);
}

static long query_long(const char *path, const char *name)
{
    const char *p = strstr(path, name);
    return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

/* Page numbers, newest first (the vendor page's reading). */
static int fake_get(void *ctx, const char *path, volatile sig_atomic_t *stop,
                    struct api_result *res, struct cp_error *err)
{
    struct fake *f = ctx;
    (void)stop;
    (void)err;
    f->requests++;
    memset(res, 0, sizeof *res);
    res->retry_after = -1;
    if (f->requests == f->delete_at)
        fake_set(f, f->delete_idx, NULL);
    if (f->requests == f->stop_at)
        f->stop = 1;
    strbuf_reset(&f->body);
    if (f->requests == f->status_at) {
        res->http_status = f->status;
        strbuf_addstr(&f->body, "{\"message\":\"no\"}");
    } else {
        long limit = query_long(path, "limit="), offset = query_long(path, "offset=");
        int live[MAX_REVIEWS], n = 0;
        for (int i = f->n - 1; i >= 0; i--)
            if (f->reviews[i])
                live[n++] = i;
        res->http_status = 200;
        strbuf_addf(&f->body, "{\"total\":%d,\"reviews\":[", n);
        for (long k = offset * limit; k < n && k < (offset + 1) * limit; k++) {
            if (k > offset * limit)
                strbuf_addstr(&f->body, ",");
            strbuf_addstr(&f->body, f->reviews[live[k]]);
        }
        strbuf_addstr(&f->body, "]}");
    }
    res->body = f->body.buf;
    res->body_len = f->body.len;
    return 0;
}

/* ---- the job around it --------------------------------------------------------- */

struct rig {
    struct fake f;
    struct fetch_transport t;
    struct pipeline p;
    struct export_job_options o;
    struct export_job_report rep;
    struct cp_error err;
    char *mirror;
};

static void rig_init(struct rig *r, int n, const char *mirror_name)
{
    memset(r, 0, sizeof *r);
    fake_init(&r->f, n);
    r->t = (struct fetch_transport){.get = fake_get, .ctx = &r->f};
    assert_int_equal(pipeline_defaults(PIPELINE_EXPORT, "unit", time(NULL), &r->p, &r->err), 0);
    r->p.api.rate_per_sec = 1000;
    r->p.api.retries = 0;
    r->p.export.page_size = 10;
    if (mirror_name) {
        r->mirror = unit_path(tmpdir, mirror_name);
        unlink(r->mirror);
        r->p.export.mirror = strdup(r->mirror);
    }
    r->o = (struct export_job_options){.transport = &r->t, .stop = &r->f.stop};
}

static void rig_release(struct rig *r)
{
    pipeline_release(&r->p);
    fake_release(&r->f);
    free(r->mirror);
}

static int run_job(struct rig *r)
{
    r->f.requests = 0;
    cp_error_clear(&r->err);
    return export_job_run(&r->p, &r->o, &r->rep, &r->err);
}

static long sql_long(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    long v = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

static char *sql_text(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    char *v = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

/* ---- tests ------------------------------------------------------------------------ */

static void plain_export_writes_every_review(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, NULL);
    char *out = unit_path(tmpdir, "plain.ndjson");
    r.o.output = out;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.f.requests, 3); /* pages of 10, 10, 5 */
    assert_int_equal(r.rep.st.written, 25);
    char *text = unit_slurp(out, NULL);
    assert_non_null(text);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 25);
    assert_non_null(strstr(text, "\"x\":{\"exp\":1E+3,\"score\":0.850}")); /* bytes as sent */
    free(text);
    free(out);
    rig_release(&r);
}

static void mirror_from_empty_creates_each_review_once(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "empty.sqlite");
    assert_int_equal(run_job(&r), 0);
    assert_true(r.rep.mirrored);
    assert_true(r.rep.ms.full);
    assert_true(r.rep.ms.sweep_counted);
    assert_int_equal(r.rep.ms.created, 25);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews"), 25);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM review_changes WHERE kind='created'"),
                     25);
    assert_int_equal(sql_long(r.mirror, "SELECT rating FROM reviews WHERE id='r007'"), 5);
    assert_int_equal(sql_long(r.mirror, "SELECT complete FROM runs"), 1);
    rig_release(&r);
}

static void respelling_is_no_change_an_edit_is_one(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "respell.sqlite");
    assert_int_equal(run_job(&r), 0);
    for (int i = 0; i < 25; i++)
        fake_set(&r.f, i, review_json(i, i == 20 ? "2" : "\"5\"", 1));
    r.o.full = 1;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.rep.ms.updated, 1);
    assert_int_equal(r.rep.ms.unchanged, 24);
    char *fields = sql_text(r.mirror, "SELECT fields FROM review_changes WHERE kind='updated'");
    assert_string_equal(fields, "{\"rating\":{\"old\":\"5\",\"new\":2}}");
    free(fields);
    assert_int_equal(sql_long(r.mirror, "SELECT rating FROM reviews WHERE id='r020'"), 2);
    rig_release(&r);
}

static void a_changed_created_at_is_an_update_not_a_new_review(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "moved.sqlite");
    assert_int_equal(run_job(&r), 0);
    char *moved = strdup(r.f.reviews[7]);
    char *at = strstr(moved, "T00:");
    at[1] = '2'; /* 00:00:07 -> 20:00:07: the review's key in the mirror moves */
    fake_set(&r.f, 7, moved);
    r.o.full = 1;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.rep.ms.created, 0);
    assert_int_equal(r.rep.ms.updated, 1);
    assert_int_equal(r.rep.ms.deleted, 0);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews"), 25);
    char *fields = sql_text(r.mirror, "SELECT fields FROM review_changes WHERE kind='updated'");
    assert_string_equal(fields, "{\"createdAt\":{\"old\":\"2024-01-01T00:00:07.000Z\","
                                "\"new\":\"2024-01-01T20:00:07.000Z\"}}");
    free(fields);
    rig_release(&r);
}

static void full_sweep_marks_deleted_and_restored(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "deleted.sqlite");
    assert_int_equal(run_job(&r), 0);
    char *kept = r.f.reviews[3];
    r.f.reviews[3] = NULL;
    r.o.full = 1;
    assert_int_equal(run_job(&r), 0);
    assert_true(r.rep.ms.sweep_counted);
    assert_int_equal(r.rep.ms.deleted, 1);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL "
                                        "AND id='r003'"), 1);
    r.f.reviews[3] = kept;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.rep.ms.restored, 1);
    assert_int_equal(r.rep.ms.deleted, 0);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews WHERE deleted_at IS NULL"),
                     25);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM review_changes"), 27);
    rig_release(&r);
}

static void sweep_whose_total_dropped_marks_nothing(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "drop.sqlite");
    assert_int_equal(run_job(&r), 0);
    r.o.full = 1;
    r.f.delete_at = 2; /* a review older than page 1 goes while the walk is on page 2 */
    r.f.delete_idx = 2;
    assert_int_equal(run_job(&r), 0);
    assert_false(r.rep.ms.sweep_counted);
    assert_int_equal(r.rep.ms.deleted, 0);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL"),
                     0);
    assert_int_equal(sql_long(r.mirror, "SELECT complete FROM runs WHERE run=2"), 0);
    rig_release(&r);
}

static void unauthorized_stops_at_once_leaving_no_run(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "auth.sqlite");
    r.f.status_at = 1;
    r.f.status = 401;
    assert_int_equal(run_job(&r), -1);
    assert_int_equal(r.err.code, CP_EXIT_AUTH);
    assert_int_equal(r.f.requests, 1);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM runs"), 0);
    rig_release(&r);
}

static void stop_mid_walk_leaves_mirror_as_it_was(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "stop.sqlite");
    r.f.stop_at = 2;
    assert_int_equal(run_job(&r), -1);
    assert_int_equal(r.err.code, CP_EXIT_INTERRUPTED);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM reviews"), 0);
    assert_int_equal(sql_long(r.mirror, "SELECT count(*) FROM review_changes"), 0);
    r.f.stop_at = 0;
    r.f.stop = 0;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.rep.ms.created, 25);
    rig_release(&r);
}

static void lookback_of_one_page_reads_one_page(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "lookback.sqlite");
    assert_int_equal(run_job(&r), 0);
    r.p.export.lookback_pages = 1;
    r.p.export.lookback_secs = 0;
    fake_set(&r.f, 24, review_json(24, "1", 0)); /* on page 1 (newest) */
    fake_set(&r.f, 2, review_json(2, "1", 0));   /* on page 3 */
    char *feed = unit_path(tmpdir, "changes.ndjson");
    r.p.export.changes = strdup(feed);
    assert_int_equal(run_job(&r), 0);
    assert_false(r.rep.ms.full);
    assert_int_equal(r.f.requests, 1);
    assert_int_equal(r.rep.ms.updated, 1);
    char *text = unit_slurp(feed, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"kind\":\"updated\",\"id\":\"r024\""));
    assert_non_null(strstr(text, "\"fields\":{\"rating\":{\"old\":\"5\",\"new\":1}}"));
    assert_null(strstr(text, "r002"));
    free(text);
    free(feed);
    rig_release(&r);
}

static void from_mirror_needs_no_request(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 25, "from.sqlite");
    assert_int_equal(run_job(&r), 0);
    char *out = unit_path(tmpdir, "from.ndjson");
    r.o.output = out;
    r.o.from_mirror = 1;
    assert_int_equal(run_job(&r), 0);
    assert_int_equal(r.f.requests, 0);
    assert_int_equal(r.rep.from_mirror, 25);
    char *text = unit_slurp(out, NULL);
    assert_non_null(text);
    assert_true(strncmp(text, "{\"id\":\"r024\"", 12) == 0); /* newest first, bytes as sent */
    free(text);
    free(out);
    rig_release(&r);
}

/* ---- the canonical form ---------------------------------------------------------- */

static char *canon_of(const char *json)
{
    struct json_scanner s;
    struct json_span v;
    struct strbuf out;
    json_scanner_init(&s, json, strlen(json));
    assert_non_null(json_value(&s, json, 0, &v));
    strbuf_init(&out, 1u << 20);
    assert_int_equal(canon_json(&v, &out), 0);
    char *r = strdup(strbuf_str(&out));
    strbuf_release(&out);
    return r;
}

static void assert_same_canon(const char *a, const char *b, int same)
{
    char *x = canon_of(a), *y = canon_of(b);
    if (same)
        assert_string_equal(x, y);
    else
        assert_string_not_equal(x, y);
    free(x);
    free(y);
}

static void canonical_form(void **state)
{
    (void)state;
    assert_same_canon("{\"b\":1,\"a\":[2.50,{\"y\":null,\"x\":true}]}",
                      "{ \"a\" : [ 25e-1 , {\"x\":true,\"y\":null} ] , \"b\" : 1.0 }", 1);
    assert_same_canon("[1E+3, -0.0, 0.850, 100]", "[1000, 0, 0.85, 1e2]", 1);
    assert_same_canon("\"caf\\u00e9 \\/ \\n\"", "\"café / \\u000a\"", 1);
    assert_same_canon("12345678901234567890", "12345678901234567891", 0);
    assert_same_canon("\"5\"", "5", 0);
    assert_same_canon("{\"a\":1}", "{\"a\":1,\"b\":null}", 0);
    assert_same_canon("[1,2]", "[2,1]", 0);
    char *c = canon_of("{\"z\":-12.340e1,\"\\u0061\":\"\\t\"}");
    assert_string_equal(c, "{\"a\":\"\\u0009\",\"z\":-1234e-1}");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_export_writes_every_review),
        cmocka_unit_test(mirror_from_empty_creates_each_review_once),
        cmocka_unit_test(respelling_is_no_change_an_edit_is_one),
        cmocka_unit_test(a_changed_created_at_is_an_update_not_a_new_review),
        cmocka_unit_test(full_sweep_marks_deleted_and_restored),
        cmocka_unit_test(sweep_whose_total_dropped_marks_nothing),
        cmocka_unit_test(unauthorized_stops_at_once_leaving_no_run),
        cmocka_unit_test(stop_mid_walk_leaves_mirror_as_it_was),
        cmocka_unit_test(lookback_of_one_page_reads_one_page),
        cmocka_unit_test(from_mirror_needs_no_request),
        cmocka_unit_test(canonical_form),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, unit_teardown_tmpdir);
}
