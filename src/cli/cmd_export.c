/*
 * `cloutly-pipe export [PIPELINE.yaml] [options]`: its options, read by the
 * shared grammar (cli/options.h) so -q, -v, --log-format, --no-progress,
 * --help and did-you-mean work as for every command, and their values handed
 * to the pipeline's own setters. Running the job (for `run` on a pipeline of
 * kind export too) is cli/export_runner.c; the page walk itself is
 * export/export_job.c.
 */
#include "cli/cmd_export.h"
#include "cli/export_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/options.h"
#include "core/log.h"

/* ---- the command line -------------------------------------------------- */

struct export_cli {
    const char *pipeline, *format, *output, *source, *business_id, *show, *sort, *since;
    const char *mirror;
    struct export_flags fl;
};

enum export_opt {
    E_FORMAT,
    E_OUTPUT,
    E_SOURCE,
    E_BUSINESS,
    E_SHOW,
    E_SORT,
    E_SINCE,
    E_MIRROR,
    E_FULL,
    E_FROM_MIRROR,
    E_METRICS,
};

static const struct cli_opt export_opts[] = {
    {"format", 0, "ndjson|csv", E_FORMAT, "export.format"},
    {"output", 'o', "PATH", E_OUTPUT, "export.output; '-' is standard output"},
    {"source", 0, "S", E_SOURCE, "export.filters.source: google, facebook..."},
    {"business-id", 0, "ID", E_BUSINESS, "export.filters.businessId"},
    {"show-on-widget", 0, "true|false", E_SHOW, "export.filters.showOnWidget"},
    {"sort", 0, "asc|desc", E_SORT, "export.sort"},
    {"since", 0, "DATE|last_run", E_SINCE, "export.since: an ISO date, or the last complete run"},
    {"mirror", 0, "PATH.sqlite", E_MIRROR, "export.mirror: keep an SQLite mirror instead"},
    {"full", 0, NULL, E_FULL, "with a mirror: read every page and mark deletions"},
    {"from-mirror", 0, NULL, E_FROM_MIRROR, "write the output from the mirror, no API"},
    {"metrics-file", 0, "PATH", E_METRICS, "write Prometheus metrics here (export.metrics)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_spec export_spec = {
    .command = "export",
    .synopsis =
        "[PIPELINE.yaml] [--format ndjson|csv] [--output PATH]\n"
        "                           [--source S] [--business-id ID] [--show-on-widget true|false]\n"
        "                           [--sort asc|desc] [--since DATE|last_run]\n"
        "                           [--mirror PATH.sqlite [--full] | --from-mirror]\n"
        "                           [-q|-v] [--no-progress] [--log-format text|json]\n"
        "                           [--metrics-file PATH]",
    .about = "Page through every review of the account (GET /reviews) into NDJSON, each review\n"
             "exactly as the API sent it, or CSV for spreadsheets. Without a pipeline the key\n"
             "comes from CLOUTLY_API_KEY; options override the pipeline's export section.\n"
             "The output is written whole or not at all (standard output when --output is\n"
             "absent or '-'). --since last_run needs a pipeline: its ledger keeps the newest\n"
             "review written, and only a complete export moves it.\n\n"
             "--mirror PATH (export.mirror) keeps an SQLite mirror of every review instead:\n"
             "new ones, later replies, edits and deletions, with a table of changes. A run\n"
             "reads the newest pages (export.lookback); --full (or export.full_every) reads\n"
             "everything and marks reviews gone from a complete sweep deleted. --from-mirror\n"
             "writes the NDJSON/CSV output from the mirror without asking the API.",
    .opts = export_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT | CLI_PROGRESS,
    .min_args = 0,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes: 0 complete, 2 usage or pipeline error, 3 key refused (401),\n"
                  "4 the API's pages could not be read (retries exhausted), 5 interrupted:\n"
                  "in every case but 0, no file is written and the watermark does not move.\n",
};

/* One of export's own options; the values are read by the pipeline's
 * setters later (apply_cli), not here. */
static int take_opt(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct export_cli *c = ctx;
    (void)err;
    switch ((enum export_opt)id) {
    case E_FORMAT: c->format = value; break;
    case E_OUTPUT:
        c->output = value;
        c->fl.output_from_cli = 1;
        break;
    case E_SOURCE: c->source = value; break;
    case E_BUSINESS: c->business_id = value; break;
    case E_SHOW: c->show = value; break;
    case E_SORT: c->sort = value; break;
    case E_SINCE: c->since = value; break;
    case E_MIRROR: c->mirror = value; break;
    case E_FULL: c->fl.full = 1; break;
    case E_FROM_MIRROR: c->fl.from_mirror = 1; break;
    case E_METRICS: c->fl.metrics_file = value; break;
    }
    return 0;
}

/* argv into `c`; *help set when --help was asked. */
static int parse_cli(int argc, char **argv, struct export_cli *c, int *help, struct cp_error *err)
{
    struct cli_common common;
    const char *args[1];
    int n;
    memset(c, 0, sizeof *c);
    if (cli_parse(&export_spec, argc, argv, take_opt, c, &common, args, &n, err) < 0)
        return -1;
    c->pipeline = n ? args[0] : NULL;
    c->fl.verbosity = common.verbosity;
    c->fl.json_log = common.json_log;
    c->fl.no_progress = common.no_progress;
    *help = common.help;
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
    int rc, help = 0;

    if (parse_cli(argc, argv, &c, &help, &err) < 0) {
        rc = cli_report(&err);
        goto out;
    }
    if (help) {
        cli_help(&export_spec, stdout);
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
