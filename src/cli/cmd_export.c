/*
 * `cloutly-pipe export [PIPELINE.yaml] [options]`, and `run` on a pipeline
 * of kind export: the options, the help, the progress line; the job itself
 * (the page walk into files or the mirror, whole or not at all) is
 * export/export_job.c.
 */
#include "cli/cmd_export.h"
#include "cli/export_runner.h"

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
    /* The command line's word over the pipeline's, through the same setters
     * as the file's keys (config/pipeline.h: pipeline_override), so
     * `--format CSV` and `format: CSV`, `--since` and `since:` agree. */
    const struct {
        const char *value, *key, *origin;
    } o[] = {
        {c->format, "export.format", "--format"},
        {c->sort, "export.sort", "--sort"},
        {c->show, "export.filters.showOnWidget", "--show-on-widget"},
        {c->source, "export.filters.source", "--source"},
        {c->business_id, "export.filters.businessId", "--business-id"},
        {c->since, "export.since", "--since"},
    };
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
        if (o[i].value && pipeline_override(p, o[i].key, o[i].value, o[i].origin, err) < 0)
            return -1;
    if (c->mirror && replace(&p->export.mirror, c->mirror, err) < 0)
        return -1;
    if (c->fl.full && !p->export.mirror)
        return cp_fail(err, CP_EXIT_USAGE,
                       "--full applies to a mirror: give --mirror PATH or "
                       "set export.mirror");
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
    rc = export_execute(&p, &c.fl);
out:
    pipeline_release(&p);
    return rc;
}
