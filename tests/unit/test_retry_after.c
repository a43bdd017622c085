/*
 * Retry-After: only delay-seconds (digits) and HTTP dates are read; huge
 * values stay finite; everything else is not a Retry-After (-1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/retry_after.h"

static double parse(const char *s, time_t now)
{
    return retry_after_parse(s, strlen(s), now);
}

static void test_seconds(void **state)
{
    (void)state;
    assert_true(parse("0", 0) == 0);
    assert_true(parse("120", 0) == 120);
    assert_true(parse("99999999999", 0) == 1e9);
    assert_true(parse("99999999999999999999999999999999", 0) == 1e9);
}

static void test_not_a_retry_after(void **state)
{
    (void)state;
    const char *bad[] = {"inf", "1e400", "0x10", "-5", "+5", "3.5", "3.5e2", "nan", " 5", "5s",
                         "", "12 34", "Friday", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (parse(bad[i], 1700000000) != -1)
            fail_msg("'%s' read as %g", bad[i], parse(bad[i], 1700000000));
}

static void test_http_dates(void **state)
{
    (void)state;
    time_t now = 1784764800; /* 2026-07-23T00:00:00Z */
    assert_true(parse("Thu, 23 Jul 2026 00:01:00 GMT", now) == 60);
    assert_true(parse("Wed, 22 Jul 2026 23:00:00 GMT", now) == 0); /* past: no wait */
    assert_true(parse("Fri, 31 Dec 9999 23:59:59 GMT", now) == 1e9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_not_a_retry_after),
        cmocka_unit_test(test_http_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
