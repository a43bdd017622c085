/*
 * csv_in: bytes on disk -> rows, each with the physical line it starts on.
 *
 * Proves, on real temporary files: fields come back as written (quotes
 * undone, no trimming: spaces around unquoted values kept, as csv_in.h
 * says); quoted commas, doubled quotes and newlines stay
 * inside their field and make later rows' line numbers jump; LF, CRLF,
 * CR-only and mixed line ends each count as one line; a UTF-8 BOM is
 * dropped; blank lines are skipped but still counted; the delimiter is
 * sniffed from the header outside quotes; a file much larger than the 64 KiB
 * read block is read whole with the right line numbers (also when a CRLF, a
 * lone CR or a quoted newline straddles a block boundary); and the failures
 * a person meets (missing file, unbalanced quote, a runaway field) are input
 * errors naming the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/csv_in.h"
#include "core/strbuf.h"
#include "unit_tmp.h"


#define MAXF 6

struct exp_row {
    long line;
    size_t n;
    const char *f[MAXF];
};

struct read_case {
    const char *name;
    const char *data;
    char delim;          /* passed to csv_in_open: 0 sniffs */
    char want_delim;     /* what csv_in_delimiter() must say */
    size_t n_rows;
    struct exp_row rows[8];
};

static const struct read_case read_cases[] = {
    {"plain LF", "a,b,c\n1,2,3\n4,5,6\n", 0, ',', 3,
     {{1, 3, {"a", "b", "c"}}, {2, 3, {"1", "2", "3"}}, {3, 3, {"4", "5", "6"}}}},
    {"no final newline", "a,b\n1,2", 0, ',', 2, {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}}},
    /* A row of nothing but delimiters (Excel's trailing ",,") holds no
     * contact and is skipped; empty fields in a real row are kept. */
    {"empty fields", "a,b,c\n,,\nx,,\n", 0, ',', 2, {{1, 3, {"a", "b", "c"}}, {3, 3, {"x", "", ""}}}},
    {"quoted comma and doubled quotes",
     "name,note\n\"Smith, Jane\",\"She said \"\"hi\"\"\"\n\"\"\"\",x\n", 0, ',', 3,
     {{1, 2, {"name", "note"}},
      {2, 2, {"Smith, Jane", "She said \"hi\""}},
      {3, 2, {"\"", "x"}}}},
    {"quoted LF makes later lines jump", "h1,h2\n\"line1\nline2\",x\nnext,y\n", 0, ',', 3,
     {{1, 2, {"h1", "h2"}}, {2, 2, {"line1\nline2", "x"}}, {4, 2, {"next", "y"}}}},
    {"two quoted newlines in one row", "h1,h2\n\"a\n\nb\",\"c\nd\"\nz,z\n", 0, ',', 3,
     {{1, 2, {"h1", "h2"}}, {2, 2, {"a\n\nb", "c\nd"}}, {6, 2, {"z", "z"}}}},
    {"quoted CRLF counts once per line end", "h\r\n\"a\r\nb\"\r\nc\r\n", 0, ',', 3,
     {{1, 1, {"h"}}, {2, 1, {"a\r\nb"}}, {4, 1, {"c"}}}},
    {"CRLF", "a,b\r\n1,2\r\n3,4\r\n", 0, ',', 3,
     {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}, {3, 2, {"3", "4"}}}},
    {"CR only", "a,b\r1,2\r3,4\r", 0, ',', 3,
     {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}, {3, 2, {"3", "4"}}}},
    {"CRLF then LF then CR", "a,b\r\n1,2\n3,4\r5,6\r\n", 0, ',', 4,
     {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}, {3, 2, {"3", "4"}}, {4, 2, {"5", "6"}}}},
    {"CR line then LF line", "a,b\r1,2\n3,4\n", 0, ',', 3,
     {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}, {3, 2, {"3", "4"}}}},
    {"mixed, every order", "a\r\nb\nc\rd\ne\r\nf\rg\rh\n", 0, ',', 8,
     {{1, 1, {"a"}}, {2, 1, {"b"}}, {3, 1, {"c"}}, {4, 1, {"d"}}, {5, 1, {"e"}}, {6, 1, {"f"}},
      {7, 1, {"g"}}, {8, 1, {"h"}}}},
    {"quoted CR then an LF line end", "h\n\"a\rb\"\nnext\n", 0, ',', 3,
     {{1, 1, {"h"}}, {2, 1, {"a\rb"}}, {4, 1, {"next"}}}},
    {"LF CR: two line ends", "a\n\r1\n", 0, ',', 2, {{1, 1, {"a"}}, {3, 1, {"1"}}}},
    {"UTF-8 BOM skipped", "\xEF\xBB\xBFname,email\nJane,j@x.com\n", 0, ',', 2,
     {{1, 2, {"name", "email"}}, {2, 2, {"Jane", "j@x.com"}}}},
    {"BOM and semicolons", "\xEF\xBB\xBF" "a;b\n1;2\n", 0, ';', 2,
     {{1, 2, {"a", "b"}}, {2, 2, {"1", "2"}}}},
    {"blank lines skipped but counted", "a,b\n\n1,2\n\n\n3,4\n\n", 0, ',', 3,
     {{1, 2, {"a", "b"}}, {3, 2, {"1", "2"}}, {6, 2, {"3", "4"}}}},
    {"blank CRLF lines and a spaces-only line", "a,b\r\n\r\n1,2\r\n   \r\n3,4\r\n", 0, ',', 3,
     {{1, 2, {"a", "b"}}, {3, 2, {"1", "2"}}, {5, 2, {"3", "4"}}}},
    {"leading blank lines", "\n\na,b\n1,2\n", 0, ',', 2,
     {{3, 2, {"a", "b"}}, {4, 2, {"1", "2"}}}},
    {"values verbatim: no trimming", "a , b\n  x  ,\ty\t\n\" q \", \"\n", 0, ',', 3,
     {{1, 2, {"a ", " b"}}, {2, 2, {"  x  ", "\ty\t"}}, {3, 2, {" q ", " \""}}}},
    {"sniff semicolon", "first;last;email\nJane;Doe;j@x.com\n", 0, ';', 2,
     {{1, 3, {"first", "last", "email"}}, {2, 3, {"Jane", "Doe", "j@x.com"}}}},
    {"sniff tab", "first\tlast\temail\nJane\tDoe, Jr\tj@x.com\n", 0, '\t', 2,
     {{1, 3, {"first", "last", "email"}}, {2, 3, {"Jane", "Doe, Jr", "j@x.com"}}}},
    {"sniff pipe", "first|last|email\nJane|Doe;x|j@x.com\n", 0, '|', 2,
     {{1, 3, {"first", "last", "email"}}, {2, 3, {"Jane", "Doe;x", "j@x.com"}}}},
    {"sniff comma: ; only inside quotes", "\"Name;Alias\",Email\n\"x;y;z\",a;b;c;d\n", 0, ',', 2,
     {{1, 2, {"Name;Alias", "Email"}}, {2, 2, {"x;y;z", "a;b;c;d"}}}},
    {"sniff by header only", "a;b;c\n1,2,3,4,5,6\n", 0, ';', 2,
     {{1, 3, {"a", "b", "c"}}, {2, 1, {"1,2,3,4,5,6"}}}},
    {"explicit delimiter wins over sniffing", "a,b;c\n1,2;3\n", ';', ';', 2,
     {{1, 2, {"a,b", "c"}}, {2, 2, {"1,2", "3"}}}},
    {"one column", "email\nj@x.com\n", 0, ',', 2, {{1, 1, {"email"}}, {2, 1, {"j@x.com"}}}},
};

static char *write_case(const char *data, size_t len)
{
    char *path = unit_mkstemp(tmpdir, data, len);
    assert_non_null(path);
    return path;
}

static void check_read_case(const struct read_case *c)
{
    struct cp_error err = {0};
    char *path = write_case(c->data, strlen(c->data));
    struct csv_in *in = csv_in_open(path, NULL, c->delim, &err);
    if (!in)
        fail_msg("%s: open failed: %s", c->name, err.msg);
    if (csv_in_delimiter(in) != c->want_delim)
        fail_msg("%s: delimiter '%c', want '%c'", c->name, csv_in_delimiter(in), c->want_delim);
    assert_string_equal(csv_in_path(in), path);
    struct csv_row row;
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct exp_row *e = &c->rows[i];
        int rc = csv_in_next(in, &row, &err);
        if (rc != 1)
            fail_msg("%s: row %zu: csv_in_next = %d (%s)", c->name, i, rc, err.msg);
        if (row.line != e->line)
            fail_msg("%s: row %zu: line %ld, want %ld", c->name, i, row.line, e->line);
        if (row.n != e->n)
            fail_msg("%s: row %zu: %zu fields, want %zu", c->name, i, row.n, e->n);
        for (size_t k = 0; k < e->n; k++) {
            if (row.lens[k] != strlen(e->f[k]) || strcmp(row.fields[k], e->f[k]) != 0)
                fail_msg("%s: row %zu field %zu: [%s] (len %zu), want [%s]", c->name, i, k,
                         row.fields[k], row.lens[k], e->f[k]);
        }
    }
    int rc = csv_in_next(in, &row, &err);
    if (rc != 0)
        fail_msg("%s: after the last row csv_in_next = %d, want 0 (line %ld)", c->name, rc,
                 rc == 1 ? row.line : 0L);
    /* The end stays the end. */
    assert_int_equal(csv_in_next(in, &row, &err), 0);
    csv_in_close(in);
    unlink(path);
    free(path);
}

static void test_read_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof read_cases / sizeof *read_cases; i++)
        check_read_case(&read_cases[i]);
}

/* ---- errors ---- */

struct bad_case {
    const char *name;
    const char *data;
    int good_rows; /* rows returned before the error */
    const char *want_line; /* "line N" in the message */
};

static const struct bad_case bad_cases[] = {
    {"quote opened on line 3, never closed", "a,b\n1,2\n\"open,3\n4,5\n", 2, "line 3:"},
    {"quote opened in the header", "\"a,b\n1,2\n", 0, "line 1:"},
    {"quote opened after a quoted newline", "a,b\n\"x\ny\",1\n2,\"z\n", 2, "line 4:"},
    {"quote opened on the last line, no newline", "a,b\n1,\"2", 1, "line 2:"},
};

static void test_unbalanced_quote(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct cp_error err = {0};
        char *path = write_case(c->data, strlen(c->data));
        struct csv_in *in = csv_in_open(path, NULL, 0, &err);
        assert_non_null(in);
        struct csv_row row;
        for (int k = 0; k < c->good_rows; k++)
            if (csv_in_next(in, &row, &err) != 1)
                fail_msg("%s: row %d not read: %s", c->name, k, err.msg);
        int rc = csv_in_next(in, &row, &err);
        if (rc != -1)
            fail_msg("%s: csv_in_next = %d, want -1", c->name, rc);
        assert_int_equal(err.code, CP_EXIT_INPUT);
        if (!strstr(err.msg, "unbalanced quote") || !strstr(err.msg, c->want_line) ||
            !strstr(err.msg, path))
            fail_msg("%s: message [%s] lacks 'unbalanced quote', '%s' or the path", c->name,
                     err.msg, c->want_line);
        csv_in_close(in);
        unlink(path);
        free(path);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    struct cp_error err = {0};
    char *path = unit_path(tmpdir, "no-such-file.csv");
    struct csv_in *in = csv_in_open(path, NULL, 0, &err);
    assert_null(in);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file"));
    free(path);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    static const char *const empties[] = {"", "\xEF\xBB\xBF", "\n\n\r\n", "  \n\t\n"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        struct cp_error err = {0};
        char *path = write_case(empties[i], strlen(empties[i]));
        struct csv_in *in = csv_in_open(path, NULL, 0, &err);
        assert_non_null(in);
        struct csv_row row;
        int rc = csv_in_next(in, &row, &err);
        if (rc != 0)
            fail_msg("empty input %zu: csv_in_next = %d, want 0", i, rc);
        csv_in_close(in);
        unlink(path);
        free(path);
    }
}

/* A field over CSV_IN_MAX_FIELD (what a stray quote in a big file looks
 * like) is a row cut to CSV_IN_MAX_FIELD + 1 bytes, for the caller to
 * reject, and the rows after it are still read: memory stays bounded. */
static void test_field_too_long(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 4 * CSV_IN_MAX_FIELD);
    strbuf_addstr(&sb, "a,b\n1,2\n3,\"");
    for (int i = 0; i < CSV_IN_MAX_FIELD / 32; i++) /* 2 MiB, quote closed at the end */
        strbuf_addstr(&sb, "0123456789012345678901234567890123456789012345678901234567890\n");
    strbuf_addstr(&sb, "\"\n4,5\n");
    char *path = write_case(sb.buf, sb.len);
    strbuf_release(&sb);
    struct cp_error err = {0};
    struct csv_in *in = csv_in_open(path, NULL, 0, &err);
    assert_non_null(in);
    struct csv_row row;
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.line, 3);
    assert_int_equal(row.n, 2);
    assert_int_equal(row.lens[1], CSV_IN_MAX_FIELD + 1);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.n, 2);
    assert_string_equal(row.fields[0], "4");
    assert_int_equal(csv_in_next(in, &row, &err), 0);
    csv_in_close(in);
    unlink(path);
    free(path);
}

/* More than CSV_IN_MAX_FIELDS fields: a row of CSV_IN_MAX_FIELDS + 1 (the
 * last ones empty), and the next row read as usual. */
static void test_too_many_fields(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 1024 * 1024);
    strbuf_addstr(&sb, "a,b\n");
    for (int i = 0; i < 10000; i++)
        strbuf_addstr(&sb, "xy,");
    strbuf_addstr(&sb, "z\n4,5\n");
    char *path = write_case(sb.buf, sb.len);
    strbuf_release(&sb);
    struct cp_error err = {0};
    struct csv_in *in = csv_in_open(path, NULL, ',', &err);
    assert_non_null(in);
    struct csv_row row;
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.n, CSV_IN_MAX_FIELDS + 1);
    assert_string_equal(row.fields[0], "xy");
    assert_int_equal(row.lens[CSV_IN_MAX_FIELDS], 0);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.n, 2);
    assert_int_equal(row.line, 3);
    assert_int_equal(csv_in_next(in, &row, &err), 0);
    csv_in_close(in);
    unlink(path);
    free(path);
}

/* `"Smith, John" ,y`: spaces after a closing quote are layout, as Python's
 * csv reads them; blank rows come out when asked for, an empty line as one
 * empty field, with their line numbers. */
static void test_lenient_quote_and_blank_rows(void **state)
{
    (void)state;
    static const char text[] = "Name,Flag\n\"Smith, John\" ,y\n\n   \n\"\"\n\"Doe\"\t\n";
    char *path = write_case(text, sizeof text - 1);
    struct cp_error err = {0};
    struct csv_in *in = csv_in_open(path, NULL, 0, &err);
    assert_non_null(in);
    struct csv_row row;
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    csv_in_keep_blank(in, 1);
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.n, 2);
    assert_string_equal(row.fields[0], "Smith, John");
    assert_string_equal(row.fields[1], "y");
    assert_false(csv_row_blank(&row));
    for (long line = 3; line <= 5; line++) {
        assert_int_equal(csv_in_next(in, &row, &err), 1);
        assert_int_equal(row.line, line);
        assert_true(csv_row_blank(&row));
    }
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_string_equal(row.fields[0], "Doe");
    assert_int_equal(row.n, 1);
    assert_int_equal(csv_in_next(in, &row, &err), 0);
    csv_in_close(in);
    unlink(path);
    free(path);
}

/* ---- a file much larger than the read block ---- */

#define BIG_ROWS 5000

/* Row i (1-based) has a quoted two-line note every 97th row, so line numbers
 * jump all through the file and some quoted newlines fall on block ends. */
static int multiline(int i)
{
    return i % 97 == 0;
}

static void build_big(struct strbuf *sb, const char *eol, size_t pad)
{
    strbuf_reset(sb);
    strbuf_addf(sb, "id,name,email,note%s", eol);
    for (int i = 1; i <= BIG_ROWS; i++) {
        strbuf_addf(sb, "%d,Name %d", i, i);
        if (i == 1) /* padding in the name moves everything after it */
            for (size_t k = 0; k < pad; k++)
                strbuf_add(sb, "p", 1);
        strbuf_addf(sb, ",user%d@example.com,", i);
        if (multiline(i))
            strbuf_addf(sb, "\"first, %d%ssecond\"%s", i, eol, eol);
        else
            strbuf_addf(sb, "\"note, %d\"%s", i, eol);
    }
}

static void check_big(const char *data, size_t len, const char *eol)
{
    char *path = write_case(data, len);
    struct cp_error err = {0};
    struct csv_in *in = csv_in_open(path, NULL, 0, &err);
    assert_non_null(in);
    struct csv_row row;
    assert_int_equal(csv_in_next(in, &row, &err), 1);
    assert_int_equal(row.line, 1);
    assert_int_equal(row.n, 4);
    long line = 2;
    char want[128];
    for (int i = 1; i <= BIG_ROWS; i++) {
        int rc = csv_in_next(in, &row, &err);
        if (rc != 1)
            fail_msg("row %d: csv_in_next = %d (%s)", i, rc, err.msg);
        if (row.line != line)
            fail_msg("row %d: line %ld, want %ld", i, row.line, line);
        if (row.n != 4)
            fail_msg("row %d: %zu fields", i, row.n);
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(row.fields[0], want);
        snprintf(want, sizeof want, "user%d@example.com", i);
        assert_string_equal(row.fields[2], want);
        if (multiline(i))
            snprintf(want, sizeof want, "first, %d%ssecond", i, eol);
        else
            snprintf(want, sizeof want, "note, %d", i);
        assert_string_equal(row.fields[3], want);
        line += multiline(i) ? 2 : 1;
    }
    assert_int_equal(csv_in_next(in, &row, &err), 0);
    assert_int_equal(csv_in_offset(in), (long long)len);
    csv_in_close(in);
    unlink(path);
    free(path);
}

static void test_big_file_lf(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 16u << 20);
    build_big(&sb, "\n", 0);
    assert_true(sb.len > 3 * 64 * 1024);
    check_big(sb.buf, sb.len, "\n");
    strbuf_release(&sb);
}

/* Pad row 1 so that a line end falls on the first block's end: a CRLF split
 * between two blocks, a lone CR as a block's last byte, a quoted LF. */
static void test_big_file_line_end_on_block_end(void **state)
{
    (void)state;
    const size_t block = 64 * 1024;
    struct strbuf sb;
    strbuf_init(&sb, 16u << 20);
    build_big(&sb, "\r\n", 0);
    size_t cr = 0;
    for (size_t i = 0; i < block; i++)
        if (sb.buf[i] == '\r')
            cr = i;
    size_t pad = block - 1 - cr;
    build_big(&sb, "\r\n", pad);
    assert_int_equal(sb.buf[block - 1], '\r');
    assert_int_equal(sb.buf[block], '\n');
    check_big(sb.buf, sb.len, "\r\n");

    /* CR-only line ends, with a CR as the block's last byte: whether it
     * ends a line is only known from the next block's first byte. */
    build_big(&sb, "\r", 0);
    cr = 0;
    for (size_t i = 0; i < block; i++)
        if (sb.buf[i] == '\r')
            cr = i;
    build_big(&sb, "\r", block - 1 - cr);
    assert_int_equal(sb.buf[block - 1], '\r');
    assert_int_not_equal(sb.buf[block], '\n');
    check_big(sb.buf, sb.len, "\r");

    /* And a quoted field's newline on the block end. */
    build_big(&sb, "\n", 0);
    size_t nl = 0;
    for (size_t i = 0; i < block; i++)
        if (sb.buf[i] == '\n' && sb.buf[i + 1] == 's') /* "...\nsecond" */
            nl = i;
    assert_true(nl > 0);
    build_big(&sb, "\n", block - 1 - nl);
    assert_int_equal(sb.buf[block - 1], '\n');
    assert_int_equal(sb.buf[block], 's');
    check_big(sb.buf, sb.len, "\n");
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_table),
        cmocka_unit_test(test_unbalanced_quote),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_field_too_long),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_lenient_quote_and_blank_rows),
        cmocka_unit_test(test_big_file_lf),
        cmocka_unit_test(test_big_file_line_end_on_block_end),
    };
    return cmocka_run_group_tests(tests, unit_setup_tmpdir, unit_teardown_tmpdir);
}
