/*
 * `cloutly-pipe report [PIPELINE.yaml] [--output report.html] [--since DATE]
 * [--mirror PATH] [--ledger PATH] [--match-days N]`: the campaign (the
 * ledger) and the archive (the review mirror) as one self-contained HTML
 * page. Read-only on both; the work is report/report.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/state.h"
#include "config/pipeline.h"
#include "core/isotime.h"
#include "core/log.h"
#include "report/report.h"

enum { R_OUTPUT = 1, R_SINCE, R_MIRROR, R_LEDGER, R_MATCH_DAYS };

static const struct cli_opt report_opts[] = {
    {"output", 'o', "PATH", R_OUTPUT, "where the page goes (default report.html)"},
    {"since", 0, "DATE", R_SINCE, "only runs, sends and reviews from this date on (ISO 8601)"},
    {"mirror", 0, "PATH", R_MIRROR, "the review mirror (export.mirror) for the reviews half"},
    {"ledger", 0, "PATH", R_LEDGER, "the ledger to read (default: the pipeline's state.path)"},
    {"match-days", 0, "N", R_MATCH_DAYS,
     "a review counts for an invite within N days after it (default 14)"},
    {NULL, 0, NULL, 0, NULL},
};

const struct cli_spec cmd_report_spec = {
    .command = "report",
    .synopsis = "[PIPELINE.yaml] [--output report.html] [--since DATE] [--mirror PATH] "
                "[--ledger PATH] [--match-days N]",
    .about = "Write one self-contained HTML page (no network, prints, light and dark) with\n"
             "the pipeline's runs, sends, SMS credits, deferred and in-doubt rows, and, with\n"
             "--mirror, the reviews: per month and rating, replies, those awaiting a reply,\n"
             "what changed since the last report, and which invites were followed by a\n"
             "review. Reads the ledger and the mirror, never writes them.",
    .opts = report_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 0,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  written\n  2  usage or pipeline error, a database that "
                  "cannot be read, or the page cannot be written\n",
};

struct report_cli {
    const char *output, *mirror, *ledger;
    time_t since;
    int match_days;
};

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct report_cli *c = ctx;
    int64_t us;
    char *end;
    long n;
    switch (id) {
    case R_OUTPUT: c->output = value; break;
    case R_MIRROR: c->mirror = value; break;
    case R_LEDGER: c->ledger = value; break;
    case R_SINCE:
        if (isotime_parse(value, strlen(value), &us) < 0)
            return cp_fail(err, CP_EXIT_USAGE,
                           "report: --since needs a date like 2026-11-01 "
                           "or 2026-11-01T09:00:00Z, not '%s'",
                           value);
        c->since = (time_t)(us / 1000000);
        break;
    case R_MATCH_DAYS:
        n = strtol(value, &end, 10);
        if (*end || n < 1 || n > 365)
            return cp_fail(err, CP_EXIT_USAGE,
                           "report: --match-days must be a whole number of "
                           "days from 1 to 365, not '%s'",
                           value);
        c->match_days = (int)n;
        break;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct cp_error err = {0};
    struct pipeline p = {0};
    struct report_cli rc_opts = {.output = "report.html", .match_days = 14};
    struct cli_state state = {0};
    struct report_model m;
    struct cli_common common;
    const char *args[1];
    int n, rc, loaded = 0;

    if (cli_parse(&cmd_report_spec, argc, argv, on_option, &rc_opts, &common, args, &n, &err) < 0)
        goto fail;
    if (common.help) {
        cli_help(&cmd_report_spec, stdout);
        return 0;
    }
    log_setup(common.verbosity, common.json_log);
    struct report_options o = {
        .ledger_path = rc_opts.ledger,
        .mirror_path = rc_opts.mirror,
        .since = rc_opts.since,
        .match_days = rc_opts.match_days,
    };
    if (n == 1) {
        if (pipeline_load(args[0], time(NULL), &p, &err) < 0)
            goto fail;
        loaded = 1;
        if (!o.ledger_path)
            o.ledger_path = p.state.path;
        if (!o.ledger_path) {
            /* The account's ledger, when the pipeline keeps none of its own. */
            const char *key = NULL;
            struct cp_error nokey = {0};
            if (pipeline_api_key(&p, &key, &nokey) == 0 &&
                cli_state_open(&state, key, NULL, &err) == 0)
                o.ledger_path = cli_state_ledger(&state, NULL);
        }
        if (!o.mirror_path && p.export.mirror)
            o.mirror_path = p.export.mirror;
        o.pipeline_path = args[0];
        o.pipeline_name = p.name;
        o.default_country = p.validate.default_country;
    } else if (!o.ledger_path && !o.mirror_path) {
        cp_fail(&err, CP_EXIT_USAGE,
                "report: give PIPELINE.yaml, or --ledger PATH and/or "
                "--mirror PATH, to say what to report on");
        goto fail;
    }
    struct stat st;
    if (o.mirror_path && stat(o.mirror_path, &st) != 0) {
        cp_fail(&err, CP_EXIT_USAGE,
                "report: no mirror at '%s': run an export pipeline with "
                "export.mirror set first",
                o.mirror_path);
        goto fail;
    }
    if (report_write(&o, rc_opts.output, &m, &err) < 0)
        goto fail;
    printf("wrote %s: %ld runs, %ld sent, %ld in doubt", rc_opts.output, (long)m.n_runs,
           m.n_status[RS_SENT], m.doubts_total);
    if (m.has_mirror)
        printf(", %ld reviews, %ld awaiting a reply", m.reviews_total, m.awaiting_total);
    else
        printf("; no mirror: the reviews half needs --mirror (export.mirror)");
    printf("\n");
    report_model_free(&m);
    rc = 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    cli_state_close(&state);
    if (loaded)
        pipeline_release(&p);
    return rc;
}
