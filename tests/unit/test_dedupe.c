/*
 * Dedupe within one file (dedupe.h): a key remembers the first input row it
 * was added for.
 *
 * Proves: an empty set finds nothing; 100,000 emails and 100,000 phones added
 * through every growth of the table are all found with their first row, at
 * every stage of the growth; adding a key again keeps the first row;
 * 100,000 keys never added are not found; kinds 'e' and 'p' are apart (the
 * same text as an email and as a phone are two keys); the key's length is
 * honoured (a prefix is another key); row numbers survive as given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/dedupe.h"

#define N_KEYS 100000

static size_t email_key(char *buf, size_t cap, int i)
{
    return (size_t)snprintf(buf, cap, "user%d@example.com", i);
}

static size_t phone_key(char *buf, size_t cap, int i)
{
    return (size_t)snprintf(buf, cap, "+6141%07d", i);
}

static long email_row(int i)
{
    return 2L + 2 * i;
}

static long phone_row(int i)
{
    return 3L + 2 * i;
}

static void test_empty(void **state)
{
    (void)state;
    struct dedupe *d = dedupe_new();
    assert_non_null(d);
    assert_int_equal(dedupe_find(d, 'e', "a@b.c", 5), 0);
    assert_int_equal(dedupe_find(d, 'p', "", 0), 0);
    dedupe_free(d);
    dedupe_free(NULL); /* safe */
}

/* Every key added so far is found with its row: checked at a few points
 * per growth (the table starts at 1024 slots and doubles at 70% full). */
static void check_prefix(const struct dedupe *d, int upto)
{
    char k[64];
    for (int i = 0; i < upto; i++) {
        size_t n = email_key(k, sizeof k, i);
        long got = dedupe_find(d, 'e', k, n);
        if (got != email_row(i))
            fail_msg("after %d adds: email %d found at row %ld, want %ld", upto, i, got,
                     email_row(i));
        n = phone_key(k, sizeof k, i);
        got = dedupe_find(d, 'p', k, n);
        if (got != phone_row(i))
            fail_msg("after %d adds: phone %d found at row %ld, want %ld", upto, i, got,
                     phone_row(i));
    }
}

static void test_many_keys_through_growth(void **state)
{
    (void)state;
    /* Iterations (two keys each) around the first growths: at 716, 1433 and
     * 2867 keys. check_prefix() is quadratic overall, so only there. */
    static const int checkpoints[] = {1, 357, 358, 359, 716, 717, 718, 1433, 1434, 1435, 10000};
    size_t next_check = 0;
    struct dedupe *d = dedupe_new();
    assert_non_null(d);
    char k[64];
    for (int i = 0; i < N_KEYS; i++) {
        size_t n = email_key(k, sizeof k, i);
        assert_int_equal(dedupe_find(d, 'e', k, n), 0); /* new before it is added */
        assert_int_equal(dedupe_add(d, 'e', k, n, email_row(i)), 0);
        n = phone_key(k, sizeof k, i);
        assert_int_equal(dedupe_add(d, 'p', k, n, phone_row(i)), 0);
        if (next_check < sizeof checkpoints / sizeof *checkpoints &&
            i + 1 == checkpoints[next_check]) {
            check_prefix(d, i + 1);
            next_check++;
        }
    }
    check_prefix(d, N_KEYS);

    /* Added again for a later row: the first row stays. */
    for (int i = 0; i < N_KEYS; i += 7) {
        size_t n = email_key(k, sizeof k, i);
        assert_int_equal(dedupe_add(d, 'e', k, n, 999999), 0);
        n = phone_key(k, sizeof k, i);
        assert_int_equal(dedupe_add(d, 'p', k, n, 999999), 0);
    }
    check_prefix(d, N_KEYS);

    /* Keys never added. */
    for (int i = 0; i < N_KEYS; i++) {
        size_t n = (size_t)snprintf(k, sizeof k, "nobody%d@example.com", i);
        if (dedupe_find(d, 'e', k, n) != 0)
            fail_msg("unknown key %s found", k);
        n = email_key(k, sizeof k, N_KEYS + i);
        if (dedupe_find(d, 'e', k, n) != 0)
            fail_msg("unknown key %s found", k);
    }

    /* Kinds apart: an email's text looked up as a phone, and back. */
    for (int i = 0; i < N_KEYS; i += 11) {
        size_t n = email_key(k, sizeof k, i);
        assert_int_equal(dedupe_find(d, 'p', k, n), 0);
        n = phone_key(k, sizeof k, i);
        assert_int_equal(dedupe_find(d, 'e', k, n), 0);
    }
    dedupe_free(d);
}

static void test_kinds_and_lengths(void **state)
{
    (void)state;
    struct dedupe *d = dedupe_new();
    assert_non_null(d);
    assert_int_equal(dedupe_add(d, 'e', "+61412345678", 12, 5), 0);
    assert_int_equal(dedupe_find(d, 'e', "+61412345678", 12), 5);
    assert_int_equal(dedupe_find(d, 'p', "+61412345678", 12), 0);
    assert_int_equal(dedupe_add(d, 'p', "+61412345678", 12, 9), 0);
    assert_int_equal(dedupe_find(d, 'p', "+61412345678", 12), 9);
    assert_int_equal(dedupe_find(d, 'e', "+61412345678", 12), 5);

    /* Only `len` bytes count. */
    assert_int_equal(dedupe_find(d, 'e', "+6141234567", 11), 0);
    assert_int_equal(dedupe_find(d, 'e', "+61412345678XYZ", 12), 5);
    assert_int_equal(dedupe_find(d, 'e', "+61412345678X", 13), 0);

    /* Case matters here: the caller lower-cases emails first. */
    assert_int_equal(dedupe_add(d, 'e', "ann@example.com", 15, 2), 0);
    assert_int_equal(dedupe_find(d, 'e', "Ann@example.com", 15), 0);

    /* Large row numbers come back as given. */
    assert_int_equal(dedupe_add(d, 'e', "far@example.com", 15, 3000000L), 0);
    assert_int_equal(dedupe_find(d, 'e', "far@example.com", 15), 3000000L);
    dedupe_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_many_keys_through_growth),
        cmocka_unit_test(test_kinds_and_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
