/* Shared option parsing: see cli.h. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

const char cli_exit_codes[] =
    "Exit codes:\n"
    "  0  run complete: every row was sent, skipped or rejected as intended\n"
    "  1  run complete, but some rows failed or are in_doubt\n"
    "  2  usage or pipeline error: nothing was sent\n"
    "  3  authentication refused (401): stopped at the first one\n"
    "  4  input unreadable (missing file, not CSV, required columns absent)\n"
    "  5  interrupted (SIGINT/SIGTERM): state saved, run again to resume\n";

int run_options_parse(int argc, char **argv, int is_run, struct run_options *o,
                      struct cp_error *err)
{
    enum { OPT_NO_PROGRESS = 256, OPT_LOG_FORMAT, OPT_DRY_RUN, OPT_LIMIT };
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":i:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': o->input = optarg; break;
        case 'q': o->verbosity = -1; break;
        case 'v': o->verbosity = 1; break;
        case 'h': o->help = 1; return 0;
        case OPT_NO_PROGRESS: o->no_progress = 1; break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "json") == 0)
                o->json_log = 1;
            else if (strcmp(optarg, "text") != 0)
                return cp_fail(err, CP_EXIT_USAGE, "--log-format must be text or json, not '%s'", optarg);
            break;
        case OPT_DRY_RUN:
        case OPT_LIMIT:
            if (!is_run)
                return cp_fail(err, CP_EXIT_USAGE, "'%s' is an option of 'run', not of 'check'",
                               argv[optind - 1]);
            if (c == OPT_DRY_RUN) {
                o->dry_run = 1;
            } else {
                char *end;
                o->limit = strtol(optarg, &end, 10);
                if (*end || o->limit <= 0)
                    return cp_fail(err, CP_EXIT_USAGE, "--limit needs a positive number, not '%s'", optarg);
            }
            break;
        case ':':
            return cp_fail(err, CP_EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cp_fail(err, CP_EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cp_fail(err, CP_EXIT_USAGE, "missing PIPELINE.yaml (see --help)");
    o->pipeline = argv[optind++];
    if (optind < argc)
        return cp_fail(err, CP_EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    return 0;
}

int cli_report(const struct cp_error *err)
{
    log_msg(LOG_ERROR, "%s", err->msg);
    return err->code ? (int)err->code : CP_EXIT_USAGE;
}
