/*
 * csv_in splits common lines itself (fast_line) and hands the rest to
 * libcsv. This proves the two agree: 16,000 random documents over an
 * alphabet rich in quotes, delimiters, CRs and LFs are read through csv_in
 * and through libcsv alone, and must give the same rows and fields.
 * Documents with spaces between a quote and a delimiter or line end are left
 * out: there csv_in is more lenient than libcsv on purpose (test_csv_in.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake/csv_in.h"

#define MAX_FIELDS 4096

struct ref {
    char text[8192]; /* every row as "f1|f2|...\n" with | and \ escaped */
    size_t len;
    char row[4096];
    size_t row_len;
    int blank;       /* the current row is only spaces and tabs so far */
    int fields;      /* fields in the current row */
};

static void put(char *dst, size_t *len, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *len + 2 < cap; i++) {
        if (s[i] == '|' || s[i] == '\\')
            dst[(*len)++] = '\\';
        dst[(*len)++] = s[i];
    }
}

static void ref_field(void *s, size_t n, void *data)
{
    struct ref *r = data;
    if (r->fields++)
        r->row[r->row_len++] = '|';
    for (size_t i = 0; i < n; i++)
        if (((char *)s)[i] != ' ' && ((char *)s)[i] != '\t')
            r->blank = 0;
    put(r->row, &r->row_len, sizeof r->row, s, n);
}

static void ref_row(int c, void *data)
{
    struct ref *r = data;
    (void)c;
    if (!r->blank && r->len + r->row_len + 2 < sizeof r->text) {
        memcpy(r->text + r->len, r->row, r->row_len);
        r->len += r->row_len;
        r->text[r->len++] = '\n';
    }
    r->row_len = 0;
    r->blank = 1;
    r->fields = 0;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void test_fast_path_agrees_with_libcsv(void **state)
{
    static const char alphabet[] = "ab,,\"\"\n\r  x";
    char path[] = "/tmp/cloutly-fastpath-XXXXXX";
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    close(fd);
    srand(20261126);
    int compared = 0;
    for (int doc = 0; doc < 16000; doc++) {
        char buf[256];
        /* Start with a header that decides the delimiter, then noise. */
        size_t len = (size_t)snprintf(buf, sizeof buf, "h1,h2,h3\n");
        size_t n = (size_t)(rand() % 120);
        for (size_t i = 0; i < n; i++)
            buf[len++] = alphabet[rand() % (int)(sizeof alphabet - 1)];
        int lenient = 0;
        for (size_t i = 0; i + 1 < len && !lenient; i++)
            if (buf[i] == '"' && buf[i + 1] == ' ') {
                size_t j = i + 1;
                while (j < len && buf[j] == ' ')
                    j++;
                lenient = j == len || buf[j] == ',' || buf[j] == '\n' || buf[j] == '\r';
            }
        if (lenient)
            continue;
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);

        struct ref want = {.blank = 1};
        struct csv_parser p;
        csv_init(&p, 0);
        csv_set_space_func(&p, no_space);
        csv_parse(&p, buf, len, ref_field, ref_row, &want);
        int unbalanced = p.pstate == 2 && p.quoted;
        csv_fini(&p, ref_field, ref_row, &want);
        csv_free(&p);

        struct ref got = {.blank = 1};
        struct cp_error err = {0};
        struct csv_in *in = csv_in_open(path, "utf-8", ',', &err);
        assert_non_null(in);
        struct csv_row row;
        int rc;
        while ((rc = csv_in_next(in, &row, &err)) > 0) {
            for (size_t i = 0; i < row.n; i++) {
                if (i)
                    got.text[got.len++] = '|';
                put(got.text, &got.len, sizeof got.text, row.fields[i], row.lens[i]);
            }
            got.text[got.len++] = '\n';
        }
        csv_in_close(in);
        if (unbalanced) {
            assert_int_equal(rc, -1);
            continue;
        }
        assert_int_equal(rc, 0);
        if (got.len != want.len || memcmp(got.text, want.text, got.len) != 0)
            fail_msg("document %d differs:\n---- input\n%.*s\n---- csv_in\n%.*s---- libcsv\n%.*s",
                     doc, (int)len, buf, (int)got.len, got.text, (int)want.len, want.text);
        compared++;
    }
    unlink(path);
    assert_true(compared > 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_agrees_with_libcsv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
