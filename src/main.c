/*
 * cloutly-pipe: turn POS and CRM exports into Cloutly review invites, and
 * archive reviews. main() only dispatches: each command lives in its own
 * cli/cmd_<name>.c and returns the process's exit code. After every
 * command, standard output is flushed and checked here, once for all of
 * them (as git's run_builtin does): a full disk is an error, never a
 * silently short listing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_export.h"
#include "cli/version.h"
#include "core/log.h"
#include "core/suggest.h"

enum { CMD_SENDS = 1 }; /* the command may have sent invites: a late error is not exit 2 */

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    unsigned flags;
    const char *summary;
};

static const struct command commands[] = {
    {"guess", cmd_guess, 0, "sniff an export and print a starter pipeline"},
    {"check", cmd_check, 0, "validate the pipeline and every input row, no network"},
    {"run", cmd_run, CMD_SENDS, "send invites (or --dry-run) and write results and rejects"},
    {"ledger", cmd_ledger, 0, "show what was sent to whom, from the pipeline's ledger"},
    {"report", cmd_report, 0, "one HTML page: runs, sends, reviews, and which invites worked"},
    {"export", cmd_export, 0, "page through GET /reviews to NDJSON or CSV"},
    {"businesses", cmd_businesses, 0, "list business ids and sources"},
    {"doctor", cmd_doctor, 0, "check the key, ids, TLS, clock, ledger and state folder"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
    fprintf(out, "usage: cloutly-pipe COMMAND [options]\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "The way in: guess EXPORT.csv > PIPELINE.yaml, then check PIPELINE.yaml,\n"
            "then run --dry-run, then run.\n"
            "'cloutly-pipe help COMMAND' or 'COMMAND --help' shows a command's options.\n\n"
            "Environment: CLOUTLY_API_KEY (the key when the pipeline names none),\n"
            "CLOUTLY_BASE_URL (overrides api.base_url).\n\n%s",
            cli_exit_codes);
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[N_COMMANDS + 1];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = "help";
    const char *near = suggest_nearest(name, names, N_COMMANDS + 1);
    if (near)
        fprintf(stderr, "cloutly-pipe: unknown command '%s' (did you mean '%s'?)\n", name, near);
    else
        fprintf(stderr, "cloutly-pipe: unknown command '%s' (see cloutly-pipe --help)\n", name);
    return CP_EXIT_USAGE;
}

/* What was written to standard output must have reached it. */
static int check_stdout(int rc, const struct command *cmd)
{
    int failed = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed)
        return rc;
    log_msg(LOG_ERROR, "cannot write to standard output: %s", strerror(e));
    if (rc != 0)
        return rc;
    return cmd && (cmd->flags & CMD_SENDS) ? CP_EXIT_INCOMPLETE : CP_EXIT_USAGE;
}

static int dispatch(int argc, char **argv, const struct command **cmd)
{
    if (argc < 2) {
        usage(stderr);
        return CP_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(a, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        if (!(*cmd = find(argv[2])))
            return unknown_command(argv[2]);
        char help[] = "--help";
        char *help_argv[] = {argv[2], help, NULL};
        return (*cmd)->fn(2, help_argv);
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0 || strcmp(a, "version") == 0) {
        cli_print_version(stdout);
        return 0;
    }
    if (!(*cmd = find(a)))
        return unknown_command(a);
    return (*cmd)->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    const struct command *cmd = NULL;
    int rc = dispatch(argc, argv, &cmd);
    return check_stdout(rc, cmd);
}
