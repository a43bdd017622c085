/*
 * Running an export job for a command: see export_runner.c.
 */
#ifndef CLOUTLY_EXPORT_RUNNER_H
#define CLOUTLY_EXPORT_RUNNER_H

#include "cli/cli.h"
#include "config/pipeline.h"

/* How this export is to be shown and where it goes, beyond the pipeline. */
struct export_flags {
    const char *output;  /* NULL or "-": standard output; else a path as given */
    int output_from_cli; /* --output given (a relative path is the caller's, not the pipeline's) */
    int verbosity;
    int no_progress;
    int json_log;
    int full;                 /* --full */
    int from_mirror;          /* --from-mirror */
    const char *metrics_file; /* --metrics-file, or NULL: export.metrics */
};

/* Run the export `p` describes, with `fl` for the terminal and output; the
 * process's exit code (SPEC section 2). */
int export_execute(const struct pipeline *p, const struct export_flags *fl);

/* `run` on a pipeline of kind export: the same, with run's options (those
 * that only mean something for invites are refused). */
int export_run_pipeline(const struct pipeline *p, const struct run_options *o);

#endif
