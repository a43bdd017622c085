/*
 * default_country is checked when the pipeline is read (core/country_codes.c)
 * so that `check` refuses what `run` cannot dial with. Proves the list is
 * exactly libphonenumber's regions, over every two-letter code AA..ZZ: a
 * code the config accepts is one the phone parser knows, and none it knows
 * is refused. A new libphonenumber with new regions fails here: add them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/country_codes.h"
#include "intake/phone.h"

static void test_same_as_libphonenumber(void **state)
{
    char code[3] = {0};
    int n = 0;
    (void)state;
    for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
            code[0] = a;
            code[1] = b;
            bool ours = country_code_known(code);
            if (ours != (phone_region_known(code) != 0))
                fail_msg("%s: country_codes says %d, libphonenumber %d", code, ours, !ours);
            n += ours;
        }
    }
    assert_int_equal(n, 245);
    assert_false(country_code_known("au"));
    assert_false(country_code_known("AUS"));
    assert_false(country_code_known(NULL));
}

static void test_aliases(void **state)
{
    (void)state;
    assert_string_equal(country_code_alias("UK"), "GB");
    assert_string_equal(country_code_alias("EL"), "GR");
    assert_null(country_code_alias("GB"));
    assert_null(country_code_alias("XX"));
    /* an alias is never itself a known code, or it would be accepted */
    assert_false(country_code_known("UK"));
    assert_false(country_code_known("EL"));
    assert_false(country_code_known("EN"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_libphonenumber),
        cmocka_unit_test(test_aliases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
