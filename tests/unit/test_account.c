/*
 * The account's shared state, below the binary: the rate budget that every
 * process of an account books its requests from (two handles on one file
 * stand for two processes), and the ledger's one-step claim (suppression,
 * cooldown and intent in one transaction) through two connections to one
 * ledger, as two pipelines would hold them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#include "store/budget.h"
#include "store/ledger.h"
#include "unit_tmp.h"

#define BIZ "44271176-7053-4534-ad6f-b38d132d341e"
#define OTHER_BIZ "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5"
#define EPS 1e-9

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = unit_tmpdir();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unit_rmtree(dir);
    free(dir);
    return 0;
}

static void test_two_processes_book_one_grid_in_the_order_they_ask(void **state)
{
    struct cp_error err = {0};
    (void)state;
    char *p = unit_path(dir, "acct.budget");
    struct budget *a = budget_open(p, &err), *b = budget_open(p, &err);
    assert_non_null(a);
    assert_non_null(b);
    double t = 1000.0, step = 0.05;
    assert_true(fabs(budget_acquire(a, t, step)) < EPS);          /* a: now */
    assert_true(fabs(budget_acquire(b, t, step) - step) < EPS);   /* b: the next slot */
    assert_true(fabs(budget_acquire(a, t, step) - 2 * step) < EPS);
    /* 100 requests alternating between the two never come closer than a slot. */
    double last = t + 2 * step;
    for (int i = 0; i < 100; i++) {
        double now = last, w = budget_acquire(i % 2 ? a : b, now, step);
        assert_true(w >= 0);
        assert_true(now + w - last >= step - EPS);
        last = now + w;
    }
    budget_close(a);
    budget_close(b);
    free(p);
}

static void test_a_429_seen_by_one_pauses_and_slows_the_other(void **state)
{
    struct cp_error err = {0};
    (void)state;
    char *p = unit_path(dir, "slow.budget");
    struct budget *a = budget_open(p, &err), *b = budget_open(p, &err);
    double t = 500.0, step = 0.1;
    assert_true(budget_acquire(a, t, step) == 0);
    budget_backoff(a, t, 2.0);
    assert_true(fabs(budget_slowdown(b) - 1.1) < 1e-6);
    /* b's next slot waits for the pause, then comes 10% further apart. */
    double w1 = budget_acquire(b, t + 0.5, step);
    assert_true(fabs(w1 - 1.5) < 1e-6);
    double w2 = budget_acquire(b, t + 0.5, step);
    assert_true(fabs(w2 - w1 - step * 1.1) < 1e-6);
    budget_success(b);
    assert_true(fabs(budget_slowdown(a) - 1.09) < 1e-6);
    budget_close(a);
    budget_close(b);
    free(p);
}

static void test_the_lowest_rate_of_the_live_processes_rules(void **state)
{
    struct cp_error err = {0};
    (void)state;
    char *p = unit_path(dir, "mixed.budget");
    struct budget *fast = budget_open(p, &err), *slow = budget_open(p, &err);
    double t = 100.0;
    assert_true(budget_acquire(slow, t, 1.0) == 0);
    /* While the slow one (1/s) takes slots, the fast one (10/s) gets 1 s slots too. */
    assert_true(fabs(budget_acquire(fast, t, 0.1) - 1.0) < EPS);
    /* Long after the slow one stopped asking, the fast one's own rate is back. */
    double later = t + 10.0;
    assert_true(budget_acquire(fast, later, 0.1) == 0);
    assert_true(fabs(budget_acquire(fast, later, 0.1) - 0.1) < EPS);
    budget_close(fast);
    budget_close(slow);
    free(p);
}

static void test_values_from_before_a_reboot_are_dropped(void **state)
{
    struct cp_error err = {0};
    (void)state;
    char *p = unit_path(dir, "boot.budget");
    struct budget *b = budget_open(p, &err);
    /* Booked far ahead on the old clock... */
    assert_true(budget_acquire(b, 90000.0, 0.1) == 0);
    /* ...then the monotonic clock restarts near zero: no hour-long wait. */
    assert_true(budget_acquire(b, 5.0, 0.1) == 0);
    budget_close(b);
    free(p);
}

static void row(struct row_result *r, long input_row, const char *email, const char *biz)
{
    row_result_reset(r);
    r->input_row = input_row;
    strbuf_addstr(&r->email, email);
    strbuf_addstr(&r->first_name, "Ann");
    strbuf_addstr(&r->business_id, biz);
}

static struct ledger_claim claim_of(const char *run, const char *file, const struct row_result *r)
{
    struct ledger_claim c = {.run_id = run, .file_path = file, .file_hash = file,
                             .campaign_id = "camp", .body_hash = "h", .r = r,
                             .cooldown_since = time(NULL) - 90 * 86400};
    return c;
}

static void test_the_claim_is_cooldown_and_intent_in_one_step(void **state)
{
    struct cp_error err = {0};
    struct ledger *a, *b;
    struct ledger_prior pr;
    struct row_result r;
    int64_t id = 0;
    (void)state;
    char *p = unit_path(dir, "claim.sqlite");
    assert_int_equal(ledger_open(p, 0, &a, &err), 0);
    assert_int_equal(ledger_open(p, 0, &b, &err), 0);
    row_result_init(&r);
    row(&r, 2, "ann@example.com", BIZ);
    struct ledger_claim ca = claim_of("run-a", "file-a", &r);
    assert_int_equal(ledger_claim(a, &ca, &pr, &id, &err), LEDGER_CLAIMED);
    assert_true(id > 0);
    /* The other pipeline, another file, the same person a moment later: the
     * intent alone (no outcome yet) already blocks it. */
    struct ledger_claim cb = claim_of("run-b", "file-b", &r);
    int64_t id2 = 0;
    assert_int_equal(ledger_claim(b, &cb, &pr, &id2, &err), LEDGER_COOLDOWN);
    assert_string_equal(pr.status, "intent");
    assert_int_equal(id2, 0);
    /* Another business is another cooldown, unless the scope is the account. */
    row(&r, 3, "ann@example.com", OTHER_BIZ);
    cb = claim_of("run-b", "file-b", &r);
    cb.cooldown_account = 1;
    assert_int_equal(ledger_claim(b, &cb, &pr, &id2, &err), LEDGER_COOLDOWN);
    cb.cooldown_account = 0;
    assert_int_equal(ledger_claim(b, &cb, &pr, &id2, &err), LEDGER_CLAIMED);
    /* The same file's row claimed by another run meanwhile is taken. */
    row(&r, 2, "ann@example.com", BIZ);
    struct ledger_claim same = claim_of("run-c", "file-a", &r);
    same.cooldown_since = 0;
    assert_int_equal(ledger_claim(b, &same, &pr, &id2, &err), LEDGER_TAKEN);
    /* The suppression list wins over everything and says since when. */
    assert_int_equal(ledger_suppress_add(a, "email", "bob@example.com", "optouts.csv", &err), 1);
    assert_int_equal(ledger_suppress_add(a, "email", "bob@example.com", "optouts.csv", &err), 0);
    row(&r, 9, "bob@example.com", BIZ);
    cb = claim_of("run-b", "file-b", &r);
    assert_int_equal(ledger_claim(b, &cb, &pr, &id2, &err), LEDGER_SUPPRESSED);
    assert_string_equal(pr.reason, "optouts.csv");
    assert_true(pr.at > 0);
    row_result_release(&r);
    ledger_close(a);
    ledger_close(b);
    free(p);
}

static void test_forget_erases_the_person_and_suppress_keeps_them_out(void **state)
{
    struct cp_error err = {0};
    struct ledger *l;
    struct ledger_prior pr;
    struct row_result r;
    int64_t id;
    long n;
    (void)state;
    char *p = unit_path(dir, "forget.sqlite");
    assert_int_equal(ledger_open(p, 0, &l, &err), 0);
    row_result_init(&r);
    row(&r, 2, "cat@example.com", BIZ);
    struct ledger_claim c = claim_of("run-a", "file-a", &r);
    assert_int_equal(ledger_claim(l, &c, &pr, &id, &err), LEDGER_CLAIMED);
    assert_int_equal(ledger_outcome(l, id, "sent", &r, &err), 0);
    assert_int_equal(ledger_forget(l, "cat@example.com", NULL, 0, 1, &n, &err), 0);
    assert_int_equal(n, 1);
    /* The attempt stays (resume still knows row 2 was sent), without the person. */
    assert_int_equal(ledger_file_row(l, "file-a", 2, &pr, &err), 1);
    assert_string_equal(pr.status, "sent");
    assert_int_equal(ledger_recent_contact(l, "cat@example.com", NULL, NULL, 0, "x", &pr, &err), 0);
    assert_int_equal(ledger_suppressed(l, "cat@example.com", NULL, &pr, &err), 1);
    row_result_release(&r);
    ledger_close(l);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_processes_book_one_grid_in_the_order_they_ask),
        cmocka_unit_test(test_a_429_seen_by_one_pauses_and_slows_the_other),
        cmocka_unit_test(test_the_lowest_rate_of_the_live_processes_rules),
        cmocka_unit_test(test_values_from_before_a_reboot_are_dropped),
        cmocka_unit_test(test_the_claim_is_cooldown_and_intent_in_one_step),
        cmocka_unit_test(test_forget_erases_the_person_and_suppress_keeps_them_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
