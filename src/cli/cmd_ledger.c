/*
 * `cloutly-pipe ledger [PIPELINE.yaml] ...`: the account's ledger, for the
 * support question "did we text this customer, when, from which pipeline and
 * file, and what did Cloutly say?" (read-only), and its upkeep:
 *
 *   ledger forget   (--contact X | --before DATE) [--suppress]   GDPR erasure
 *   ledger suppress --file optouts.csv                            opt-outs
 *   ledger merge    --from OLD.sqlite                             an old ledger in
 *
 * The pipeline, when given, says which account (its key) and state.path;
 * without one, CLOUTLY_API_KEY names the account.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/state.h"
#include "cli/suppress_file.h"
#include "config/pipeline.h"
#include "core/isotime.h"
#include "core/log.h"
#include "intake/phone.h"
#include "store/ledger.h"

enum {
    L_CONTACT = 1,
    L_SINCE,
    L_FORMAT,
    L_PIPELINE,
    L_STATUS,
    L_BUSINESS,
    L_RUNS,
    L_BEFORE,
    L_SUPPRESS,
    L_FILE,
    L_FROM
};

static const struct cli_opt ledger_opts[] = {
    {"contact", 0, "EMAIL_OR_PHONE", L_CONTACT, "only this person (a phone as people type it)"},
    {"since", 0, "DATE", L_SINCE, "only attempts from this date or time on (ISO 8601)"},
    {"pipeline", 0, "NAME", L_PIPELINE, "only attempts made by runs of this pipeline"},
    {"status", 0, "STATUS", L_STATUS, "only sent, failed, in_doubt, retry or skipped attempts"},
    {"business", 0, "ID", L_BUSINESS, "only attempts for this business id"},
    {"format", 0, "table|csv|ndjson", L_FORMAT, "csv for a spreadsheet (formula-guarded)"},
    {"runs", 0, NULL, L_RUNS, "list the runs of every pipeline instead of the attempts"},
    {NULL, 0, NULL, 0, NULL},
};

static const char ledger_exit_codes[] =
    "Exit codes:\n  0  listed\n  1  --contact found no attempt (as grep finds no line)\n"
    "  2  usage or pipeline error, or the ledger cannot be read\n";

const struct cli_spec cmd_ledger_spec = {
    .command = "ledger",
    .synopsis = "[PIPELINE.yaml] [--contact EMAIL_OR_PHONE] [--since DATE] [--pipeline NAME]\n"
                "                        [--status STATUS] [--business ID] [--runs]\n"
                "                        [--format table|csv|ndjson]\n"
                "       cloutly-pipe ledger forget [PIPELINE.yaml] (--contact X | --before DATE) "
                "[--suppress]\n"
                "       cloutly-pipe ledger suppress [PIPELINE.yaml] --file OPTOUTS.csv\n"
                "       cloutly-pipe ledger merge [PIPELINE.yaml] --from OLD.sqlite",
    .about = "Show every invite attempt of every pipeline of the account: when, to whom,\n"
             "from which pipeline, file and row, and what the API answered. Read-only.\n"
             "'forget' erases a person's data (GDPR), keeping a tombstone; with --suppress\n"
             "they are never invited again. 'suppress' imports an opt-out list. 'merge'\n"
             "copies an older per-pipeline ledger into the account's.",
    .opts = ledger_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 0,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = ledger_exit_codes,
};

static const struct cli_opt forget_opts[] = {
    {"contact", 0, "EMAIL_OR_PHONE", L_CONTACT, "erase this person's data"},
    {"before", 0, "DATE", L_BEFORE, "erase the data of every attempt made before DATE"},
    {"suppress", 0, NULL, L_SUPPRESS, "and never invite them again (keeps a hash, not the value)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_spec forget_spec = {
    .command = "ledger forget",
    .synopsis = "[PIPELINE.yaml] (--contact EMAIL_OR_PHONE | --before DATE) [--suppress]",
    .about = "Erase personal data from the account's ledger (a GDPR request): emails,\n"
             "phones, names and contact ids of the matching attempts. The attempts stay,\n"
             "without them, so a rerun of a file still knows what was sent; a tombstone\n"
             "records the erasure. Results and rejects files already written are not\n"
             "touched: delete those yourself.",
    .opts = forget_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  erased (the count is printed)\n  2  usage error\n",
};

static const struct cli_opt suppress_opts[] = {
    {"file", 0, "PATH", L_FILE, "a CSV or list of emails and phones that must never be invited"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_spec suppress_spec = {
    .command = "ledger suppress",
    .synopsis = "[PIPELINE.yaml] --file OPTOUTS.csv",
    .about = "Put every email and phone of the file on the account's suppression list:\n"
             "no pipeline of the account invites them again (their rows are skipped).",
    .opts = suppress_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  imported\n  2  usage error\n  4  the file cannot be read\n",
};

static const struct cli_opt merge_opts[] = {
    {"from", 0, "OLD.sqlite", L_FROM, "the ledger to copy in (left as it is)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_spec merge_spec = {
    .command = "ledger merge",
    .synopsis = "[PIPELINE.yaml] --from OLD.sqlite",
    .about = "Copy every run, attempt, watermark and suppression of an older ledger (one\n"
             "pipeline's own, from before the account ledger) into the account's ledger,\n"
             "so its cooldowns count for every pipeline. Safe to repeat.",
    .opts = merge_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  merged (the count is printed)\n  2  usage error\n",
};

struct ledger_cli {
    struct ledger_query q;
    int runs;
    time_t before;
    int suppress;
    const char *file, *from;
};

static int parse_date(const char *opt, const char *value, time_t *out, struct cp_error *err)
{
    int64_t us;
    if (isotime_parse(value, strlen(value), &us) < 0)
        return cp_fail(err, CP_EXIT_USAGE,
                       "ledger: %s needs a date like 2026-11-01 or "
                       "2026-11-01T09:00:00Z, not '%s'",
                       opt, value);
    *out = (time_t)(us / 1000000);
    return 0;
}

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct ledger_cli *c = ctx;
    switch (id) {
    case L_CONTACT: c->q.contact = value; break;
    case L_SINCE: return parse_date("--since", value, &c->q.since, err);
    case L_BEFORE: return parse_date("--before", value, &c->before, err);
    case L_PIPELINE: c->q.pipeline = value; break;
    case L_BUSINESS: c->q.business = value; break;
    case L_RUNS: c->runs = 1; break;
    case L_SUPPRESS: c->suppress = 1; break;
    case L_FILE: c->file = value; break;
    case L_FROM: c->from = value; break;
    case L_STATUS:
        if (strcmp(value, "sent") && strcmp(value, "failed") && strcmp(value, "in_doubt") &&
            strcmp(value, "retry") && strcmp(value, "skipped") && strcmp(value, "pipeline_error"))
            return cp_fail(err, CP_EXIT_USAGE,
                           "ledger: --status must be sent, failed, in_doubt, "
                           "retry, skipped or pipeline_error, not '%s'",
                           value);
        c->q.status = value;
        break;
    case L_FORMAT:
        if (strcasecmp(value, "csv") == 0)
            c->q.format = LEDGER_CSV;
        else if (strcasecmp(value, "ndjson") == 0)
            c->q.format = LEDGER_NDJSON;
        else if (strcasecmp(value, "table") == 0)
            c->q.format = LEDGER_TABLE;
        else
            return cp_fail(err, CP_EXIT_USAGE,
                           "ledger: --format must be table, csv or ndjson, "
                           "not '%s'",
                           value);
        break;
    }
    return 0;
}

/* What the subcommands share: the pipeline (or the defaults), the account,
 * the ledger. */
struct ledger_job {
    struct pipeline p;
    struct cli_state st;
    struct ledger *l;
    char contact[320];
    const char *email, *phone; /* the contact, normalised, split by kind */
};

static int job_open(struct ledger_job *j, const char *pipeline, const char *contact, int readonly,
                    struct cp_error *err)
{
    const char *key;
    if ((pipeline ? pipeline_load(pipeline, time(NULL), &j->p, err)
                  : pipeline_defaults(PIPELINE_INVITE, "ledger", time(NULL), &j->p, err)) < 0)
        return -1;
    struct cp_error why = {0};
    if (pipeline_api_key(&j->p, &key, &why) < 0)
        key = NULL;
    if (cli_state_open(&j->st, key, j->p.state.path, err) < 0)
        return -1;
    const char *path = cli_state_ledger(&j->st, j->p.state.path);
    if (!path) {
        *err = why;
        cp_error_prefix(err, "ledger: the account is named by its API key");
        return -1;
    }
    if (contact) {
        snprintf(j->contact, sizeof j->contact, "%s", contact);
        if (strchr(contact, '@')) {
            for (char *c = j->contact; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            j->email = j->contact;
        } else {
            /* A phone as a person types it: compare in the ledger's E.164. */
            struct phone_result pr;
            if (phone_normalise(contact, strlen(contact), j->p.validate.default_country, &pr) == 0)
                snprintf(j->contact, sizeof j->contact, "%s", pr.e164);
            j->phone = j->contact;
        }
    }
    if (ledger_open(path, readonly, &j->l, err) < 0)
        return -1;
    if (!j->l)
        printf("no ledger yet at %s: no pipeline of this account has run\n", path);
    return 0;
}

static void job_close(struct ledger_job *j)
{
    ledger_close(j->l);
    cli_state_close(&j->st);
    pipeline_release(&j->p);
}

static int parse(const struct cli_spec *spec, int argc, char **argv, struct ledger_cli *lc,
                 const char **pipeline, int *help, struct cp_error *err)
{
    struct cli_common common;
    const char *args[1] = {NULL};
    int n;
    if (cli_parse(spec, argc, argv, on_option, lc, &common, args, &n, err) < 0)
        return -1;
    *help = common.help;
    if (common.help)
        cli_help(spec, stdout);
    log_setup(common.verbosity, common.json_log);
    *pipeline = n ? args[0] : NULL;
    return 0;
}

static int do_forget(struct ledger_job *j, const struct ledger_cli *lc, struct cp_error *err)
{
    long n;
    if (!j->email && !j->phone && !lc->before)
        return cp_fail(err, CP_EXIT_USAGE,
                       "ledger forget: give --contact EMAIL_OR_PHONE or "
                       "--before DATE");
    if (ledger_forget(j->l, j->email, j->phone, lc->before, lc->suppress, &n, err) < 0)
        return -1;
    printf("erased the personal data of %ld attempt%s%s\n", n, n == 1 ? "" : "s",
           lc->suppress ? "; suppressed: no pipeline of the account invites them again" : "");
    return 0;
}

static int do_suppress(struct ledger_job *j, const struct ledger_cli *lc, struct cp_error *err)
{
    struct suppress_counts c;
    if (!lc->file)
        return cp_fail(err, CP_EXIT_USAGE, "ledger suppress: give --file OPTOUTS.csv");
    if (suppress_file_import(j->l, lc->file, j->p.validate.default_country, &c, err) < 0)
        return -1;
    printf("%ld emails and %ld phones in %s: %ld new on the suppression list (%ld other cells "
           "passed over)\n",
           c.emails, c.phones, lc->file, c.added, c.other);
    return 0;
}

static int do_merge(struct ledger_job *j, const struct ledger_cli *lc, struct cp_error *err)
{
    long added;
    if (!lc->from)
        return cp_fail(err, CP_EXIT_USAGE, "ledger merge: give --from OLD.sqlite");
    if (ledger_merge(j->l, lc->from, &added, err) < 0)
        return -1;
    printf("merged %ld attempts from %s (it is left as it was)\n", added, lc->from);
    return 0;
}

static int admin(const char *sub, int argc, char **argv)
{
    const struct cli_spec *spec = strcmp(sub, "forget") == 0     ? &forget_spec
                                  : strcmp(sub, "suppress") == 0 ? &suppress_spec
                                                                 : &merge_spec;
    struct cp_error err = {0};
    struct ledger_cli lc = {0};
    struct ledger_job j = {0};
    const char *pipeline;
    int help, rc;
    if (parse(spec, argc, argv, &lc, &pipeline, &help, &err) < 0)
        goto fail;
    if (help)
        return 0;
    if (job_open(&j, pipeline, lc.q.contact, 0, &err) < 0)
        goto fail;
    rc = spec == &forget_spec     ? do_forget(&j, &lc, &err)
         : spec == &suppress_spec ? do_suppress(&j, &lc, &err)
                                  : do_merge(&j, &lc, &err);
    if (rc < 0)
        goto fail;
    goto out;
fail:
    rc = cli_report(&err);
out:
    job_close(&j);
    return rc;
}

int cmd_ledger(int argc, char **argv)
{
    struct cp_error err = {0};
    struct ledger_cli lc = {0};
    struct ledger_job j = {0};
    const char *pipeline;
    int help, rc;
    long n = 0;

    if (argc > 1 && (strcmp(argv[1], "forget") == 0 || strcmp(argv[1], "suppress") == 0 ||
                     strcmp(argv[1], "merge") == 0))
        return admin(argv[1], argc - 1, argv + 1);
    if (parse(&cmd_ledger_spec, argc, argv, &lc, &pipeline, &help, &err) < 0)
        goto fail;
    if (help)
        return 0;
    if (job_open(&j, pipeline, lc.q.contact, 1, &err) < 0)
        goto fail;
    if (!j.l) {
        rc = lc.q.contact ? 1 : 0;
        goto out;
    }
    if (lc.q.contact)
        lc.q.contact = j.contact;
    if ((lc.runs ? ledger_runs_report(j.l, &lc.q, stdout, &n, &err)
                 : ledger_report(j.l, &lc.q, stdout, &n, &err)) < 0)
        goto fail;
    rc = lc.q.contact && n == 0 ? 1 : 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    job_close(&j);
    return rc;
}
