/*
 * Fuzz target: the results writer, round trip. The bytes become one row's
 * names, email, phone, source id and reason (split at 0x1f); the row is
 * written through results_open/results_write/results_commit and read back
 * with the project's own CSV reader: every field comes back exactly, but
 * for the formula guard's leading ' on cells that start like a formula.
 * Quoting that loses or changes a byte, or a row that reads back as two,
 * aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/pipeline.h"
#include "core/row.h"
#include "intake/csv_in.h"
#include "invite/results.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NF 6

static void die(const char *what)
{
    fprintf(stderr, "fuzz_results: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pipeline p;
    struct cp_error err = {0};
    struct row_result r;
    char *field[NF] = {0};
    size_t flen[NF] = {0};
    if (size > 4096)
        return 0;
    /* The reader takes UTF-8 text without NUL: keep to that alphabet. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    for (size_t i = 0; i < size; i++)
        text[i] = data[i] == 0 ? ' ' : data[i] >= 0x80 ? 'x' : (char)data[i];
    text[size] = '\0';
    int nf = 0;
    char *start = text;
    for (char *q = text;; q++) {
        if (*q == 0x1f || *q == '\0') {
            int last = *q == '\0';
            *q = '\0';
            if (nf < NF) {
                field[nf] = start;
                flen[nf] = strlen(start);
                nf++;
            }
            if (last)
                break;
            start = q + 1;
        }
    }
    for (int i = nf; i < NF; i++) {
        field[i] = "";
        flen[i] = 0;
    }
    if (pipeline_defaults(PIPELINE_INVITE, "fuzz", time(NULL), &p, &err) < 0)
        die("pipeline_defaults");
    row_result_init(&r);
    r.input_row = 2;
    r.status = ROW_FAILED;
    strbuf_add(&r.first_name, field[0], flen[0]);
    strbuf_add(&r.last_name, field[1], flen[1]);
    strbuf_add(&r.email, field[2], flen[2]);
    strbuf_add(&r.phone, field[3], flen[3]);
    strbuf_add(&r.source_contact_id, field[4], flen[4]);
    strbuf_add(&r.reason, field[5], flen[5]);
    const char *path = fuzz_write("results.csv", (const uint8_t *)"", 0);
    char *const header[] = {"a"};
    struct results *rs = results_open(&p, path, NULL, header, 1, &err);
    if (!rs || results_write(rs, &r, &err) < 0 || results_commit(rs, &err) < 0)
        die(err.msg);
    struct csv_in *in = csv_in_open(path, "utf-8", ',', &err);
    struct csv_row row;
    if (!in || csv_in_next(in, &row, &err) != 1 || csv_in_next(in, &row, &err) != 1)
        die(err.msg[0] ? err.msg : "no data row");
    /* results columns: 0 input_row 1 status 2 reason 3 contact_id 4 first 5 last 6 email
     * 7 phone 8 source_contact_id */
    static const int col[NF] = {4, 5, 6, 7, 8, 2};
    for (int i = 0; i < NF; i++) {
        const char *got = row.fields[col[i]];
        size_t glen = row.lens[col[i]];
        int guarded = i != 3 && flen[i] && strchr("=+-@\t\r", field[i][0]);
        if (guarded) {
            if (glen != flen[i] + 1 || got[0] != '\'' || memcmp(got + 1, field[i], flen[i]) != 0)
                die("a guarded cell did not come back as ' + the value");
        } else if (glen != flen[i] || memcmp(got, field[i], flen[i]) != 0) {
            die("a cell did not come back as written");
        }
    }
    if (csv_in_next(in, &row, &err) != 0)
        die("one row read back as more than one");
    csv_in_close(in);
    row_result_release(&r);
    pipeline_release(&p);
    free(text);
    return 0;
}
