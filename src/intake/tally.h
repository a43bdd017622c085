/*
 * Counting rows by status and by kind of reason, with a few examples of
 * each, for `check` and for the end-of-run summary.
 */
#ifndef CLOUTLY_TALLY_H
#define CLOUTLY_TALLY_H

#include <stdio.h>

#include "core/row.h"

#define TALLY_KINDS    64
#define TALLY_EXAMPLES 3

struct tally_kind {
    enum row_status status;
    char key[200]; /* the reason with values as "..." and numbers as N */
    long count;
    long rows[TALLY_EXAMPLES];
    char examples[TALLY_EXAMPLES][200];
};

struct tally {
    long rows;
    long by_status[ROW_DEFERRED + 1];
    long sms_left; /* the last value the API reported, -1 when none */
    struct tally_kind kinds[TALLY_KINDS];
    int n_kinds;
    long other;  /* rows whose kind did not fit in `kinds` */
    int dry_run; /* set by a dry run: its line says "dry run N", never "sent 0" */
    /* The latest reasons seen and their kinds (-1: counted in `other`): a
     * campaign's rows repeat a few reasons word for word. */
    struct tally_seen {
        enum row_status status;
        int kind;
        size_t len; /* 0: empty */
        char reason[400];
    } seen[4];
    int next_seen;
};

void tally_init(struct tally *t);
void tally_add(struct tally *t, const struct row_result *r);
/* "sent 95, skipped 3, rejected 2, failed 0, in doubt 0" */
void tally_line(const struct tally *t, char *buf, size_t len);
/* Counts per reason with examples: rejected, failed, in doubt, skipped,
 * and notes on valid rows (printed as "note"). */
void tally_print_reasons(const struct tally *t, FILE *out);

#endif
