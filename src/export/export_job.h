/*
 * The export job: one `export` (or `run` on a pipeline of kind export),
 * from a loaded pipeline to files, with no argv and no terminal.
 *
 * Three shapes, chosen by the pipeline and the options:
 *   - plain: page through GET /reviews into NDJSON or CSV. The output is
 *     written to a temporary file beside the target (0600), fsynced and
 *     renamed when the walk is complete; a failure or an interruption
 *     removes it. With `since: last_run` the watermark (the newest createdAt
 *     written) lives in the pipeline's ledger and moves only after that
 *     rename. Standard output cannot be taken back: there the result says
 *     whether what came out is complete.
 *   - mirror (export.mirror or --mirror): update the SQLite mirror
 *     (export/mirror.h) in one transaction: an incremental run reads the
 *     newest pages back to export.lookback past the newest review the
 *     mirror holds; a full sweep (an empty mirror, --full, or export.full_every
 *     since the last sweep that counted) reads everything and may mark
 *     absences deleted. export.changes gets the run's events (written and
 *     renamed just before the commit: a run killed in between repeats its
 *     events next time rather than lose them). An output path, when given,
 *     is then written from the mirror.
 *   - from mirror (--from-mirror): the NDJSON/CSV output from the mirror's
 *     existing reviews, no request at all.
 *
 * The job logs its own summary lines (log.h). Ownership: the job borrows
 * the pipeline and the options; everything it opens it closes before it
 * returns.
 */
#ifndef CLOUTLY_EXPORT_JOB_H
#define CLOUTLY_EXPORT_JOB_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "api/fetch.h"
#include "api/ratelimit.h"
#include "config/pipeline.h"
#include "core/error.h"
#include "export/export.h"
#include "export/mirror.h"

struct export_job_options {
    const char *output;                      /* NULL or "-": standard output (`out`); else a path */
    const struct rate_shared *budget;        /* the account's shared rate budget, or NULL */
    FILE *out;                               /* the standard output stream; NULL: stdout */
    int trace;                               /* print the redacted HTTP trace on stderr (-v) */
    const struct fetch_transport *transport; /* NULL: the API at api.base_url; tests: a fake */
    volatile sig_atomic_t
        *stop; /* raised by a signal: stop with CP_EXIT_INTERRUPTED; NULL: never */
    export_progress_fn progress; /* after each page; NULL: none */
    void *progress_ctx;
    int full;        /* mirror: a full sweep whatever export.full_every says (--full) */
    int from_mirror; /* write the output from export.mirror, no API (--from-mirror) */
    time_t now;      /* for export.full_every; 0: time(NULL) */
};

/* HTTP status codes a report keeps apart (metrics); more are dropped. */
#define EXPORT_JOB_MAX_CODES 24

/* What the job did, complete or not. */
struct export_job_report {
    struct export_stats st; /* the page walk (zero with from_mirror) */
    struct mirror_stats ms; /* the mirror run (zero without a mirror) */
    int mirrored;           /* a mirror run was committed */
    long from_mirror;       /* reviews written from the mirror */
    /* The API client's answers by HTTP status (0: no answer), taken before
     * the job closes it: the metrics file's http_requests_total. */
    long http_codes[EXPORT_JOB_MAX_CODES];
    long http_counts[EXPORT_JOB_MAX_CODES];
    size_t n_http;
};

/* Run the export `p` describes. 0 when complete, or -1 with err (its code
 * is the exit code: CP_EXIT_USAGE, _AUTH, _INPUT, _INTERRUPTED); in every
 * failure no file is renamed into place, the watermark does not move and
 * the mirror is as it was. `rep` may be NULL. */
int export_job_run(const struct pipeline *p, const struct export_job_options *o,
                   struct export_job_report *rep, struct cp_error *err);

#endif
