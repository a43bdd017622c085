/*
 * Command-line options shared by `run` and `check`, and the exit-code text
 * that --help prints. Only the cmd_*.c files and main.c see argv.
 */
#ifndef CLOUTLY_CLI_H
#define CLOUTLY_CLI_H

#include "cli/options.h"
#include "core/error.h"

struct run_options {
    const char *pipeline;     /* PIPELINE.yaml */
    const char *input;        /* --input, or NULL */
    long limit;               /* --limit N, 0 = all */
    int dry_run;              /* --dry-run */
    int verbosity;            /* -q: -1, -v: 1 */
    int no_progress;          /* --no-progress */
    int json_log;             /* --log-format json */
    int help;                 /* --help was asked */
    const char *metrics_file; /* --metrics-file PATH (run only), or NULL */
    double wait_lock;         /* --wait-lock DURATION in seconds, 0 = refuse at once */
    int retry_failed;         /* --retry-failed */
    int retry_in_doubt;       /* --retry-in-doubt */
};

/* The option ids run and check share, for their cli_opt tables. */
enum {
    RUN_OPT_INPUT = 1,
    RUN_OPT_DRY_RUN,
    RUN_OPT_LIMIT,
    RUN_OPT_WAIT_LOCK,
    RUN_OPT_RETRY_FAILED,
    RUN_OPT_RETRY_IN_DOUBT,
    RUN_OPT_METRICS = 40
};

/* Parse run/check options against the command's table. -1 with err
 * (CP_EXIT_USAGE) on a bad option. */
int run_options_parse(const struct cli_spec *spec, int argc, char **argv, struct run_options *o,
                      struct cp_error *err);

/* Exit-code sections for --help: run's (every code), check's. */
extern const char cli_exit_codes[];
extern const char cli_check_exit_codes[];

extern const struct cli_spec cmd_run_spec, cmd_check_spec, cmd_ledger_spec;

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_guess(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
extern const struct cli_spec cmd_doctor_spec;

/* Print err for a person (or as JSON) and return its exit code. */
int cli_report(const struct cp_error *err);

#endif
