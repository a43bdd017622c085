/*
 * The ledger's behaviour on either backend: run as it is, on an SQLite file
 * in a temp folder; run by tests/pg/with_db.py (ctest unit.pg.*), on the
 * PostgreSQL database CLOUTLY_TEST_PG_URL names. The same assertions hold
 * on both: intents and outcomes and the resume/cooldown look-ups, the
 * one-step claim (also under a real race of several processes), the
 * suppression list and erasure, watermarks and runs, deferred rows carried
 * to a later file, migrating an old
 * schema, and `ledger copy` SQLite -> backend -> SQLite without losing a
 * row or a cooldown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/ledger.h"
#include "store/ledger_health.h"
#include "unit_tmp.h"

#define BUSINESS "44271176-7053-4534-ad6f-b38d132d341e"

static char location[4096]; /* this test's ledger: a file or the URL */
static int on_pg;

/* A clean ledger for each test: a new file, or an emptied database. */
static int fresh(void **state)
{
    static int n;
    (void)state;
    const char *url = getenv("CLOUTLY_TEST_PG_URL");
    if (url && *url) {
        on_pg = 1;
        snprintf(location, sizeof location, "%s", url);
        PGconn *c = PQconnectdb(url);
        if (PQstatus(c) != CONNECTION_OK) {
            fprintf(stderr, "%s\n", PQerrorMessage(c));
            PQfinish(c);
            return -1;
        }
        PGresult *r = PQexec(
            c,
            "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        PQfinish(c);
        return ok ? 0 : -1;
    }
    snprintf(location, sizeof location, "%s/ledger-%d.sqlite", tmpdir, ++n);
    return 0;
}

static void contact(struct row_result *r, long row, const char *email, const char *phone)
{
    row_result_reset(r);
    r->input_row = row;
    strbuf_addstr(&r->email, email);
    strbuf_addstr(&r->phone, phone);
    strbuf_addstr(&r->first_name, "Ann");
    strbuf_addstr(&r->business_id, BUSINESS);
}

static struct ledger *open_rw(void)
{
    struct cp_error err = {0};
    struct ledger *l = NULL;
    if (ledger_open_at(location, NULL, 0, &l, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(ledger_is_pg(l), on_pg);
    return l;
}

static void test_intent_outcome_and_lookups(void **state)
{
    struct cp_error err = {0};
    struct ledger_prior pr;
    struct row_result r;
    int64_t id1, id2;
    (void)state;
    row_result_init(&r);
    struct ledger *l = open_rw();
    assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 0);
    contact(&r, 2, "ann@example.com", "+61412000001");
    assert_int_equal(ledger_intent(l, "run1", "a.csv", "hash-a", "camp", &r, &id1, &err), 0);
    assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 1);
    assert_string_equal(pr.status, "intent");
    assert_int_equal(ledger_mark_in_doubt(l, id1, &err), 0);
    assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 1);
    assert_string_equal(pr.status, "in_doubt");

    contact(&r, 3, "bob@example.com", "");
    assert_int_equal(ledger_intent(l, "run1", "a.csv", "hash-a", "camp", &r, &id2, &err), 0);
    assert_true(id2 > id1);
    strbuf_addstr(&r.contact_id, "cid-bob");
    r.http_status = 200;
    r.sms_left = 41;
    assert_int_equal(ledger_outcome(l, id2, "sent", &r, &err), 0);
    assert_int_equal(ledger_file_row(l, "hash-a", 3, &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_string_equal(pr.contact_id, "cid-bob");
    assert_int_equal(pr.http_status, 200);
    assert_int_equal(pr.sms_left, 41);
    assert_int_equal(ledger_last_sms_left(l), 41);

    assert_int_equal(
        ledger_recent_contact(l, "bob@example.com", "", BUSINESS, 0, "hash-b", &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_int_equal(ledger_recent_contact(l, "", "+61412000001", NULL, 0, "hash-b", &pr, &err), 1);
    assert_string_equal(pr.status, "in_doubt");
    assert_int_equal(
        ledger_recent_contact(l, "bob@example.com", "", BUSINESS, 0, "hash-a", &pr, &err), 0);
    assert_int_equal(
        ledger_recent_contact(l, "bob@example.com", "", "other", 0, "hash-b", &pr, &err), 0);
    assert_int_equal(ledger_recent_contact(l, "bob@example.com", "", BUSINESS, time(NULL) + 3600,
                                           "hash-b", &pr, &err),
                     0);

    long n;
    assert_int_equal(ledger_count_sends(l, BUSINESS, 0, time(NULL) + 10, &n, &err), 0);
    assert_int_equal(n, 2);
    struct ledger_file_summary sum;
    assert_int_equal(ledger_file_summary(l, "hash-a", "run2", &sum, &err), 0);
    assert_int_equal(sum.runs, 1);
    assert_int_equal(sum.sent, 1);
    assert_int_equal(sum.in_doubt, 1);
    ledger_close(l);
    row_result_release(&r);
}

static void test_claim_checks_and_intends_in_one_step(void **state)
{
    struct cp_error err = {0};
    struct ledger_prior pr;
    struct row_result r;
    int64_t id;
    (void)state;
    row_result_init(&r);
    struct ledger *l = open_rw();
    contact(&r, 2, "cat@example.com", "+61412000002");
    struct ledger_claim c = {.run_id = "run1",
                             .file_path = "a.csv",
                             .file_hash = "hash-a",
                             .campaign_id = "camp",
                             .body_hash = "body1",
                             .r = &r,
                             .cooldown_since = 1};
    assert_int_equal(ledger_claim(l, &c, &pr, &id, &err), LEDGER_CLAIMED);
    /* Another file, the same person: the cooldown, naming that attempt. */
    c.run_id = "run2";
    c.file_hash = "hash-b";
    assert_int_equal(ledger_claim(l, &c, &pr, &id, &err), LEDGER_COOLDOWN);
    assert_string_equal(pr.status, "intent");
    assert_string_equal(pr.body_hash, "body1");
    /* The same file's row by another run: taken. */
    c.file_hash = "hash-a";
    c.cooldown_since = 0;
    assert_int_equal(ledger_claim(l, &c, &pr, &id, &err), LEDGER_TAKEN);
    /* On the suppression list: suppressed, whatever else. */
    assert_int_equal(ledger_suppress_add(l, "phone", "+61412000002", "optouts.csv", &err), 1);
    assert_int_equal(ledger_suppress_add(l, "phone", "+61412000002", "optouts.csv", &err), 0);
    assert_int_equal(ledger_claim(l, &c, &pr, &id, &err), LEDGER_SUPPRESSED);
    assert_string_equal(pr.reason, "optouts.csv");
    ledger_close(l);
    row_result_release(&r);
}

/* N processes claim the same person at the same moment (released together
 * from a pipe): exactly one may send. */
static void test_racing_claims_give_one_claim(void **state)
{
    enum { N = 6 };
    int go[2], done[2];
    (void)state;
    ledger_close(open_rw()); /* the schema exists before the race */
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct cp_error err = {0};
            struct ledger *l = NULL;
            struct ledger_prior pr;
            struct row_result r;
            char run[16], hash[16], c;
            int64_t id;
            close(go[1]);
            row_result_init(&r);
            contact(&r, 2, "dan@example.com", "");
            snprintf(run, sizeof run, "run%d", i);
            snprintf(hash, sizeof hash, "hash-%d", i); /* each its own file: cooldown decides */
            struct ledger_claim cl = {.run_id = run,
                                      .file_path = "x.csv",
                                      .file_hash = hash,
                                      .campaign_id = "camp",
                                      .r = &r,
                                      .cooldown_since = 1};
            int rc = ledger_open_at(location, NULL, 0, &l, &err) == 0 &&
                             read(go[0], &c, 1) == 0 /* EOF: every child is released */
                         ? ledger_claim(l, &cl, &pr, &id, &err)
                         : -1;
            char out = rc == LEDGER_CLAIMED ? 'C' : rc == LEDGER_COOLDOWN ? 'W' : 'E';
            if (out == 'E')
                fprintf(stderr, "child %d: %s\n", i, err.msg);
            ssize_t w = write(done[1], &out, 1);
            ledger_close(l);
            row_result_release(&r);
            _exit(w == 1 ? 0 : 1);
        }
    }
    close(go[0]);
    close(done[1]);
    close(go[1]); /* release them all at once */
    int claimed = 0, waited = 0;
    char c;
    while (read(done[0], &c, 1) == 1) {
        claimed += c == 'C';
        waited += c == 'W';
    }
    close(done[0]);
    for (int i = 0; i < N; i++)
        wait(NULL);
    assert_int_equal(claimed, 1);
    assert_int_equal(waited, N - 1);
}

static void test_forget_erases_and_suppresses(void **state)
{
    struct cp_error err = {0};
    struct ledger_prior pr;
    struct row_result r;
    int64_t id;
    long n;
    (void)state;
    row_result_init(&r);
    struct ledger *l = open_rw();
    contact(&r, 2, "eve@example.com", "+61412000003");
    assert_int_equal(ledger_intent(l, "run1", "a.csv", "hash-a", "camp", &r, &id, &err), 0);
    assert_int_equal(ledger_outcome(l, id, "sent", &r, &err), 0);
    assert_int_equal(ledger_forget(l, "eve@example.com", NULL, 0, 1, &n, &err), 0);
    assert_int_equal(n, 1);
    /* The attempt stays, without her; her phone (from the erased attempt) is suppressed. */
    assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_string_equal(pr.reason, "personal data erased on request");
    assert_int_equal(ledger_suppressed(l, NULL, "+61412000003", &pr, &err), 1);
    assert_string_equal(pr.reason, "forget");
    assert_int_equal(ledger_suppressed(l, "eve@example.com", NULL, &pr, &err), 1);
    assert_int_equal(ledger_recent_contact(l, "eve@example.com", "", NULL, 0, "x", &pr, &err), 0);
    ledger_close(l);
    row_result_release(&r);
}

static void test_watermarks_and_runs(void **state)
{
    struct cp_error err = {0};
    char v[64];
    long n;
    (void)state;
    struct ledger *l = open_rw();
    assert_int_equal(ledger_watermark_get(l, "nightly", v, sizeof v, &err), 0);
    assert_int_equal(ledger_watermark_set(l, "nightly", "2026-11-01T00:00:00Z", &err), 0);
    assert_int_equal(ledger_watermark_set(l, "nightly", "2026-11-02T00:00:00Z", &err), 0);
    assert_int_equal(ledger_watermark_get(l, "nightly", v, sizeof v, &err), 1);
    assert_string_equal(v, "2026-11-02T00:00:00Z");
    assert_int_equal(ledger_run_begin(l, "run1", "nightly", "a.csv", "hash-a", &err), 0);
    assert_int_equal(ledger_run_end(l, "run1", 0, &err), 0);
    assert_int_equal(ledger_run_begin(l, "run2", "crm", "b.csv", "hash-b", &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct ledger_query q = {.pipeline = "nightly", .format = LEDGER_NDJSON};
    assert_int_equal(ledger_runs_report(l, &q, out, &n, &err), 0);
    fclose(out);
    assert_int_equal(n, 1);
    assert_non_null(strstr(buf, "\"pipeline\":\"nightly\""));
    assert_non_null(strstr(buf, "\"exit_code\":0"));
    assert_null(strstr(buf, "\"finished\":null"));
    free(buf);
    ledger_close(l);
}

/* An old schema (version 1, as the first release made it) is migrated on
 * open and keeps its rows. */
static void test_old_schema_is_migrated(void **state)
{
    struct cp_error err = {0};
    struct ledger_prior pr;
    (void)state;
    assert_int_equal(ledger_create_at_version(location, 1, &err), 0);
    struct ledger_health h;
    if (on_pg) {
        ledger_health_check_pg(location, NULL, &h);
        assert_int_equal(h.schema, 1);
        PGconn *c = PQconnectdb(location);
        PGresult *r = PQexec(c, "INSERT INTO attempts(run_id, file_path, file_hash, input_row, "
                                "email, business_id, campaign_id, status, created_at, updated_at) "
                                "VALUES ('old', 'a.csv', 'hash-a', 2, 'fay@example.com', 'b', "
                                "'c', 'sent', 1700000000, 1700000000)");
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
    }
    struct ledger *l = open_rw();
    if (on_pg) {
        ledger_health_check_pg(location, NULL, &h);
        assert_int_equal(h.schema, LEDGER_SCHEMA_VERSION);
        assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 1);
        assert_string_equal(pr.status, "sent");
        assert_int_equal(pr.at, 1700000000);
    }
    ledger_close(l);
}

static void copy(const char *from, const char *to, struct ledger_copy_counts *added)
{
    struct cp_error err = {0};
    struct ledger *a = NULL, *b = NULL;
    if (ledger_open_at(from, NULL, 1, &a, &err) < 0 || ledger_open_at(to, NULL, 0, &b, &err) < 0 ||
        ledger_copy(a, b, added, &err) < 0)
        fail_msg("%s", err.msg);
    ledger_close(a);
    ledger_close(b);
}

/* SQLite -> this backend -> a new SQLite file: every row, status and time
 * kept (the cooldown still answers), and a second copy adds nothing. */
static void test_copy_round_trip(void **state)
{
    struct cp_error err = {0};
    struct ledger_prior pr;
    struct ledger_copy_counts n;
    struct row_result r;
    int64_t id;
    char src[4200], back[4200];
    (void)state;
    row_result_init(&r);
    snprintf(src, sizeof src, "%s/copy-src.sqlite", tmpdir);
    snprintf(back, sizeof back, "%s/copy-back.sqlite", tmpdir);
    unlink(src);
    unlink(back);
    struct ledger *l = NULL;
    assert_int_equal(ledger_open(src, 0, &l, &err), 0);
    assert_int_equal(ledger_run_begin(l, "run1", "nightly", "a.csv", "hash-a", &err), 0);
    for (int i = 0; i < 5; i++) {
        char email[64];
        snprintf(email, sizeof email, "p%d@example.com", i);
        contact(&r, 2 + i, email, "");
        assert_int_equal(ledger_intent(l, "run1", "a.csv", "hash-a", "camp", &r, &id, &err), 0);
        if (i < 4) {
            r.http_status = i == 3 ? 400 : 200;
            assert_int_equal(ledger_outcome(l, id, i == 3 ? "failed" : "sent", &r, &err), 0);
        }
    }
    assert_int_equal(ledger_run_end(l, "run1", 1, &err), 0);
    assert_int_equal(ledger_watermark_set(l, "export", "2026-11-01T00:00:00Z", &err), 0);
    assert_int_equal(ledger_suppress_add(l, "email", "stop@example.com", "optouts.csv", &err), 1);
    long erased;
    assert_int_equal(ledger_forget(l, NULL, "+61400000000", 0, 0, &erased, &err), 0);
    ledger_close(l);

    if (on_pg) {
        copy(src, location, &n);
        assert_int_equal(n.runs, 1);
        assert_int_equal(n.attempts, 5);
        assert_int_equal(n.watermarks, 1);
        assert_int_equal(n.suppressions, 1);
        assert_int_equal(n.erasures, 1);
        copy(src, location, &n);
        assert_int_equal(n.runs + n.attempts + n.watermarks + n.suppressions + n.erasures, 0);
        copy(location, back, &n);
    } else {
        copy(src, back, &n);
    }
    assert_int_equal(n.attempts, 5);
    assert_int_equal(ledger_open(back, 0, &l, &err), 0);
    struct ledger_copy_counts held;
    assert_int_equal(ledger_counts(l, &held, &err), 0);
    assert_int_equal(held.runs, 1);
    assert_int_equal(held.attempts, 5);
    assert_int_equal(held.erasures, 1);
    /* Each attempt as it was: the cooldown and the resume still answer. */
    assert_int_equal(ledger_file_row(l, "hash-a", 5, &pr, &err), 1);
    assert_string_equal(pr.status, "failed");
    assert_int_equal(pr.http_status, 400);
    assert_int_equal(ledger_file_row(l, "hash-a", 6, &pr, &err), 1);
    assert_string_equal(pr.status, "intent");
    assert_int_equal(
        ledger_recent_contact(l, "p0@example.com", "", BUSINESS, 1, "hash-z", &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_int_equal(ledger_suppressed(l, "stop@example.com", NULL, &pr, &err), 1);
    ledger_close(l);
    row_result_release(&r);
}

/* A deferral that keeps its whole request is carried to a later run of the
 * pipeline reading another file, once; closing it stops the carrying. */
static void test_deferred_rows_are_carried_once(void **state)
{
    struct cp_error err = {0};
    struct row_result r, rows[4];
    struct ledger_carried from[4];
    int n;
    long count;
    (void)state;
    row_result_init(&r);
    for (int i = 0; i < 4; i++)
        row_result_init(&rows[i]);
    struct ledger *l = open_rw();
    assert_int_equal(ledger_run_begin(l, "run1", "nightly", "a.csv", "hash-a", &err), 0);
    contact(&r, 7, "gus@example.com", "+61412000007");
    strbuf_addstr(&r.last_name, "Grey");
    strbuf_addstr(&r.source_contact_id, "pos-7");
    strbuf_addstr(&r.timezone, "Australia/Sydney");
    assert_int_equal(ledger_defer_row(l, "run1", "a.csv", "hash-a", "camp", &r, 1000, &err), 0);
    assert_int_equal(ledger_flush_deferrals(l, &err), 0);
    assert_int_equal(ledger_deferred_count(l, "nightly", "hash-b", 2000, &count, &err), 0);
    assert_int_equal(count, 1);
    assert_int_equal(ledger_deferred_count(l, "nightly", "hash-b", 500, &count, &err), 0);
    assert_int_equal(count, 0); /* not due yet */
    assert_int_equal(ledger_deferred_count(l, "crm", "hash-b", 2000, &count, &err), 0);
    assert_int_equal(count, 0); /* another pipeline's */
    assert_int_equal(ledger_deferred_due(l, "nightly", "hash-b", 2000, 0, rows, from, 4, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(strbuf_str(&rows[0].last_name), "Grey");
    assert_string_equal(strbuf_str(&rows[0].source_contact_id), "pos-7");
    assert_string_equal(strbuf_str(&rows[0].timezone), "Australia/Sydney");
    assert_string_equal(from[0].file_hash, "hash-a");
    assert_int_equal(rows[0].input_row, 7);
    assert_int_equal(ledger_carry_close(l, "run2", &from[0], &r, &err), 0);
    assert_int_equal(ledger_deferred_due(l, "nightly", "hash-b", 2000, 0, rows, from, 4, &n, &err),
                     0);
    assert_int_equal(n, 0);
    ledger_close(l);
    for (int i = 0; i < 4; i++)
        row_result_release(&rows[i]);
    row_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_intent_outcome_and_lookups, fresh),
        cmocka_unit_test_setup(test_claim_checks_and_intends_in_one_step, fresh),
        cmocka_unit_test_setup(test_racing_claims_give_one_claim, fresh),
        cmocka_unit_test_setup(test_forget_erases_and_suppresses, fresh),
        cmocka_unit_test_setup(test_watermarks_and_runs, fresh),
        cmocka_unit_test_setup(test_old_schema_is_migrated, fresh),
        cmocka_unit_test_setup(test_copy_round_trip, fresh),
        cmocka_unit_test_setup(test_deferred_rows_are_carried_once, fresh),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, unit_teardown_tmpdir);
}
