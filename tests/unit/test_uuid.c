/*
 * The tree's one UUID check (core/uuid.c), which the pipeline's ids, the
 * export's --business-id and a CSV's businessId column all use; and the
 * placeholder id `guess` writes. Proves the shape rule (8-4-4-4-12 hex, any
 * case), that the length given bounds the read, and that only the all-zero
 * id is the placeholder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/uuid.h"

static void test_shape(void **state)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {UUID_EXAMPLE, 1},
        {"634D8ED1-11FD-413D-A9A6-D6B8BA0C95A5", 1},
        {UUID_NIL, 1},
        {"44271176-7053-4534-ad6f-b38d132d341", 0},   /* 35 */
        {"44271176-7053-4534-ad6f-b38d132d341ee", 0}, /* 37 */
        {"442711767053-4534-ad6f-b38d132d341e-", 0},  /* dash moved */
        {"44271176-7053-4534-ad6f-b38d132d341g", 0},  /* not hex */
        {"{44271176-7053-4534-ad6f-b38d132d341}", 0},
        {"44271176 7053 4534 ad6f b38d132d341e", 0},
        {"", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = uuid_valid(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].ok || uuid_valid_str(cases[i].s) != (bool)cases[i].ok)
            fail_msg("uuid_valid(\"%s\") = %d, want %d", cases[i].s, got, cases[i].ok);
    }
    assert_false(uuid_valid_str(NULL));
    assert_int_equal(uuid_valid(NULL, 36), 0);
    /* a cell of a CSV row: no NUL at 36, the length decides */
    assert_int_equal(uuid_valid(UUID_EXAMPLE "trailing", 36), 1);
    assert_false(uuid_valid_str(UUID_EXAMPLE "trailing"));
}

static void test_placeholder(void **state)
{
    (void)state;
    assert_true(uuid_is_nil(UUID_NIL));
    assert_false(uuid_is_nil(UUID_EXAMPLE));
    assert_false(uuid_is_nil("00000000-0000-0000-0000-000000000001"));
    assert_false(uuid_is_nil(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_placeholder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
