/* The in-flight cap (api/concurrency.h): fed latencies, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "api/concurrency.h"

static void feed(struct concurrency *c, double latency, int n)
{
    for (int i = 0; i < n; i++)
        concurrency_observe(c, latency);
}

static void test_fast_server_keeps_max_in_flight(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 8, 300 / 60.0);
    feed(&c, 0.2, 200); /* 5/s x 0.2 s = 1 in flight needed */
    assert_int_equal(c.cap, 8);
    assert_int_equal(c.highest, 8);
    assert_false(c.short_of_need);
}

static void test_slow_server_raises_the_cap_to_twice_the_need(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 8, 300 / 60.0);
    feed(&c, 1.5, 7);
    assert_int_equal(c.cap, 8); /* not before 8 answers */
    assert_int_equal(concurrency_observe(&c, 1.5), 1);
    /* 5/s x 1.5 s = 7.5 needed; twice that, rounded up. */
    assert_int_equal(c.cap, 15);
    assert_true(concurrency_need(&c) > 7.4 && concurrency_need(&c) < 7.6);
    assert_int_equal(concurrency_observe(&c, 1.5), 0);
}

static void test_exponential_latencies_hold_a_steady_cap(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 8, 300 / 60.0);
    /* A fixed exponential sequence of mean 1.5 s (inverse transform of an
     * LCG's uniforms): the cap settles and stays within the ceiling. */
    uint32_t x = 12345;
    int changes = 0, lo = 64, hi = 0;
    for (int i = 0; i < 2000; i++) {
        x = x * 1664525u + 1013904223u;
        double u = (x >> 8) / 16777216.0;
        changes += concurrency_observe(&c, -1.5 * log1p(-u));
        if (i > 200) {
            lo = c.cap < lo ? c.cap : lo;
            hi = c.cap > hi ? c.cap : hi;
        }
    }
    print_message("cap %d..%d, %d changes\n", lo, hi, changes);
    assert_true(lo >= 10 && hi <= 24);
    assert_true(changes < 60); /* it does not hunt answer by answer */
    assert_true(c.cap <= c.ceiling);
}

static void test_ceiling_is_four_times_and_at_most_64(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 8, 300 / 60.0);
    feed(&c, 30.0, 100); /* 150 needed */
    assert_int_equal(c.cap, 32);
    assert_true(c.short_of_need);
    concurrency_init(&c, 40, 1000.0);
    feed(&c, 1.0, 100);
    assert_int_equal(c.ceiling, 64);
    assert_int_equal(c.cap, 64);
    concurrency_init(&c, 64, 1000.0);
    assert_int_equal(c.ceiling, 64);
}

static void test_falls_back_when_the_server_speeds_up(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 4, 10.0);
    feed(&c, 1.0, 50); /* 10 needed -> 16 (ceiling) */
    assert_int_equal(c.cap, 16);
    feed(&c, 0.01, 200);
    assert_int_equal(c.cap, 4);
    assert_int_equal(c.highest, 16);
}

static void test_nonsense_latencies_are_ignored(void **state)
{
    (void)state;
    struct concurrency c;
    concurrency_init(&c, 8, 5.0);
    assert_int_equal(concurrency_observe(&c, -1), 0);
    assert_int_equal(concurrency_observe(&c, INFINITY), 0);
    assert_int_equal(c.samples, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_server_keeps_max_in_flight),
        cmocka_unit_test(test_slow_server_raises_the_cap_to_twice_the_need),
        cmocka_unit_test(test_exponential_latencies_hold_a_steady_cap),
        cmocka_unit_test(test_ceiling_is_four_times_and_at_most_64),
        cmocka_unit_test(test_falls_back_when_the_server_speeds_up),
        cmocka_unit_test(test_nonsense_latencies_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
