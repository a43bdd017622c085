/*
 * The tree's one date parser (core/isotime.c): what `since:`, `--since` and
 * `ledger --since` accept. Proves: impossible calendar dates are refused
 * (2026-02-31, 29 February outside leap years), both offset forms ±HH:MM and
 * ±HHMM mean the same instant, and malformed text is refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/isotime.h"

static int parse(const char *s, int64_t *us)
{
    return isotime_parse(s, strlen(s), us);
}

static void test_calendar(void **state)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"2026-01-31", 1},  {"2026-02-28", 1}, {"2026-02-29", 0}, {"2026-02-31", 0},
        {"2024-02-29", 1},  {"2000-02-29", 1}, {"1900-02-29", 0}, {"2026-04-31", 0},
        {"2026-04-30", 1},  {"2026-12-31", 1}, {"2026-13-01", 0}, {"2026-00-10", 0},
        {"2026-01-00", 0},  {"2026-1-01", 0},  {"26-01-01", 0},   {"2026/01/01", 0},
        {"", 0},            {"2026-01-31x", 0},
    };
    int64_t us;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = parse(cases[i].s, &us) == 0;
        if (got != cases[i].ok)
            fail_msg("isotime_parse(\"%s\") ok=%d, want %d", cases[i].s, got, cases[i].ok);
    }
}

static void test_offsets_agree(void **state)
{
    int64_t z, a, b, c, d;
    (void)state;
    assert_int_equal(parse("2026-01-31T00:00:00Z", &z), 0);
    assert_int_equal(parse("2026-01-31T10:00:00+10:00", &a), 0);
    assert_int_equal(parse("2026-01-31T10:00:00+1000", &b), 0);
    assert_int_equal(parse("2026-01-30T18:30:00-0530", &c), 0);
    assert_int_equal(parse("2026-01-30T18:30-05:30", &d), 0);
    assert_true(z == a && a == b && b == c && c == d);
    assert_int_equal(z, (int64_t)1769817600 * 1000000);
    /* a date alone is midnight UTC; lower-case t and z, and a space, are read */
    assert_int_equal(parse("2026-01-31", &a), 0);
    assert_int_equal(parse("2026-01-31t00:00:00z", &b), 0);
    assert_int_equal(parse("2026-01-31 00:00", &c), 0);
    assert_true(a == z && b == z && c == z);
    /* fractions to the microsecond, cut beyond */
    assert_int_equal(parse("2026-01-31T00:00:00.1234567Z", &a), 0);
    assert_int_equal(a - z, 123456);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "2026-01-31T",          "2026-01-31T10",        "2026-01-31T24:00",
        "2026-01-31T10:60",     "2026-01-31T10:00:61",  "2026-01-31T10:00+10",
        "2026-01-31T10:00+1:00", "2026-01-31T10:00+24:00", "2026-01-31T10:00:00.Z",
        "2026-01-31T10:00:00Zjunk", "2026-01-31T10:00+10:000", "2026-01-31X10:00",
    };
    int64_t us;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i], &us) == 0)
            fail_msg("isotime_parse(\"%s\") accepted it", bad[i]);
    /* the length bounds the read: no NUL needed, nothing past it looked at */
    assert_int_equal(isotime_parse("2026-01-31T10:00:00Z????", 20, &us), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_offsets_agree),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
