/*
 * Flat-memory dedupe (dedupe_spill.h) against the in-memory one (dedupe.h).
 *
 * Proves: over 300,000 rows drawn from small pools of emails and phones
 * (rows with both, one or neither; chains where a row shares its email with
 * one earlier row and its phone with another), the spill names exactly the
 * rows the in-memory table skips, each with the same first row, in row
 * order, through the callback, the cursor and row-by-row questions; a million rows of one
 * placeholder contact are 999,999 duplicates of the first row, and
 * resolving them grows the peak memory by less than 8 MB (it was 100 MB
 * when the partition and the duplicates list were held whole); no keys at
 * all means no verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "intake/dedupe.h"
#include "intake/dedupe_spill.h"

static long peak_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* First: the peak of this process is still low. */
static void test_one_contact_a_million_times(void **state)
{
    (void)state;
    struct cp_error err = {0};
    struct dedupe_spill *s = dedupe_spill_new(&err);
    assert_non_null(s);
    long before = peak_kb();
    const long rows = 1000000;
    for (long r = 2; r < rows + 2; r++) {
        assert_int_equal(dedupe_spill_add(s, 'e', "noemail@example.com", 19, r, &err), 0);
        assert_int_equal(dedupe_spill_add(s, 'p', "+61400000000", 12, r, &err), 0);
    }
    long row, first, n = 0, expect = 3;
    int rc;
    while ((rc = dedupe_spill_next(s, &row, &first, &err)) > 0) {
        if (row != expect || first != 2)
            fail_msg("verdict %ld: row %ld of %ld, want row %ld of 2", n, row, first, expect);
        expect++;
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, rows - 1);
    long grew = peak_kb() - before;
#if !defined(__SANITIZE_ADDRESS__)
    if (grew > 8 * 1024)
        fail_msg("resolving a million rows of one contact grew the peak by %ld KB", grew);
#endif
    printf("one contact x %ld rows: peak grew %ld KB\n", rows, grew);
    dedupe_spill_free(s);
}

struct verdicts {
    long *row, *first;
    size_t n, cap;
};

static void collect(void *ctx, long row, long first)
{
    struct verdicts *v = ctx;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->row = realloc(v->row, v->cap * sizeof *v->row);
        v->first = realloc(v->first, v->cap * sizeof *v->first);
        assert_non_null(v->row);
        assert_non_null(v->first);
    }
    v->row[v->n] = row;
    v->first[v->n++] = first;
}

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The same rows through both; `cursor` picks the spill's interface:
 * 0 the callback, 1 dedupe_spill_next(), 2 dedupe_spill_first_of(). */
static void compare(int cursor)
{
    struct cp_error err = {0};
    struct dedupe *mem = dedupe_new();
    struct dedupe_spill *s = dedupe_spill_new(&err);
    assert_non_null(mem);
    assert_non_null(s);
    struct verdicts want = {0}, got = {0};
    uint64_t x = 88172645463325252ull;
    for (long row = 2; row < 300002; row++) {
        char e[40], p[24];
        size_t el = 0, pl = 0;
        uint64_t r = next_rand(&x);
        if (r % 10 != 0)
            el = (size_t)snprintf(e, sizeof e, "user%llu@example.com",
                                  (unsigned long long)((r >> 8) % 200000));
        if (r % 7 != 0)
            pl = (size_t)snprintf(p, sizeof p, "+614%08llu",
                                  (unsigned long long)((r >> 32) % 150000));
        long by_email = el ? dedupe_check_add(mem, 'e', e, el, row) : 0;
        long by_phone = pl ? dedupe_check_add(mem, 'p', p, pl, row) : 0;
        assert_true(by_email >= 0 && by_phone >= 0);
        if (by_email || by_phone)
            collect(&want, row, by_email ? by_email : by_phone);
        if (el)
            assert_int_equal(dedupe_spill_add(s, 'e', e, el, row, &err), 0);
        if (pl)
            assert_int_equal(dedupe_spill_add(s, 'p', p, pl, row, &err), 0);
    }
    if (cursor == 2) {
        for (long row = 2; row < 300002; row++) {
            long first = dedupe_spill_first_of(s, row, &err);
            assert_true(first >= 0);
            if (first)
                collect(&got, row, first);
        }
        assert_int_equal(dedupe_spill_first_of(s, 300002, &err), 0);
    } else if (cursor) {
        long row, first;
        int rc;
        assert_int_equal(dedupe_spill_begin(s, &err), 0);
        while ((rc = dedupe_spill_next(s, &row, &first, &err)) > 0)
            collect(&got, row, first);
        assert_int_equal(rc, 0);
    } else {
        assert_int_equal(dedupe_spill_resolve(s, collect, &got, &err), 0);
    }
    assert_true(want.n > 100000); /* the pools are small: many repeats */
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        if (got.row[i] != want.row[i] || got.first[i] != want.first[i])
            fail_msg("verdict %zu: spill says row %ld of %ld, memory row %ld of %ld", i,
                     got.row[i], got.first[i], want.row[i], want.first[i]);
    free(want.row);
    free(want.first);
    free(got.row);
    free(got.first);
    dedupe_free(mem);
    dedupe_spill_free(s);
}

static void test_same_as_memory_callback(void **state)
{
    (void)state;
    compare(0);
}

static void test_same_as_memory_cursor(void **state)
{
    (void)state;
    compare(1);
}

static void test_same_as_memory_row_by_row(void **state)
{
    (void)state;
    compare(2);
}

static void test_nothing_added(void **state)
{
    (void)state;
    struct cp_error err = {0};
    struct dedupe_spill *s = dedupe_spill_new(&err);
    assert_non_null(s);
    long row, first;
    assert_int_equal(dedupe_spill_next(s, &row, &first, &err), 0);
    assert_int_equal(dedupe_spill_next(s, &row, &first, &err), 0);
    /* keys after the verdicts began are an error, not a silent miss */
    assert_int_equal(dedupe_spill_add(s, 'e', "a@b.c", 5, 2, &err), -1);
    dedupe_spill_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_contact_a_million_times),
        cmocka_unit_test(test_same_as_memory_callback),
        cmocka_unit_test(test_same_as_memory_cursor),
        cmocka_unit_test(test_same_as_memory_row_by_row),
        cmocka_unit_test(test_nothing_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
