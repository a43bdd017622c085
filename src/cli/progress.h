/*
 * The progress line on stderr: rows done/total, rate, ETA. Drawn only when
 * stderr is a terminal (and not turned off), at most a few times a second,
 * so a cron job's log stays quiet.
 */
#ifndef CLOUTLY_PROGRESS_H
#define CLOUTLY_PROGRESS_H

#include <stdio.h>

struct progress {
    FILE *out;      /* NULL: disabled */
    long total;     /* rows expected, 0 when unknown */
    double started; /* clock_now() at start */
    double last;    /* last draw */
};

/* enabled: the caller's decision (a terminal and no --no-progress/-q). */
void progress_init(struct progress *pg, int enabled, long total);
void progress_update(struct progress *pg, long done, long sent);
/* Erase the line so the summary starts clean. */
void progress_done(struct progress *pg);

#endif
