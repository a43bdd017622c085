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

/* Reviewers as match keys: business + normalised email or phone, and when. */
struct rp_key {
    char *k;   /* business_id "\x1f" 'e'|'p' contact; owned */
    int64_t t; /* the review's time, unix seconds */
};
struct rp_keys {
    struct rp_key *v;
    size_t n;
};
/* Add the keys of one review (its email and/or phone, normalised as intake
 * does); 1 when it had a usable one, 0 when not, -1 out of memory. */
int rp_keys_add(struct rp_keys *ks, const char *business, const char *email, const char *phone,
                const char *country, int64_t t);
void rp_keys_free(struct rp_keys *ks);

/* The runs half; with `keys` (sorted) each sent invite is also matched. */
int rp_ledger(sqlite3 *db, const struct report_options *o, struct report_model *m,
              const struct rp_keys *keys, struct cp_error *err);
/* The reviews half; with `keys` non-NULL it also collects every existing
 * review's match keys (whatever `since` says: an invite's review may be
 * older than the period's reviews). */
int rp_mirror(sqlite3 *db, const struct report_options *o, struct report_model *m,
              struct rp_keys *keys, struct cp_error *err);
/* Sort the keys for rp_match_invite. */
void rp_keys_sort(struct rp_keys *ks);
/* Count one sent invite (NULL fields are empty) in the model's match
 * figures: -1 out of memory. rp_match_finish sorts and caps them. */
int rp_match_invite(const struct rp_keys *ks, const struct report_options *o,
                    struct report_model *m, const char *business, const char *campaign,
                    const char *email, const char *phone, time_t t);
void rp_match_finish(struct report_model *m);

#endif
