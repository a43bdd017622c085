/*
 * Pacing (ratelimit.h), as pure arithmetic on explicit `now` values.
 *
 * Proves: requests are spaced evenly 1% under the configured rate (100/min
 * -> one every 0.606 s); taking at exactly the allowed times achieves
 * 98.5-99.5% of the configured rate and never puts more than the configured
 * count in any sliding 60 s window; a wake-up a few ms late keeps the grid
 * (no drift); idle time is no credit for a burst; a 429 pauses until
 * now + pause and widens the spacing by 10% per 429 (capped at 4x); successes
 * bring the spacing back to the configured rate and never below it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "api/ratelimit.h"

#define EPS 1e-9

/* cmocka 1.1's assert_float_equal compares floats (and casts unparenthesised
 * arguments): too coarse for times like 12345.606. Doubles, with the values. */
#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __FILE__, __LINE__)

static void near_(double a, double b, double eps, const char *what, const char *file, int line)
{
    if (!(a - b <= eps && b - a <= eps)) {
        print_error("%s = %.12g, want %.12g (+/- %g) at %s:%d\n", what, a, b, eps, file, line);
        _fail(file, line);
    }
}

static void test_interval_is_one_percent_wide(void **state)
{
    (void)state;
    static const struct {
        double rate_per_sec, interval;
    } cases[] = {
        {100 / 60.0, 0.606},
        {200 / 60.0, 0.303},
        {10.0, 0.101},
        {1.0, 1.01},
        {1 / 60.0, 60.6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ratelimit rl;
        ratelimit_init(&rl, cases[i].rate_per_sec, 1000.0);
        assert_near(rl.interval, cases[i].interval, EPS);
        assert_near(rl.slowdown, 1.0, 0);
        /* The first request may go at once, the second one interval later. */
        assert_near(ratelimit_wait(&rl, 1000.0), 0.0, 0);
        ratelimit_take(&rl, 1000.0);
        assert_near(ratelimit_wait(&rl, 1000.0), cases[i].interval, EPS);
        assert_near(ratelimit_wait(&rl, 1000.0 + cases[i].interval / 2),
                           cases[i].interval / 2, EPS);
        assert_near(ratelimit_wait(&rl, 1000.0 + cases[i].interval), 0.0, EPS);
        assert_near(ratelimit_wait(&rl, 1000.0 + 5 * cases[i].interval), 0.0, 0);
    }
}

#define N_TAKES 1000

/* Take N_TAKES requests, each at the first moment it is allowed (plus `late`
 * seconds); the start times go to `t`. */
static void take_all(struct ratelimit *rl, double start, double late, double *t)
{
    double now = start;
    for (int i = 0; i < N_TAKES; i++) {
        now += ratelimit_wait(rl, now);
        if (i)
            now += late;
        assert_near(ratelimit_wait(rl, now), 0.0, 0);
        t[i] = now;
        ratelimit_take(rl, now);
    }
}

/* The most start times in any closed window [t_i, t_i + width]. */
static int max_in_window(const double *t, int n, double width)
{
    int best = 0;
    for (int i = 0, j = 0; i < n; i++) {
        if (j < i)
            j = i;
        while (j < n && t[j] <= t[i] + width)
            j++;
        if (j - i > best)
            best = j - i;
    }
    return best;
}

static const double per_minute[] = {100, 200, 60, 600, 30};

static void test_achieved_rate_and_window(void **state)
{
    (void)state;
    static double t[N_TAKES];
    for (size_t k = 0; k < sizeof per_minute / sizeof *per_minute; k++) {
        double rate = per_minute[k] / 60.0;
        struct ratelimit rl;
        ratelimit_init(&rl, rate, 12345.0);
        take_all(&rl, 12345.0, 0.0, t);
        double achieved = (N_TAKES - 1) / (t[N_TAKES - 1] - t[0]);
        if (achieved < 0.985 * rate || achieved > 0.995 * rate)
            fail_msg("%g/min: achieved %.4f/s, configured %.4f/s (ratio %.4f)", per_minute[k],
                     achieved, rate, achieved / rate);
        /* Evenly: every gap is the interval. */
        for (int i = 1; i < N_TAKES; i++)
            assert_near(t[i] - t[i - 1], rl.interval, 1e-6);
        int most = max_in_window(t, N_TAKES, 60.0);
        if (most > (int)per_minute[k])
            fail_msg("%g/min: %d requests in one 60 s window", per_minute[k], most);
        /* ... and the window is nearly full: the margin is 1%, not more. */
        assert_true(most >= (int)(per_minute[k] * 0.98));
    }
}

/* Wake-ups a few ms late keep to the grid: the k-th request is booked at
 * start + k * interval, not start + k * (interval + late). */
static void test_late_wakeups_do_not_drift(void **state)
{
    (void)state;
    static double t[N_TAKES];
    static const double lates[] = {0.001, 0.004, 0.020};
    for (size_t k = 0; k < sizeof lates / sizeof *lates; k++) {
        struct ratelimit rl;
        ratelimit_init(&rl, 100 / 60.0, 0.0);
        take_all(&rl, 0.0, lates[k], t);
        assert_near(rl.next, N_TAKES * 0.606, 1e-6);
        for (int i = 1; i < N_TAKES; i++)
            assert_near(t[i], i * 0.606 + lates[k], 1e-6);
        double achieved = (N_TAKES - 1) / (t[N_TAKES - 1] - t[0]);
        assert_true(achieved > 0.985 * (100 / 60.0));
        assert_true(achieved < 0.995 * (100 / 60.0));
        assert_true(max_in_window(t, N_TAKES, 60.0) <= 100);
    }
}

/* After an idle spell the grid restarts at now: the next two requests are
 * still an interval apart. */
static void test_no_burst_after_idle(void **state)
{
    (void)state;
    static const double gaps[] = {0.606 * 1.5, 10.0, 3600.0};
    for (size_t k = 0; k < sizeof gaps / sizeof *gaps; k++) {
        struct ratelimit rl;
        ratelimit_init(&rl, 100 / 60.0, 0.0);
        for (int i = 0; i < 5; i++)
            ratelimit_take(&rl, i * 0.606);
        double now = rl.next + gaps[k];
        assert_near(ratelimit_wait(&rl, now), 0.0, 0);
        ratelimit_take(&rl, now);
        assert_near(ratelimit_wait(&rl, now), 0.606, EPS);
        assert_near(rl.next, now + 0.606, EPS);
        now = rl.next;
        ratelimit_take(&rl, now);
        assert_near(ratelimit_wait(&rl, now), 0.606, EPS);
    }
}

static void test_backoff_pauses_and_slows(void **state)
{
    (void)state;
    struct ratelimit rl;
    ratelimit_init(&rl, 100 / 60.0, 0.0);
    ratelimit_take(&rl, 0.0);
    ratelimit_backoff(&rl, 0.1, 2.0);
    /* Nothing before now + pause. */
    assert_near(ratelimit_wait(&rl, 0.1), 2.0, EPS);
    assert_near(ratelimit_wait(&rl, 2.0), 0.1, EPS);
    assert_near(ratelimit_wait(&rl, 2.1), 0.0, EPS);
    assert_near(rl.slowdown, 1.1, EPS);
    /* Then 10% wider spacing. */
    ratelimit_take(&rl, 2.1);
    assert_near(ratelimit_wait(&rl, 2.1), 0.606 * 1.1, EPS);

    /* A pause shorter than what the grid already asks moves nothing. */
    double next = rl.next;
    ratelimit_backoff(&rl, 2.1, 0.1);
    assert_near(rl.next, next, 0);
    assert_near(rl.slowdown, 1.21, EPS);

    /* A zero pause: the grid stands, only the speed drops. */
    ratelimit_backoff(&rl, 2.1, 0.0);
    assert_near(rl.next, next, 0);
    assert_near(rl.slowdown, 1.331, EPS);

    /* Capped at 4x. */
    for (int i = 0; i < 100; i++)
        ratelimit_backoff(&rl, 2.1, 0.0);
    assert_near(rl.slowdown, 4.0, 0);
    double before = rl.next;
    ratelimit_take(&rl, before);
    assert_near(rl.next - before, 4 * 0.606, 1e-9);
}

static void test_success_recovers_to_configured(void **state)
{
    (void)state;
    struct ratelimit rl;
    ratelimit_init(&rl, 100 / 60.0, 0.0);
    /* Already at full speed: successes do not speed past it. */
    for (int i = 0; i < 50; i++)
        ratelimit_success(&rl);
    assert_near(rl.slowdown, 1.0, 0);

    ratelimit_backoff(&rl, 0.0, 0.0); /* 1.1 */
    ratelimit_success(&rl);
    assert_near(rl.slowdown, 1.09, EPS);
    for (int i = 0; i < 7; i++)
        ratelimit_success(&rl);
    assert_true(rl.slowdown > 1.0);
    for (int i = 0; i < 100; i++) {
        ratelimit_success(&rl);
        assert_true(rl.slowdown >= 1.0);
    }
    assert_near(rl.slowdown, 1.0, 0);
    /* Back to the configured spacing. */
    ratelimit_take(&rl, 100.0);
    assert_near(ratelimit_wait(&rl, 100.0), 0.606, EPS);

    /* From the 4x cap, recovery is gradual: 300 successes. */
    for (int i = 0; i < 100; i++)
        ratelimit_backoff(&rl, 0.0, 0.0);
    for (int i = 0; i < 299; i++)
        ratelimit_success(&rl);
    assert_true(rl.slowdown > 1.0);
    ratelimit_success(&rl);
    ratelimit_success(&rl);
    assert_near(rl.slowdown, 1.0, 0);
}

/* One late wake-up, all others on time: no 60 s window may hold more than
 * the configured count (SPEC 5: never one request too many). */
static void test_ratelimit_late_wakeup_never_overfills_window(void **state)
{
    (void)state;
    static const struct {
        double per_min, late;
    } cases[] = {{10, 1.0}, {10, 5.0}, {100, 0.603}, {30, 1.5}, {100, 0.3}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        struct ratelimit rl;
        double t[300];
        int n = (int)cases[k].per_min * 3;
        ratelimit_init(&rl, cases[k].per_min / 60.0, 0.0);
        double now = 0.0;
        for (int i = 0; i < n; i++) {
            now += ratelimit_wait(&rl, now);
            if (i == 1)
                now += cases[k].late;
            t[i] = now;
            ratelimit_take(&rl, now);
        }
        int most = max_in_window(t, n, 60.0);
        if (most > (int)cases[k].per_min)
            fail_msg("%g/min, one wake-up %.3f s late: %d requests in a 60 s window",
                     cases[k].per_min, cases[k].late, most);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_late_wakeup_never_overfills_window),
        cmocka_unit_test(test_interval_is_one_percent_wide),
        cmocka_unit_test(test_achieved_rate_and_window),
        cmocka_unit_test(test_late_wakeups_do_not_drift),
        cmocka_unit_test(test_no_burst_after_idle),
        cmocka_unit_test(test_backoff_pauses_and_slows),
        cmocka_unit_test(test_success_recovers_to_configured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
