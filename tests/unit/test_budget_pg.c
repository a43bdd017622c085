/*
 * The account's rate budget in PostgreSQL (store/budget_pg.c), against the
 * real test server (CLOUTLY_TEST_PG_URL, set by tests/pg/with_db.py; the
 * plain unit run without it skips). What must hold:
 *   - slots are booked ahead on one grid, one interval apart, whichever
 *     connection asks, and accounts never share a grid;
 *   - N processes booking at once get N distinct slots no closer than the
 *     interval (the upsert is atomic: a lost update would hand two of them
 *     one slot), asserted on the server's own clock;
 *   - a 429 pauses and slows every connection; successes bring it back;
 *   - the lowest rate among live askers rules;
 *   - a connection the server dropped is reset and the next booking works;
 *   - an unreachable database is an error that names no password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/budget.h"
#include "store/budget_pg.h"

#define NPROC    4
#define PER_PROC 25

static const char *url(void)
{
    return getenv("CLOUTLY_TEST_PG_URL");
}

static struct budget_pg *open_or_fail(const char *account)
{
    struct cp_error err = {0};
    struct budget_pg *b = budget_pg_open(url(), NULL, account, &err);
    if (!b)
        fail_msg("budget_pg_open: %s", err.msg);
    return b;
}

static int skip_without_server(void)
{
    if (url())
        return 0;
    skip();
    return 1;
}

static void test_slots_on_one_grid_across_connections(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct budget_pg *a = open_or_fail("grid"), *b = open_or_fail("grid");
    double prev = 0, slot = 0;
    for (int i = 0; i < 10; i++) {
        double w = budget_pg_book(i % 2 ? b : a, 0.5, &slot);
        assert_true(w >= 0);
        if (i == 0)
            assert_true(w < 0.05); /* a fresh budget: go now */
        else
            assert_true(fabs(slot - prev - 0.5) < 1e-6);
        prev = slot;
    }
    /* Booked 4.5 s ahead within a few milliseconds: the last waits ~4.5 s. */
    assert_true(budget_pg_acquire(a, 0.5) > 4.0);
    /* Another account is not behind this one. */
    struct budget_pg *other = open_or_fail("other-account");
    assert_true(budget_pg_acquire(other, 0.5) < 0.05);
    budget_pg_close(other);
    budget_pg_close(a);
    budget_pg_close(b);
}

/* NPROC processes, each with its own connection, book PER_PROC slots as
 * fast as they can, and send each slot's time (server clock) to the parent. */
static void test_processes_at_once_never_share_or_crowd_a_slot(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    const double interval = 0.01;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kids[NPROC];
    for (int k = 0; k < NPROC; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(fds[0]);
            struct cp_error err = {0};
            struct budget_pg *b = budget_pg_open(url(), NULL, "crowd", &err);
            if (!b)
                _exit(3);
            for (int i = 0; i < PER_PROC; i++) {
                double slot = 0;
                if (budget_pg_book(b, interval, &slot) < 0 ||
                    write(fds[1], &slot, sizeof slot) != (ssize_t)sizeof slot)
                    _exit(4);
            }
            budget_pg_close(b);
            _exit(0);
        }
    }
    close(fds[1]);
    double slots[NPROC * PER_PROC];
    size_t n = 0;
    while (n < NPROC * PER_PROC && read(fds[0], &slots[n], sizeof slots[n]) == sizeof slots[n])
        n++;
    close(fds[0]);
    for (int k = 0; k < NPROC; k++) {
        int st = 0;
        waitpid(kids[k], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(n, NPROC * PER_PROC);
    for (size_t i = 1; i < n; i++) /* insertion sort: 100 values */
        for (size_t j = i; j > 0 && slots[j] < slots[j - 1]; j--) {
            double t = slots[j];
            slots[j] = slots[j - 1];
            slots[j - 1] = t;
        }
    double tightest = 1e9;
    for (size_t i = 1; i < n; i++)
        if (slots[i] - slots[i - 1] < tightest)
            tightest = slots[i] - slots[i - 1];
    double span = slots[n - 1] - slots[0];
    printf("budget_pg: %zu slots from %d processes, tightest gap %.6f s (interval %.3f), "
           "rate %.1f/s of %.1f/s\n",
           n, NPROC, tightest, interval, (double)(n - 1) / span, 1.0 / interval);
    assert_true(tightest >= interval - 1e-6);
    assert_true(span >= (double)(n - 1) * (interval - 1e-6));
}

static void test_429_pauses_and_slows_everyone(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct budget_pg *a = open_or_fail("pause"), *b = open_or_fail("pause");
    assert_true(budget_pg_acquire(a, 0.1) < 0.05);
    budget_pg_backoff(a, 2.0);
    double w = budget_pg_acquire(b, 0.1);
    assert_true(w > 1.5 && w <= 2.0);
    assert_true(fabs(budget_pg_slowdown(b) - 1.1) < 1e-9);
    /* Ten successes recover 0.1: they go with the next booking. */
    for (int i = 0; i < 10; i++)
        budget_pg_success(a);
    assert_true(fabs(budget_pg_slowdown(a) - 1.0) < 1e-9);
    assert_true(budget_pg_acquire(a, 0.1) >= 0);
    assert_true(fabs(budget_pg_slowdown(b) - 1.0) < 1e-9);
    budget_pg_close(a);
    budget_pg_close(b);
}

static void test_lowest_rate_rules(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct budget_pg *slow = open_or_fail("mixed"), *fast = open_or_fail("mixed");
    double s0 = 0, s1 = 0, s2 = 0;
    assert_true(budget_pg_book(slow, 1.0, &s0) >= 0);
    assert_true(budget_pg_book(fast, 0.1, &s1) >= 0);
    assert_true(budget_pg_book(fast, 0.1, &s2) >= 0);
    assert_true(fabs(s1 - s0 - 1.0) < 1e-6);
    assert_true(fabs(s2 - s1 - 1.0) < 1e-6); /* the slow one's claim still stands */
    budget_pg_close(slow);
    budget_pg_close(fast);
}

static void test_dropped_connection_is_reset(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct budget_pg *b = open_or_fail("reset");
    assert_true(budget_pg_acquire(b, 0.01) >= 0);
    PGconn *admin = PQconnectdb(url());
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    /* Every other session of this database: as a server restart would. */
    PGresult *r = PQexec(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(strtol(PQgetvalue(r, 0, 0), NULL, 10) >= 1);
    PQclear(r);
    PQfinish(admin);
    assert_true(budget_pg_acquire(b, 0.01) >= 0);
    budget_pg_close(b);
}

static void test_unreachable_names_no_password(void **state)
{
    (void)state;
    struct cp_error err = {0};
    struct budget *b = budget_open_pg("postgresql://cp:Pw-Secret-991@/db?host=/nonexistent/sock",
                                      NULL, "acct", &err);
    assert_null(b);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_null(strstr(err.msg, "Pw-Secret-991"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_on_one_grid_across_connections),
        cmocka_unit_test(test_processes_at_once_never_share_or_crowd_a_slot),
        cmocka_unit_test(test_429_pauses_and_slows_everyone),
        cmocka_unit_test(test_lowest_rate_rules),
        cmocka_unit_test(test_dropped_connection_is_reset),
        cmocka_unit_test(test_unreachable_names_no_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
