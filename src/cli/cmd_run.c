/*
 * `cloutly-pipe run PIPELINE.yaml`: options, wiring and the summary around
 * the send loop (invite/sender.c), which does the work.
 *
 * Before anything is sent the whole input is read and validated once, on
 * every core, and deduplicated in flat memory (intake/dedupe_pass.h): a
 * truncated or broken file stops the run with nothing sent, and the
 * progress bar knows the total. The send loop then takes the validated
 * rows back in input order.
 */
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/transport.h"
#include "cli/cli.h"
#include "cli/export_runner.h"
#include "cli/progress.h"
#include "cli/run_report.h"
#include "cli/state.h"
#include "cli/suppress_file.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/signals.h"
#include "intake/dedupe_pass.h"
#include "intake/engine.h"
#include "intake/tally.h"
#include "invite/business_names.h"
#include "invite/results.h"
#include "invite/sender.h"
#include "report/report.h"
#include "store/filehash.h"
#include "store/ledger.h"
#include "store/pg_conn.h"
#include "store/runlock.h"
#include "store/snapshot.h"
#include "store/spool.h"

struct run {
    const struct pipeline *p;
    const struct run_options *o;
    struct engine *eng;
    struct dedupe_pass *rows;
    struct results *out;
    struct results *carried_out; /* rows deferred by earlier runs of other files (issue 12) */
    char carried_path[4096];     /* output.results with .deferred before .csv, "" when none */
    struct api_client *api;
    struct api_transport transport;
    struct sender *sender;
    struct progress pg;
    struct runlock lock;       /* this pipeline's: two runs of it exclude each other */
    struct runlock input_lock; /* this input's: two pipelines never send one file at once */
    struct cli_state *state;   /* the account: ledger path, rate budget, lock folder */
    struct ledger *ledger;     /* NULL for a dry run with no ledger yet */
    struct snapshot snap;      /* a sending run's private copy of the input */
    char file_hash[17];
    int signals_seen;
    double next_input_check; /* clock_now() when the input is next compared with the snapshot */
    char *spooled;           /* owned: the temporary copy of standard input, or NULL */
    struct ledger_file_summary earlier; /* what earlier runs of this file did */
    struct run_report report;
};

/* Once per turn of the send loop: pass Ctrl-C on, draw the progress line. */
static void on_tick(void *ctx, struct sender *s, const struct sender_stats *st)
{
    struct run *run = ctx;
    int got = signals_received;
    if (got != run->signals_seen) {
        run->signals_seen = got;
        sender_interrupt(s, got >= 2 ? 2 : 1);
    }
    /* The export may be rewritten or replaced while we send: that stops
     * the run (what was read is all accounted for, from the snapshot). */
    double now = clock_now();
    if (run->snap.path && now >= run->next_input_check) {
        char why[600];
        run->next_input_check = now + 0.5;
        if (snapshot_changed(&run->snap, why, sizeof why)) {
            char msg[800];
            snprintf(msg, sizeof msg,
                     "%s: stopped sending; the rows not sent are skipped, and "
                     "the next run reads the new file",
                     why);
            sender_stop(s, CP_EXIT_INCOMPLETE, msg);
        }
    }
    struct progress_counts c = {
        .done = st->rows, .sent = st->sent, .failed = st->failed, .in_doubt = st->in_doubt};
    snprintf(c.waiting, sizeof c.waiting, "%s", st->waiting ? st->waiting : "");
    progress_update(&run->pg, &c);
}

/* The first pass: every row read, validated and its keys spilled for
 * dedupe, nothing sent. A file that cannot be read to its end stops the
 * run here. CLOUTLY_THREADS caps the validation threads on a shared
 * machine; CLOUTLY_DEDUPE_SPILL=0 dedupes in memory instead (the tests
 * compare the two). */
static int first_pass(struct run *run, long *rows, struct cp_error *err)
{
    const char *threads = getenv("CLOUTLY_THREADS");
    const char *spill = getenv("CLOUTLY_DEDUPE_SPILL");
    run->rows = dedupe_pass_open(run->eng, threads ? (int)strtol(threads, NULL, 10) : 0,
                                 run->p->validate.dedupe, !(spill && strcmp(spill, "0") == 0),
                                 !run->o->dry_run, rows, err);
    return run->rows ? 0 : -1;
}

/* The send loop's row source: pass two. */
static int next_row(void *ctx, struct row_result **out, struct cp_error *err)
{
    return dedupe_pass_next(ctx, out, err);
}

/* "name: sent 3, ...; SMS credits left 19": the run_end event's msg too. */
static void summary_line(const struct run *run, char *buf, size_t len)
{
    char line[300];
    const struct tally *t = sender_tally(run->sender);
    tally_line(t, line, sizeof line);
    if (t->sms_left >= 0)
        snprintf(buf, len, "%s: %s; SMS credits left %ld", run->p->name, line, t->sms_left);
    else
        snprintf(buf, len, "%s: %s", run->p->name, line);
}

/* When the server's latency made the sender raise its in-flight cap, or
 * would have needed more than its ceiling (api/concurrency.h). */
static void in_flight_summary(const struct run *run)
{
    const struct concurrency *cc = sender_concurrency(run->sender);
    if (cc->short_of_need)
        log_msg(LOG_WARN,
                "in flight: the server's latency (mean %.2fs at %.0f/min) needs more than %d "
                "requests in flight (the ceiling: 4 x api.max_in_flight %d, at most %d), so "
                "the rate may have fallen below api.rate_limit",
                cc->mean_latency, cc->rate * 60, cc->ceiling, cc->base, CONCURRENCY_HARD_MAX);
    else if (cc->highest > cc->base)
        log_msg(LOG_INFO,
                "in flight: raised up to %d (api.max_in_flight %d) to hold the rate at the "
                "server's mean latency of %.2fs",
                cc->highest, cc->base, cc->mean_latency);
}

/* The summary is information, whatever it says; what needs a person's eye
 * is one warning of its own, which -q keeps. In JSON mode the run_end
 * event carries all of it. */
static void summary(struct run *run)
{
    char line[400];
    const struct tally *t = sender_tally(run->sender);
    long failed = t->by_status[ROW_FAILED], doubt = t->by_status[ROW_IN_DOUBT];
    const struct tally *carried = sender_carried_tally(run->sender);
    if (carried->rows) {
        char cline[300];
        tally_line(carried, cline, sizeof cline);
        log_msg(LOG_INFO, "deferred by earlier runs from other files, sent first: %s (results: %s)",
                cline, run->carried_path[0] ? run->carried_path : "not written");
    }
    if (log_is_json())
        return;
    summary_line(run, line, sizeof line);
    log_msg(LOG_INFO, "%s", line);
    if (run->earlier.runs)
        log_msg(LOG_INFO, "earlier %s of this file: sent %ld, failed %ld, in doubt %ld",
                run->earlier.runs == 1 ? "run" : "runs", run->earlier.sent, run->earlier.failed,
                run->earlier.in_doubt);
    char deferred[400];
    window_summary(sender_window(run->sender), deferred, sizeof deferred);
    if (deferred[0])
        log_msg(LOG_INFO, "%s", deferred);
    if (run->o->dry_run && run->o->verbosity >= 0)
        window_print_plan(sender_window(run->sender), stderr, "");
    long due = 0;
    struct cp_error ignored;
    if (run->o->dry_run && run->ledger &&
        ledger_deferred_count(run->ledger, run->p->name, run->file_hash, (time_t)clock_wall(), &due,
                              &ignored) == 0 &&
        due)
        log_msg(LOG_INFO,
                "plan: %ld %s deferred by earlier runs from other files %s due: a real run "
                "sends %s first",
                due, due == 1 ? "row" : "rows", due == 1 ? "is" : "are", due == 1 ? "it" : "them");
    in_flight_summary(run);
    if (failed || doubt)
        log_msg(LOG_WARN, "%ld %s failed and %ld %s in doubt: see %s", failed,
                failed == 1 ? "row" : "rows", doubt, doubt == 1 ? "is" : "are",
                run->p->output.rejects);
    else if (t->by_status[ROW_REJECTED])
        log_msg(LOG_INFO, "rejects: %s", run->p->output.rejects);
    log_msg(LOG_INFO, "results: %s", run->p->output.results);
}

/* Two runs of one pipeline, or two runs of one input file, exclude each
 * other; other pipelines of the account go on side by side. */
static int take_locks(struct run *run, const char *input, struct cp_error *err)
{
    const struct pipeline *p = run->p;
    char what[600];
    snprintf(what, sizeof what, "another run of pipeline '%s' is in progress", p->name);
    struct runlock_spec spec = {.dir = run->state->acct.lock_dir,
                                .kind = "pipeline",
                                .id = p->name,
                                .pipeline = p->name,
                                .what = what,
                                .wait = run->o->wait_lock};
    cli_state_lock_spec(run->state, &spec);
    if (runlock_take(&run->lock, &spec, err) < 0)
        return -1;
    if (run->lock.stale_pid)
        log_msg(LOG_WARN,
                "the previous run (pid %ld) did not finish: resuming; requests it "
                "left in flight are reported in_doubt",
                run->lock.stale_pid);
    snprintf(what, sizeof what, "input '%s' is being sent by another run", input);
    spec.kind = "input";
    spec.id = run->file_hash;
    spec.what = what;
    return runlock_take(&run->input_lock, &spec, err);
}

/* The folder the ledger lives in: the input's snapshot goes beside it.
 * A ledger in PostgreSQL has no folder: then the account's state folder
 * on this machine. */
static int state_dir(const struct run *run, const char *ledger, char *buf, size_t n,
                     struct cp_error *err)
{
    if (pg_is_url(ledger)) {
        if (!run->state->open)
            return cp_fail(err, CP_EXIT_USAGE, "no state folder for the input's snapshot");
        snprintf(buf, n, "%s/.", run->state->acct.dir);
        if (make_parent_dirs(buf, err) < 0)
            return -1;
        snprintf(buf, n, "%s", run->state->acct.dir);
        return 0;
    }
    const char *slash = strrchr(ledger, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if ((size_t)(slash - ledger) >= n)
        return cp_fail(err, CP_EXIT_USAGE, "state path '%s' is too long", ledger);
    else
        snprintf(buf, n, "%.*s", slash == ledger ? 1 : (int)(slash - ledger), ledger);
    return make_parent_dirs(ledger, err);
}

/* A real run reads a private snapshot of the input (hashed as it is
 * copied, so the rows sent are the rows the ledger names); a dry run reads
 * the input itself. */
static int open_input(struct run *run, const char *input, struct cp_error *err)
{
    char dir[4096];
    if (run->o->dry_run)
        return file_hash(input, run->file_hash, err);
    /* A real run knows its key, so the account's ledger has a place. */
    const char *ledger = cli_state_ledger(run->state, run->p->state.path);
    if (!ledger)
        return cp_fail(err, CP_EXIT_USAGE, "no state folder for the ledger");
    if (state_dir(run, ledger, dir, sizeof dir, err) < 0 ||
        snapshot_take(&run->snap, input, dir, err) < 0)
        return -1;
    memcpy(run->file_hash, run->snap.hash, sizeof run->file_hash);
    return 0;
}

/* A real run holds its locks and writes the ledger; a dry run only reads
 * it, when there is one, to show what would be skipped. Both come after
 * the input was read through, so a broken file creates neither. */
static int open_ledger(struct run *run, const char *input, struct cp_error *err)
{
    const struct pipeline *p = run->p;
    const char *path = cli_state_ledger(run->state, p->state.path);
    if (!path) {
        log_msg(LOG_WARN, "dry run without an API key: the account's ledger is unknown, so "
                          "cooldowns and earlier runs are not shown");
        return 0;
    }
    if (!run->o->dry_run && take_locks(run, input, err) < 0)
        return -1;
    if (ledger_open_at(path, p->state.password_file, run->o->dry_run, &run->ledger, err) < 0)
        return -1;
    if (run->o->dry_run && p->validate.suppress)
        log_msg(LOG_WARN,
                "dry run: validate.suppress '%s' is imported by a real run; only the "
                "suppression list already in the ledger is applied here",
                p->validate.suppress);
    if (run->ledger &&
        ledger_file_summary(run->ledger, run->file_hash, p->run_id, &run->earlier, err) < 0)
        return -1;
    if (!run->ledger || run->o->dry_run)
        return 0;
    if (cli_state_merge_legacy(p, run->ledger, err) < 0 ||
        ledger_run_begin(run->ledger, p->run_id, p->name, run->spooled ? "-" : input,
                         run->file_hash, err) < 0)
        return -1;
    if (p->validate.suppress) {
        struct suppress_counts c;
        if (suppress_file_import(run->ledger, p->validate.suppress, p->validate.default_country, &c,
                                 err) < 0) {
            cp_error_prefix(err, "validate.suppress");
            return -1;
        }
        log_msg(c.added ? LOG_INFO : LOG_DEBUG,
                "validate.suppress: %ld new on the suppression "
                "list from %s (%ld emails, %ld phones in it)",
                c.added, p->validate.suppress, c.emails, c.phones);
    }
    if (run->o->retry_failed)
        log_msg(LOG_INFO, "--retry-failed: rows the API refused in earlier runs are sent again");
    if (run->o->retry_in_doubt)
        log_msg(LOG_INFO, "--retry-in-doubt: rows left in doubt by earlier runs are sent again "
                          "(a person may get a second invite)");
    return 0;
}

/* guess writes all-zero ids as placeholders so its pipeline loads and
 * checks; sending with them would only collect 404s. */
static int refuse_placeholders(const struct pipeline *p, struct cp_error *err)
{
    static const char zero[] = "00000000-0000-0000-0000-000000000000";
    if (p->invite.business_id && strcmp(p->invite.business_id, zero) == 0)
        return cp_fail(err, CP_EXIT_USAGE,
                       "'%s': invite.business_id is still the placeholder "
                       "'guess' wrote: run 'cloutly-pipe businesses' and put the id in",
                       p->file);
    if (p->invite.campaign_id && strcmp(p->invite.campaign_id, zero) == 0)
        return cp_fail(err, CP_EXIT_USAGE,
                       "'%s': invite.campaign_id is still the placeholder "
                       "'guess' wrote: copy the id from the campaign page's URL in Cloutly",
                       p->file);
    return 0;
}

/* `--input -`: the pipe is copied to a private file (0600) in the state
 * folder, or TMPDIR when that cannot be written, and the run reads that
 * file as if it had been named (snapshot, hash, resume); it is removed
 * when the run ends. */
static int spool_input(struct run *run, const char **input, struct cp_error *err)
{
    char dir[4096];
    if (strcmp(*input, "-") != 0)
        return 0;
    const char *ledger = cli_state_ledger(run->state, run->p->state.path);
    if (!ledger) {
        snprintf(dir, sizeof dir, ".");
    } else if (state_dir(run, ledger, dir, sizeof dir, err) < 0) {
        return -1;
    }
    struct cp_error first = {0};
    if (spool_stream(stdin, dir, &run->spooled, &first) < 0) {
        const char *tmp = getenv("TMPDIR");
        if (strstr(first.msg, "is empty")) {
            *err = first;
            return -1;
        }
        if (spool_stream(stdin, tmp && *tmp ? tmp : "/tmp", &run->spooled, err) < 0)
            return -1;
    }
    *input = run->spooled;
    return 0;
}

/* Deferred rows of earlier files that this run sends first are written to
 * their own results file beside output.results ("x-results.deferred.csv"),
 * in the same columns with their own file's row numbers, so the results
 * file keeps one line per row of this input. Kept only when such rows came. */
static int open_carried(struct run *run, struct cp_error *err)
{
    const char *res = run->p->output.results;
    if (run->o->dry_run || !run->ledger)
        return 0;
    if (res) {
        size_t n = strlen(res);
        int csv = n > 4 && strcmp(res + n - 4, ".csv") == 0;
        snprintf(run->carried_path, sizeof run->carried_path, "%.*s.deferred.csv",
                 (int)(csv ? n - 4 : n), res);
    }
    run->carried_out = results_open(run->p, res ? run->carried_path : NULL, NULL, NULL, 0, err);
    return run->carried_out ? 0 : -1;
}

static int run_open(struct run *run, struct cp_error *err)
{
    const struct pipeline *p = run->p;
    long total = 0;
    const char *input = run->o->input ? run->o->input : p->input.path;
    if (!run->o->dry_run && refuse_placeholders(p, err) < 0)
        return -1;
    if (!input)
        return cp_fail(err, CP_EXIT_USAGE, "'%s': no input: set input.path or pass --input PATH",
                       p->file);
    if (spool_input(run, &input, err) < 0 || open_input(run, input, err) < 0)
        return -1;
    const char *read_path = run->snap.path; /* NULL for a dry run: the file itself */
    run->eng = engine_open_as(p, input, read_path, run->o->limit, err);
    if (!run->eng || first_pass(run, &total, err) < 0 || open_ledger(run, input, err) < 0)
        return -1;
    if (!run->o->dry_run) {
        const char *key;
        if (pipeline_api_key(p, &key, err) < 0)
            return -1;
        struct api_options ao = {.base_url = p->api.base_url,
                                 .api_key = key,
                                 .timeout_ms = p->api.timeout_ms,
                                 .ca_file = p->api.ca_file,
                                 .trace = run->o->verbosity > 0 ? stderr : NULL};
        run->api = api_client_new(&ao, err);
        if (!run->api)
            return -1;
        run->transport = api_client_transport(run->api);
    }
    size_t n_header;
    char *const *header = engine_header(run->eng, &n_header);
    run->out = results_open(p, p->output.results, p->output.rejects, header, n_header, err);
    if (!run->out)
        return -1;
    results_set_delimiter(run->out, engine_delimiter(run->eng));
    if (run->o->dry_run)
        results_preview(run->out);
    if (open_carried(run, err) < 0)
        return -1;
    struct sender_config sc = {
        .p = p,
        .next_row = next_row,
        .rows_ctx = run->rows,
        .out = run->out,
        .ledger = run->ledger,
        .transport = run->api ? &run->transport : NULL,
        .input_path = run->spooled ? "-" : engine_input_path(run->eng),
        .file_hash = run->file_hash,
        .dry_run = run->o->dry_run,
        .single_target = engine_mapping(run->eng)->n[MAP_BUSINESS_ID] == 0,
        .rate_shared = cli_state_budget(run->state),
        .retry_failed = run->o->retry_failed,
        .retry_in_doubt = run->o->retry_in_doubt,
        .on_tick = on_tick,
        .tick_ctx = run,
        .carried_out = run->carried_out,
    };
    run->sender = sender_new(&sc, err);
    if (!run->sender)
        return -1;
    progress_init(&run->pg,
                  isatty(2) && !run->o->no_progress && run->o->verbosity >= 0 && !run->o->json_log,
                  total, run->earlier.sent + run->earlier.failed + run->earlier.in_doubt);
    struct log_field f[] = {LOG_STR("input", run->spooled ? "-" : engine_input_path(run->eng)),
                            LOG_INT("rows", total), LOG_INT("dry_run", run->o->dry_run),
                            LOG_STR("results", p->output.results),
                            LOG_STR("rejects", p->output.rejects)};
    report_begin(&run->report, p, run->o->metrics_file, run->o->dry_run, f, sizeof f / sizeof *f);

    log_msg(LOG_DEBUG, "%ld rows to process from %s (encoding %s, delimiter '%s')", total,
            engine_input_path(run->eng), engine_encoding(run->eng),
            engine_delimiter(run->eng) == '\t' ? "tab" : (char[]){engine_delimiter(run->eng), 0});
    return 0;
}

static int exit_code(const struct run *run)
{
    const struct tally *t = sender_tally(run->sender);
    if (sender_stop_code(run->sender))
        return sender_stop_code(run->sender);
    if (t->by_status[ROW_FAILED] || t->by_status[ROW_IN_DOUBT])
        return CP_EXIT_INCOMPLETE;
    const struct tally *c = sender_carried_tally(run->sender);
    if (c->by_status[ROW_FAILED] || c->by_status[ROW_IN_DOUBT])
        return CP_EXIT_INCOMPLETE;
    return CP_EXIT_OK;
}

/* run_end, the metrics file and the end ping, for every way a run ends
 * after it began. */
static void run_report_end(struct run *run, int code)
{
    const struct tally *t = run->sender ? sender_tally(run->sender) : NULL;
    struct metrics_count rows[ROW_IN_DOUBT + 8];
    size_t n_rows = 0;
    char line[400] = "";
    if (t) {
        /* Every status but pending, in enum order (a new one is picked up). */
        for (int s = ROW_SENT; s < (int)(sizeof t->by_status / sizeof *t->by_status) &&
                               n_rows < sizeof rows / sizeof *rows;
             s++)
            rows[n_rows++] =
                (struct metrics_count){row_status_name((enum row_status)s), t->by_status[s]};
        summary_line(run, line, sizeof line);
    } else {
        snprintf(line, sizeof line, "%s: stopped before sending", run->p->name);
    }
    char earlier[160];
    snprintf(earlier, sizeof earlier, "{\"runs\":%ld,\"sent\":%ld,\"failed\":%ld,\"in_doubt\":%ld}",
             run->earlier.runs, run->earlier.sent, run->earlier.failed, run->earlier.in_doubt);
    /* The rows deferred by earlier runs from other files that this run took up. */
    const struct tally *c = run->sender ? sender_carried_tally(run->sender) : NULL;
    char carried[200];
    snprintf(carried, sizeof carried,
             "{\"rows\":%ld,\"sent\":%ld,\"skipped\":%ld,\"failed\":%ld,\"in_doubt\":%ld,"
             "\"deferred\":%ld}",
             c ? c->rows : 0, c ? c->by_status[ROW_SENT] : 0, c ? c->by_status[ROW_SKIPPED] : 0,
             c ? c->by_status[ROW_FAILED] : 0, c ? c->by_status[ROW_IN_DOUBT] : 0,
             c ? c->by_status[ROW_DEFERRED] : 0);
    struct log_field f[] = {LOG_INT("rows", t ? t->rows : 0), LOG_JSON("earlier", earlier),
                            LOG_JSON("carried", carried),
                            LOG_STR("results", run->p->output.results),
                            LOG_STR("rejects", run->p->output.rejects)};
    struct report_end e = {
        .exit_code = code,
        .summary = line,
        .rows = rows,
        .n_rows = n_rows,
        .sms_left = t ? t->sms_left : -1,
        .api = run->api,
        .business = run->p->invite.n_business_map || !run->p->invite.business_id
                        ? ""
                        : run->p->invite.business_id,
        .fields = f,
        .n_fields = sizeof f / sizeof *f,
    };
    report_finish(&run->report, &e);
}

static void run_close(struct run *run, int code)
{
    struct cp_error ignored;
    run_report_end(run, code);

    if (run->ledger && !run->o->dry_run)
        ledger_run_end(run->ledger, run->p->run_id, code, &ignored);
    ledger_close(run->ledger);
    runlock_release(&run->input_lock);
    runlock_release(&run->lock);
    results_abort(run->out);
    results_abort(run->carried_out);
    sender_free(run->sender);
    dedupe_pass_close(run->rows);
    api_client_free(run->api);
    engine_close(run->eng);
    snapshot_release(&run->snap);
    spool_remove(run->spooled);
}

/* invite.business_by_name needs GET /businesses; a dry run without a key
 * goes on without the names (their rows show as unknown locations). */
static int load_business_names(struct pipeline *p, const struct run_options *o,
                               const struct cli_state *st, struct cp_error *err)
{
    const char *key;
    struct cp_error why = {0};
    if (pipeline_api_key(p, &key, &why) < 0) {
        if (!o->dry_run) {
            *err = why;
            return -1;
        }
        log_msg(LOG_WARN,
                "business_by_name: no API key for GET /businesses in this dry run, so "
                "location names are not matched (%s)",
                why.msg);
        return 0;
    }
    return business_names_load(p, key, cli_state_budget(st), err);
}

/* The account this run works for: a real run needs its key; a dry run
 * without one reads only an explicit state.path. */
static int open_state(const struct pipeline *p, const struct run_options *o, struct cli_state *st,
                      struct cp_error *err)
{
    const char *key = NULL;
    struct cp_error why = {0};
    if (pipeline_api_key(p, &key, &why) < 0) {
        if (!o->dry_run) {
            *err = why;
            return -1;
        }
        key = NULL;
    }
    return cli_state_open_pipeline(st, key, p, err);
}

static const struct cli_opt run_opts[] = {
    {"input", 'i', "PATH", RUN_OPT_INPUT, "read this export instead of input.path"},
    {"dry-run", 0, NULL, RUN_OPT_DRY_RUN, "do everything but send (no ledger writes)"},
    {"limit", 0, "N", RUN_OPT_LIMIT, "only the first N data rows"},
    {"metrics-file", 0, "PATH", RUN_OPT_METRICS, "write Prometheus metrics here (output.metrics)"},
    {"wait-lock", 0, "DURATION", RUN_OPT_WAIT_LOCK,
     "wait up to DURATION (30s, 10m) for another run of this pipeline or input to finish"},
    {"retry-failed", 0, NULL, RUN_OPT_RETRY_FAILED,
     "send again the rows the API refused in earlier runs (this run only)"},
    {"retry-in-doubt", 0, NULL, RUN_OPT_RETRY_IN_DOUBT,
     "send again the rows left in doubt by earlier runs (this run only)"},
    {NULL, 0, NULL, 0, NULL},
};

const struct cli_spec cmd_run_spec = {
    .command = "run",
    .synopsis =
        "PIPELINE.yaml [--dry-run] [--input PATH|-] [--limit N] [-q|-v] [--no-progress]\n"
        "                        [--log-format text|json] [--metrics-file PATH]\n"
        "                        [--wait-lock DURATION] [--retry-failed] [--retry-in-doubt]",
    .about = "Send a review invite for every valid contact of the input, at the pipeline's\n"
             "rate, and write the results and rejects files. --dry-run does everything but\n"
             "send. -v also prints each row's outcome and the HTTP exchange (key redacted).",
    .opts = run_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT | CLI_PROGRESS,
    .min_args = 1,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = cli_exit_codes,
};

/* The run failed after invites went out: exit 2 would say "nothing was
 * sent", which is false. Say what happened, make sure no earlier results
 * file at the same path passes for this run's, and exit 1 (5 when
 * interrupted). The ledger has every outcome recorded; the next run of the
 * same file lists the rows sent as such, so its results are complete. */
static int after_sending(struct run *run, int rc)
{
    const char *res = run->p->output.results;
    struct stat st;
    results_abort(run->out);
    run->out = NULL;
    if (res && stat(res, &st) == 0 && S_ISREG(st.st_mode) && unlink(res) == 0)
        log_msg(LOG_WARN,
                "removed the earlier results file '%s' so it is not taken for this "
                "run's",
                res);
    log_msg(LOG_ERROR,
            "%ld invite request%s went out before this; the ledger recorded their "
            "outcomes: run again to finish, and that run's results list every row "
            "(or 'cloutly-pipe ledger %s' now)",
            sender_posts(run->sender), sender_posts(run->sender) == 1 ? "" : "s", run->p->file);
    return rc == CP_EXIT_INTERRUPTED ? rc : CP_EXIT_INCOMPLETE;
}

/* output.report: the HTML page of the account's runs, after every real run.
 * A page that cannot be written is a warning: the run itself is done. */
static void write_report(const struct run *run, int rc)
{
    const struct pipeline *p = run->p;
    struct cp_error err = {0};
    if (!p->ops.report || run->o->dry_run)
        return;
    struct report_options ro = {.ledger_path = cli_state_ledger(run->state, p->state.path),
                                .pipeline_path = p->file,
                                .pipeline_name = p->name,
                                .default_country = p->validate.default_country,
                                .match_days = 14};
    if (report_write(&ro, p->ops.report, NULL, &err) < 0)
        log_msg(LOG_WARN, "report '%s' not written: %s", p->ops.report, err.msg);
    else
        log_msg(LOG_INFO, "report: %s (exit %d)", p->ops.report, rc);
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    struct cp_error err = {0};
    struct pipeline p = {0};
    struct cli_state state = {0};
    struct run run = {.lock.fd = -1, .input_lock.fd = -1, .o = &o, .state = &state};
    int rc;

    if (run_options_parse(&cmd_run_spec, argc, argv, &o, &err) < 0)
        goto fail;
    if (o.help) {
        cli_help(&cmd_run_spec, stdout);
        rc = 0;
        goto out;
    }
    log_setup(o.verbosity, o.json_log);
    if (clock_override_error()) {
        cp_fail(&err, CP_EXIT_USAGE, "%s", clock_override_error());
        goto fail;
    }
    if (pipeline_load(o.pipeline, time(NULL), &p, &err) < 0)
        goto fail;
    log_context(p.run_id, p.name);
    /* invite.outside_window not given: a person at a terminal waits for the
     * window (and sees it on the progress line); cron, systemd and pipes
     * (no terminal on stdin or stderr, or JSON logs) defer, and a later run
     * sends. -q and --no-progress change what is shown, not who is there. */
    if (!p.invite.outside_window_set && isatty(0) && isatty(2) && !o.json_log)
        p.invite.outside_window = OUTSIDE_WAIT;
    if (p.kind == PIPELINE_EXPORT) {
        rc = export_run_pipeline(&p, &o);
        goto out;
    }
    if (open_state(&p, &o, &state, &err) < 0)
        goto fail;
    if (p.invite.business_by_name && load_business_names(&p, &o, &state, &err) < 0)
        goto fail;
    run.p = &p;
    signals_install();
    if (run_open(&run, &err) < 0 || sender_run(run.sender, &err) < 0)
        goto fail;
    progress_done(&run.pg);
    struct results *out = run.out;
    run.out = NULL;
    if (results_commit(out, &err) < 0)
        goto fail;
    out = run.carried_out;
    run.carried_out = NULL;
    if (!sender_carried_tally(run.sender)->rows)
        results_abort(out);
    else if (results_commit(out, &err) < 0)
        goto fail;
    int stop_code = sender_stop_code(run.sender);
    if (stop_code && stop_code != CP_EXIT_INTERRUPTED)
        log_msg(LOG_ERROR, "%s", sender_stop_reason(run.sender));
    summary(&run);
    rc = exit_code(&run);
    write_report(&run, rc);
    goto out;
fail:
    progress_done(&run.pg);
    rc = cli_report(&err);
    /* A run that stopped before it began (placeholder ids, an unreadable
     * input, a held lock) still ends in run_end, the metrics and the ping. */
    if (run.p && !run.report.begun)
        report_begin(&run.report, run.p, o.metrics_file, o.dry_run, NULL, 0);
    if (run.sender && sender_posts(run.sender) > 0)
        rc = after_sending(&run, rc);
out:
    if (run.p)
        run_close(&run, rc);
    cli_state_close(&state);
    pipeline_release(&p);
    return rc;
}
