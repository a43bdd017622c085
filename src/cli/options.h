/*
 * One grammar for every command's options: each command declares a table
 * (a struct cli_spec) and cli_parse() reads argv against it, so `-q`, `-v`,
 * `--log-format`, `--no-progress` and `--help` mean the same everywhere, an
 * unknown option gets a did-you-mean, and --help is printed from the same
 * table the parser reads (it cannot drift from what is accepted).
 *
 * Values that override a pipeline key are not interpreted here: the command
 * hands them to the config layer, which parses them as the YAML key would.
 */
#ifndef CLOUTLY_OPTIONS_H
#define CLOUTLY_OPTIONS_H

#include <stdio.h>

#include "core/error.h"

struct cli_opt {
    const char *name; /* long name without "--"; NULL ends a table */
    char shortname;   /* e.g. 'o', or 0 */
    const char *arg;  /* NULL for a flag, else the value's name for --help ("N") */
    int id;           /* the command's own code for it */
    const char *help; /* one line for --help */
};

/* The options every command may share; a spec says which it takes. */
enum cli_common_set {
    CLI_VERBOSITY = 1,  /* -q/--quiet, -v/--verbose */
    CLI_LOG_FORMAT = 2, /* --log-format text|json */
    CLI_PROGRESS = 4,   /* --no-progress */
};

struct cli_common {
    int verbosity;   /* -q: -1, -v: 1 */
    int json_log;    /* --log-format json */
    int no_progress; /* --no-progress */
    int help;        /* --help was asked: the command prints cli_help and exits 0 */
};

struct cli_spec {
    const char *command;        /* "run" */
    const char *synopsis;       /* what follows "cloutly-pipe run " in the usage line */
    const char *about;          /* a paragraph for --help and the man page */
    const struct cli_opt *opts; /* the command's own options, or NULL */
    unsigned common;            /* which of cli_common_set it takes */
    int min_args, max_args;     /* positional arguments */
    const char *args_name;      /* "PIPELINE.yaml", for "missing ..." */
    const char *exit_codes;     /* the --help's exit-code section */
};

/* Called for each of the command's own options, in order; `value` is NULL
 * for a flag. Return -1 with err to stop. */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *value, struct cp_error *err);

/*
 * Parse argv (argv[0] is the command's name) against `spec`. Positional
 * arguments go to args[0..*n_args) (args must hold max_args). After
 * --help, nothing else is checked. -1 with err (CP_EXIT_USAGE) for an
 * unknown option (with the nearest known one), a missing value, or the
 * wrong number of arguments.
 */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, cli_opt_fn fn, void *ctx,
              struct cli_common *common, const char **args, int *n_args, struct cp_error *err);

/* The command's --help, from its table. */
void cli_help(const struct cli_spec *spec, FILE *out);

#endif
