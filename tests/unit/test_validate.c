/*
 * Validation, mapping and the intake engine: a CSV file + a pipeline -> one
 * row_result per data row with the status and the reason a person reads.
 *
 * Proves each rule of SPEC sections 3-4 through engine_open/engine_next on
 * real temporary files, with a pipeline built by hand (no YAML): first name
 * required after trimming; fullName split when there is no firstName column;
 * emails trimmed and lower-cased, and email_valid's shape rules; AU national
 * phones -> E.164; landlines dropped or kept by validate.landlines; a contact
 * keeps the channels that are good; duplicates by email or phone skipped
 * with the first row named (and kept with dedupe off); input.where; rows
 * with the wrong field count; per-row locations through business_map or a
 * UUID; uuid_valid; and the input errors of engine_open naming the column
 * and listing the header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/engine.h"
#include "intake/validate.h"
#include "unit_tmp.h"

#define BIZ       "44271176-7053-4534-ad6f-b38d132d341e"
#define CAMPAIGN  "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"
#define BONDI     "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4"
#define OTHER_BIZ "A1B2C3D4-0000-4000-8000-00000000abcd"

static char **names_pool[256]; /* see set_col() */
static size_t n_names_pool;

static int teardown(void **state)
{
    for (size_t i = 0; i < n_names_pool; i++)
        free(names_pool[i]);
    return unit_teardown_tmpdir(state);
}

/* ---- a pipeline by hand ---- */

/* Column names for set_col(): string literals, copied into an array that
 * lives until the end of the program (compound literals die with their
 * block). The pipeline is never released: it owns nothing here. */
#define COLS(...)                                                                                  \
    ((const char *[]){__VA_ARGS__}), (sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))

static void set_col(struct pipeline *p, enum map_field f, const char **names, size_t n)
{
    char **copy = NULL;
    if (n) {
        assert_true(n_names_pool < sizeof names_pool / sizeof *names_pool);
        copy = calloc(n, sizeof *copy);
        assert_non_null(copy);
        memcpy(copy, names, n * sizeof *copy);
        names_pool[n_names_pool++] = copy;
    }
    p->input.columns[f].names = copy;
    p->input.columns[f].n = n;
}

/* The usual export: First Name, Last Name, Email, Phone; AU; landlines skipped;
 * dedupe on; one business and campaign. */
static void base_pipeline(struct pipeline *p)
{
    memset(p, 0, sizeof *p);
    p->file = "test.yaml";
    p->kind = PIPELINE_INVITE;
    strcpy(p->validate.default_country, "AU");
    p->validate.landlines = LANDLINES_SKIP;
    p->validate.dedupe = true;
    p->invite.business_id = BIZ;
    p->invite.campaign_id = CAMPAIGN;
    set_col(p, MAP_FIRST_NAME, COLS("First Name"));
    set_col(p, MAP_LAST_NAME, COLS("Last Name"));
    set_col(p, MAP_EMAIL, COLS("Email"));
    set_col(p, MAP_PHONE, COLS("Phone"));
}

#define STD_HEADER "First Name,Last Name,Email,Phone\n"

/* ---- running the engine over a file ---- */

#define MAX_ROWS 16

struct run {
    size_t n;
    struct row_result r[MAX_ROWS];
};

static char *write_csv(const char *csv)
{
    char *path = unit_mkstemp(tmpdir, csv, strlen(csv));
    assert_non_null(path);
    return path;
}

/* Read every row of `csv` through the engine into `run`. */
static void run_engine(const struct pipeline *p, const char *csv, long limit, struct run *run)
{
    char *path = write_csv(csv);
    struct cp_error err = {0};
    struct engine *e = engine_open(p, path, limit, &err);
    if (!e)
        fail_msg("engine_open: %s", err.msg);
    run->n = 0;
    int rc;
    for (;;) {
        assert_true(run->n < MAX_ROWS);
        struct row_result *r = &run->r[run->n];
        row_result_init(r);
        rc = engine_next(e, r, &err);
        if (rc != 1) {
            row_result_release(r);
            break;
        }
        run->n++;
    }
    if (rc != 0)
        fail_msg("engine_next: %d %s", rc, err.msg);
    engine_close(e);
    unlink(path);
    free(path);
}

static void run_free(struct run *run)
{
    for (size_t i = 0; i < run->n; i++)
        row_result_release(&run->r[i]);
    run->n = 0;
}

/* What one row must come out as. NULL: not checked. For `reason`, "" means
 * no reason at all and anything else must appear in it. */
struct want {
    long line;
    enum row_status status;
    const char *reason;
    const char *first, *last, *email, *phone, *business;
};

static void check_sb(const char *what, size_t i, const struct strbuf *sb, const char *want)
{
    if (want && strcmp(strbuf_str(sb), want) != 0)
        fail_msg("row %zu: %s [%s], want [%s]", i, what, strbuf_str(sb), want);
}

static void check_run(const struct run *run, const struct want *w, size_t n)
{
    if (run->n != n)
        fail_msg("%zu rows, want %zu", run->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct row_result *r = &run->r[i];
        if (r->input_row != w[i].line)
            fail_msg("row %zu: input_row %ld, want %ld", i, r->input_row, w[i].line);
        if (r->status != w[i].status)
            fail_msg("row %zu (line %ld): status %s, want %s (reason: %s)", i, r->input_row,
                     row_status_name(r->status), row_status_name(w[i].status),
                     strbuf_str(&r->reason));
        if (w[i].reason) {
            const char *got = strbuf_str(&r->reason);
            if (*w[i].reason ? !strstr(got, w[i].reason) : *got != '\0')
                fail_msg("row %zu (line %ld): reason [%s], want [%s]", i, r->input_row, got,
                         w[i].reason);
        }
        check_sb("first_name", i, &r->first_name, w[i].first);
        check_sb("last_name", i, &r->last_name, w[i].last);
        check_sb("email", i, &r->email, w[i].email);
        check_sb("phone", i, &r->phone, w[i].phone);
        check_sb("business_id", i, &r->business_id, w[i].business);
    }
}

#define CHECK(run, ...)                                                                            \
    do {                                                                                           \
        const struct want w_[] = {__VA_ARGS__};                                                    \
        check_run((run), w_, sizeof w_ / sizeof *w_);                                              \
    } while (0)

/* ---- names ---- */

static void test_first_name_required(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p,
               STD_HEADER "Jane,Doe,jane@example.com,\n"
                          ",Doe,a@example.com,\n"
                          "   ,Doe,b@example.com,\n"
                          "\t Bob  , Smith ,bob@example.com,\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Jane", "Doe", "jane@example.com", "", BIZ},
          {3, ROW_REJECTED, "missing first name", "", NULL, NULL, NULL, NULL},
          {4, ROW_REJECTED, "missing first name", "", NULL, NULL, NULL, NULL},
          {5, ROW_PENDING, "", "Bob", "Smith", "bob@example.com", "", BIZ});
    run_free(&run);
}

/* Several columns for one field: per row, the first non-empty wins. */
static void test_column_alternatives(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    set_col(&p, MAP_FIRST_NAME, COLS("Preferred", "Given Name"));
    struct run run;
    run_engine(&p,
               "Preferred,Given Name,Last Name,Email,Phone\n"
               "Jo,Joanne,Doe,jo@example.com,\n"
               "  ,Joanne,Doe,jd@example.com,\n"
               ",,Doe,x@example.com,\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Jo", NULL, NULL, NULL, NULL},
          {3, ROW_PENDING, "", "Joanne", NULL, NULL, NULL, NULL},
          {4, ROW_REJECTED, "missing first name", NULL, NULL, NULL, NULL, NULL});
    run_free(&run);
}

static void test_full_name_split(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    set_col(&p, MAP_FIRST_NAME, NULL, 0);
    set_col(&p, MAP_LAST_NAME, NULL, 0);
    set_col(&p, MAP_FULL_NAME, COLS("Customer Name"));
    struct run run;
    run_engine(&p,
               "Customer Name,Email,Phone\n"
               "Jane Q Citizen,a@example.com,\n"
               "\"Citizen, Jane\",b@example.com,\n"
               "Jane,c@example.com,\n"
               "  Jane    Citizen  ,d@example.com,\n"
               "\"  Citizen ,  Jane Q \",e@example.com,\n"
               ",f@example.com,\n"
               "\"Citizen,\",g@example.com,\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Jane", "Q Citizen", NULL, NULL, NULL},
          {3, ROW_PENDING, "", "Jane", "Citizen", NULL, NULL, NULL},
          {4, ROW_PENDING, "", "Jane", "", NULL, NULL, NULL},
          {5, ROW_PENDING, "", "Jane", "Citizen", NULL, NULL, NULL},
          {6, ROW_PENDING, "", "Jane Q", "Citizen", NULL, NULL, NULL},
          {7, ROW_REJECTED, "missing first name", NULL, NULL, NULL, NULL, NULL},
          {8, ROW_REJECTED, "missing first name", NULL, "Citizen", NULL, NULL, NULL});
    run_free(&run);
}

/* With a lastName column the full name only gives the first name. */
static void test_full_name_with_last_name_column(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    set_col(&p, MAP_FIRST_NAME, NULL, 0);
    set_col(&p, MAP_FULL_NAME, COLS("Name"));
    struct run run;
    run_engine(&p,
               "Name,Last Name,Email,Phone\n"
               "Jane Q Citizen,Smith,a@example.com,\n"
               "Jane Q Citizen,,b@example.com,\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Jane", "Smith", NULL, NULL, NULL},
          {3, ROW_PENDING, "", "Jane", "Q Citizen", NULL, NULL, NULL});
    run_free(&run);
}

/* A firstName column wins over a full name the header merely suggests. */
static void test_guessed_columns(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    for (int f = 0; f < MAP_FIELD_COUNT; f++)
        set_col(&p, (enum map_field)f, NULL, 0);
    struct run run;
    run_engine(&p,
               "Name,given_name,SURNAME,E-mail,Mobile Number\n"
               "Jane Q Citizen,Janet,Citizen,J@Example.com,0412 345 678\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Janet", "Citizen", "j@example.com", "+61412345678", BIZ});
    run_free(&run);
}

/* ---- email ---- */

static void test_email_normalised(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p,
               STD_HEADER "Jane,Doe,  Jane.DOE@Example.COM  ,\n"
                          "Bob,,\"\tBOB@EXAMPLE.ORG \",\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Jane", "Doe", "jane.doe@example.com", "", NULL},
          {3, ROW_PENDING, "", "Bob", "", "bob@example.org", "", NULL});
    run_free(&run);
}

struct email_case {
    const char *email;
    int valid;
};

static const struct email_case email_cases[] = {
    {"jane@example.com", 1},
    {"j@x.co", 1},
    {"first.last+tag@sub.example.com.au", 1},
    {"jane@ex-ample.io", 1},
    {"jane@example..com", 1}, /* what the API takes: only the rules below */
    {"jane.@example.com", 1},
    {"", 0},
    {"jane", 0},
    {"jane.example.com", 0},
    {"jane@@example.com", 0},
    {"ja@ne@example.com", 0},
    {"@example.com", 0},
    {"jane@", 0},
    {"jane@example", 0},
    {"jane@.com", 0},
    {"jane@example.", 0},
    {"jane@example.com.", 0},
    {"ja ne@example.com", 0},
    {"jane@exa mple.com", 0},
    {"jane@example.com ", 0}, /* the caller trims; the checker does not */
    {"jane\t@example.com", 0},
    {"jane@exam\nple.com", 0},
    {"jane@exam\x7fple.com", 0},
    {"jane@exam\x01ple.com", 0},
};

static void test_email_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof email_cases / sizeof *email_cases; i++) {
        const struct email_case *c = &email_cases[i];
        int got = email_valid(c->email, strlen(c->email));
        if (got != c->valid)
            fail_msg("email_valid(\"%s\") = %d, want %d", c->email, got, c->valid);
    }
    /* The length is honoured: no reading up to a NUL. */
    assert_int_equal(email_valid("jane@example.com", 4), 0);
    assert_int_equal(email_valid("a@b.cX", 5), 1);
}

/* The byte-by-byte rules email_valid and email_lower keep (they go eight
 * bytes a step): every ASCII byte from 0 to 0x7f, and UTF-8 capitals. */
static int email_valid_ref(const char *e, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)e[i];
        if (c == '@') {
            if (at)
                return 0;
            at = e + i;
        } else if (c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }
    if (!at || at == e || at == e + len - 1)
        return 0;
    const char *d = at + 1;
    size_t dlen = len - (size_t)(d - e);
    const char *dot = memchr(d, '.', dlen);
    return dot && dot != d && d[dlen - 1] != '.';
}

static void email_lower_ref(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') {
            s[i] = (char)(c + ('a' - 'A'));
        } else if (c == 0xC3 && i + 1 < len) {
            unsigned char n = (unsigned char)s[i + 1];
            if (n >= 0x80 && n <= 0x9E && n != 0x97)
                s[i + 1] = (char)(n + 0x20);
            i++;
        }
    }
}

static void test_every_typo_is_found(void **state)
{
    (void)state;
    const char *typo, *meant;
    size_t i = 0;
    for (; (typo = email_typo_at(i, &meant)) != NULL; i++) {
        const char *got = email_domain_typo(typo, strlen(typo));
        if (!got || strcmp(got, meant) != 0)
            fail_msg("typo '%s' not found (want '%s')", typo, meant);
    }
    assert_true(i >= 40);
    assert_null(email_domain_typo("example.com.au", 14));
    assert_null(email_domain_typo("gmail.com", 9));
}

static void test_email_word_steps_match_bytes(void **state)
{
    (void)state;
    /* Mostly plain letters, so runs of eight plain bytes happen, with the
     * bytes each rule turns on: '@', '.', space, controls, DEL, capitals
     * at both ends of A-Z and just outside it, and UTF-8 lead bytes. */
    static const unsigned char odd[] = {'@',  '.',  ' ',  0x00, 0x01, 0x1f, 0x20, 0x21, 0x7f,
                                        0x7e, '@',  'A',  'Z',  '[',  '`',  'a',  'z',  '{',
                                        0xC3, 0x80, 0x9E, 0x97, 0x9F, 0xC2, 0xFF, '.',  '@'};
    unsigned seed = 12345;
    for (int n = 0; n < 200000; n++) {
        char buf[48], ref[48];
        size_t len = (size_t)(seed = seed * 1103515245u + 12345u) % 41;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 100;
            buf[i] = r < 70   ? (char)('a' + r % 26)
                     : r < 80 ? (char)('0' + r % 10)
                              : (char)odd[(seed >> 8) % sizeof odd];
        }
        if (len > 3 && n % 2) /* an email-shaped one half the time */
            buf[len / 2] = '@';
        if (email_valid(buf, len) != email_valid_ref(buf, len))
            fail_msg("email_valid differs on case %d (length %zu)", n, len);
        memcpy(ref, buf, len);
        email_lower(buf, len);
        email_lower_ref(ref, len);
        if (memcmp(buf, ref, len) != 0)
            fail_msg("email_lower differs on case %d (length %zu)", n, len);
    }
}

/* ---- phone, channels ---- */

static void test_phone_and_channels(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p,
               STD_HEADER
               "Ann,A,,0412 345 678\n"                  /* 2: AU mobile, national */
               "Ben,B,,+61 412 345 679\n"               /* 3: international */
               "Cat,C,cat@example.com,(02) 9374 4000\n" /* 4: landline dropped, email kept */
               "Dan,D,,(02) 9374 4001\n"         /* 5: landline only: skipped, as with no consent */
               "Eve,E,bob@@x.com,0412 345 680\n" /* 6: bad email, good phone */
               "Fay,F,bad email@x.com,0412 345\n" /* 7: both bad */
               "Gus,G,,\n"                        /* 8: no channel */
               "Hal,H,  ,   \n"                   /* 9: blanks are no channel */
               "Ivy,I,ivy@example.com,0412\n",    /* 10: bad phone, good email */
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Ann", "A", "", "+61412345678", BIZ},
          {3, ROW_PENDING, "", "Ben", "B", "", "+61412345679", BIZ},
          {4, ROW_PENDING, "landline", "Cat", "C", "cat@example.com", "", BIZ},
          {5, ROW_SKIPPED, "phone +61293744001 is a landline", NULL, NULL, "", "", NULL},
          {6, ROW_PENDING, "invalid email \"bob@@x.com\"; sent by phone only", "Eve", "E", "",
           "+61412345680", BIZ},
          {7, ROW_REJECTED, "invalid email \"bad email@x.com\"; invalid phone number \"0412 345\"",
           NULL, NULL, "", "", NULL},
          {8, ROW_REJECTED, "no email or phone", NULL, NULL, "", "", NULL},
          {9, ROW_REJECTED, "no email or phone", NULL, NULL, "", "", NULL},
          {10, ROW_PENDING, "; sent by email only", "Ivy", "I", "ivy@example.com", "", BIZ});
    /* Row 4's reason says why the phone went and that email carries it. */
    assert_non_null(strstr(strbuf_str(&run.r[2].reason), "sent by email only"));
    assert_non_null(strstr(strbuf_str(&run.r[2].reason), "+61293744000"));
    /* Rejected with both reasons, and nothing about a channel it never had. */
    assert_null(strstr(strbuf_str(&run.r[5].reason), "no email or phone"));
    assert_null(strstr(strbuf_str(&run.r[4].reason), "sent by email only"));
    run_free(&run);
}

static void test_landlines_send(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    p.validate.landlines = LANDLINES_SEND;
    struct run run;
    run_engine(&p,
               STD_HEADER "Cat,C,cat@example.com,(02) 9374 4000\n"
                          "Dan,D,,1800 123 456\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Cat", "C", "cat@example.com", "+61293744000", BIZ},
          {3, ROW_PENDING, "", "Dan", "D", "", "+611800123456", BIZ});
    run_free(&run);
}

/* No default country: only numbers with their country code parse. */
static void test_no_default_country(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    p.validate.default_country[0] = '\0';
    struct run run;
    run_engine(&p, STD_HEADER "Ann,A,,0412 345 678\nBen,B,,+61412345678\n", 0, &run);
    CHECK(&run,
          {2, ROW_REJECTED, "invalid phone number \"0412 345 678\"", NULL, NULL, NULL, "", NULL},
          {3, ROW_PENDING, "", NULL, NULL, NULL, "+61412345678", NULL});
    run_free(&run);
}

/* ---- dedupe ---- */

static const char dedupe_csv[] =
    STD_HEADER "Ann,A,ann@example.com,0412 345 678\n"      /* 2 */
               "Ann,A,ANN@Example.com ,\n"                 /* 3: same email, other case */
               "Ann,B,other@example.com,+61 412 345 678\n" /* 4: same phone, other format */
               ",A,ann@example.com,\n"                     /* 5: rejected: not a duplicate */
               "Bea,B,bea@example.com,\n"                  /* 6 */
               "Bea,B,,0412345678\n"                       /* 7: phone of row 2 */
               "Cy,C,,0412 345 699\n"                      /* 8 */
               "Cy,C,cy@example.com,0412345699\n";         /* 9: phone of row 8 */

static void test_dedupe(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p, dedupe_csv, 0, &run);
    CHECK(&run, {2, ROW_PENDING, "", NULL, NULL, "ann@example.com", "+61412345678", NULL},
          {3, ROW_SKIPPED, "duplicate of input row 2", NULL, NULL, NULL, NULL, NULL},
          {4, ROW_SKIPPED, "duplicate of input row 2", NULL, NULL, NULL, NULL, NULL},
          {5, ROW_REJECTED, "missing first name", NULL, NULL, NULL, NULL, NULL},
          {6, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {7, ROW_SKIPPED, "duplicate of input row 2", NULL, NULL, NULL, NULL, NULL},
          {8, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {9, ROW_SKIPPED, "duplicate of input row 8", NULL, NULL, NULL, NULL, NULL});
    /* The duplicate's reason is that alone. */
    assert_string_equal(strbuf_str(&run.r[1].reason), "duplicate of input row 2");
    run_free(&run);

    p.validate.dedupe = false;
    run_engine(&p, dedupe_csv, 0, &run);
    CHECK(&run, {2, ROW_PENDING, "", NULL, NULL, "ann@example.com", NULL, NULL},
          {3, ROW_PENDING, "", NULL, NULL, "ann@example.com", NULL, NULL},
          {4, ROW_PENDING, "", NULL, NULL, NULL, "+61412345678", NULL},
          {5, ROW_REJECTED, "missing first name", NULL, NULL, NULL, NULL, NULL},
          {6, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {7, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {8, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {9, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL});
    run_free(&run);
}

/* A row that goes by phone only is not remembered by the email it lost. */
static void test_dedupe_ignores_dropped_channel(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p,
               STD_HEADER "Ann,A,ann@@example.com,0412 345 678\n"
                          "Ann,A,ann@@example.com,0412 345 679\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "sent by phone only", NULL, NULL, "", "+61412345678", NULL},
          {3, ROW_PENDING, "sent by phone only", NULL, NULL, "", "+61412345679", NULL});
    run_free(&run);
}

/* ---- where, field count, input_row, limit ---- */

static void test_where_filter(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    static const char *in[] = {"yes", "true"};
    struct where_rule rule = {.column = "Accepts SMS", .in = (char **)in, .n_in = 2};
    p.input.where = &rule;
    p.input.n_where = 1;
    struct run run;
    run_engine(&p,
               "First Name,Last Name,Email,Phone,Accepts SMS\n"
               "Ann,A,ann@example.com,,yes\n"
               "Ben,B,ben@example.com,,YES\n"
               "Cat,C,cat@example.com,, true \n"
               "Dan,D,dan@example.com,,no\n"
               "Eve,E,eve@example.com,,\n"
               ",F,not-an-email,,no\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {3, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {4, ROW_PENDING, "", NULL, NULL, NULL, NULL, NULL},
          {5, ROW_SKIPPED, "filtered out: 'Accepts SMS' is \"no\"", NULL, NULL, NULL, NULL, NULL},
          {6, ROW_SKIPPED, "filtered out: 'Accepts SMS' is \"\"", NULL, NULL, NULL, NULL, NULL},
          /* filtered before validation: no validation reason */
          {7, ROW_SKIPPED, "filtered out", NULL, NULL, NULL, NULL, NULL});
    assert_null(strstr(strbuf_str(&run.r[5].reason), "missing first name"));
    run_free(&run);
}

static void test_wrong_field_count(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct run run;
    run_engine(&p,
               STD_HEADER "Ann,A\n"
                          "Ben,B,ben@example.com,,extra\n"
                          "Cat,C,cat@example.com,\n",
               0, &run);
    CHECK(&run,
          {2, ROW_REJECTED, "row has 2 fields but the header has 4", NULL, NULL, NULL, NULL, NULL},
          {3, ROW_REJECTED, "row has 5 fields but the header has 4", NULL, NULL, NULL, NULL, NULL},
          {4, ROW_PENDING, "", "Cat", NULL, NULL, NULL, NULL});
    /* The original fields are kept for the rejects file. */
    assert_int_equal(run.r[0].n_raw, 2);
    assert_int_equal(run.r[1].n_raw, 5);
    run_free(&run);
}

/* input_row is the physical line; raw fields are kept verbatim; --limit. */
static void test_input_row_raw_and_limit(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    static const char csv[] = STD_HEADER "\n"
                                         "\" Ann \",\"A\nB\",ann@example.com,\n"
                                         "Ben,B,ben@example.com,\n"
                                         "Cat,C,cat@example.com,\n";
    struct run run;
    run_engine(&p, csv, 0, &run);
    CHECK(&run, {2, ROW_SKIPPED, "blank row", NULL, NULL, NULL, NULL, NULL},
          {3, ROW_PENDING, "", "Ann", "A\nB", NULL, NULL, NULL},
          {5, ROW_PENDING, "", "Ben", NULL, NULL, NULL, NULL},
          {6, ROW_PENDING, "", "Cat", NULL, NULL, NULL, NULL});
    const struct row_result *r = &run.r[1];
    assert_int_equal(r->n_raw, 4);
    static const char raw[] = " Ann \0A\nB\0ann@example.com\0"; /* + the empty 4th and its NUL */
    assert_int_equal(r->raw.len, sizeof raw);
    assert_memory_equal(r->raw.buf, raw, sizeof raw);
    run_free(&run);

    run_engine(&p, csv, 3, &run);
    assert_int_equal(run.n, 3);
    assert_int_equal(run.r[2].input_row, 5);
    run_free(&run);
}

/* ---- locations ---- */

static void test_business_map(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    set_col(&p, MAP_BUSINESS_ID, COLS("Location"));
    struct business_map_entry map[] = {{"Bondi", BONDI, NULL}, {"Manly Wharf", OTHER_BIZ, NULL}};
    p.invite.business_map = map;
    p.invite.n_business_map = 2;
    struct run run;
    run_engine(&p,
               "First Name,Last Name,Email,Phone,Location\n"
               "Ann,A,ann@example.com,,Bondi\n"
               "Ben,B,ben@example.com,, bondi \n"
               "Cat,C,cat@example.com,,Manly Wharf\n"
               "Dan,D,dan@example.com,,2c07094a-ed58-4cf2-9595-cf1b1d303d9d\n"
               "Eve,E,eve@example.com,,Coogee\n"
               "Fay,F,fay@example.com,,\n"
               "Gus,G,gus@example.com,,2c07094a-ed58-4cf2-9595-cf1b1d303d9\n",
               0, &run);
    CHECK(&run, {2, ROW_PENDING, "", NULL, NULL, NULL, NULL, BONDI},
          {3, ROW_PENDING, "", NULL, NULL, NULL, NULL, BONDI},
          {4, ROW_PENDING, "", NULL, NULL, NULL, NULL, OTHER_BIZ},
          {5, ROW_PENDING, "", NULL, NULL, NULL, NULL, "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"},
          {6, ROW_REJECTED, "unknown location \"Coogee\" (add it to invite.business_map)", NULL,
           NULL, NULL, NULL, NULL},
          {7, ROW_PENDING, "", NULL, NULL, NULL, NULL, BIZ}, /* empty: the pipeline's */
          {8, ROW_REJECTED, "unknown location", NULL, NULL, NULL, NULL, NULL});
    run_free(&run);

    /* No pipeline-wide business: an empty cell has no location. */
    p.invite.business_id = NULL;
    run_engine(&p,
               "First Name,Last Name,Email,Phone,Location\n"
               "Ann,A,ann@example.com,,\n"
               "Ben,B,ben@example.com,,Bondi\n",
               0, &run);
    CHECK(&run, {2, ROW_REJECTED, "no location", NULL, NULL, NULL, NULL, ""},
          {3, ROW_PENDING, "", NULL, NULL, NULL, NULL, BONDI});
    run_free(&run);
}

struct uuid_case {
    const char *s;
    int valid;
};

static const struct uuid_case uuid_cases[] = {
    {"44271176-7053-4534-ad6f-b38d132d341e", 1},  {"44271176-7053-4534-AD6F-B38D132D341E", 1},
    {"00000000-0000-0000-0000-000000000000", 1},  {"", 0},
    {"44271176-7053-4534-ad6f-b38d132d341", 0},   /* 35 */
    {"44271176-7053-4534-ad6f-b38d132d341ee", 0}, /* 37 */
    {"44271176705345345ad6f5b38d132d341e00", 0},  /* 36, no dashes */
    {"4427117-67053-4534-ad6f-b38d132d341e", 0},  /* dash misplaced */
    {"44271176-7053-4534-ad6f-b38d132d341g", 0},  {"44271176-7053-4534-ad6f b38d132d341e", 0},
    {"{4271176-7053-4534-ad6f-b38d132d341}", 0},  {"44271176-7053-4534-ad6f-b38d132d34-e", 0},
};

static void test_uuid_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof uuid_cases / sizeof *uuid_cases; i++) {
        const struct uuid_case *c = &uuid_cases[i];
        int got = uuid_valid(c->s, strlen(c->s));
        if (got != c->valid)
            fail_msg("uuid_valid(\"%s\") = %d, want %d", c->s, got, c->valid);
    }
    /* Honours the length. */
    assert_int_equal(uuid_valid("44271176-7053-4534-ad6f-b38d132d341eXYZ", 36), 1);
}

/* ---- engine_open errors ---- */

static void expect_open_error(const struct pipeline *p, const char *csv, enum cp_exit code,
                              const char *const *parts)
{
    char *path = write_csv(csv);
    struct cp_error err = {0};
    struct engine *e = engine_open(p, path, 0, &err);
    assert_null(e);
    assert_int_equal(err.code, code);
    for (; *parts; parts++)
        if (!strstr(err.msg, *parts))
            fail_msg("message [%s] lacks [%s]", err.msg, *parts);
    unlink(path);
    free(path);
}

static void test_open_errors(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);

    set_col(&p, MAP_EMAIL, COLS("E-mail Address"));
    expect_open_error(&p, "First Name,Last Name,Email,Phone\n", CP_EXIT_INPUT,
                      (const char *const[]){"no column 'E-mail Address'", "input.columns.email",
                                            "'First Name', 'Last Name', 'Email', 'Phone'", NULL});

    /* Every alternative missing: the first is named. */
    set_col(&p, MAP_EMAIL, COLS("Mail", "Mail 2"));
    expect_open_error(&p, "First Name,Last Name,Phone\n", CP_EXIT_INPUT,
                      (const char *const[]){"no column 'Mail'", NULL});

    /* One alternative present is enough; case-insensitive; header trimmed. */
    set_col(&p, MAP_EMAIL, COLS("Mail", "email"));
    struct run run;
    run_engine(&p, "First Name,Last Name, EMAIL ,Phone\nAnn,,ann@example.com,\n", 0, &run);
    CHECK(&run, {2, ROW_PENDING, "", "Ann", "", "ann@example.com", "", NULL});
    run_free(&run);
    set_col(&p, MAP_EMAIL, COLS("Email"));

    /* A where column the file lacks. */
    struct where_rule rule = {.column = "Opt In", .in = (char *[]){"yes"}, .n_in = 1};
    p.input.where = &rule;
    p.input.n_where = 1;
    expect_open_error(&p, STD_HEADER, CP_EXIT_INPUT,
                      (const char *const[]){"no column 'Opt In'", "input.where", NULL});
    p.input.where = NULL;
    p.input.n_where = 0;

    /* Nothing to take a first name from, or no channel at all. */
    struct pipeline q;
    base_pipeline(&q);
    for (int f = 0; f < MAP_FIELD_COUNT; f++)
        set_col(&q, (enum map_field)f, NULL, 0);
    expect_open_error(&q, "Email,Phone\n", CP_EXIT_INPUT,
                      (const char *const[]){"no first-name column", "'Email', 'Phone'", NULL});
    expect_open_error(&q, "First Name,Notes\n", CP_EXIT_INPUT,
                      (const char *const[]){"no email or phone column", NULL});

    /* Empty file, missing file, no input at all. */
    expect_open_error(&p, "", CP_EXIT_INPUT, (const char *const[]){"empty", NULL});
    struct cp_error err = {0};
    assert_null(engine_open(&p, "/nonexistent/cloutly/in.csv", 0, &err));
    assert_int_equal(err.code, CP_EXIT_INPUT);
    assert_null(engine_open(&p, NULL, 0, &err));
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "no input"));
}

/* "Citizen, Jane" with a filled last-name column: first name Jane, and the
 * column's last name. */
static void test_full_name_comma_with_last_name_column(void **state)
{
    (void)state;
    static const char csv[] = "Name,Last Name,Email\n\"Citizen, Jane\",Citizen,jane@example.com\n";
    char *path = unit_mkstemp(tmpdir, csv, strlen(csv));
    assert_non_null(path);
    static char *full[] = {"Name"}, *last[] = {"Last Name"}, *email[] = {"Email"};
    struct pipeline p;
    memset(&p, 0, sizeof p);
    p.file = "test.yaml";
    p.invite.business_id = "44271176-7053-4534-ad6f-b38d132d341e";
    p.input.columns[MAP_FULL_NAME] = (struct column_ref){.names = full, .n = 1};
    p.input.columns[MAP_LAST_NAME] = (struct column_ref){.names = last, .n = 1};
    p.input.columns[MAP_EMAIL] = (struct column_ref){.names = email, .n = 1};
    struct cp_error err = {0};
    struct engine *e = engine_open(&p, path, 0, &err);
    assert_non_null(e);
    struct row_result r;
    row_result_init(&r);
    assert_int_equal(engine_next(e, &r, &err), 1);
    assert_string_equal(strbuf_str(&r.first_name), "Jane");
    assert_string_equal(strbuf_str(&r.last_name), "Citizen");
    row_result_release(&r);
    engine_close(e);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_name_comma_with_last_name_column),
        cmocka_unit_test(test_first_name_required),
        cmocka_unit_test(test_column_alternatives),
        cmocka_unit_test(test_full_name_split),
        cmocka_unit_test(test_full_name_with_last_name_column),
        cmocka_unit_test(test_guessed_columns),
        cmocka_unit_test(test_email_normalised),
        cmocka_unit_test(test_email_valid_table),
        cmocka_unit_test(test_email_word_steps_match_bytes),
        cmocka_unit_test(test_every_typo_is_found),
        cmocka_unit_test(test_phone_and_channels),
        cmocka_unit_test(test_landlines_send),
        cmocka_unit_test(test_no_default_country),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_dedupe_ignores_dropped_channel),
        cmocka_unit_test(test_where_filter),
        cmocka_unit_test(test_wrong_field_count),
        cmocka_unit_test(test_input_row_raw_and_limit),
        cmocka_unit_test(test_business_map),
        cmocka_unit_test(test_uuid_valid_table),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, teardown);
}
