/*
 * What a run leaves for whoever watches it, from one place for `run` and
 * `export`: the run_start and run_end events (core/log.h), the metrics
 * file (store/metrics.h) and the dead-man's-switch pings (api/ping.h).
 *
 * Dry runs send no pings and write no metrics: they are not the scheduled
 * job, and a dry run's exit 0 must not look like a successful night.
 *
 * Ownership: the report borrows the pipeline for its lifetime.
 */
#ifndef CLOUTLY_RUN_REPORT_H
#define CLOUTLY_RUN_REPORT_H

#include "config/pipeline.h"
#include "core/log.h"
#include "store/metrics.h"

struct api_client;

struct run_report {
    const struct pipeline *p;
    const char *metrics; /* --metrics-file, else the pipeline's, else NULL */
    double started;      /* clock_now() at report_begin */
    double started_wall; /* Unix seconds */
    int dry_run;
    int begun;
};

/* Set the log context, write run_start (with the caller's fields) and
 * ping URL/start. `metrics_cli` (--metrics-file) wins over the pipeline. */
void report_begin(struct run_report *r, const struct pipeline *p, const char *metrics_cli,
                  int dry_run, const struct log_field *fields, size_t n_fields);

struct report_end {
    int exit_code;
    const char *summary;              /* one line for a person: the run_end msg, ping body */
    const struct metrics_count *rows; /* by status */
    size_t n_rows;
    long sms_left;                /* -1 unknown */
    const struct api_client *api; /* HTTP counts; NULL: the three below */
    const long *http_codes;       /* HTTP counts a job took from its closed client */
    const long *http_counts;
    size_t n_http;
    const char *business;           /* the metrics' business label, "" for none */
    const struct log_field *fields; /* extra run_end fields */
    size_t n_fields;
};

/* Write run_end, the metrics file and the end ping (bare URL on exit 0,
 * URL/<code> otherwise). Problems with the last two are warnings: the
 * exit code stays e->exit_code. Nothing happens unless report_begin ran. */
void report_finish(struct run_report *r, const struct report_end *e);

/* The same for an export: rows are the reviews written, duplicates
 * dropped and older than since; `pages` goes into run_end; the HTTP
 * counts are the job's. */
struct export_job_report;
void report_export_end(struct run_report *r, int exit_code, const struct export_job_report *rep);

#endif
