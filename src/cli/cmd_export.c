/*
 * `cloutly-pipe export [PIPELINE.yaml] [options]`, and `run` on a pipeline
 * of kind export: the options, the help, the progress line; the job itself
 * (the page walk into files or the mirror, whole or not at all) is
 * export/export_job.c.
 */
#include "cli/cmd_export.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/export_progress.h"
#include "core/isotime.h"
#include "core/log.h"
#include "core/signals.h"
#include "export/export_job.h"
#include "cli/state.h"
#include "cli/run_report.h"
#include "core/uuid.h"

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

/* The job (export/export_job.h) with this command's terminal around it. */
static int execute(const struct pipeline *p, const struct export_flags *fl)
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
    if (pipeline_api_key(p, &key, &nokey) == 0 &&
        cli_state_open(&state, key, p->state.path, &err) == 0) {
        const char *ledger = cli_state_ledger(&state, p->state.path);
        if (!q.state.path && ledger && p->file)
            q.state.path = (char *)ledger;
        o.budget = cli_state_budget(&state);
    }
    report_begin(&report, &q, fl->metrics_file, 0, NULL, 0);
    int rc = export_job_run(&q, &o, &rep, &err);
    export_progress_end(&pl);
    rc = rc == 0                           ? CP_EXIT_OK
         : err.code == CP_EXIT_INTERRUPTED ? CP_EXIT_INTERRUPTED
                                           : cli_report(&err);
    report_export_end(&report, rc, &rep.st, NULL);
    cli_state_close(&state);
    return rc;
}

/* ---- the command line -------------------------------------------------- */

struct export_cli {
    const char *pipeline, *format, *output, *source, *business_id, *show, *sort, *since;
    const char *mirror;
    struct export_flags fl;
    int help;
};

static const char export_usage[] =
    "usage: cloutly-pipe export [PIPELINE.yaml] [--format ndjson|csv] [--output PATH]\n"
    "                           [--source S] [--business-id ID] [--show-on-widget true|false]\n"
    "                           [--sort asc|desc] [--since DATE|last_run]\n"
    "                           [--mirror PATH.sqlite [--full] | --from-mirror]\n"
    "                           [-q|-v] [--no-progress] [--log-format text|json]\n"
    "                           [--metrics-file PATH]\n\n"
    "Page through every review of the account (GET /reviews) into NDJSON, each review\n"
    "exactly as the API sent it, or CSV for spreadsheets. Without a pipeline the key\n"
    "comes from CLOUTLY_API_KEY; options override the pipeline's export section.\n"
    "The output is written whole or not at all (standard output when --output is\n"
    "absent or '-'). --since last_run needs a pipeline: its ledger keeps the newest\n"
    "review written, and only a complete export moves it.\n\n"
    "--mirror PATH (export.mirror) keeps an SQLite mirror of every review instead:\n"
    "new ones, later replies, edits and deletions, with a table of changes. A run\n"
    "reads the newest pages (export.lookback); --full (or export.full_every) reads\n"
    "everything and marks reviews gone from a complete sweep deleted. --from-mirror\n"
    "writes the NDJSON/CSV output from the mirror without asking the API.\n\n"
    "Exit codes: 0 complete, 2 usage or pipeline error, 3 key refused (401),\n"
    "4 the API's pages could not be read (retries exhausted), 5 interrupted:\n"
    "in every case but 0, no file is written and the watermark does not move.\n";

static int parse_cli(int argc, char **argv, struct export_cli *c, struct cp_error *err)
{
    enum {
        O_FORMAT = 256,
        O_OUTPUT,
        O_SOURCE,
        O_BUSINESS,
        O_SHOW,
        O_SORT,
        O_SINCE,
        O_NO_PROGRESS,
        O_LOG_FORMAT,
        O_MIRROR,
        O_FULL,
        O_FROM_MIRROR,
        O_METRICS
    };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"output", required_argument, NULL, O_OUTPUT},
        {"source", required_argument, NULL, O_SOURCE},
        {"business-id", required_argument, NULL, O_BUSINESS},
        {"show-on-widget", required_argument, NULL, O_SHOW},
        {"sort", required_argument, NULL, O_SORT},
        {"since", required_argument, NULL, O_SINCE},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-progress", no_argument, NULL, O_NO_PROGRESS},
        {"log-format", required_argument, NULL, O_LOG_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {"mirror", required_argument, NULL, O_MIRROR},
        {"full", no_argument, NULL, O_FULL},
        {"from-mirror", no_argument, NULL, O_FROM_MIRROR},
        {"metrics-file", required_argument, NULL, O_METRICS},
        {NULL, 0, NULL, 0},
    };
    int o;
    memset(c, 0, sizeof *c);
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":o:qvh", longopts, NULL)) != -1) {
        switch (o) {
        case O_FORMAT: c->format = optarg; break;
        case 'o':
        case O_OUTPUT:
            c->output = optarg;
            c->fl.output_from_cli = 1;
            break;
        case O_SOURCE: c->source = optarg; break;
        case O_BUSINESS: c->business_id = optarg; break;
        case O_SHOW: c->show = optarg; break;
        case O_SORT: c->sort = optarg; break;
        case O_SINCE: c->since = optarg; break;
        case 'q': c->fl.verbosity = -1; break;
        case 'v': c->fl.verbosity = 1; break;
        case O_NO_PROGRESS: c->fl.no_progress = 1; break;
        case O_LOG_FORMAT:
            if (strcmp(optarg, "json") == 0)
                c->fl.json_log = 1;
            else if (strcmp(optarg, "text") != 0)
                return cp_fail(err, CP_EXIT_USAGE, "--log-format must be text or json, not '%s'",
                               optarg);
            break;
        case 'h': c->help = 1; return 0;
        case O_MIRROR: c->mirror = optarg; break;
        case O_FULL: c->fl.full = 1; break;
        case O_FROM_MIRROR: c->fl.from_mirror = 1; break;
        case O_METRICS: c->fl.metrics_file = optarg; break;
        case ':': return cp_fail(err, CP_EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cp_fail(err, CP_EXIT_USAGE, "unknown option '%s' (see export --help)",
                           argv[optind - 1]);
        }
    }
    if (optind < argc)
        c->pipeline = argv[optind++];
    if (optind < argc)
        return cp_fail(err, CP_EXIT_USAGE, "unexpected argument '%s' (see export --help)",
                       argv[optind]);
    return 0;
}

static int replace(char **dst, const char *value, struct cp_error *err)
{
    char *dup = strdup(value);
    if (!dup)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    free(*dst);
    *dst = dup;
    return 0;
}

/* The command line's word over the pipeline's. */
static int apply_cli(struct pipeline *p, const struct export_cli *c, struct cp_error *err)
{
    if (c->format) {
        if (strcmp(c->format, "ndjson") && strcmp(c->format, "csv"))
            return cp_fail(err, CP_EXIT_USAGE, "--format must be ndjson or csv, not '%s'",
                           c->format);
        p->export.format = c->format[0] == 'c' ? EXPORT_CSV : EXPORT_NDJSON;
    }
    if (c->sort) {
        if (strcmp(c->sort, "asc") && strcmp(c->sort, "desc"))
            return cp_fail(err, CP_EXIT_USAGE, "--sort must be asc or desc, not '%s'", c->sort);
        p->export.sort = c->sort[0] == 'a' ? EXPORT_SORT_ASC : EXPORT_SORT_DESC;
    }
    if (c->show) {
        if (strcmp(c->show, "true") && strcmp(c->show, "false"))
            return cp_fail(err, CP_EXIT_USAGE, "--show-on-widget must be true or false, not '%s'",
                           c->show);
        p->export.filters.show_on_widget = c->show[0] == 't';
    }
    if (c->mirror && replace(&p->export.mirror, c->mirror, err) < 0)
        return -1;
    if (c->fl.full && !p->export.mirror)
        return cp_fail(err, CP_EXIT_USAGE,
                       "--full applies to a mirror: give --mirror PATH or "
                       "set export.mirror");
    if (c->source && replace(&p->export.filters.source, c->source, err) < 0)
        return -1;
    if (c->business_id) {
        if (!uuid_valid_str(c->business_id))
            return cp_fail(err, CP_EXIT_USAGE,
                           "invalid --business-id '%s' (expected a UUID; run "
                           "'cloutly-pipe businesses' to list business ids)",
                           c->business_id);
        if (replace(&p->export.filters.business_id, c->business_id, err) < 0)
            return -1;
    }
    if (c->since) {
        int64_t us;
        free(p->export.since);
        p->export.since = NULL;
        p->export.since_last_run = strcmp(c->since, "last_run") == 0;
        if (!p->export.since_last_run) {
            if (isotime_parse(c->since, strlen(c->since), &us) < 0)
                return cp_fail(err, CP_EXIT_USAGE,
                               "invalid --since '%s' (expected last_run or an "
                               "ISO date like 2026-01-31)",
                               c->since);
            if (replace(&p->export.since, c->since, err) < 0)
                return -1;
        }
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_cli c;
    struct pipeline p = {0};
    struct cp_error err = {0};
    int rc;

    if (parse_cli(argc, argv, &c, &err) < 0) {
        rc = cli_report(&err);
        goto out;
    }
    if (c.help) {
        fputs(export_usage, stdout);
        rc = 0;
        goto out;
    }
    log_setup(c.fl.verbosity, c.fl.json_log);
    if (c.pipeline ? pipeline_load(c.pipeline, time(NULL), &p, &err)
                   : pipeline_defaults(PIPELINE_EXPORT, "export", time(NULL), &p, &err)) {
        rc = cli_report(&err);
        goto out;
    }
    if (p.kind != PIPELINE_EXPORT) {
        cp_fail(&err, CP_EXIT_USAGE,
                "%s: 'export' needs a pipeline of kind export, this one is "
                "kind invite (or run 'cloutly-pipe export' without a pipeline)",
                c.pipeline);
        rc = cli_report(&err);
        goto out;
    }
    if (apply_cli(&p, &c, &err) < 0) {
        rc = cli_report(&err);
        goto out;
    }
    c.fl.output = c.fl.output_from_cli ? c.output : p.export.output;
    rc = execute(&p, &c.fl);
out:
    pipeline_release(&p);
    return rc;
}

/* Kept for cmd_run.c until it calls export_job_run() itself. */
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
    return execute(p, &fl);
}
