/*
 * One duration grammar (core/duration.h) for api.timeout, api.max_retry_wait,
 * export.lookback, export.full_every and --wait-lock: the units of its one
 * table, decimals, and the words it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "core/duration.h"

static double secs(const char *text)
{
    double d = -1;
    assert_true(duration_parse(text, &d));
    return d;
}

static void test_every_unit_of_the_table(void **state)
{
    (void)state;
    assert_true(fabs(secs("500ms") - 0.5) < 1e-12);
    assert_true(secs("30s") == 30);
    assert_true(secs("2m") == 120);
    assert_true(secs("2min") == 120);
    assert_true(secs("1.5h") == 5400);
    assert_true(secs("14d") == 14 * 86400);
    assert_true(secs("0s") == 0);
}

static void test_what_is_no_duration(void **state)
{
    const char *bad[] = {"",       "30",      "s",  ".s",   "1e3s", "-1s",  "+1s",
                         "1.2.3s", "2 weeks", "5x", "30S ", "inf",  "nans", "1234567890123s"};
    double d = 42;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_false(duration_parse(bad[i], &d));
        assert_true(d == 42); /* untouched */
    }
}

static void test_decimals(void **state)
{
    double v;
    (void)state;
    assert_true(decimal_parse("12.25", 5, &v) && v == 12.25);
    assert_true(decimal_parse("7.", 2, &v) && v == 7);
    assert_false(decimal_parse(".", 1, &v));
    assert_false(decimal_parse("1,5", 3, &v));
    assert_false(decimal_parse("", 0, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_unit_of_the_table),
        cmocka_unit_test(test_what_is_no_duration),
        cmocka_unit_test(test_decimals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
