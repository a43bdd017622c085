/*
 * One CSV cell, RFC 4180: quoted when it holds the delimiter, a quote, CR or
 * LF, or starts or ends with a space (so a reader keeps the space). Every
 * CSV the tool writes (results, rejects, reviews, ledger listings) goes
 * through here, so they cannot disagree about quoting.
 */
#ifndef CLOUTLY_CSV_CELL_H
#define CLOUTLY_CSV_CELL_H

#include <stddef.h>
#include <stdio.h>

/* Write one CSV field (RFC 4180 quoting when needed). */
void csv_put_field(FILE *fp, const char *s, size_t len);

#endif
