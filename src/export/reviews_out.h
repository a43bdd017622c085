/*
 * Reviews -> NDJSON or CSV (SPEC section 4).
 *
 * NDJSON is the archive: each review's bytes exactly as the API sent them
 * (key order, numbers, unknown fields), one per line. Only whitespace
 * between tokens is removed, and only when the server pretty-printed an
 * object over several lines, since NDJSON needs one object per line.
 *
 * CSV is for spreadsheets: a header, then one row per review, RFC 4180
 * quoting, CRLF line ends. Columns are dotted paths into the review
 * ("response.comment"); by default every field of the vendor page's review.
 * A string is written as its text, a number or boolean as written, null or
 * absent as an empty cell, an object or array as compact JSON. With the
 * formula guard (the default) a string cell that a spreadsheet would run
 * as a formula (first character = + - @, tab or CR) gets a leading ', so
 * "=HYPERLINK(...)" in a review text stays text. Excel mode starts the file
 * with a UTF-8 byte order mark, without which Excel reads UTF-8 as a legacy
 * code page and mangles accents.
 *
 * Ownership: the writer borrows `fp` and the field names; reviews_out_free()
 * frees the writer, never closes fp.
 */
#ifndef CLOUTLY_REVIEWS_OUT_H
#define CLOUTLY_REVIEWS_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/csv_cell.h"
#include "core/error.h"
#include "config/pipeline.h"
#include "export/review_page.h"
#include "core/strbuf.h"

struct reviews_out_options {
    enum export_format format;
    const char *const *fields; /* CSV columns, dotted paths; NULL: reviews_default_fields */
    size_t n_fields;
    bool formula_guard; /* CSV: neutralise formula-like string cells */
    bool excel_bom;     /* CSV: start with a UTF-8 BOM */
    const char *name;   /* the output, for messages ("reviews.csv", "standard output") */
};

extern const char *const reviews_default_fields[];
extern const size_t reviews_n_default_fields;

struct reviews_out;

/* Start the output: the BOM and header row for CSV. NULL with err when a
 * field path is unusable or the write fails. */
struct reviews_out *reviews_out_new(FILE *fp, const struct reviews_out_options *o,
                                    struct cp_error *err);
/* One review (a span from review_page_parse()). -1 with err when the write fails. */
int reviews_out_write(struct reviews_out *w, const struct review_ref *r, struct cp_error *err);
/* Flush and check that everything reached fp without error. */
int reviews_out_finish(struct reviews_out *w, struct cp_error *err);
void reviews_out_free(struct reviews_out *w);

/* Building blocks, also used by `businesses`. */
/* Write JSON value `v` as one NDJSON line (its bytes, compacted only when
 * they hold line breaks). `scratch` is reused between calls. */
int ndjson_line_write(FILE *fp, const struct json_span *v, struct strbuf *scratch);

#endif
