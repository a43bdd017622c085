/*
 * The ledger: schema migrations from the first version on, intents and
 * outcomes, the resume and cooldown look-ups, watermarks, and the run lock.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/ledger.h"
#include "store/runlock.h"

static char dir[] = "/tmp/cloutly-ledger-XXXXXX";
static char path[256];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cloutly-ledger-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ledger.sqlite", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void contact(struct row_result *r, long row, const char *email, const char *phone)
{
    row_result_reset(r);
    r->input_row = row;
    strbuf_addstr(&r->email, email);
    strbuf_addstr(&r->phone, phone);
    strbuf_addstr(&r->first_name, "Ann");
    strbuf_addstr(&r->business_id, "44271176-7053-4534-ad6f-b38d132d341e");
}

static int user_version(const char *p)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_version_1_database_is_migrated_and_keeps_its_data(void **state)
{
    struct cp_error err = {0};
    struct ledger *l;
    struct ledger_prior pr;
    char value[64];
    (void)state;
    /* A ledger as the first release wrote it, with one attempt in it. */
    assert_int_equal(ledger_create_at_version(path, 1, &err), 0);
    assert_int_equal(user_version(path), 1);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO attempts(run_id, file_path, file_hash, input_row, "
                     "email, business_id, campaign_id, status, contact_id, created_at, "
                     "updated_at) VALUES ('r1', 'a.csv', 'h1', 7, 'old@example.com', "
                     "'b', 'c', 'sent', 'cid-1', 100, 100)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(ledger_open(path, 0, &l, &err), 0);
    assert_int_equal(user_version(path), LEDGER_SCHEMA_VERSION);
    assert_int_equal(ledger_file_row(l, "h1", 7, &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_string_equal(pr.contact_id, "cid-1");
    /* Version 2's table works. */
    assert_int_equal(ledger_watermark_get(l, "reviews", value, sizeof value, &err), 0);
    assert_int_equal(ledger_watermark_set(l, "reviews", "2026-11-01T00:00:00Z", &err), 0);
    assert_int_equal(ledger_watermark_get(l, "reviews", value, sizeof value, &err), 1);
    assert_string_equal(value, "2026-11-01T00:00:00Z");
    ledger_close(l);
}

static void test_a_newer_schema_is_refused(void **state)
{
    struct cp_error err = {0};
    struct ledger *l;
    sqlite3 *db;
    (void)state;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ledger_open(path, 0, &l, &err), -1);
    assert_non_null(strstr(err.msg, "newer than this cloutly-pipe"));
}

static void test_intent_then_outcome_and_the_lookups(void **state)
{
    struct cp_error err = {0};
    struct ledger *l;
    struct ledger_prior pr;
    struct row_result r;
    int64_t id1, id2;
    (void)state;
    row_result_init(&r);
    assert_int_equal(ledger_open(path, 0, &l, &err), 0);
    assert_int_equal(ledger_file_row(l, "hash-a", 2, &pr, &err), 0);

    contact(&r, 2, "ann@example.com", "+61412000001");
    assert_int_equal(ledger_intent(l, "run1", "a.csv", "hash-a", "camp", &r, &id1, &err), 0);
    /* Killed here: the intent alone is what the next run finds. */
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
    assert_int_equal(ledger_last_sms_left(l), 41);

    /* Cooldown: found from another file, by email or by phone; not from the same file,
     * not for another business, not before `since`. */
    contact(&r, 9, "BOB@example.com", "");
    assert_int_equal(ledger_recent_contact(l, "bob@example.com", "", strbuf_str(&r.business_id), 0,
                                           "hash-b", &pr, &err),
                     1);
    assert_string_equal(pr.status, "sent");
    assert_int_equal(ledger_recent_contact(l, "", "+61412000001", strbuf_str(&r.business_id), 0,
                                           "hash-b", &pr, &err),
                     1);
    assert_string_equal(pr.status, "in_doubt");
    assert_int_equal(ledger_recent_contact(l, "bob@example.com", "", strbuf_str(&r.business_id), 0,
                                           "hash-a", &pr, &err),
                     0);
    assert_int_equal(
        ledger_recent_contact(l, "bob@example.com", "", "other-business", 0, "hash-b", &pr, &err),
        0);
    assert_int_equal(ledger_recent_contact(l, "bob@example.com", "", strbuf_str(&r.business_id),
                                           time(NULL) + 3600, "hash-b", &pr, &err),
                     0);
    ledger_close(l);
    row_result_release(&r);
}

static void test_read_only_open_of_a_missing_ledger_creates_nothing(void **state)
{
    struct cp_error err = {0};
    struct ledger *l = (struct ledger *)1;
    struct stat st;
    (void)state;
    assert_int_equal(ledger_open(path, 1, &l, &err), 0);
    assert_null(l);
    assert_int_equal(stat(path, &st), -1);
}

static void test_run_lock_refuses_a_second_holder_and_names_it(void **state)
{
    struct cp_error err = {0};
    struct runlock a, b;
    (void)state;
    assert_int_equal(runlock_acquire(&a, path, "nightly", &err), 0);
    assert_int_equal(a.stale_pid, 0);
    /* flock is per open file description: a second open in this process conflicts too. */
    assert_int_equal(runlock_acquire(&b, path, "nightly", &err), -1);
    assert_non_null(strstr(err.msg, "another run of pipeline 'nightly' is in progress"));
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err.msg, pid));
    runlock_release(&a);
    assert_int_equal(runlock_acquire(&b, path, "nightly", &err), 0);
    assert_int_equal(b.stale_pid, 0); /* released cleanly: not stale */
    runlock_release(&b);
}

static void test_run_lock_left_by_a_dead_run_is_taken_over(void **state)
{
    struct cp_error err = {0};
    struct runlock a;
    char lock[300];
    (void)state;
    snprintf(lock, sizeof lock, "%s.lock", path);
    FILE *f = fopen(lock, "w");
    assert_non_null(f);
    fputs("424242 2026-11-25T03:00:00Z\n", f);
    fclose(f);
    assert_int_equal(runlock_acquire(&a, path, "nightly", &err), 0);
    assert_int_equal(a.stale_pid, 424242);
    runlock_release(&a);
}

/* Two cron jobs of a new account start in the same second: every process
 * creating the same new ledger at once opens it (none refused with "cannot
 * set WAL mode: database is locked"). Started together through a pipe, 20
 * rounds of 6 processes. */
static void test_processes_creating_one_new_ledger_at_once_all_open_it(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        char p[300];
        snprintf(p, sizeof p, "%s/new-%d.sqlite", dir, round);
        int go[2];
        assert_int_equal(pipe(go), 0);
        pid_t kids[6];
        for (int k = 0; k < 6; k++) {
            kids[k] = fork();
            assert_true(kids[k] >= 0);
            if (kids[k] == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) < 0)
                    _exit(3);
                struct ledger *l = NULL;
                struct cp_error err = {0};
                int rc = ledger_open(p, 0, &l, &err);
                if (rc < 0)
                    fprintf(stderr, "round %d: %s\n", round, err.msg);
                ledger_close(l);
                _exit(rc < 0 ? 1 : 0);
            }
        }
        close(go[0]);
        close(go[1]); /* EOF: all start */
        for (int k = 0; k < 6; k++) {
            int st = 0;
            assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
            assert_true(WIFEXITED(st));
            assert_int_equal(WEXITSTATUS(st), 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_1_database_is_migrated_and_keeps_its_data,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intent_then_outcome_and_the_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_open_of_a_missing_ledger_creates_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_lock_refuses_a_second_holder_and_names_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_lock_left_by_a_dead_run_is_taken_over, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_processes_creating_one_new_ledger_at_once_all_open_it,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
