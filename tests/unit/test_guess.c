/*
 * `guess` without a process: reading an unknown export (guess.c) and the
 * starter pipeline written from it (starter.c).
 *
 * Proves: the default country from a country column (names and codes, by
 * country.c), from national phone numbers (AU beats Finland's permissive
 * plan), from +country numbers; consent rows counted;
 * the starter YAML loads with pipeline_load and says exactly what the
 * in-memory pipeline says (columns, consent rules, country, ids, delimiter),
 * whatever the column names hold (quotes, backslashes, tabs, accents);
 * real business ids replace the placeholder; the name comes from the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guess/guess.h"
#include "guess/starter.h"
#include "unit_tmp.h"

#define BONDI "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4"
#define SURRY "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5"


static char *write_file(const char *name, const char *text)
{
    char *path = unit_write(tmpdir, name, text, strlen(text));
    assert_non_null(path);
    return path;
}

static void read_guess(struct guess *g, const char *name, const char *csv)
{
    struct cp_error err = {0};
    char *path = write_file(name, csv);
    if (guess_read(g, path, &err) < 0)
        fail_msg("guess_read: %s", err.msg);
    free(path);
}

static void test_country_from_column(void **state)
{
    (void)state;
    struct guess g;
    read_guess(&g, "c.csv",
               "First Name,Email,Phone,Country\n"
               "A,a@x.io,021 123 4567,New Zealand\n"
               "B,b@x.io,,NZ\n"
               "C,c@x.io,0412 345 678,Australia\n"
               "D,d@x.io,,Narnia\n");
    assert_string_equal(g.country, "NZ");
    assert_string_equal(g.country_why, "from the 'Country' column (2 of 4 rows)");
    assert_int_equal(g.rows, 4);
    assert_string_equal(g.encoding, "utf-8");
    assert_int_equal(g.delimiter, ',');
    guess_release(&g);
}

static void test_country_from_phones(void **state)
{
    (void)state;
    struct guess g;
    /* Finland's plan takes the short typo too; Australia explains most. */
    read_guess(&g, "au.csv",
               "given_name,Mobile Number\n"
               "A,0412 345 678\n"
               "B,0423 555 666\n"
               "C,'0418 246 810\n"
               "D,0419 135 79\n");
    assert_string_equal(g.country, "AU");
    assert_string_equal(g.country_why,
                        "of 4 phone numbers read, 3 are valid AU numbers written nationally "
                        "(3 mobiles) and 0 are AU numbers written with their country code; "
                        "next best FI (4 valid)");
    guess_release(&g);

    read_guess(&g, "ie.csv",
               "FNAME,PHONE\nA,087 123 4567\nB,085 765 4321\nC,+44 7400 123456\n");
    assert_string_equal(g.country, "IE");
    guess_release(&g);

    /* +country numbers say it outright; a stray national one does not outvote them. */
    read_guess(&g, "us.csv",
               "First Name,Phone\nA,+1 415 555 0199\nB,+1 312 555 0177\nC,+1 646 555 0155\n"
               "D,555-0100\n");
    assert_string_equal(g.country, "US");
    guess_release(&g);

    read_guess(&g, "none.csv", "First Name,Email\nA,a@x.io\n");
    assert_string_equal(g.country, "");
    assert_string_equal(g.country_why,
                        "no country column and no phone number that says which country");
    guess_release(&g);
}

static void test_consent_counted(void **state)
{
    (void)state;
    struct guess g;
    read_guess(&g, "consent.csv",
               "First Name,Email,Phone,Accepts Email Marketing,Accepts SMS Marketing\n"
               "A,a@x.io,+61412345678,yes,no\n"
               "B,b@x.io,+61412345679,YES,yes\n"
               "C,c@x.io,+61412345670,no,\n");
    assert_int_equal(g.consent_rows[PRESET_EMAIL], 2);
    assert_int_equal(g.consent_rows[PRESET_SMS], 1);
    guess_release(&g);
}

static void test_read_errors(void **state)
{
    (void)state;
    struct guess g;
    struct cp_error err = {0};
    assert_int_equal(guess_read(&g, "-", &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "save the export first"));
    char *missing = unit_path(tmpdir, "missing.csv");
    assert_int_equal(guess_read(&g, missing, &err), -1);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    free(missing);
    char *empty = write_file("empty.csv", "");
    assert_int_equal(guess_read(&g, empty, &err), -1);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    assert_non_null(strstr(err.msg, "the file is empty"));
    free(empty);
}

/* ---- the starter pipeline ---- */

static void same_rule(const struct where_rule *a, const struct where_rule *b)
{
    if (!a || !b) {
        assert_true(!a && !b);
        return;
    }
    assert_string_equal(a->column, b->column);
    assert_int_equal(a->n_in, b->n_in);
    for (size_t i = 0; i < a->n_in; i++)
        assert_string_equal(a->in[i], b->in[i]);
}

/* Write the YAML, load it, and compare it with the pipeline in memory. */
static void round_trip(const struct starter *s, struct pipeline *loaded)
{
    struct cp_error err = {0};
    struct pipeline mem;
    char *path = unit_path(tmpdir, "starter.yaml");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(starter_write(s, f), 0);
    fclose(f);
    if (pipeline_load(path, 0, loaded, &err) < 0)
        fail_msg("the starter pipeline does not load: %s", err.msg);
    assert_int_equal(starter_pipeline(s, 0, &mem, &err), 0);
    assert_string_equal(loaded->input.path, mem.input.path);
    assert_int_equal(loaded->input.delimiter, mem.input.delimiter);
    assert_string_equal(loaded->input.encoding, "auto");
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        assert_int_equal(loaded->input.columns[f].n, mem.input.columns[f].n);
        for (size_t k = 0; k < mem.input.columns[f].n; k++)
            assert_string_equal(loaded->input.columns[f].names[k], mem.input.columns[f].names[k]);
    }
    same_rule(loaded->channels.sms, mem.channels.sms);
    same_rule(loaded->channels.email, mem.channels.email);
    assert_string_equal(loaded->validate.default_country, mem.validate.default_country);
    assert_string_equal(loaded->invite.business_id, mem.invite.business_id);
    assert_string_equal(loaded->invite.campaign_id, mem.invite.campaign_id);
    assert_int_equal(loaded->invite.invite_delay_days, mem.invite.invite_delay_days);
    assert_string_equal(loaded->name, mem.name);
    assert_true(loaded->validate.dedupe && loaded->validate.landlines == LANDLINES_SKIP);
    pipeline_release(&mem);
    free(path);
}

static void test_starter_loads(void **state)
{
    (void)state;
    struct guess g;
    struct starter s;
    struct pipeline p;
    struct cp_error err = {0};
    read_guess(&g, "Shopify Customers (2).csv",
               "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,"
               "Default Address Country Code,Default Address Phone,Phone,Accepts SMS Marketing,"
               "Total Spent,Total Orders,Tax Exempt\n"
               "'1,Zoë,Ng,z@x.io,yes,AU,,'+61412345678,no,1,1,no\n");
    char *path = unit_path(tmpdir, "Shopify Customers (2).csv");
    assert_int_equal(starter_init(&s, &g, path, &err), 0);
    assert_string_equal(s.name, "shopify-customers-2");
    round_trip(&s, &p);
    assert_string_equal(p.input.columns[MAP_PHONE].names[0], "Phone");
    assert_string_equal(p.input.columns[MAP_PHONE].names[1], "Default Address Phone");
    assert_string_equal(p.channels.sms->column, "Accepts SMS Marketing");
    assert_string_equal(p.channels.email->column, "Accepts Email Marketing");
    assert_string_equal(p.validate.default_country, "AU");
    assert_string_equal(p.invite.business_id, STARTER_PLACEHOLDER_ID);
    pipeline_release(&p);

    /* Real ids once GET /businesses answered. */
    /* A newline in a name must not end the comment it is written in. */
    assert_int_equal(starter_add_business(&s, BONDI, "Bondi\n#x: y"), 0);
    assert_int_equal(starter_add_business(&s, SURRY, "Surry Hills"), 0);
    round_trip(&s, &p);
    assert_string_equal(p.invite.business_id, BONDI);
    pipeline_release(&p);
    starter_release(&s);
    guess_release(&g);
    free(path);
}

/* Column names with YAML's special characters survive; semicolons stay. */
static void test_starter_quotes_anything(void **state)
{
    (void)state;
    struct guess g;
    struct starter s;
    struct pipeline p;
    struct cp_error err = {0};
    read_guess(&g, "odd.csv",
               "\"First \"\"Name\"\"\";\"E-mail: \\\\ #1\";\"Mobile\tNumber\";Prénom 2\n"
               "A;a@x.io;0412 345 678;x\n");
    char *path = unit_path(tmpdir, "odd.csv");
    assert_int_equal(g.delimiter, ';');
    assert_int_equal(starter_init(&s, &g, path, &err), 0);
    round_trip(&s, &p);
    assert_int_equal(p.input.columns[MAP_FIRST_NAME].n, 1);
    assert_int_equal(p.input.columns[MAP_EMAIL].n, 1);
    assert_int_equal(p.input.columns[MAP_PHONE].n, 1);
    assert_string_equal(p.input.columns[MAP_FIRST_NAME].names[0], "First \"Name\"");
    assert_string_equal(p.input.columns[MAP_EMAIL].names[0], "E-mail: \\\\ #1");
    assert_string_equal(p.input.columns[MAP_PHONE].names[0], "Mobile\tNumber");
    assert_int_equal(p.input.delimiter, ';');
    assert_null(p.channels.sms);
    pipeline_release(&p);
    starter_release(&s);
    guess_release(&g);
    free(path);
}

/* Nothing to go on: the file still loads, with the country left out, and
 * a file called null.csv gives a pipeline called "null". */
static void test_starter_without_country(void **state)
{
    (void)state;
    struct guess g;
    struct starter s;
    struct pipeline p;
    struct cp_error err = {0};
    read_guess(&g, "null.csv", "Name,Email\nJane Citizen,jane@x.io\n");
    char *path = unit_path(tmpdir, "null.csv");
    assert_int_equal(starter_init(&s, &g, path, &err), 0);
    round_trip(&s, &p);
    assert_string_equal(p.name, "null"); /* a name, not YAML's null */
    assert_string_equal(p.validate.default_country, "");
    assert_string_equal(p.input.columns[MAP_FULL_NAME].names[0], "Name");
    pipeline_release(&p);
    starter_release(&s);
    guess_release(&g);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_country_from_column),
        cmocka_unit_test(test_country_from_phones),
        cmocka_unit_test(test_consent_counted),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_starter_loads),
        cmocka_unit_test(test_starter_quotes_anything),
        cmocka_unit_test(test_starter_without_country),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, unit_teardown_tmpdir);
}
