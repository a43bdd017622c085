/*
 * Reading an unknown export for `cloutly-pipe guess`: what encoding and
 * delimiter it has, which system wrote it, which columns feed which API
 * field, which country its phone numbers are written for, and what its
 * consent columns say. The command (cmd_guess.c) turns this into a starter
 * pipeline; nothing here prints or touches the network.
 *
 * Only the first GUESS_SCAN_ROWS data rows are read: enough to see how the
 * export is written, cheap on a million-row file.
 *
 * Ownership: a struct guess owns its header copies and its store values;
 * guess_release() frees them. Everything else in it is plain data or points into static tables.
 */
#ifndef CLOUTLY_GUESS_H
#define CLOUTLY_GUESS_H

#include "core/error.h"
#include "guess/locations.h"
#include "intake/presets.h"

#define GUESS_SCAN_ROWS 1000
/* Phones tried against each candidate country to find the one they are
 * written for (national numbers such as "0412 345 678"). */
#define GUESS_PHONE_SAMPLES 200

struct guess {
    char encoding[48];   /* as csv_in read it: "utf-8", "windows-1252"... */
    int encoding_unsure; /* detected from too little text to be sure */
    char delimiter;      /* as csv_in chose it */
    char **header;       /* trimmed column names, owned */
    size_t n;
    struct preset_match pm; /* what the presets make of the header */
    long rows;              /* data rows read (at most GUESS_SCAN_ROWS) */
    char country[3];        /* ISO code for validate.default_country; "" when unknown */
    char country_why[400];  /* for a person: "from the 'Country Code' column (18 of 20 rows)" */
    long consent_rows[PRESET_CHANNELS]; /* rows read with a consent cell that allows contact */
    int country_column_states;          /* the country column holds US state codes: not used */
    char problem[512]; /* why reading stopped before the end of the scan; "" when it did not */
    struct location_tally location; /* the store column and its stores; col -1 when none */
};

/*
 * Read `path`'s header and first rows (not "-": the command reads the file
 * twice). 0, or -1 with err (CP_EXIT_INPUT: unreadable, not text, no
 * header; CP_EXIT_USAGE: standard input). On failure nothing needs release.
 */
int guess_read(struct guess *g, const char *path, struct cp_error *err);
void guess_release(struct guess *g);

/* 1 when `cell` (trimmed) is one of the consent rule's values, ignoring case. */
int guess_consent_allows(const struct preset_consent *c, const char *cell, size_t len);

#endif
