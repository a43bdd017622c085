/* Shared option parsing: see cli.h. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/log.h"

const char cli_exit_codes[] =
    "Exit codes:\n"
    "  0  run complete: every row was sent, skipped or rejected as intended\n"
    "  1  run complete, but some rows failed or are in_doubt\n"
    "  2  usage or pipeline error: nothing was sent\n"
    "  3  authentication refused (401): stopped at the first one\n"
    "  4  input unreadable (missing file, not CSV, required columns absent)\n"
    "  5  interrupted (SIGINT/SIGTERM): state saved, run again to resume\n";

struct parse_ctx {
    struct run_options *o;
};

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct run_options *o = ((struct parse_ctx *)ctx)->o;
    char *end;
    switch (id) {
    case RUN_OPT_INPUT: o->input = value; break;
    case RUN_OPT_DRY_RUN: o->dry_run = 1; break;
    case RUN_OPT_METRICS: o->metrics_file = value; break;
    case RUN_OPT_LIMIT:
        o->limit = strtol(value, &end, 10);
        if (*end || end == value || o->limit <= 0)
            return cp_fail(err, CP_EXIT_USAGE, "--limit needs a positive whole number, not '%s'",
                           value);
        break;
    case RUN_OPT_WAIT_LOCK:
        /* The pipeline's duration words; a lock held past a week is no wait. */
        if (!duration_parse(value, &o->wait_lock) || o->wait_lock > 7 * 86400.0)
            return cp_fail(err, CP_EXIT_USAGE,
                           "--wait-lock needs a duration like 30s, 10m or "
                           "1h, not '%s'",
                           value);
        break;
    case RUN_OPT_RETRY_FAILED: o->retry_failed = 1; break;
    case RUN_OPT_RETRY_IN_DOUBT: o->retry_in_doubt = 1; break;
    }
    return 0;
}

int run_options_parse(const struct cli_spec *spec, int argc, char **argv, struct run_options *o,
                      struct cp_error *err)
{
    struct parse_ctx ctx = {.o = o};
    struct cli_common c;
    const char *args[1];
    int n;
    memset(o, 0, sizeof *o);
    if (cli_parse(spec, argc, argv, on_option, &ctx, &c, args, &n, err) < 0)
        return -1;
    o->verbosity = c.verbosity;
    o->json_log = c.json_log;
    o->no_progress = c.no_progress;
    o->help = c.help;
    o->pipeline = n ? args[0] : NULL;
    return 0;
}

int cli_report(const struct cp_error *err)
{
    log_msg(LOG_ERROR, "%s", err->msg);
    return err->code ? (int)err->code : CP_EXIT_USAGE;
}

const char cli_check_exit_codes[] =
    "Exit codes:\n"
    "  0  the pipeline loads and the input was read (rejected rows are listed, not errors)\n"
    "  2  usage or pipeline error\n"
    "  4  input unreadable (missing file, not CSV, required columns absent)\n";
