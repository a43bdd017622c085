/*
 * Command-line options shared by `run` and `check`, and the exit-code text
 * that --help prints. Only the cmd_*.c files and main.c see argv.
 */
#ifndef CLOUTLY_CLI_H
#define CLOUTLY_CLI_H

#include "core/error.h"

struct run_options {
    const char *pipeline; /* PIPELINE.yaml */
    const char *input;    /* --input, or NULL */
    long limit;           /* --limit N, 0 = all */
    int dry_run;          /* --dry-run */
    int verbosity;        /* -q: -1, -v: 1 */
    int no_progress;      /* --no-progress */
    int json_log;         /* --log-format json */
    int help;             /* --help was asked */
};

/* Parse run/check options. `is_run` allows --dry-run/--limit and friends.
 * -1 with err (CP_EXIT_USAGE) on a bad option. */
int run_options_parse(int argc, char **argv, int is_run, struct run_options *o,
                      struct cp_error *err);

extern const char cli_exit_codes[];

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_guess(int argc, char **argv);

/* Print err for a person (or as JSON) and return its exit code. */
int cli_report(const struct cp_error *err);

#endif
