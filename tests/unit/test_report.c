/*
 * The report model (report/model.h) on a hand-built ledger and mirror: every
 * figure the page prints is checked here against what the rows say. The
 * ledger is made by ledger_open (the real schema) and filled with SQL; the
 * mirror is a stand-in with exactly the columns the report reads (see
 * model_mirror.c), so the test also pins down what the report relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/model.h"
#include "report/report.h"
#include "store/ledger.h"
#include "unit_tmp.h"

#define DAY 86400
#define T0 1793577600L  /* 2026-11-02T00:00:00Z */
#define NOW 1796083200L /* 2026-12-01T00:00:00Z */
#define BIZ "biz-a"

struct fx {
    char *dir, *ledger, *mirror, *out;
};

static void sql(const char *path, const char *text)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", msg, text);
    sqlite3_close(db);
}

/* One attempt row; the columns the report reads. */
static void attempt(const char *path, long id, const char *run, long row, const char *email,
                    const char *phone, const char *biz, const char *camp, const char *status,
                    long sms_left, long at)
{
    char buf[1024], sms[24];
    snprintf(sms, sizeof sms, sms_left < 0 ? "NULL" : "%ld", sms_left);
    snprintf(buf, sizeof buf,
             "INSERT INTO attempts(id, run_id, file_path, file_hash, input_row, email, phone,"
             " business_id, campaign_id, status, sms_left, created_at, updated_at) VALUES"
             " (%ld, '%s', 'in.csv', 'h1', %ld, %s%s%s, %s%s%s, '%s', '%s', '%s', %s, %ld, %ld)",
             id, run, row, email ? "'" : "", email ? email : "NULL", email ? "'" : "",
             phone ? "'" : "", phone ? phone : "NULL", phone ? "'" : "", biz, camp, status, sms,
             at, at);
    sql(path, buf);
}

/* The mirror's `reviews` as the report sees it: an id, the raw JSON, the
 * deletion mark, and the typed columns the listed reviews are read by. */
static const char mirror_schema[] =
    "CREATE TABLE rd (id TEXT PRIMARY KEY, raw TEXT NOT NULL, deleted_at TEXT);"
    "CREATE VIEW reviews AS SELECT id, raw, deleted_at,"
    " json_extract(raw, '$.authorName') AS author_name, json_extract(raw, '$.name') AS name,"
    " json_extract(raw, '$.businessId') AS business_id, json_extract(raw, '$.source') AS source,"
    " json_extract(raw, '$.createdAt') AS created_at, json_extract(raw, '$.rating') AS rating,"
    " json_extract(raw, '$.reviewUrl') AS review_url, json_extract(raw, '$.text') AS text"
    " FROM rd;"
    "CREATE TABLE review_changes (seq INTEGER PRIMARY KEY, id TEXT, at TEXT, run INTEGER,"
    " kind TEXT, fields TEXT);";

/* One review as the API gives it (a NULL field is absent), and its 'created' event. */
static void review(const char *path, const char *id, const char *biz, const char *created,
                   const char *email, const char *phone, int rating, const char *source,
                   const char *replied, const char *deleted, const char *text)
{
    char *q = sqlite3_mprintf(
        "INSERT INTO rd VALUES (%Q, json_remove(json_object('id', %Q, 'authorName', %Q,"
        " 'businessId', %Q, 'createdAt', %Q, 'email', %Q, 'phoneNumber', %Q, 'rating', %d,"
        " 'source', %Q, 'reviewUrl', 'https://r.example/x', 'text', %Q, 'response',"
        " CASE WHEN %Q IS NULL THEN NULL ELSE json_object('name', 'Owner', 'date', %Q) END),"
        " CASE WHEN %Q IS NULL THEN '$.email' ELSE '$.none' END,"
        " CASE WHEN %Q IS NULL THEN '$.phoneNumber' ELSE '$.none' END), %Q);"
        "INSERT INTO review_changes(id, at, run, kind) VALUES (%Q, '2026-11-30T00:00:00.000Z', 1,"
        " 'created');",
        id, id, id, biz, created, email, phone, rating, source, text, replied, replied, email,
        phone, deleted, id);
    sql(path, q);
    sqlite3_free(q);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct cp_error err = {0};
    struct ledger *l = NULL;
    f->dir = unit_tmpdir();
    f->ledger = unit_path(f->dir, "ledger.sqlite");
    f->mirror = unit_path(f->dir, "mirror.sqlite");
    f->out = unit_path(f->dir, "report.html");
    assert_int_equal(ledger_open(f->ledger, 0, &l, &err), 0);
    ledger_close(l);
    char runs[2048];
    snprintf(runs, sizeof runs,
             "INSERT INTO runs(run_id, pipeline, file_path, file_hash, pid, started_at, finished_at, exit_code) VALUES ('r1', 'stores', 'in.csv', 'h1', 1, %ld, %ld, 0);"
             "INSERT INTO runs(run_id, pipeline, file_path, file_hash, pid, started_at, finished_at, exit_code) VALUES ('r2', 'stores', 'in.csv', 'h1', 1, %ld, %ld, 1);"
             "INSERT INTO runs(run_id, pipeline, file_path, file_hash, pid, started_at, finished_at, exit_code) VALUES ('r3', 'other', 'o.csv', 'h2', 1, %ld, NULL, NULL);",
             T0, T0 + 60, T0 + DAY, T0 + DAY + 60, T0 + 2 * DAY);
    sql(f->ledger, runs);
    /* Day 1 (run r1): three sent, one failed; SMS 60 then 50. */
    attempt(f->ledger, 1, "r1", 1, "ann@example.com", "+61412000001", BIZ, "camp-1", "sent", 60, T0 + 10);
    attempt(f->ledger, 2, "r1", 2, "bob@example.com", NULL, BIZ, "camp-1", "sent", -1, T0 + 20);
    attempt(f->ledger, 3, "r1", 3, NULL, "+61412000003", BIZ, "camp-1", "sent", 50, T0 + 30);
    attempt(f->ledger, 4, "r1", 4, "dan@example.com", NULL, BIZ, "camp-1", "failed", -1, T0 + 40);
    /* Day 2 (run r2): two sent (campaign 2, another business for one), two in doubt of
     * which row 10 was later sent: only row 9 needs a person. SMS 40. */
    attempt(f->ledger, 5, "r2", 5, "eve@example.com", NULL, BIZ, "camp-2", "sent", 40, T0 + DAY + 10);
    attempt(f->ledger, 6, "r2", 6, "fay@example.com", NULL, "biz-b", "camp-2", "sent", -1, T0 + DAY + 20);
    attempt(f->ledger, 7, "r2", 9, "gus@example.com", NULL, BIZ, "camp-2", "in_doubt", -1, T0 + DAY + 30);
    attempt(f->ledger, 8, "r2", 10, "hal@example.com", NULL, BIZ, "camp-2", "in_doubt", -1, T0 + DAY + 40);
    attempt(f->ledger, 9, "r3", 10, "hal@example.com", NULL, BIZ, "camp-2", "sent", -1, T0 + 2 * DAY);

    sql(f->mirror, mirror_schema);
    /* Ann by email in capitals, 2 days after: matched (and replied 5 h later). */
    review(f->mirror, "v1", BIZ, "2026-11-04T00:00:10.000Z", " ANN@Example.com ", NULL, 5, "google",
           "2026-11-04T05:00:10.000Z", NULL, "great");
    /* The phone-only invitee, typed locally: matched through libphonenumber (AU). */
    review(f->mirror, "v2", BIZ, "2026-11-10T00:00:00.000Z", NULL, "0412 000 003", 4, "google",
           "2026-11-10T01:00:00.000Z", NULL, "good");
    /* Bob, but 20 days on: outside the window. */
    review(f->mirror, "v3", BIZ, "2026-11-22T00:00:00.000Z", "bob@example.com", NULL, 3,
           "facebook", NULL, NULL, "ok");
    /* Eve, but for another business: not her invite's. */
    review(f->mirror, "v4", "biz-b", "2026-11-05T00:00:00.000Z", "eve@example.com", NULL, 1,
           "facebook", NULL, NULL, "<script>alert(1)</script>");
    /* Fay (biz-b), deleted: counts nowhere. */
    review(f->mirror, "v5", "biz-b", "2026-11-05T00:00:00.000Z", "fay@example.com", NULL, 2,
           "google", NULL, "2026-11-06T00:00:00.000Z", "gone");
    /* No contact at all, October. */
    review(f->mirror, "v6", BIZ, "2026-10-15T00:00:00.000Z", NULL, NULL, 5, "google", NULL, NULL,
           "old");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unit_rmtree(f->dir);
    free(f->dir);
    free(f->ledger);
    free(f->mirror);
    free(f->out);
    free(f);
    return 0;
}

static struct report_options opts(const struct fx *f)
{
    struct report_options o = {
        .ledger_path = f->ledger, .mirror_path = f->mirror, .default_country = "AU",
        .now = NOW, .match_days = 14, .prev_seq = -1,
    };
    return o;
}

static const struct report_run *run_named(const struct report_model *m, const char *id)
{
    for (size_t i = 0; i < m->n_runs; i++)
        if (strcmp(m->runs[i].run_id, id) == 0)
            return &m->runs[i];
    return NULL;
}

static void the_runs_half_counts_the_ledger(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_true(m.has_ledger);
    assert_int_equal(m.n_runs, 3);
    assert_int_equal(m.pipelines, 2);
    assert_string_equal(m.runs[0].pipeline, "other"); /* by pipeline, newest run first */
    assert_string_equal(m.runs[1].run_id, "r2");
    const struct report_run *r1 = run_named(&m, "r1"), *r2 = run_named(&m, "r2");
    assert_int_equal(r1->n[RS_SENT], 3);
    assert_int_equal(r1->n[RS_FAILED], 1);
    assert_int_equal(r2->n[RS_SENT], 2);
    assert_int_equal(r2->n[RS_IN_DOUBT], 2);
    assert_false(run_named(&m, "r3")->has_exit);
    assert_int_equal(m.n_status[RS_SENT], 6);
    assert_int_equal(m.n_status[RS_IN_DOUBT], 2);
    /* Sends per day, oldest first. */
    assert_int_equal(m.n_sends, 3);
    assert_string_equal(m.sends[0].day, "2026-11-02");
    assert_int_equal(m.sends[0].value, 3);
    assert_int_equal(m.sends[1].value, 2);
    assert_int_equal(m.sends_total, 6);
    /* SMS left: the day's last answer. */
    assert_int_equal(m.n_sms, 2);
    assert_int_equal(m.sms[0].value, 50);
    assert_int_equal(m.sms[1].value, 40);
    assert_int_equal(m.sms_last, 40);
    /* Only row 9 is still in doubt: row 10 was sent later. */
    assert_int_equal(m.doubts_total, 1);
    assert_int_equal(m.n_doubts, 1);
    assert_string_equal(m.doubts[0].contact, "gus@example.com");
    assert_string_equal(m.doubts[0].pipeline, "stores");
    assert_int_equal(m.doubts[0].input_row, 9);
    /* Today's ledger has send windows (not_before), and nothing deferred. */
    assert_true(m.has_deferred_col);
    assert_int_equal(m.deferred_total, 0);
    report_model_free(&m);

    /* --since drops the first day. */
    o.since = T0 + DAY;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_int_equal(m.n_runs, 2);
    assert_int_equal(m.n_status[RS_SENT], 3);
    assert_int_equal(m.match_total.invited, 3);
    report_model_free(&m);
}

static void deferred_rows_show_when_the_ledger_has_them(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    attempt(f->ledger, 20, "r3", 20, "x@example.com", NULL, BIZ, "camp-1", "deferred", -1, T0);
    attempt(f->ledger, 21, "r3", 21, "y@example.com", NULL, BIZ, "camp-1", "deferred", -1, T0);
    attempt(f->ledger, 22, "r3", 22, "z@example.com", NULL, "biz-b", "camp-1", "deferred", -1, T0);
    sql(f->ledger, "UPDATE attempts SET not_before = 1796112000 + id WHERE status = 'deferred'");
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_true(m.has_deferred_col);
    assert_int_equal(m.deferred_total, 3);
    assert_int_equal(m.n_deferred, 2);
    assert_string_equal(m.deferred[0].business_id, BIZ); /* the window that opens first */
    assert_int_equal(m.deferred[0].n, 2);
    assert_int_equal(m.deferred[0].opens_at, 1796112020);
    assert_int_equal(m.n_status[RS_DEFERRED], 3);
    report_model_free(&m);
}

static void the_reviews_half_counts_the_mirror(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_true(m.has_mirror);
    assert_int_equal(m.reviews_total, 5); /* v5 is deleted */
    assert_int_equal(m.reviews_replied, 2);
    assert_true(m.rating_avg > 3.599 && m.rating_avg < 3.601); /* (5+4+3+1+5)/5 */
    assert_int_equal(m.replies_timed, 2);
    assert_true(m.median_reply_hours > 2.999 && m.median_reply_hours < 3.001); /* (5 + 1) / 2 */
    assert_int_equal(m.n_months, 2);
    assert_string_equal(m.months[0].month, "2026-10");
    assert_int_equal(m.months[0].total, 1);
    assert_int_equal(m.months[1].total, 4);
    assert_int_equal(m.months[1].by_rating[1], 1);
    assert_int_equal(m.months[1].by_rating[5], 1);
    assert_int_equal(m.months[1].replies, 2);
    /* Per source: google 3 (5, 4, 5), facebook 2 (3, 1). */
    assert_int_equal(m.n_by_source, 2);
    assert_string_equal(m.by_source[0].key, "google");
    assert_int_equal(m.by_source[0].total, 3);
    assert_true(m.by_source[0].avg > 4.666 && m.by_source[0].avg < 4.667);
    assert_true(m.by_source[1].month_avg[1] > 1.999 && m.by_source[1].month_avg[1] < 2.001);
    assert_true(m.by_source[1].month_avg[0] < 0); /* facebook had none in October */
    assert_int_equal(m.n_by_business, 2);
    /* Awaiting a reply, newest first. */
    assert_int_equal(m.awaiting_total, 3);
    assert_string_equal(m.awaiting[0].id, "v3");
    assert_string_equal(m.awaiting[2].id, "v6");
    /* Changes: all six the first time, none after the last seq. */
    assert_int_equal(m.changes_by_kind[0], 6);
    assert_int_equal(m.changes_last_seq, 6);
    assert_int_equal(m.n_changes, 6);
    assert_int_equal(m.changes[0].seq, 6);
    report_model_free(&m);
    o.prev_seq = 6;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_int_equal(m.changes_by_kind[0], 0);
    assert_int_equal(m.n_changes, 0);
    report_model_free(&m);
}

static void invites_are_matched_to_later_reviews_by_email_or_phone(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    /* Six sent: ann (email+phone, matched by email), bob (email, 20 days: no),
     * the phone-only one (matched by phone), eve (other business' review: no),
     * fay (deleted review: no), hal (no review). */
    assert_int_equal(m.match_total.invited, 6);
    assert_int_equal(m.match_total.reviewed, 2);
    assert_int_equal(m.match_total.sms_invited, 2);
    assert_int_equal(m.match_total.sms_reviewed, 2);
    assert_int_equal(m.match_total.email_invited, 5);
    assert_int_equal(m.match_total.email_reviewed, 1);
    assert_int_equal(m.match_total.open, 0); /* every window closed by NOW */
    assert_int_equal(m.n_match_month, 1);
    assert_string_equal(m.match_month[0].key, "2026-11");
    assert_int_equal(m.n_match_campaign, 2);
    assert_string_equal(m.match_campaign[0].key, "camp-1"); /* 3 invites each: by name */
    assert_int_equal(m.match_campaign[0].reviewed, 2);
    assert_int_equal(m.match_campaign[1].reviewed, 0);
    assert_string_equal(m.match_business[0].key, BIZ);
    assert_int_equal(m.match_business[0].invited, 5);
    assert_int_equal(m.reviews_no_contact, 1);
    assert_int_equal(m.reviews_with_contact, 4);
    report_model_free(&m);

    /* A 30-day window takes bob's late review in. */
    o.match_days = 30;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_int_equal(m.match_total.reviewed, 3);
    report_model_free(&m);

    /* Five days after the first sends, every window is still open. */
    o.match_days = 14;
    o.now = T0 + 5 * DAY;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_int_equal(m.match_total.open, 6);
    assert_int_equal(m.match_total.reviewed, 2);
    report_model_free(&m);
}

static void the_page_escapes_the_data_and_fetches_nothing(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    snprintf(m.awaiting[0].author, sizeof m.awaiting[0].author, "Zoë \"<b>\" & co");
    snprintf(m.awaiting[0].url, sizeof m.awaiting[0].url, "javascript:alert(1)");
    FILE *fp = open_memstream(&buf, &len);
    struct html_context c = {f->ledger, f->mirror, "stores.yaml", "stores", 0};
    html_render(&m, &c, fp);
    fclose(fp);
    assert_null(strstr(buf, "<script"));
    assert_non_null(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(buf, "Zoë &quot;&lt;b&gt;&quot; &amp; co"));
    assert_null(strstr(buf, "href=\"javascript:"));
    assert_non_null(strstr(buf, "default-src 'none'"));
    assert_non_null(strstr(buf, "cloutly-pipe ledger stores.yaml --contact gus@example.com"));
    assert_non_null(strstr(buf, "data-metric=\"match.total.reviewed\" class=\"n\">2<"));
    assert_non_null(strstr(buf, "data-metric=\"reviews.no_contact\">1<"));
    assert_non_null(strstr(buf, "Of 6 invited in November 2026, 2 left a review within 14 days "
                                "(33.3%); by SMS 100.0%, by email 20.0%."));
    assert_non_null(strstr(buf, "@media print"));
    assert_non_null(strstr(buf, "prefers-color-scheme:dark"));
    free(buf);
    report_model_free(&m);
}

static void report_write_keeps_the_mark_of_the_last_report(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    long seq = 0;
    time_t at = 0;
    assert_int_equal(report_read_mark(f->out, &seq, &at), 0);
    assert_int_equal(report_write(&o, f->out, &m, &err), 0);
    assert_int_equal(m.changes_by_kind[0], 6);
    report_model_free(&m);
    assert_int_equal(report_read_mark(f->out, &seq, &at), 1);
    assert_int_equal(seq, 6);
    assert_int_equal(at, NOW);
    review(f->mirror, "v7", BIZ, "2026-11-29T00:00:00.000Z", NULL, NULL, 4, "google", NULL, NULL,
           "new");
    o.now = NOW + 3600;
    assert_int_equal(report_write(&o, f->out, &m, &err), 0);
    assert_int_equal(m.changes_by_kind[0], 1);
    assert_string_equal(m.changes[0].id, "v7");
    report_model_free(&m);
    assert_int_equal(report_read_mark(f->out, &seq, &at), 1);
    assert_int_equal(seq, 7);
    assert_int_equal(at, NOW + 3600);
}

static void missing_databases_are_halves_left_out_and_garbage_is_an_error(void **state)
{
    struct fx *f = *state;
    struct report_options o = opts(f);
    struct report_model m;
    struct cp_error err = {0};
    char *nothing = unit_path(f->dir, "absent.sqlite");
    o.mirror_path = nothing;
    assert_int_equal(report_model_build(&o, &m, &err), 0);
    assert_true(m.has_ledger);
    assert_false(m.has_mirror);
    assert_int_equal(m.match_total.invited, 0);
    report_model_free(&m);
    char *junk = unit_write(f->dir, "junk.sqlite", "not a database at all, just text......", 38);
    o.mirror_path = junk;
    assert_int_equal(report_model_build(&o, &m, &err), -1);
    assert_non_null(strstr(err.msg, "mirror"));
    free(nothing);
    free(junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_runs_half_counts_the_ledger, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_rows_show_when_the_ledger_has_them, setup, teardown),
        cmocka_unit_test_setup_teardown(the_reviews_half_counts_the_mirror, setup, teardown),
        cmocka_unit_test_setup_teardown(invites_are_matched_to_later_reviews_by_email_or_phone,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_page_escapes_the_data_and_fetches_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(report_write_keeps_the_mark_of_the_last_report, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(missing_databases_are_halves_left_out_and_garbage_is_an_error,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
