/*
 * Results and rejects files (results.h, SPEC section 4).
 *
 * Proves: csv_put_field quotes exactly the fields that need it (comma, quote,
 * CR, LF, a leading or trailing space) and doubles quotes; results_open /
 * results_write / results_commit produce the header and one CRLF line per
 * row, byte for byte; the rejects file repeats the input's header and the
 * original fields of rejected and failed rows only, plus input_row and
 * reason; both files are created 0600 whatever the umask; nothing exists at
 * the final path until commit, and after it no temporary file is left;
 * results_abort leaves nothing at all; missing folders are created (0700).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/csv_cell.h"
#include "invite/results.h"
#include "unit_tmp.h"

#define BIZ "44271176-7053-4534-ad6f-b38d132d341e"
#define CAMPAIGN "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"


/* ---- csv_put_field ---- */

struct field_case {
    const char *in, *out;
};

static const struct field_case field_cases[] = {
    {"plain", "plain"},
    {"", ""},
    {"two words", "two words"},
    {"semi;colon|pipe\ttab", "semi;colon|pipe\ttab"},
    {"a,b", "\"a,b\""},
    {",", "\",\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"\"", "\"\"\"\""},
    {"line1\nline2", "\"line1\nline2\""},
    {"cr\rhere", "\"cr\rhere\""},
    {"crlf\r\n", "\"crlf\r\n\""},
    {" lead", "\" lead\""},
    {"trail ", "\"trail \""},
    {" ", "\" \""},
    {"\tlead tab", "\tlead tab"},
    {"Zo\xC3\xAB", "Zo\xC3\xAB"},
    {"=1+2", "=1+2"},
};

static void test_put_field_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof field_cases / sizeof *field_cases; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        assert_non_null(fp);
        csv_put_field(fp, field_cases[i].in, strlen(field_cases[i].in));
        fclose(fp);
        if (strcmp(buf, field_cases[i].out) != 0)
            fail_msg("csv_put_field([%s]) = [%s], want [%s]", field_cases[i].in, buf,
                     field_cases[i].out);
        free(buf);
    }
    /* Only `len` bytes are written. */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    csv_put_field(fp, "abc,def", 3);
    fclose(fp);
    assert_string_equal(buf, "abc");
    free(buf);
}

/* ---- whole files ---- */

static void set(struct strbuf *sb, const char *s)
{
    strbuf_reset(sb);
    strbuf_addstr(sb, s);
}

static void set_raw(struct row_result *r, const char *const *fields, size_t n)
{
    strbuf_reset(&r->raw);
    for (size_t i = 0; i < n; i++)
        strbuf_add(&r->raw, fields[i], strlen(fields[i]) + 1);
    r->n_raw = n;
}

static void base_pipeline(struct pipeline *p)
{
    memset(p, 0, sizeof *p);
    p->invite.business_id = BIZ;
    p->invite.campaign_id = CAMPAIGN;
    p->invite.invite_delay_days = 1;
}

static char *const input_header[] = {"First Name", "Last Name", "Email", "Phone"};

/* Rows of each status, as the run would write them. */
#define N_ROWS 6
static void make_rows(struct row_result *rows)
{
    for (int i = 0; i < N_ROWS; i++)
        row_result_init(&rows[i]);
    struct row_result *r = &rows[0];
    r->input_row = 2;
    r->status = ROW_SENT;
    set(&r->contact_id, "c_1");
    set(&r->first_name, "Jane");
    set(&r->last_name, "Doe");
    set(&r->email, "jane@example.com");
    set(&r->phone, "+61412345678");
    set(&r->source_contact_id, "R-1");
    set(&r->business_id, BIZ);
    r->http_status = 200;
    r->sms_left = 42;
    set(&r->sms_renews, "2026-12-01");
    strcpy(r->processed_at, "2026-11-26T03:04:05.123Z");
    set_raw(r, (const char *const[]){"Jane", "Doe", "jane@example.com", "0412 345 678"}, 4);

    r = &rows[1];
    r->input_row = 3;
    r->status = ROW_REJECTED;
    set(&r->reason, "invalid email \"bob@@x.com\"; no email or phone");
    set(&r->first_name, "Bob");
    set(&r->last_name, "Smith, Jr");
    set_raw(r, (const char *const[]){"Bob", "Smith, Jr", "bob@@x.com", ""}, 4);

    r = &rows[2];
    r->input_row = 5; /* row 3 had a quoted newline */
    r->status = ROW_FAILED;
    set(&r->reason, "HTTP 400: Invalid phone number");
    set(&r->first_name, "Ann");
    set(&r->email, "ann@example.com");
    set(&r->business_id, BIZ);
    r->http_status = 400;
    strcpy(r->processed_at, "2026-11-26T03:04:06.000Z");
    set_raw(r, (const char *const[]){" Ann", "line1\nline2", "ann@example.com", "\"0412\""}, 4);

    r = &rows[3];
    r->input_row = 6;
    r->status = ROW_SKIPPED;
    set(&r->reason, "duplicate of input row 2");
    set(&r->first_name, "Jane");
    set(&r->email, "jane@example.com");
    set_raw(r, (const char *const[]){"Jane", "", "JANE@example.com", ""}, 4);

    r = &rows[4];
    r->input_row = 7;
    r->status = ROW_IN_DOUBT;
    set(&r->reason, "HTTP 502: bad gateway");
    set(&r->first_name, "Cy");
    set(&r->phone, "+61412345699");
    r->http_status = 502;
    set_raw(r, (const char *const[]){"Cy", "", "", "0412 345 699"}, 4);

    r = &rows[5];
    r->input_row = 8;
    r->status = ROW_REJECTED;
    set(&r->reason, "row has 2 fields but the header has 4 (a stray delimiter or quote?)");
    set_raw(r, (const char *const[]){"Dee", "x"}, 2);
}

static const char want_results[] =
    "input_row,status,reason,contact_id,first_name,last_name,email,phone_number,"
    "source_contact_id,business_id,campaign_id,invite_delay_days,http_status,"
    "sms_limits_left,sms_renews,processed_at\r\n"
    "2,sent,,c_1,Jane,Doe,jane@example.com,+61412345678,R-1," BIZ "," CAMPAIGN
    ",1,200,42,2026-12-01,2026-11-26T03:04:05.123Z\r\n"
    "3,rejected,\"invalid email \"\"bob@@x.com\"\"; no email or phone\",,Bob,\"Smith, Jr\",,,,,"
    CAMPAIGN ",1,,,,\r\n"
    "5,failed,HTTP 400: Invalid phone number,,Ann,,ann@example.com,,," BIZ "," CAMPAIGN
    ",1,400,,,2026-11-26T03:04:06.000Z\r\n"
    "6,skipped,duplicate of input row 2,,Jane,,jane@example.com,,,," CAMPAIGN ",1,,,,\r\n"
    "7,in_doubt,HTTP 502: bad gateway,,Cy,,,+61412345699,,," CAMPAIGN ",1,502,,,\r\n"
    "8,rejected,row has 2 fields but the header has 4 (a stray delimiter or quote?),,,,,,,,"
    CAMPAIGN ",1,,,,\r\n";

static const char want_rejects[] =
    "First Name,Last Name,Email,Phone,input_row,reason\r\n"
    "Bob,\"Smith, Jr\",bob@@x.com,,3,\"invalid email \"\"bob@@x.com\"\"; no email or phone\"\r\n"
    "\" Ann\",\"line1\nline2\",ann@example.com,\"\"\"0412\"\"\",5,HTTP 400: Invalid phone number\r\n"
    "Dee,x,,,8,row has 2 fields but the header has 4 (a stray delimiter or quote?)\r\n";

static void expect_mode_0600(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("'%s': %s", path, strerror(errno));
    if ((st.st_mode & 07777) != 0600)
        fail_msg("'%s': mode %o, want 600", path, st.st_mode & 07777);
}

static void expect_absent(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 || errno != ENOENT)
        fail_msg("'%s' exists", path);
}

static char *tmp_name(const char *path)
{
    char *t = malloc(strlen(path) + 32);
    sprintf(t, "%s.tmp-%ld", path, (long)getpid());
    return t;
}

static void expect_file(const char *path, const char *want)
{
    size_t len = 0;
    char *got = unit_slurp(path, &len);
    assert_non_null(got);
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("'%s' holds:\n%s\n--- want:\n%s", path, got, want);
    free(got);
}

static void test_write_and_commit(void **state)
{
    (void)state;
    char *dir = unit_path(tmpdir, "commit");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *res_path = unit_path(dir, "results.csv");
    char *rej_path = unit_path(dir, "rejects.csv");
    char *res_tmp = tmp_name(res_path), *rej_tmp = tmp_name(rej_path);
    struct pipeline p;
    base_pipeline(&p);
    struct row_result rows[N_ROWS];
    make_rows(rows);

    mode_t old = umask(0); /* 0600 must come from the code, not the umask */
    struct cp_error err = {0};
    struct results *rs = results_open(&p, res_path, rej_path, input_header, 4, &err);
    umask(old);
    if (!rs)
        fail_msg("results_open: %s", err.msg);
    for (int i = 0; i < N_ROWS; i++)
        assert_int_equal(results_write(rs, &rows[i], &err), 0);

    /* Before commit: only the temporary files, private already. */
    expect_absent(res_path);
    expect_absent(rej_path);
    expect_mode_0600(res_tmp);
    expect_mode_0600(rej_tmp);

    if (results_commit(rs, &err) != 0)
        fail_msg("results_commit: %s", err.msg);
    expect_mode_0600(res_path);
    expect_mode_0600(rej_path);
    expect_absent(res_tmp);
    expect_absent(rej_tmp);
    assert_int_equal(unit_count_entries(dir), 2);
    expect_file(res_path, want_results);
    expect_file(rej_path, want_rejects);

    for (int i = 0; i < N_ROWS; i++)
        row_result_release(&rows[i]);
    free(res_tmp);
    free(rej_tmp);
    free(res_path);
    free(rej_path);
    free(dir);
}

/* A commit replaces an older file whole; an empty run is a header. */
static void test_replace_and_empty(void **state)
{
    (void)state;
    char *dir = unit_path(tmpdir, "replace");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *res_path = unit_write(dir, "results.csv", "old contents\n", 13);
    assert_non_null(res_path);
    char *rej_path = unit_path(dir, "rejects.csv");
    struct pipeline p;
    base_pipeline(&p);
    p.invite.invite_delay_days = 0;
    p.invite.campaign_id = NULL;
    struct cp_error err = {0};
    struct results *rs = results_open(&p, res_path, rej_path, input_header, 4, &err);
    assert_non_null(rs);
    /* The old file stays readable until the commit. */
    expect_file(res_path, "old contents\n");
    assert_int_equal(results_commit(rs, &err), 0);
    expect_file(res_path,
                "input_row,status,reason,contact_id,first_name,last_name,email,phone_number,"
                "source_contact_id,business_id,campaign_id,invite_delay_days,http_status,"
                "sms_limits_left,sms_renews,processed_at\r\n");
    expect_file(rej_path, "First Name,Last Name,Email,Phone,input_row,reason\r\n");
    expect_mode_0600(res_path);

    /* No campaign, no delay: those cells are empty. */
    rs = results_open(&p, res_path, NULL, input_header, 4, &err);
    assert_non_null(rs);
    struct row_result r;
    row_result_init(&r);
    r.input_row = 2;
    r.status = ROW_DRY_RUN;
    set(&r.first_name, "Jo");
    assert_int_equal(results_write(rs, &r, &err), 0);
    assert_int_equal(results_commit(rs, &err), 0);
    size_t len = 0;
    char *got = unit_slurp(res_path, &len);
    assert_non_null(got);
    assert_non_null(strstr(got, "\r\n2,dry_run,,,Jo,,,,,,,,,,,\r\n"));
    free(got);
    row_result_release(&r);
    assert_int_equal(unit_count_entries(dir), 2);
    free(res_path);
    free(rej_path);
    free(dir);
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    char *dir = unit_path(tmpdir, "abort");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *res_path = unit_path(dir, "results.csv");
    char *rej_path = unit_path(dir, "rejects.csv");
    struct pipeline p;
    base_pipeline(&p);
    struct row_result rows[N_ROWS];
    make_rows(rows);
    struct cp_error err = {0};
    struct results *rs = results_open(&p, res_path, rej_path, input_header, 4, &err);
    assert_non_null(rs);
    for (int i = 0; i < N_ROWS; i++)
        assert_int_equal(results_write(rs, &rows[i], &err), 0);
    assert_int_equal(unit_count_entries(dir), 2); /* the two temporary files */
    results_abort(rs);
    assert_int_equal(unit_count_entries(dir), 0);
    results_abort(NULL); /* safe */

    /* When the second file cannot be created, the first is dropped too. */
    char *blocked = unit_write(dir, "blocked", "", 0);
    assert_non_null(blocked);
    char *under_file = unit_path(blocked, "rejects.csv"); /* its folder is a file */
    rs = results_open(&p, res_path, under_file, input_header, 4, &err);
    assert_null(rs);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "cannot create"));
    assert_int_equal(unit_count_entries(dir), 1); /* only "blocked" */
    expect_absent(res_path);

    for (int i = 0; i < N_ROWS; i++)
        row_result_release(&rows[i]);
    free(under_file);
    free(blocked);
    free(res_path);
    free(rej_path);
    free(dir);
}

static void test_parent_folders_created(void **state)
{
    (void)state;
    char *res_path = unit_path(tmpdir, "out/nightly/2026/results.csv");
    char *folder = unit_path(tmpdir, "out/nightly");
    struct pipeline p;
    base_pipeline(&p);
    struct cp_error err = {0};
    mode_t old = umask(0);
    struct results *rs = results_open(&p, res_path, NULL, input_header, 4, &err);
    umask(old);
    if (!rs)
        fail_msg("results_open: %s", err.msg);
    assert_int_equal(results_commit(rs, &err), 0);
    expect_mode_0600(res_path);
    struct stat st;
    assert_int_equal(stat(folder, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    free(folder);
    free(res_path);
}

/* A failed results rename must not leave the rejects temp file (customer
 * data) behind, nor leak its handle. */
static void test_results_commit_failure_leaves_no_temp(void **state)
{
    (void)state;
    char *dir = unit_path(tmpdir, "commitfail");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *res_path = unit_path(dir, "results.csv");
    char *rej_path = unit_path(dir, "rejects.csv");
    assert_int_equal(mkdir(res_path, 0700), 0); /* rename(tmp, res_path) will fail */
    struct pipeline p;
    memset(&p, 0, sizeof p);
    char *const header[] = {"First Name"};
    struct cp_error err = {0};
    struct results *rs = results_open(&p, res_path, rej_path, header, 1, &err);
    assert_non_null(rs);
    assert_int_equal(results_commit(rs, &err), -1);
    assert_int_equal(unit_count_entries(dir), 1); /* only the folder in the way */
    free(res_path);
    free(rej_path);
    free(dir);
}

/* A results path that is a device (through a symlink here, as a user's
 * /dev/stdout would be) is written in place, never renamed over. */
static void test_results_to_a_device_write_in_place(void **state)
{
    (void)state;
    char *link = unit_path(tmpdir, "to-dev-null");
    assert_int_equal(symlink("/dev/null", link), 0);
    struct pipeline p;
    memset(&p, 0, sizeof p);
    struct cp_error err = {0};
    struct results *rs = results_open(&p, link, NULL, NULL, 0, &err);
    assert_non_null(rs);
    assert_int_equal(results_commit(rs, &err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    free(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_to_a_device_write_in_place),
        cmocka_unit_test(test_results_commit_failure_leaves_no_temp),
        cmocka_unit_test(test_put_field_table),
        cmocka_unit_test(test_write_and_commit),
        cmocka_unit_test(test_replace_and_empty),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_parent_folders_created),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, unit_teardown_tmpdir);
}
