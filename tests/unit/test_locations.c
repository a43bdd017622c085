/*
 * The store column guess maps (guess/locations.h): which headers name a
 * store, which columns of values are stores, and which business each store
 * is: exact whatever the case, spaces and punctuation; a typo or one name
 * inside the other as a near match; several or none said so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guess/locations.h"

static const char *const ids[] = {
    "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"};
static const char *const names[] = {"Brew Bros Bondi", "Brew Bros Newtown", "Brew Bros Manly",
                                    "Brew Bros Manly Wharf"};

static enum location_match_kind kind_of(const char *value, size_t n, size_t *best)
{
    struct location_match m;
    location_match(value, ids, names, n, &m);
    *best = m.best;
    return m.kind;
}

static void test_exact_ignores_case_spaces_and_punctuation(void **state)
{
    size_t best;
    (void)state;
    assert_int_equal(kind_of("Brew Bros - Bondi", 4, &best), LOCATION_EXACT);
    assert_int_equal(best, 0);
    assert_int_equal(kind_of("  brew bros newtown", 4, &best), LOCATION_EXACT);
    assert_int_equal(best, 1);
    /* An id column: the value is the business id. */
    assert_int_equal(kind_of("33333333-3333-4333-8333-333333333333", 4, &best), LOCATION_EXACT);
    assert_int_equal(best, 2);
}

static void test_near_match_for_a_typo_or_a_part(void **state)
{
    size_t best;
    (void)state;
    assert_int_equal(kind_of("Brew Bros Newtwon", 4, &best), LOCATION_NEAR);
    assert_int_equal(best, 1);
    assert_int_equal(kind_of("Bondi", 4, &best), LOCATION_NEAR);
    assert_int_equal(best, 0);
}

static void test_several_or_none_are_said(void **state)
{
    struct location_match m;
    (void)state;
    /* "Manly" is inside two names: a person says which. */
    location_match("Manly", ids, names, 4, &m);
    assert_int_equal(m.kind, LOCATION_SEVERAL);
    assert_int_equal(m.best, 2);
    assert_int_equal(m.second, 3);
    location_match("Parramatta", ids, names, 4, &m);
    assert_int_equal(m.kind, LOCATION_NONE);
    location_match("---", ids, names, 4, &m);
    assert_int_equal(m.kind, LOCATION_NONE);
    location_match("Bondi", ids, names, 0, &m);
    assert_int_equal(m.kind, LOCATION_NONE);
}

static void test_headers_that_name_a_store(void **state)
{
    (void)state;
    assert_true(location_header("location"));
    assert_true(location_header("storename"));
    assert_true(location_header("salelocation"));
    assert_true(location_header("outletid"));
    assert_true(location_header("site"));
    assert_false(location_header("website"));
    assert_false(location_header("shopifyid"));
    assert_false(location_header("storecredit"));
    assert_false(location_header("firstname"));
}

static void add(struct location_tally *t, const char *v)
{
    assert_int_equal(location_tally_add(t, v, strlen(v)), 0);
}

static void test_a_column_of_stores_repeats_its_values(void **state)
{
    struct location_tally t = {.col = 3};
    char v[32];
    (void)state;
    for (int i = 0; i < 30; i++)
        add(&t, i % 3 == 0 ? " Bondi " : i % 3 == 1 ? "Newtown" : "");
    assert_int_equal(t.n, 2);
    assert_int_equal(t.values[0].rows, 10);
    assert_string_equal(t.values[0].value, "Bondi");
    assert_int_equal(t.empty, 10);
    assert_true(location_tally_fits(&t));
    location_tally_release(&t);
    /* Every row its own value: names of people, not stores. */
    for (int i = 0; i < 30; i++) {
        snprintf(v, sizeof v, "Person %d", i);
        add(&t, v);
    }
    assert_false(location_tally_fits(&t));
    location_tally_release(&t);
    /* An address is no store's name. */
    add(&t, "bondi@example.com");
    assert_false(location_tally_fits(&t));
    location_tally_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_ignores_case_spaces_and_punctuation),
        cmocka_unit_test(test_near_match_for_a_typo_or_a_part),
        cmocka_unit_test(test_several_or_none_are_said),
        cmocka_unit_test(test_headers_that_name_a_store),
        cmocka_unit_test(test_a_column_of_stores_repeats_its_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
