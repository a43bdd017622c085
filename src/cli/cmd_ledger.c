/*
 * `cloutly-pipe ledger PIPELINE.yaml [--contact EMAIL_OR_PHONE] [--since DATE]
 * [--format table|csv]`: the support question "did we text this customer,
 * when, from which file, and what did Cloutly say?", answered from the
 * ledger, read-only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "core/isotime.h"
#include "store/ledger.h"
#include "core/log.h"
#include "intake/phone.h"
#include "config/pipeline.h"

enum { L_CONTACT = 1, L_SINCE, L_FORMAT };

static const struct cli_opt ledger_opts[] = {
    {"contact", 0, "EMAIL_OR_PHONE", L_CONTACT, "only this person (a phone as people type it)"},
    {"since", 0, "DATE", L_SINCE, "only attempts from this date or time on (ISO 8601)"},
    {"format", 0, "table|csv", L_FORMAT, "csv for a spreadsheet (formula-guarded)"},
    {NULL, 0, NULL, 0, NULL},
};

const struct cli_spec cmd_ledger_spec = {
    .command = "ledger",
    .synopsis = "PIPELINE.yaml [--contact EMAIL_OR_PHONE] [--since DATE] [--format table|csv]",
    .about = "Show every invite attempt the pipeline's ledger recorded: when, to whom,\n"
             "from which file and row, and what the API answered. Read-only.",
    .opts = ledger_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 1,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  listed\n  2  usage or pipeline error, or the ledger "
                  "cannot be read\n",
};

struct ledger_cli {
    const char *contact;
    time_t since;
    int csv;
};

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct ledger_cli *c = ctx;
    int64_t us;
    switch (id) {
    case L_CONTACT:
        c->contact = value;
        break;
    case L_SINCE:
        if (isotime_parse(value, strlen(value), &us) < 0)
            return cp_fail(err, CP_EXIT_USAGE, "ledger: --since needs a date like 2026-11-01 "
                           "or 2026-11-01T09:00:00Z, not '%s'", value);
        c->since = (time_t)(us / 1000000);
        break;
    case L_FORMAT:
        if (strcasecmp(value, "csv") == 0)
            c->csv = 1;
        else if (strcasecmp(value, "table") == 0)
            c->csv = 0;
        else
            return cp_fail(err, CP_EXIT_USAGE, "ledger: --format must be table or csv, not '%s'",
                           value);
        break;
    }
    return 0;
}

int cmd_ledger(int argc, char **argv)
{
    struct cp_error err = {0};
    struct pipeline p = {0};
    struct ledger *l = NULL;
    struct ledger_cli lc = {0};
    struct cli_common common;
    const char *args[1];
    char normal[64];
    int n, rc;

    if (cli_parse(&cmd_ledger_spec, argc, argv, on_option, &lc, &common, args, &n, &err) < 0)
        goto fail;
    if (common.help) {
        cli_help(&cmd_ledger_spec, stdout);
        return 0;
    }
    log_setup(common.verbosity, common.json_log);
    const char *contact = lc.contact;
    if (pipeline_load(args[0], time(NULL), &p, &err) < 0)
        goto fail;
    if (contact && !strchr(contact, '@')) {
        /* A phone as a person types it: compare in the ledger's E.164. */
        struct phone_result pr;
        if (phone_normalise(contact, strlen(contact), p.validate.default_country, &pr) == 0) {
            snprintf(normal, sizeof normal, "%s", pr.e164);
            contact = normal;
        }
    }
    if (ledger_open(p.state.path, 1, &l, &err) < 0)
        goto fail;
    if (!l) {
        printf("no ledger yet at %s: the pipeline has not run\n", p.state.path);
        rc = 0;
        goto out;
    }
    if (ledger_report(l, contact, lc.since, lc.csv, stdout, &err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    ledger_close(l);
    pipeline_release(&p);
    return rc;
}
