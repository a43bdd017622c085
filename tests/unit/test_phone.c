/*
 * phone_normalise() against real-format numbers of the regions customers
 * send from (AU, NZ, GB, IE, US, CA), as they arrive in exported files:
 * national and international forms, labels, apostrophes, extensions, and the
 * failures a person has to fix, with the words they will read. The numbers
 * are valid in libphonenumber 8.12's metadata (mostly its example numbers);
 * the expectations are literals so that a change in the library shows here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/phone.h"

struct ok_case {
    const char *raw;
    const char *region; /* default region; NULL for none */
    const char *e164;
    enum phone_type type;
    const char *out_region;
};

static const struct ok_case ok_cases[] = {
    /* AU */
    {"0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"(02) 9374 4000", "AU", "+61293744000", PHONE_LANDLINE, "AU"},
    {"1800 123 456", "AU", "+611800123456", PHONE_LANDLINE, "AU"}, /* toll-free */
    {"1300 123 456", "AU", "+611300123456", PHONE_LANDLINE, "AU"}, /* shared cost */
    {"+61 412 345 678", "US", "+61412345678", PHONE_MOBILE, "AU"},
    {"+61 412 345 678", NULL, "+61412345678", PHONE_MOBILE, "AU"},
    {"0061 412 345 678", "NZ", "+61412345678", PHONE_MOBILE, "AU"},
    {"0412 345 678", "au", "+61412345678", PHONE_MOBILE, "AU"},
    /* NZ */
    {"021 123 4567", "NZ", "+64211234567", PHONE_MOBILE, "NZ"},
    {"027 123 45678", "NZ", "+642712345678", PHONE_MOBILE, "NZ"},
    {"09 379 0000", "NZ", "+6493790000", PHONE_LANDLINE, "NZ"},
    {"0011 64 21 123 4567", "AU", "+64211234567", PHONE_MOBILE, "NZ"},
    /* GB */
    {"07400 123456", "GB", "+447400123456", PHONE_MOBILE, "GB"},
    {"020 7946 0958", "GB", "+442079460958", PHONE_LANDLINE, "GB"},
    {"0800 123 4567", "GB", "+448001234567", PHONE_LANDLINE, "GB"},
    {"07000 123456", "GB", "+447000123456", PHONE_MAYBE_MOBILE, "GB"}, /* personal */
    {"+44 7400 123456", "AU", "+447400123456", PHONE_MOBILE, "GB"},
    {"0044 7400 123456", "GB", "+447400123456", PHONE_MOBILE, "GB"},
    {"0044 7400 123456", "US", "+447400123456", PHONE_MOBILE, "GB"}, /* 00 where IDD is 011 */
    {"0044 7400 123456", "AU", "+447400123456", PHONE_MOBILE, "GB"}, /* 00 where IDD is 0011 */
    {"00 44 20 7946 0958", "US", "+442079460958", PHONE_LANDLINE, "GB"},
    {"0044 20 7946 0958", "US", "+442079460958", PHONE_LANDLINE, "GB"},
    {"011 44 20 7946 0958", "US", "+442079460958", PHONE_LANDLINE, "GB"},
    {"011 44 7400 123456", "US", "+447400123456", PHONE_MOBILE, "GB"},
    {"0011 1 212 555 0123", "AU", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    /* IE */
    {"085 012 3456", "IE", "+353850123456", PHONE_MOBILE, "IE"},
    {"087 123 4567", "IE", "+353871234567", PHONE_MOBILE, "IE"},
    {"(01) 234 5678", "IE", "+35312345678", PHONE_LANDLINE, "IE"},
    {"00353 85 012 3456", "IE", "+353850123456", PHONE_MOBILE, "IE"},
    {"+353 85 012 3456", "GB", "+353850123456", PHONE_MOBILE, "IE"},
    /* US: mobiles and fixed lines share ranges, so only "maybe" */
    {"(212) 555-0123", "US", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    {"212.555.0123", "US", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    {"1-800-234-5678", "US", "+18002345678", PHONE_LANDLINE, "US"},
    {"+1 212 555 0123", "AU", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    /* CA */
    {"(506) 234-5678", "CA", "+15062345678", PHONE_MAYBE_MOBILE, "CA"},
    {"(416) 555-0123", "CA", "+14165550123", PHONE_MAYBE_MOBILE, "CA"},
    {"(416) 555-0123", "US", "+14165550123", PHONE_MAYBE_MOBILE, "CA"},
    {"+1 506 234 5678", NULL, "+15062345678", PHONE_MAYBE_MOBILE, "CA"},
    /* junk around the number */
    {"'0412345678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"'+61412345678", NULL, "+61412345678", PHONE_MOBILE, "AU"},
    {"mob: 0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"Mobile:0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"MOB : 0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"m: 0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"ph: (02) 9374 4000", "AU", "+61293744000", PHONE_LANDLINE, "AU"},
    {"TEL: +44 20 7946 0958", NULL, "+442079460958", PHONE_LANDLINE, "GB"},
    {"tel:+61412345678", NULL, "+61412345678", PHONE_MOBILE, "AU"},
    {"'mob: 0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"  \t'0412 345 678 \r\n", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"\xC2\xA0" "0412 345 678\xC2\xA0", "AU", "+61412345678", PHONE_MOBILE, "AU"}, /* NBSP */
    {"\xEF\xBB\xBF" "0412 345 678", "AU", "+61412345678", PHONE_MOBILE, "AU"},     /* BOM */
    {"\xEF\xBC\x90\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94"
     "\xEF\xBC\x95\xEF\xBC\x96\xEF\xBC\x97\xEF\xBC\x98",
     "AU", "+61412345678", PHONE_MOBILE, "AU"}, /* full-width digits */
    /* extensions are dropped */
    {"+61 412 345 678 ext. 12", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"0412 345 678 ext 12", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"0412345678x12", "AU", "+61412345678", PHONE_MOBILE, "AU"},
    {"(212) 555-0123 #12", "US", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    {"212-555-0123 ext. 4567", "US", "+12125550123", PHONE_MAYBE_MOBILE, "US"},
    /* non-geographic: valid, but "001" names no country and does not fit */
    {"+800 1234 5678", NULL, "+80012345678", PHONE_LANDLINE, ""},
};

struct bad_case {
    const char *raw;
    const char *region;
    const char *reason; /* must appear in the reason */
};

static const struct bad_case bad_cases[] = {
    /* wrong length or digits for the country, in each region */
    {"0412 345", "AU", "invalid phone number \"0412 345\" (not a valid AU number: too short)"},
    {"0412 345 6789", "AU", "\"0412 345 6789\" (not a valid AU number: too long)"},
    {"0512 345 678", "AU", "\"0512 345 678\" (not a valid AU number)"},
    {"(02) 9374 400", "AU", "(not a valid AU number"},
    {"021 12", "NZ", "\"021 12\" (not a valid NZ number: too short)"},
    {"07400 12345", "GB", "\"07400 12345\" (not a valid GB number"},
    {"0044 7400 12345", "US", "\"0044 7400 12345\" (not a valid GB number"},
    {"085 012", "IE", "\"085 012\" (not a valid IE number)"},
    {"(212) 555-012", "US", "\"(212) 555-012\" (not a valid US number"},
    {"(012) 555-0123", "US", "\"(012) 555-0123\" (not a valid US number)"},
    {"555-0123", "US", "\"555-0123\" (not a valid US number: no area code)"},
    {"12", "US", "\"12\" (not a valid US number: too short)"},
    {"(506) 234-567", "CA", "\"(506) 234-567\" (not a valid CA number"}, /* CA, not US */
    {"+882 1234 5678", NULL, "(not a valid +882 number"},
    /* parse failures */
    {"+61 1", "AU", "invalid phone number \"+61 1\" (too short)"},
    {"0044 1", "GB", "\"0044 1\" (too short)"},
    {"0011 61", "AU", "\"0011 61\" (too short)"}, /* AU's own IDD: not retried as +11 */
    {"0011 1 212 555 012", "AU", "(not a valid US number: too short)"},
    {"99999999999999999999", "US", "\"99999999999999999999\" (too long)"},
    {"n/a", "AU", "invalid phone number \"n/a\" (not a number)"},
    {"mob: none", "AU", "\"mob: none\" (not a number)"},
    {"+999 1234 5678", "AU", "\"+999 1234 5678\" (invalid country code)"},
    {"+999 1234 5678", NULL, "\"+999 1234 5678\" (invalid country code)"},
    /* no country code and nothing to assume */
    {"0412 345 678", NULL,
     "invalid phone number \"0412 345 678\" (no country code: set validate.default_country "
     "or write it as +CC...)"},
    {"0412 345 678", "", "(no country code: set validate.default_country"},
    {"0044 7400 123456", NULL, "(no country code: set validate.default_country"},
    {"0412 345 678", "XX", "(no country code, and the default country is not a known region)"},
    /* the quoted value is cut, and cannot carry quotes or controls */
    {"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij", "AU",
     "\"abcdefghijabcdefghijabcdefghijabcdefghij...\" (not a number)"},
    {"ab\"c\\d\x1b[31m", "AU", "\"ab\\\"c\\\\d?[31m\" (not a number)"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xC3\xA9tc", "AU",
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""}, /* é does not fit: not cut in two */
    {"n\xC3\xA9" "ant \xFF", "AU", "\"n\xC3\xA9" "ant ?\" (not a number)"},
    /* what is quoted is the cell without the space around it */
    {"0412 345 \t\r\n", "AU", "invalid phone number \"0412 345\" (not a valid AU number"},
    {"\xEF\xBB\xBF\xC2\xA0n/a\xE2\x80\x8B", "AU", "invalid phone number \"n/a\" (not a number)"},
    /* empty */
    {"", "AU", "empty phone number"},
    {" \t\r\n", "AU", "empty phone number"},
    {"'", "AU", "empty phone number"},
    {"mob:  ", "AU", "empty phone number"},
};

static void test_valid_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const struct ok_case *c = &ok_cases[i];
        struct phone_result r;
        memset(&r, 'X', sizeof r); /* stale content must not survive */
        int rc = phone_normalise(c->raw, strlen(c->raw), c->region, &r);
        if (rc != 0 || strcmp(r.e164, c->e164) != 0 || r.type != c->type ||
            strcmp(r.region, c->out_region) != 0 || r.reason[0] != '\0')
            print_error("case %zu [%s] default %s: rc %d e164 %.32s type %s region %.3s reason %.160s\n",
                        i, c->raw, c->region ? c->region : "(none)", rc, r.e164,
                        phone_type_name(r.type), r.region, r.reason);
        assert_int_equal(rc, 0);
        assert_string_equal(r.e164, c->e164);
        assert_int_equal(r.type, c->type);
        assert_string_equal(r.region, c->out_region);
        assert_string_equal(r.reason, "");
    }
}

static void test_invalid_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct phone_result r;
        memset(&r, 'X', sizeof r);
        int rc = phone_normalise(c->raw, strlen(c->raw), c->region, &r);
        assert_non_null(memchr(r.reason, '\0', sizeof r.reason));
        if (rc != -1 || strstr(r.reason, c->reason) == NULL)
            print_error("case %zu [%s] default %s: rc %d reason [%s], want [%s]\n", i, c->raw,
                        c->region ? c->region : "(none)", rc, r.reason, c->reason);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(r.reason, c->reason));
        assert_string_equal(r.e164, "");
        assert_string_equal(r.region, "");
    }
}

/* `len` is the value, not the NUL: the row buffer goes on past it. */
static void test_len_bounds_the_input(void **state)
{
    (void)state;
    static const char row[] = "0412345678999,next cell";
    struct phone_result r;
    assert_int_equal(phone_normalise(row, 10, "AU", &r), 0);
    assert_string_equal(r.e164, "+61412345678");
    assert_int_equal(phone_normalise(row, 13, "AU", &r), -1);
    assert_non_null(strstr(r.reason, "\"0412345678999\" (not a valid AU number"));
    assert_int_equal(phone_normalise(NULL, 0, "AU", &r), -1);
    assert_string_equal(r.reason, "empty phone number");
    /* a NUL inside the value is part of it, not its end */
    static const char nul[] = "0412\0" "345678";
    assert_int_equal(phone_normalise(nul, sizeof nul - 1, "AU", &r), -1);
    assert_non_null(strstr(r.reason, "\"0412?345678\""));
}

/* A hostile 64 KiB cell: bounded reason, cut quote, no escape codes. */
static void test_long_garbage(void **state)
{
    (void)state;
    const size_t n = 64 * 1024;
    char *buf = malloc(n);
    assert_non_null(buf);
    static const char pattern[] = "\x1b[2J\"%s%n\\\xFF\xC3 0412 ";
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern[i % (sizeof pattern - 1)];
    struct phone_result r;
    assert_int_equal(phone_normalise(buf, n, "AU", &r), -1);
    assert_true(strlen(r.reason) < sizeof r.reason);
    assert_non_null(strstr(r.reason, "...\" (too long)"));
    assert_null(strchr(r.reason, '\x1b'));
    assert_null(strchr(r.reason, '\xFF'));
    assert_memory_equal(r.reason, "invalid phone number \"?[2J\\\"%s%n\\\\??", 36);

    memset(buf, '4', n); /* digits only: still refused, without a parse */
    assert_int_equal(phone_normalise(buf, n, NULL, &r), -1);
    assert_string_equal(r.reason, "invalid phone number \"4444444444444444444444444444444444444444...\" "
                                  "(too long)");
    free(buf);
}

static void test_region_known(void **state)
{
    (void)state;
    assert_int_equal(phone_region_known("AU"), 1);
    assert_int_equal(phone_region_known("NZ"), 1);
    assert_int_equal(phone_region_known("GB"), 1);
    assert_int_equal(phone_region_known("IE"), 1);
    assert_int_equal(phone_region_known("US"), 1);
    assert_int_equal(phone_region_known("CA"), 1);
    assert_int_equal(phone_region_known("au"), 1); /* phone_normalise accepts it too */
    assert_int_equal(phone_region_known("UK"), 0); /* the ISO code is GB */
    assert_int_equal(phone_region_known("ZZ"), 0);
    assert_int_equal(phone_region_known("XX"), 0);
    assert_int_equal(phone_region_known("001"), 0);
    assert_int_equal(phone_region_known("AUS"), 0);
    assert_int_equal(phone_region_known("A"), 0);
    assert_int_equal(phone_region_known(""), 0);
    assert_int_equal(phone_region_known(NULL), 0);
}

static void test_type_name(void **state)
{
    (void)state;
    assert_string_equal(phone_type_name(PHONE_MOBILE), "mobile");
    assert_string_equal(phone_type_name(PHONE_LANDLINE), "landline");
    assert_string_equal(phone_type_name(PHONE_MAYBE_MOBILE), "unknown");
    assert_string_equal(phone_type_name((enum phone_type)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_numbers),
        cmocka_unit_test(test_invalid_numbers),
        cmocka_unit_test(test_len_bounds_the_input),
        cmocka_unit_test(test_long_garbage),
        cmocka_unit_test(test_region_known),
        cmocka_unit_test(test_type_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
