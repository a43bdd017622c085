/*
 * What the model's files share (model.c, model_mirror.c, match.c): read-only
 * opening, a growing array, a truncating copy, and the three halves' entry
 * points. Not for use outside src/report.
 */
#ifndef CLOUTLY_REPORT_MODEL_IMPL_H
#define CLOUTLY_REPORT_MODEL_IMPL_H

#include <sqlite3.h>

#include "report/model.h"

/* Open `path` read-only: 1 and *db, 0 when there is no such file, -1 with err. */
int rp_open(const char *path, const char *what, sqlite3 **db, struct cp_error *err);
/* 1 when table `table` has column `col`, 0 otherwise (or no such table). */
int rp_has_column(sqlite3 *db, const char *table, const char *col);
/* Append one zeroed element of `elem` bytes to *arr (*n of them): the new
 * element, or NULL when out of memory (the array is left as it was). */
void *rp_push(void **arr, size_t *n, size_t elem);
/* The first column of a one-row query, with ?1 bound to `text` (when not
 * NULL) or `num`; 0 when there is no row. */
int rp_scalar(sqlite3 *db, const char *sql, const char *text, int64_t num, long *out,
              struct cp_error *err);
/* Copy a column's text into dst (size len), cut on a UTF-8 boundary; "" for NULL. */
void rp_copy(char *dst, size_t len, const unsigned char *src);
int rp_fail(sqlite3 *db, const char *what, struct cp_error *err);
/* `since` as "2026-11-01T00:00:00" ("" for 0): compares as text with ISO times. */
void rp_since_text(time_t since, char *buf, size_t len);

int rp_ledger(sqlite3 *db, const struct report_options *o, struct report_model *m,
              struct cp_error *err);
int rp_mirror(sqlite3 *db, const struct report_options *o, struct report_model *m,
              struct cp_error *err);
/* Needs both databases: invites from the ledger, reviewers from the mirror. */
int rp_match(sqlite3 *ledger, sqlite3 *mirror, const struct report_options *o,
             struct report_model *m, struct cp_error *err);

#endif
