/*
 * The metrics file (output.metrics, --metrics-file): the Prometheus text
 * exposition format, written atomically at the end of every run and export
 * so node_exporter's textfile collector never reads half a file (it reads
 * *.prom files in its folder; a Pushgateway takes the same text).
 *
 * Metrics (labels pipeline and business on every sample):
 *   cloutly_pipe_last_run_timestamp_seconds      gauge, when this run ended
 *   cloutly_pipe_last_success_timestamp_seconds  gauge, the last run that exited 0
 *                                                (kept from the previous file otherwise)
 *   cloutly_pipe_last_exit_code                  gauge
 *   cloutly_pipe_rows{status}                    gauge, rows of the last run by status
 *   cloutly_pipe_sms_limits_left                 gauge, omitted when the API said nothing
 *   cloutly_pipe_http_requests_total{code}       counter, requests of the last run by
 *                                                HTTP status ("0": no answer)
 *   cloutly_pipe_run_duration_seconds            gauge
 *
 * Ownership: metrics_write() borrows everything in the struct.
 */
#ifndef CLOUTLY_METRICS_H
#define CLOUTLY_METRICS_H

#include <stddef.h>

#include "core/error.h"

struct metrics_count {
    const char *label; /* the status word, or the HTTP code as text */
    long value;
};

struct metrics_run {
    const char *pipeline; /* label value */
    const char *business; /* label value; "" when the run has none (or many) */
    double finished_at;   /* Unix seconds */
    int exit_code;        /* 0 moves last_success to finished_at */
    double duration_s;
    const struct metrics_count *rows; /* by status */
    size_t n_rows;
    const struct metrics_count *http; /* by HTTP status */
    size_t n_http;
    long sms_left; /* -1: unknown, the sample is left out */
};

/* Write `m` to `path` atomically (0600 like every output; the collector
 * runs as root or the same user). The previous file's last success is
 * carried over when this run failed. -1 with err when it cannot be written. */
int metrics_write(const char *path, const struct metrics_run *m, struct cp_error *err);

/* The last success timestamp a metrics file at `path` holds, or -1. */
double metrics_last_success(const char *path);

#endif
