/*
 * The store column of a multi-location export, for `guess`: which column
 * names each row's store ("Location", "Outlet", "Store Name"...), which
 * stores it holds and how many rows each, and which of the account's
 * businesses (GET /businesses) each store is. A store that matches no
 * business, or several, is said so: guess never picks one silently.
 *
 * A column counts as a store column by its name and by its values: names
 * or ids, no addresses, and a modest number of distinct values that repeat
 * (a column of customer names is not a store column).
 *
 * Ownership: a struct location_tally owns its value copies;
 * location_tally_release() frees them. Matching borrows everything.
 */
#ifndef CLOUTLY_LOCATIONS_H
#define CLOUTLY_LOCATIONS_H

#include <stddef.h>

/* More distinct values than this and the column is not one of stores. */
#define LOCATION_MAX_VALUES 50
/* Columns tried by their names (in header order). */
#define LOCATION_MAX_CANDIDATES 4

struct location_value {
    char *value; /* trimmed cell, owned */
    long rows;   /* rows that carry it */
};

struct location_tally {
    int col;                                           /* header index */
    struct location_value values[LOCATION_MAX_VALUES]; /* first-seen order */
    size_t n;
    long filled;  /* rows with a non-empty cell */
    long empty;   /* rows with an empty cell */
    int too_many; /* more than LOCATION_MAX_VALUES distinct values */
    int unshaped; /* a value no store is named like (an address, a long text) */
};

/* Whether the squashed header name (presets_squash) names a store column. */
int location_header(const char *squashed);

/* Count one cell (not trimmed) of the tally's column. -1 when out of memory. */
int location_tally_add(struct location_tally *t, const char *cell, size_t len);

/* 1 when what the tally saw looks like a column of stores. */
int location_tally_fits(const struct location_tally *t);

void location_tally_release(struct location_tally *t);

enum location_match_kind {
    LOCATION_NONE,    /* no business is named like it */
    LOCATION_EXACT,   /* one business of that name (ignoring case, spaces, punctuation) or id */
    LOCATION_NEAR,    /* one business with a near name: a typo, or one name inside the other */
    LOCATION_SEVERAL, /* more than one business fits as well: which is for a person to say */
};

struct location_match {
    enum location_match_kind kind;
    size_t best;   /* index into the names, for EXACT and NEAR */
    size_t second; /* another as good, for SEVERAL */
};

/* Which of the `n` businesses (`ids[i]`, `names[i]`) the store `value` is. */
void location_match(const char *value, const char *const *ids, const char *const *names, size_t n,
                    struct location_match *m);

#endif
