/*
 * cloutly-pipe: turn POS and CRM exports into Cloutly review invites, and
 * archive reviews. main() only dispatches: each command lives in its own
 * cmd_<name>.c and returns the process's exit code.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_export.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"guess", cmd_guess, "sniff an export and print a starter pipeline"},
    {"run", cmd_run, "send invites (or --dry-run) and write results and rejects"},
    {"check", cmd_check, "validate the pipeline and every input row, no network"},
    {"ledger", cmd_ledger, "show what was sent to whom, from the pipeline's ledger"},
    {"export", cmd_export, "page through GET /reviews to NDJSON or CSV"},
    {"businesses", cmd_businesses, "list business ids and sources"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cloutly-pipe COMMAND [options]\n\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "The way in: guess EXPORT.csv > PIPELINE.yaml, then check PIPELINE.yaml,\n"
            "then run --dry-run, then run.\n"
            "COMMAND --help shows a command's options.\n\n"
            "Environment: CLOUTLY_API_KEY (the key when the pipeline names none),\n"
            "CLOUTLY_BASE_URL (overrides api.base_url).\n\n%s",
            cli_exit_codes);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cloutly-pipe %s\n", CLOUTLY_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cloutly-pipe: unknown command '%s' (see cloutly-pipe --help)\n", argv[1]);
    return 2;
}
