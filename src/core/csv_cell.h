/*
 * One CSV cell, RFC 4180: quoted when it holds the delimiter, a quote, CR or
 * LF, or starts or ends with a space (so a reader keeps the space). Every
 * CSV the tool writes (results, rejects, reviews, ledger listings) goes
 * through here, so they cannot disagree about quoting. Rows end in CRLF
 * (RFC 4180) wherever they are written.
 */
#ifndef CLOUTLY_CSV_CELL_H
#define CLOUTLY_CSV_CELL_H

#include <stddef.h>
#include <stdio.h>

#include "core/strbuf.h"

/* Append one cell to `row`. With `guard`, a cell a spreadsheet would run as
 * a formula (first character = + - @ tab CR) gets a leading ' (OWASP's
 * advice for CSV injection): on for customer data a person opens, off
 * where the file must stay verbatim (rejects) or is a number. -1 when the
 * buffer passes its ceiling. */
int csv_cell_add(struct strbuf *row, const char *s, size_t len, int guard);
/* The same cell into `out`, which has room for CSV_CELL_MAX(len) bytes:
 * the bytes written. For a writer that builds a whole line at once. */
#define CSV_CELL_MAX(len) (2 * (len) + 3)
size_t csv_cell_put(char *out, const char *s, size_t len, int guard);
/* The same cell written to a stream. */
void csv_put_cell(FILE *fp, const char *s, size_t len, int guard);
/* csv_put_cell without the guard. */
void csv_put_field(FILE *fp, const char *s, size_t len);

#endif
