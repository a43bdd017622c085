/*
 * An export with a terminal around it: the account's state, the progress
 * line, the job (export/export_job.c), the metrics and the exit code. Both
 * `export` and `run` on a pipeline of kind export come here, so neither
 * command reaches into the other's file.
 */
#include "cli/export_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/export_progress.h"
#include "cli/run_report.h"
#include "cli/state.h"
#include "core/log.h"
#include "core/signals.h"
#include "export/export_job.h"

/* The job (export/export_job.h) with this command's terminal around it. */
int export_execute(const struct pipeline *p, const struct export_flags *fl)
{
    /* Reviews to standard output in big writes; static because stdout
     * outlives this call (the process's, in the command layer). */
    static char stdout_buf[64 * 1024];
    struct cp_error err = {0};
    struct export_progress pl;
    export_progress_init(&pl, isatty(2) && !fl->no_progress && fl->verbosity >= 0 && !fl->json_log,
                         p);
    struct export_job_options o = {
        .output = fl->output,
        .trace = fl->verbosity > 0,
        .stop = &signals_received,
        .progress = export_progress_draw,
        .progress_ctx = &pl,
        .full = fl->full,
        .from_mirror = fl->from_mirror,
    };
    if (!fl->output || strcmp(fl->output, "-") == 0)
        setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
    signals_install();
    struct run_report report;
    struct export_job_report rep;
    memset(&rep, 0, sizeof rep);
    /* The account's state: its ledger holds the watermark when the pipeline
     * names no state.path, and its budget paces these GETs with every other
     * process of the account. A shallow copy carries the ledger's path. */
    struct cli_state state = {0};
    const char *key = NULL;
    struct pipeline q = *p;
    struct cp_error nokey = {0};
    char *ledger = NULL; /* the copy's state.path when the pipeline names none: owned */
    if (pipeline_api_key(p, &key, &nokey) == 0 &&
        cli_state_open_pipeline(&state, key, p, &err) == 0) {
        const char *at = cli_state_ledger(&state, p->state.path);
        if (!q.state.path && at && p->file && !(q.state.path = ledger = strdup(at))) {
            cli_state_close(&state);
            cp_fail(&err, CP_EXIT_USAGE, "out of memory");
            return cli_report(&err);
        }
        o.budget = cli_state_budget(&state);
    }
    report_begin(&report, &q, fl->metrics_file, 0, NULL, 0);
    int rc = export_job_run(&q, &o, &rep, &err);
    export_progress_end(&pl);
    rc = rc == 0                           ? CP_EXIT_OK
         : err.code == CP_EXIT_INTERRUPTED ? CP_EXIT_INTERRUPTED
                                           : cli_report(&err);
    report_export_end(&report, rc, &rep);
    cli_state_close(&state);
    free(ledger);
    return rc;
}

int export_run_pipeline(const struct pipeline *p, const struct run_options *o)
{
    struct cp_error err = {0};
    struct export_flags fl = {.output = p->export.output,
                              .verbosity = o->verbosity,
                              .no_progress = o->no_progress,
                              .json_log = o->json_log,
                              .metrics_file = o->metrics_file};
    if (o->dry_run || o->input || o->limit) {
        cp_fail(&err, CP_EXIT_USAGE,
                "%s: '%s' does not apply to an export pipeline (it sends "
                "nothing and reads no input file)",
                p->file ? p->file : "pipeline",
                o->dry_run ? "--dry-run"
                : o->input ? "--input"
                           : "--limit");
        return cli_report(&err);
    }
    return export_execute(p, &fl);
}
