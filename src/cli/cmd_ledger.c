/*
 * `cloutly-pipe ledger [PIPELINE.yaml] ...`: the account's ledger, for the
 * support question "did we text this customer, when, from which pipeline and
 * file, and what did Cloutly say?" (read-only), and its upkeep:
 *
 *   ledger forget   (--contact X | --before DATE) [--suppress]   GDPR erasure
 *   ledger suppress --file optouts.csv                            opt-outs
 *   ledger merge    --from OLD.sqlite                             an old ledger in
 *   ledger copy     --from LEDGER [--to LEDGER]                  SQLite <-> PostgreSQL
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
#include "store/pg_conn.h"

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
    L_FROM,
    L_TO
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
                "       cloutly-pipe ledger merge [PIPELINE.yaml] --from OLD.sqlite\n"
                "       cloutly-pipe ledger copy [PIPELINE.yaml] --from LEDGER [--to LEDGER]",
    .about = "Show every invite attempt of every pipeline of the account: when, to whom,\n"
             "from which pipeline, file and row, and what the API answered. Read-only.\n"
             "'forget' erases a person's data (GDPR), keeping a tombstone; with --suppress\n"
             "they are never invited again. 'suppress' imports an opt-out list. 'merge'\n"
             "copies an older per-pipeline ledger into the account's. 'copy' moves a\n"
             "ledger's whole history between SQLite and PostgreSQL (state.url).",
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

static const struct cli_opt suppress_opts[] = {
    {"file", 0, "PATH", L_FILE, "a CSV or list of emails and phones that must never be invited"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_opt merge_opts[] = {
    {"from", 0, "OLD.sqlite", L_FROM, "the ledger to copy in (left as it is)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_opt copy_opts[] = {
    {"from", 0, "LEDGER", L_FROM, "the ledger to copy from: a file or a postgresql:// URL"},
    {"to", 0, "LEDGER", L_TO, "the ledger to copy into (default: the account's ledger)"},
    {NULL, 0, NULL, 0, NULL},
};

/* The sub-commands' specs differ only in these; SUB_SPEC fills the rest. */
#define SUB_SPEC(name, syn, text, options, codes)                                                  \
    {                                                                                              \
        .command = "ledger " name, .synopsis = "[PIPELINE.yaml] " syn, .about = text,              \
        .opts = options, .common = CLI_VERBOSITY | CLI_LOG_FORMAT, .max_args = 1,                  \
        .args_name = "PIPELINE.yaml", .exit_codes = codes                                          \
    }

struct ledger_cli {
    struct ledger_query q;
    int runs;
    time_t before;
    int suppress;
    const char *file, *from, *to;
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
    case L_TO: c->to = value; break;
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
    const char *location;      /* the account's ledger (job_load), or NULL */
};

/* The pipeline (or the defaults) and the account: where its ledger is. */
static int job_load(struct ledger_job *j, const char *pipeline, const char *contact,
                    const char **path, struct cp_error *err)
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
    *path = cli_state_ledger(&j->st, j->p.state.path);
    if (!*path) {
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
    return 0;
}

/* A location as messages may show it: a URL without its password. */
static const char *shown(const char *location, char *buf, size_t len)
{
    if (!pg_is_url(location))
        return location;
    pg_conn_redact(location, buf, len);
    return buf;
}

static int job_open(struct ledger_job *j, const char *pipeline, const char *contact, int readonly,
                    struct cp_error *err)
{
    const char *path;
    char buf[512];
    if (job_load(j, pipeline, contact, &path, err) < 0)
        return -1;
    if (ledger_open_at(path, j->p.state.password_file, readonly, &j->l, err) < 0)
        return -1;
    if (!j->l)
        printf("no ledger yet at %s: no pipeline of this account has run\n",
               shown(path, buf, sizeof buf));
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

static void print_counts(const char *what, const struct ledger_copy_counts *n)
{
    printf("%s: %ld runs, %ld attempts, %ld watermarks, %ld suppressions, %ld erasures, "
           "%ld merges\n",
           what, n->runs, n->attempts, n->watermarks, n->suppressions, n->erasures, n->merges);
}

/* `ledger copy`: opens its own two ledgers (the job's is the default --to). */
static int do_copy(struct ledger_job *j, const struct ledger_cli *lc, struct cp_error *err)
{
    struct ledger *from = NULL, *to = NULL;
    struct ledger_copy_counts added, held;
    char b1[512], b2[512];
    const char *dst;
    int rc = -1;
    if (!lc->from)
        return cp_fail(err, CP_EXIT_USAGE,
                       "ledger copy: give --from LEDGER (a file or a postgresql:// URL)");
    dst = lc->to ? lc->to : j->location;
    if (strcmp(lc->from, dst) == 0)
        return cp_fail(err, CP_EXIT_USAGE, "ledger copy: --from and --to are the same ledger");
    const char *pw = j->p.state.password_file;
    if (ledger_open_at(lc->from, pw, 1, &from, err) < 0)
        goto out;
    if (!from) {
        cp_fail(err, CP_EXIT_USAGE, "ledger copy: no ledger at '%s' to copy from",
                shown(lc->from, b1, sizeof b1));
        goto out;
    }
    if (ledger_open_at(dst, pw, 0, &to, err) < 0 || ledger_copy(from, to, &added, err) < 0 ||
        ledger_counts(to, &held, err) < 0)
        goto out;
    printf("copied %s -> %s\n", shown(lc->from, b1, sizeof b1), shown(dst, b2, sizeof b2));
    print_counts("added", &added);
    print_counts("now held", &held);
    rc = 0;
out:
    ledger_close(from);
    ledger_close(to);
    return rc;
}

/* The upkeep sub-commands: name, options and help, and what they do. */
struct ledger_sub {
    const char *name;
    struct cli_spec spec;
    int (*run)(struct ledger_job *, const struct ledger_cli *, struct cp_error *);
    int own_ledgers; /* opens its ledgers itself (copy) */
};

static const struct ledger_sub subs[] = {
    {"forget",
     SUB_SPEC("forget", "(--contact EMAIL_OR_PHONE | --before DATE) [--suppress]",
              "Erase personal data from the account's ledger (a GDPR request): emails,\n"
              "phones, names and contact ids of the matching attempts. The attempts stay,\n"
              "without them, so a rerun of a file still knows what was sent; a tombstone\n"
              "records the erasure. Results and rejects files already written are not\n"
              "touched: delete those yourself.",
              forget_opts, "Exit codes:\n  0  erased (the count is printed)\n  2  usage error\n"),
     do_forget, 0},
    {"suppress",
     SUB_SPEC("suppress", "--file OPTOUTS.csv",
              "Put every email and phone of the file on the account's suppression list:\n"
              "no pipeline of the account invites them again (their rows are skipped).",
              suppress_opts,
              "Exit codes:\n  0  imported\n  2  usage error\n  4  the file cannot be read\n"),
     do_suppress, 0},
    {"merge",
     SUB_SPEC("merge", "--from OLD.sqlite",
              "Copy every run, attempt, watermark and suppression of an older ledger (one\n"
              "pipeline's own, from before the account ledger) into the account's ledger,\n"
              "so its cooldowns count for every pipeline. Safe to repeat.",
              merge_opts, "Exit codes:\n  0  merged (the count is printed)\n  2  usage error\n"),
     do_merge, 0},
    {"copy",
     SUB_SPEC("copy", "--from LEDGER [--to LEDGER]",
              "Copy a ledger's whole history into another: an SQLite file into PostgreSQL\n"
              "(state.url) when the account moves there, or back. Every run, attempt (with\n"
              "its status and times, so cooldowns hold), watermark, suppression, erasure\n"
              "and merge record the target lacks; safe to repeat (a second copy adds\n"
              "nothing). LEDGER is a file or a postgresql:// URL; the pipeline's\n"
              "state.password_file, PGPASSWORD or PGPASSFILE give the password.",
              copy_opts,
              "Exit codes:\n  0  copied (the counts are printed)\n  2  usage error, or a ledger "
              "cannot be opened\n"),
     do_copy, 1},
};

static const struct ledger_sub *find_sub(const char *name)
{
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        if (strcmp(subs[i].name, name) == 0)
            return &subs[i];
    return NULL;
}

static int admin(const struct ledger_sub *sub, int argc, char **argv)
{
    struct cp_error err = {0};
    struct ledger_cli lc = {0};
    struct ledger_job j = {0};
    const char *pipeline;
    int help, rc;
    if (parse(&sub->spec, argc, argv, &lc, &pipeline, &help, &err) < 0)
        goto fail;
    if (help)
        return 0;
    if (sub->own_ledgers) {
        /* The pipeline names the password file; without --to, the account's ledger. */
        if (lc.from && (pipeline || !lc.to) && job_load(&j, pipeline, NULL, &j.location, &err) < 0)
            goto fail;
    } else if (job_open(&j, pipeline, lc.q.contact, 0, &err) < 0) {
        goto fail;
    }
    if (sub->run(&j, &lc, &err) < 0)
        goto fail;
    rc = 0;
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

    const struct ledger_sub *sub = argc > 1 ? find_sub(argv[1]) : NULL;
    if (sub)
        return admin(sub, argc - 1, argv + 1);
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
