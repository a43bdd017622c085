/*
 * Header presets and auto-mapping: the headers real systems write -> the
 * columns each API field reads, through mapping_init as check and run use it.
 *
 * Proves: each preset's header (Shopify current and legacy, Square with
 * "Last Name" and "Surname", Lightspeed/Vend, Clover, HubSpot, Mailchimp new
 * and merge tags, Salesforce report and Data Loader, Xero, generic and
 * non-English spellings) maps to the expected columns, in the expected
 * order (mobile first), is recognised as its system, and yields its consent
 * columns; every preset recognises its own telltale columns; two equally
 * good columns are an error naming them (and what to do), unless the
 * pipeline names the field; fallback tiers and an unused full name are not
 * ambiguous; Shopify's leading ' goes from phones and ids but not names;
 * per row the mobile wins when filled and the other phone otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/mapping.h"
#include "intake/presets.h"

/* ---- a header or row from a comma-separated string (no quoting) ---- */

struct line {
    char buf[2048];
    const char *fields[64];
    size_t lens[64];
    struct csv_row row;
};

static const struct csv_row *split(struct line *l, const char *csv)
{
    assert_true(strlen(csv) < sizeof l->buf);
    strcpy(l->buf, csv);
    size_t n = 0;
    for (char *p = l->buf;; n++) {
        assert_true(n < 64);
        char *comma = strchr(p, ',');
        l->fields[n] = p;
        l->lens[n] = comma ? (size_t)(comma - p) : strlen(p);
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    l->row = (struct csv_row){.n = n + 1, .fields = l->fields, .lens = l->lens, .line = 1};
    return &l->row;
}

/* The columns of field f as "A | B", "" when unmapped. */
static void cols_of(const struct mapping *m, enum map_field f, char *out, size_t cap)
{
    size_t j = 0;
    out[0] = '\0';
    for (size_t k = 0; k < m->n[f]; k++)
        j += (size_t)snprintf(out + j, cap - j, "%s%s", k ? " | " : "", m->header[m->cols[f][k]]);
}

static int map_header(struct mapping *m, const struct pipeline *p, const char *header,
                      struct cp_error *err)
{
    struct line l;
    return mapping_init(m, p, split(&l, header), "x.csv", err);
}

/* ---- each system's header ---- */

struct preset_case {
    const char *header;
    const char *system; /* presets key, NULL: none */
    const char *want[MAP_FIELD_COUNT];
    const char *sms, *email; /* consent columns */
};

#define SHOPIFY_HEADER                                                                           \
    "First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"                \
    "Default Address Address1,Default Address Address2,Default Address City,"                    \
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"            \
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt," \
    "Tags"

static const struct preset_case cases[] = {
    {"Customer ID," SHOPIFY_HEADER, "shopify",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Phone | Default Address Phone", [MAP_SOURCE_CONTACT_ID] = "Customer ID",
      [MAP_COUNTRY] = "Default Address Country Code"},
     "Accepts SMS Marketing", "Accepts Email Marketing"},
    {SHOPIFY_HEADER, "shopify",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Phone | Default Address Phone",
      [MAP_COUNTRY] = "Default Address Country Code"},
     "Accepts SMS Marketing", "Accepts Email Marketing"},
    {"First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,"
     "Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt",
     "shopify-legacy",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Phone", [MAP_COUNTRY] = "Country Code | Country"},
     "Accepts Marketing", "Accepts Marketing"},
    {"Reference ID,First Name,Last Name,Email Address,Phone Number,Nickname,Company Name,"
     "Street Address 1,City,State,Postal Code,Birthday,Memo,Square Customer ID,Creation Source,"
     "First Visit,Last Visit,Transaction Count,Total Spend,Email Subscription Status",
     "square",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name",
      [MAP_EMAIL] = "Email Address", [MAP_PHONE] = "Phone Number",
      [MAP_SOURCE_CONTACT_ID] = "Square Customer ID"},
     NULL, "Email Subscription Status"},
    /* Two of Square's sixteen telltale columns are not enough to name it
     * (a system is named on strong evidence only); the columns still map. */
    {"Reference ID,First Name,Surname,Email Address,Phone Number,Postcode,Square Customer ID",
     NULL,
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Surname", [MAP_EMAIL] = "Email Address",
      [MAP_PHONE] = "Phone Number", [MAP_SOURCE_CONTACT_ID] = "Square Customer ID"},
     NULL, NULL},
    {"id,customer_code,first_name,last_name,company_name,email,phone,mobile,fax,"
     "physical_address_1,physical_suburb,physical_city,physical_postcode,physical_country_id,"
     "postal_country_id,customer_group_name,note,date_of_birth,enable_loyalty,loyalty_balance,"
     "year_to_date,do_not_email",
     "lightspeed",
     {[MAP_FIRST_NAME] = "first_name", [MAP_LAST_NAME] = "last_name", [MAP_EMAIL] = "email",
      [MAP_PHONE] = "mobile | phone", [MAP_SOURCE_CONTACT_ID] = "id",
      [MAP_COUNTRY] = "physical_country_id | postal_country_id"},
     NULL, "do_not_email"},
    {"Customer ID,First Name,Last Name,Phone Number,Email Address,Address Line 1,Address Line 2,"
     "City,State / Province,Postal / Zip Code,Country,Marketing Allowed,Customer Since,Note",
     "clover",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name",
      [MAP_EMAIL] = "Email Address", [MAP_PHONE] = "Phone Number",
      [MAP_SOURCE_CONTACT_ID] = "Customer ID", [MAP_COUNTRY] = "Country"},
     "Marketing Allowed", "Marketing Allowed"},
    {"Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,"
     "Lifecycle Stage,Contact owner,Create Date,Last Activity Date",
     "hubspot",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Mobile Phone Number | Phone Number", [MAP_SOURCE_CONTACT_ID] = "Record ID"},
     NULL, NULL},
    {"Record ID,First Name,Email,Mobile Phone Number,Country/Region,Unsubscribed from all email",
     "hubspot",
     {[MAP_FIRST_NAME] = "First Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Mobile Phone Number", [MAP_SOURCE_CONTACT_ID] = "Record ID",
      [MAP_COUNTRY] = "Country/Region"},
     NULL, "Unsubscribed from all email"},
    {"Email Address,First Name,Last Name,Address,Phone Number,Birthday,MEMBER_RATING,OPTIN_TIME,"
     "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
     "LAST_CHANGED,LEID,EUID,NOTES,TAGS",
     "mailchimp",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name",
      [MAP_EMAIL] = "Email Address", [MAP_PHONE] = "Phone Number"},
     /* CC is the sign-up's IP country, not the address's: no country column. */
     NULL, NULL},
    {"EMAIL,FNAME,LNAME,PHONE", "mailchimp-merge-tags",
     {[MAP_FIRST_NAME] = "FNAME", [MAP_LAST_NAME] = "LNAME", [MAP_EMAIL] = "EMAIL",
      [MAP_PHONE] = "PHONE"},
     NULL, NULL},
    {"First Name,Last Name,Email,Phone,Mobile,Mailing Country", NULL,
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Mobile | Phone", [MAP_COUNTRY] = "Mailing Country"},
     NULL, NULL},
    {"Contact Owner,First Name,Last Name,Title,Account Name,Email,Phone,Mobile,Mailing Street,"
     "Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Email Opt Out,"
     "Contact ID",
     "salesforce-report",
     {[MAP_FIRST_NAME] = "First Name", [MAP_LAST_NAME] = "Last Name", [MAP_EMAIL] = "Email",
      [MAP_PHONE] = "Mobile | Phone", [MAP_SOURCE_CONTACT_ID] = "Contact ID",
      [MAP_COUNTRY] = "Mailing Country"},
     NULL, "Email Opt Out"},
    {"FIRSTNAME,LASTNAME,EMAIL,PHONE,MOBILEPHONE,MAILINGCOUNTRY,ID", NULL,
     {[MAP_FIRST_NAME] = "FIRSTNAME", [MAP_LAST_NAME] = "LASTNAME", [MAP_EMAIL] = "EMAIL",
      [MAP_PHONE] = "MOBILEPHONE | PHONE", [MAP_SOURCE_CONTACT_ID] = "ID",
      [MAP_COUNTRY] = "MAILINGCOUNTRY"},
     NULL, NULL},
    {"ID,FIRSTNAME,LASTNAME,EMAIL,PHONE,MOBILEPHONE,HOMEPHONE,OTHERPHONE,MAILINGCOUNTRY,"
     "OTHERCOUNTRY,HASOPTEDOUTOFEMAIL,DONOTCALL",
     "salesforce-dataloader",
     {[MAP_FIRST_NAME] = "FIRSTNAME", [MAP_LAST_NAME] = "LASTNAME", [MAP_EMAIL] = "EMAIL",
      [MAP_PHONE] = "MOBILEPHONE | PHONE | HOMEPHONE | OTHERPHONE",
      [MAP_SOURCE_CONTACT_ID] = "ID", [MAP_COUNTRY] = "MAILINGCOUNTRY | OTHERCOUNTRY"},
     "DONOTCALL", "HASOPTEDOUTOFEMAIL"},
    {"ContactName,EmailAddress,FirstName,LastName,PhoneNumber,MobileNumber,POCountry,SACountry",
     NULL,
     /* The contact name is the fallback for an empty first name. */
     {[MAP_FIRST_NAME] = "FirstName", [MAP_LAST_NAME] = "LastName", [MAP_EMAIL] = "EmailAddress",
      [MAP_FULL_NAME] = "ContactName",
      [MAP_PHONE] = "MobileNumber | PhoneNumber", [MAP_COUNTRY] = "POCountry | SACountry"},
     NULL, NULL},
    /* No first-name column: the contact name is split. */
    {"*ContactName,AccountNumber,EmailAddress,MobileNumber,POCountry", NULL,
     {[MAP_FULL_NAME] = "*ContactName", [MAP_EMAIL] = "EmailAddress", [MAP_PHONE] = "MobileNumber",
      [MAP_SOURCE_CONTACT_ID] = "AccountNumber", [MAP_COUNTRY] = "POCountry"},
     NULL, NULL},
    /* The same name twice (HubSpot's two "Phone Number") is one column
     * written twice: both are per-row fallbacks, in header order. */
    {"First Name,Phone,Phone", NULL,
     {[MAP_FIRST_NAME] = "First Name", [MAP_PHONE] = "Phone | Phone"},
     NULL, NULL},
    {"first_name,last_name,email,phone", NULL,
     {[MAP_FIRST_NAME] = "first_name", [MAP_LAST_NAME] = "last_name", [MAP_EMAIL] = "email",
      [MAP_PHONE] = "phone"},
     NULL, NULL},
    {"FirstName,LastName,EmailAddress,MobilePhone,Customer No.", NULL,
     {[MAP_FIRST_NAME] = "FirstName", [MAP_LAST_NAME] = "LastName", [MAP_EMAIL] = "EmailAddress",
      [MAP_PHONE] = "MobilePhone", [MAP_SOURCE_CONTACT_ID] = "Customer No."},
     NULL, NULL},
    {"Given Name,Family Name,E-mail,Home Phone,Cell Phone,Work Phone,Accepts SMS", NULL,
     {[MAP_FIRST_NAME] = "Given Name", [MAP_LAST_NAME] = "Family Name", [MAP_EMAIL] = "E-mail",
      [MAP_PHONE] = "Cell Phone | Home Phone | Work Phone"},
     "Accepts SMS", NULL},
    {"Vorname,Nachname,E-Mail,Telefon,Handy,Land", NULL,
     {[MAP_FIRST_NAME] = "Vorname", [MAP_LAST_NAME] = "Nachname", [MAP_EMAIL] = "E-Mail",
      [MAP_PHONE] = "Handy | Telefon", [MAP_COUNTRY] = "Land"},
     NULL, NULL},
    {"Prénom,Nom,Courriel,Téléphone,Portable,Pays", NULL,
     {[MAP_FIRST_NAME] = "Prénom", [MAP_LAST_NAME] = "Nom", [MAP_EMAIL] = "Courriel",
      [MAP_PHONE] = "Portable | Téléphone", [MAP_COUNTRY] = "Pays"},
     NULL, NULL},
};

static void check_case(const struct preset_case *c)
{
    struct pipeline p = {0};
    struct mapping m;
    struct cp_error err = {0};
    char got[512];
    if (map_header(&m, &p, c->header, &err) < 0)
        fail_msg("%s: %s", c->header, err.msg);
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        cols_of(&m, (enum map_field)f, got, sizeof got);
        const char *want = c->want[f] ? c->want[f] : "";
        if (strcmp(got, want) != 0)
            fail_msg("%s\n  %s: [%s], want [%s]", c->header, map_field_key[f], got, want);
        if (m.n[f] && !m.guessed[f])
            fail_msg("%s: %s not marked as guessed", c->header, map_field_key[f]);
    }
    if (!c->system ? m.system != NULL : !m.system || strcmp(m.system->key, c->system) != 0)
        fail_msg("%s\n  system [%s], want [%s]", c->header, m.system ? m.system->key : "none",
                 c->system ? c->system : "none");

    /* Consent columns come from the same reading of the header. */
    struct preset_match pm;
    assert_int_equal(presets_match((const char *const *)m.header, m.header_n, &pm), 0);
    const char *want_consent[PRESET_CHANNELS] = {c->sms, c->email};
    for (int ch = 0; ch < PRESET_CHANNELS; ch++) {
        const char *col = pm.consent[ch].col >= 0 ? m.header[pm.consent[ch].col] : NULL;
        if (!col != !want_consent[ch] || (col && strcmp(col, want_consent[ch]) != 0))
            fail_msg("%s\n  consent %d: [%s], want [%s]", c->header, ch, col ? col : "none",
                     want_consent[ch] ? want_consent[ch] : "none");
        if (col)
            assert_non_null(pm.consent[ch].values[0]);
    }
    mapping_release(&m);
}

static void test_each_preset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i]);
}

/* Every system recognises a header of exactly its telltale columns, and
 * needs no more of them than it has. */
static void test_presets_recognise_themselves(void **state)
{
    (void)state;
    size_t i = 0;
    for (const struct preset *p; (p = presets_at(i)); i++) {
        const char *header[64];
        size_t n = 0;
        for (const char *const *m = p->marks; *m; m++) {
            assert_true(n < 64);
            header[n++] = *m;
        }
        assert_true(p->need >= 1 && (size_t)p->need <= n);
        struct preset_match pm;
        assert_int_equal(presets_match(header, n, &pm), 0);
        if (pm.system != p)
            fail_msg("'%s' marks recognised as '%s'", p->key, pm.system ? pm.system->key : "none");
        assert_int_equal(pm.marks_found, (int)n);
        assert_int_equal(pm.marks_total, (int)n);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(presets_at(j)->key, p->key);
    }
    assert_true(i >= 11);
}

static void test_describe(void **state)
{
    (void)state;
    struct pipeline p = {0};
    struct mapping m;
    struct cp_error err = {0};
    char buf[256];
    assert_int_equal(map_header(&m, &p, "Customer ID," SHOPIFY_HEADER, &err), 0);
    assert_string_equal(mapping_system(&m, buf, sizeof buf),
                        "looks like a Shopify customers export (13 of 13 telltale columns)");
    mapping_release(&m);
    assert_int_equal(map_header(&m, &p, "first_name,email", &err), 0);
    assert_string_equal(mapping_system(&m, buf, sizeof buf),
                        "not a known export: columns matched by their names");
    mapping_release(&m);
    /* Every column from the pipeline and no system: nothing to say. */
    char *first[] = {"A"}, *email[] = {"B"};
    p.input.columns[MAP_FIRST_NAME] = (struct column_ref){.names = first, .n = 1};
    p.input.columns[MAP_EMAIL] = (struct column_ref){.names = email, .n = 1};
    assert_int_equal(map_header(&m, &p, "A,B", &err), 0);
    assert_null(mapping_system(&m, buf, sizeof buf));
    mapping_release(&m);
}

/* ---- ambiguity ---- */

static void expect_error(const struct pipeline *p, const char *header, const char *msg)
{
    struct mapping m;
    struct cp_error err = {0};
    if (map_header(&m, p, header, &err) == 0)
        fail_msg("%s: mapped, want an error", header);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("%s:\n  got  [%s]\n  want [%s]", header, err.msg, msg);
    mapping_release(&m);
}

static void expect_ok(const struct pipeline *p, const char *header)
{
    struct mapping m;
    struct cp_error err = {0};
    if (map_header(&m, p, header, &err) < 0)
        fail_msg("%s: %s", header, err.msg);
    mapping_release(&m);
}

static void test_ambiguous_header(void **state)
{
    (void)state;
    struct pipeline p = {0};
    expect_error(&p, "First Name,Email,Phone,Email Address",
                 "'x.csv': 2 columns could be the email: 'Email' and 'Email Address'; set "
                 "input.columns.email in the pipeline to the one to use (or to a list of them: "
                 "per row the first non-empty wins)");
    expect_error(&p, "E-mail Address,First Name,Email,Email Address",
                 "'x.csv': 3 columns could be the email: 'E-mail Address', 'Email' and 'Email "
                 "Address'; set input.columns.email in the pipeline to the one to use (or to a "
                 "list of them: per row the first non-empty wins)");
    /* An optional field is no exception: no silent pick of a country. */
    expect_error(&p, "First Name,Email,Country,Mailing Country",
                 "'x.csv': 2 columns could be the country: 'Country' and 'Mailing Country'; set "
                 "input.columns.country in the pipeline to the one to use (or to a list of them: "
                 "per row the first non-empty wins)");
    /* Two names when there is no first name to prefer. */
    expect_error(&p, "Name,Full Name,Email",
                 "'x.csv': 2 columns could be the fullName: 'Name' and 'Full Name'; set "
                 "input.columns.fullName in the pipeline to the one to use (or to a list of them: "
                 "per row the first non-empty wins)");
}

static void test_not_ambiguous(void **state)
{
    (void)state;
    struct pipeline p = {0};
    /* Different tiers: the better one first, the other as a fallback. */
    expect_ok(&p, "First Name,Email,Customer Email");
    /* Fallback phones are all used, in header order. */
    expect_ok(&p, "First Name,Home Phone,Work Phone,Other Phone");
    /* A full name nobody will use cannot be ambiguous. */
    expect_ok(&p, "First Name,Name,Full Name,Email");
    /* The pipeline names the field: the header's doubt is settled. */
    char *email[] = {"Email Address"};
    p.input.columns[MAP_EMAIL] = (struct column_ref){.names = email, .n = 1};
    expect_ok(&p, "First Name,Email,Email Address");
}

/* A pipeline that names a full-name column is not overruled by a guessed
 * first name; one that names a first name drops the guessed full name. */
static void test_configured_names_win(void **state)
{
    (void)state;
    struct pipeline p = {0};
    struct mapping m;
    struct cp_error err = {0};
    char *full[] = {"Customer Name"};
    p.input.columns[MAP_FULL_NAME] = (struct column_ref){.names = full, .n = 1};
    assert_int_equal(map_header(&m, &p, "First Name,Customer Name,Email", &err), 0);
    assert_int_equal(m.n[MAP_FIRST_NAME], 0);
    assert_int_equal(m.n[MAP_FULL_NAME], 1);
    assert_int_equal(m.guessed[MAP_FULL_NAME], 0);
    mapping_release(&m);
}

/* ---- values ---- */

static const char *value(const struct mapping *m, enum map_field f, const char *csv,
                         char *out, size_t cap)
{
    struct line l;
    size_t len;
    const char *v = mapping_value(m, f, split(&l, csv), &len);
    if (!v)
        return NULL;
    snprintf(out, cap, "%.*s", (int)len, v);
    return out;
}

static void test_shopify_apostrophe(void **state)
{
    (void)state;
    struct pipeline p = {0};
    struct mapping m;
    struct cp_error err = {0};
    char buf[64];
    const char *header = "Customer ID,First Name,Last Name,Phone,Default Address Zip";
    assert_int_equal(map_header(&m, &p, header, &err), 0);
    const char *row = "'7390118000001,'Neil,'t Hooft,'+61412345678,'2026";
    assert_string_equal(value(&m, MAP_SOURCE_CONTACT_ID, row, buf, sizeof buf), "7390118000001");
    assert_string_equal(value(&m, MAP_PHONE, row, buf, sizeof buf), "+61412345678");
    /* Names keep theirs: 't Hooft is a Dutch surname. */
    assert_string_equal(value(&m, MAP_LAST_NAME, row, buf, sizeof buf), "'t Hooft");
    assert_string_equal(value(&m, MAP_FIRST_NAME, row, buf, sizeof buf), "'Neil");
    /* A lone mark is an empty cell; spaces after it go too. */
    assert_null(value(&m, MAP_PHONE, "1,A,B,',x", buf, sizeof buf));
    assert_string_equal(value(&m, MAP_PHONE, "1,A,B, ' 0412 345 678 ,x", buf, sizeof buf),
                        "0412 345 678");
    /* Only the leading one. */
    assert_string_equal(value(&m, MAP_SOURCE_CONTACT_ID, "O'Brien-1,A,B,,", buf, sizeof buf),
                        "O'Brien-1");
    mapping_release(&m);
}

static void test_mobile_first_per_row(void **state)
{
    (void)state;
    struct pipeline p = {0};
    struct mapping m;
    struct cp_error err = {0};
    char buf[64];
    const char *header = "Record ID,First Name,Email,Phone Number,Mobile Phone Number";
    assert_int_equal(map_header(&m, &p, header, &err), 0);
    assert_string_equal(value(&m, MAP_PHONE, "1,A,a@x.io,+1 212 555 0123,+1 415 555 0199", buf,
                              sizeof buf), "+1 415 555 0199");
    assert_string_equal(value(&m, MAP_PHONE, "2,B,b@x.io,+1 212 555 0123,", buf, sizeof buf),
                        "+1 212 555 0123");
    assert_string_equal(value(&m, MAP_PHONE, "3,C,c@x.io,+1 212 555 0123,   ", buf, sizeof buf),
                        "+1 212 555 0123");
    assert_null(value(&m, MAP_PHONE, "4,D,d@x.io,,", buf, sizeof buf));
    mapping_release(&m);
}

static void test_squash(void **state)
{
    (void)state;
    char out[PRESET_KEY_MAX];
    presets_squash("E-mail Address", out, sizeof out);
    assert_string_equal(out, "emailaddress");
    presets_squash(" State / Province ", out, sizeof out);
    assert_string_equal(out, "stateprovince");
    presets_squash("*ContactName", out, sizeof out);
    assert_string_equal(out, "contactname");
    presets_squash("Prénom", out, sizeof out);
    assert_string_equal(out, "prénom");
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    presets_squash(longer, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_preset),
        cmocka_unit_test(test_presets_recognise_themselves),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_ambiguous_header),
        cmocka_unit_test(test_not_ambiguous),
        cmocka_unit_test(test_configured_names_win),
        cmocka_unit_test(test_shopify_apostrophe),
        cmocka_unit_test(test_mobile_first_per_row),
        cmocka_unit_test(test_squash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
