/*
 * The export's progress line on stderr: reviews and pages read, the rate,
 * and an ETA from the server's `total` when the walk will go to the end.
 * Shared by `export` and `run` on a pipeline of kind export; handed to the
 * job (export/export_job.h) as its progress callback.
 */
#ifndef CLOUTLY_EXPORT_PROGRESS_H
#define CLOUTLY_EXPORT_PROGRESS_H

#include "config/pipeline.h"
#include "export/export.h"

struct export_progress {
    int on;         /* drawn at all: a terminal, and no -q/--no-progress/json log */
    int open_ended; /* since or a mirror, newest first: the total says nothing of the end */
    double started, drawn;
};

/* `on`: the caller's decision (isatty(2) and the flags). */
void export_progress_init(struct export_progress *pl, int on, const struct pipeline *p);
/* An export_progress_fn: ctx is the struct export_progress. */
void export_progress_draw(void *ctx, const struct export_stats *st);
/* Erase the line so the summary starts clean. */
void export_progress_end(struct export_progress *pl);

#endif
