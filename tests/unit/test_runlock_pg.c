/*
 * Run locks in PostgreSQL (store/runlock_pg.c) against the real test server
 * (CLOUTLY_TEST_PG_URL; the plain unit run without it skips):
 *   - a second take of the same lock is refused, naming the holder's
 *     pipeline, pid, host and start; another id or account proceeds;
 *   - a holder killed without releasing (its session ends with it) leaves
 *     the lock free, and the next taker learns it did not finish;
 *   - a clean release leaves no such mark;
 *   - --wait-lock waits for a holder that ends;
 *   - an unreachable database refuses with exit 2 and no password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/runlock.h"

static struct runlock_spec spec_for(const char *account, const char *id, double wait)
{
    return (struct runlock_spec){.dir = "/nonexistent/not-used-with-a-url",
                                 .kind = "pipeline",
                                 .id = id,
                                 .pipeline = id,
                                 .what = "another run of this pipeline is in progress",
                                 .wait = wait,
                                 .url = getenv("CLOUTLY_TEST_PG_URL"),
                                 .account = account};
}

static int skip_without_server(void)
{
    if (getenv("CLOUTLY_TEST_PG_URL"))
        return 0;
    skip();
    return 1;
}

static void take_or_fail(struct runlock *lk, const struct runlock_spec *spec)
{
    struct cp_error err = {0};
    if (runlock_take(lk, spec, &err) < 0)
        fail_msg("runlock_take: %s", err.msg);
}

static void test_second_take_is_refused_naming_the_holder(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct runlock a, b, c, d;
    struct runlock_spec s = spec_for("acct1", "nightly", 0);
    take_or_fail(&a, &s);
    assert_int_equal(a.stale_pid, 0);
    struct cp_error err = {0};
    assert_int_equal(runlock_take(&b, &s, &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    char want[64];
    snprintf(want, sizeof want, "pid %ld on host ", (long)getpid());
    assert_non_null(strstr(err.msg, "another run of this pipeline is in progress"));
    assert_non_null(strstr(err.msg, "pipeline 'nightly'"));
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "started 20"));
    /* Another pipeline, or the same name in another account, goes ahead. */
    struct runlock_spec other = spec_for("acct1", "campaign", 0);
    take_or_fail(&c, &other);
    struct runlock_spec elsewhere = spec_for("acct2", "nightly", 0);
    take_or_fail(&d, &elsewhere);
    runlock_release(&d);
    runlock_release(&c);
    runlock_release(&a);
    /* Released cleanly: free, and not reported as a run that died. */
    take_or_fail(&b, &s);
    assert_int_equal(b.stale_pid, 0);
    runlock_release(&b);
}

static void test_killed_holder_frees_the_lock(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct runlock_spec s = spec_for("acct1", "killed", 0);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct runlock lk;
        struct cp_error err = {0};
        if (runlock_take(&lk, &s, &err) < 0)
            _exit(3);
        (void)!write(ready[1], "x", 1);
        pause(); /* until kill -9 */
        _exit(0);
    }
    char x;
    assert_int_equal(read(ready[0], &x, 1), 1);
    struct runlock lk;
    struct cp_error err = {0};
    assert_int_equal(runlock_take(&lk, &s, &err), -1); /* held while it lives */
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    /* The server notices the closed socket at once; give --wait-lock room
     * for it rather than assuming when. */
    s.wait = 30;
    take_or_fail(&lk, &s);
    assert_int_equal(lk.stale_pid, kid);
    runlock_release(&lk);
    close(ready[0]);
    close(ready[1]);
}

static void test_wait_lock_waits_for_the_holder(void **state)
{
    (void)state;
    if (skip_without_server())
        return;
    struct runlock_spec s = spec_for("acct1", "waited", 0);
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct runlock lk;
        struct cp_error err = {0};
        char y;
        if (runlock_take(&lk, &s, &err) < 0)
            _exit(3);
        (void)!write(ready[1], "x", 1);
        (void)!read(go[0], &y, 1);
        usleep(300 * 1000); /* so that the parent is (most likely) waiting by then */
        runlock_release(&lk);
        _exit(0);
    }
    char x;
    assert_int_equal(read(ready[0], &x, 1), 1);
    struct runlock lk;
    struct cp_error err = {0};
    assert_int_equal(runlock_take(&lk, &s, &err), -1); /* held: refused at once */
    /* The holder lets go when told; tell it, and wait up to 30 s for it. */
    (void)!write(go[1], "y", 1);
    s.wait = 30;
    take_or_fail(&lk, &s);
    assert_int_equal(lk.stale_pid, 0); /* it finished cleanly */
    runlock_release(&lk);
    int st = 0;
    waitpid(kid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_unreachable_database(void **state)
{
    (void)state;
    struct runlock_spec s = spec_for("acct1", "x", 0);
    s.url = "postgresql://cp:Lock-Secret-4471@/db?host=/nonexistent/sock";
    struct runlock lk;
    struct cp_error err = {0};
    assert_int_equal(runlock_take(&lk, &s, &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_null(strstr(err.msg, "Lock-Secret-4471"));
    assert_null(lk.pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_take_is_refused_naming_the_holder),
        cmocka_unit_test(test_killed_holder_frees_the_lock),
        cmocka_unit_test(test_wait_lock_waits_for_the_holder),
        cmocka_unit_test(test_unreachable_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
