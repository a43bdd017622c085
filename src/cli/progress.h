/*
 * The progress line on stderr: how far the run is, what it has sent, and
 * when it will be done. Drawn only when stderr is a terminal (and not
 * turned off), at most a few times a second, so a cron job's log stays
 * quiet.
 *
 * It tells the truth about a resumed run: rows an earlier run of the same
 * file already settled (`prior`) go by without a send, so they count for
 * nothing in the rate or the ETA, which is the rows still to be worked
 * through at the pace measured since the first fresh row. The line is cut
 * to the terminal's width (read again on SIGWINCH) so it never wraps, and
 * it is cleared and redrawn around every log message (log_set_line), so
 * messages scroll above it.
 */
#ifndef CLOUTLY_PROGRESS_H
#define CLOUTLY_PROGRESS_H

#include <stdio.h>

struct progress_counts {
    long done; /* rows written to the results */
    long sent;
    long failed;
    long in_doubt;
    char waiting[160]; /* "waiting until ... for 412 contacts" (outside_window: wait), or "" */
};

struct progress {
    FILE *out;       /* NULL: disabled */
    long total;      /* rows expected, 0 when unknown */
    long prior;      /* rows earlier runs of this file settled: resumed, not sent */
    double started;  /* clock_now() at start */
    double fresh_at; /* when the first row past `prior` was written; 0 before */
    long fresh_base; /* rows done at fresh_at */
    double last;     /* last draw */
    int shown;       /* a line is on the screen */
    struct progress_counts c;
};

/* enabled: the caller's decision (a terminal and no --no-progress/-q).
 * Registers the line with log.c and SIGWINCH when enabled. */
void progress_init(struct progress *pg, int enabled, long total, long prior);
void progress_update(struct progress *pg, const struct progress_counts *c);
/* Erase the line so the summary starts clean, and unregister. Safe twice. */
void progress_done(struct progress *pg);

/* The line for a terminal `width` columns wide, into buf (never longer
 * than width - 1 columns, so the cursor never reaches the last column and
 * wraps). `now` as clock_now(). For progress_update and the tests. */
void progress_format(const struct progress *pg, double now, int width, char *buf, size_t len);

#endif
