/*
 * `cloutly-pipe run PIPELINE.yaml`: read the export, validate, POST each
 * valid contact at the configured pace, and write the results and rejects.
 *
 * Rows flow through a window of slots in input order: the engine fills a
 * slot, a valid row waits for its turn on the rate grid and a free
 * connection, and the head of the window is written out as soon as it is
 * final, so results come out in input order while up to max_in_flight
 * requests overlap. Before anything is sent the whole input is read once
 * (the same pass as `check`): a truncated or broken file stops the run with
 * nothing sent, and the progress bar knows the total.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "invite/business_names.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "cli/cmd_export.h"
#include "intake/engine.h"
#include "store/filehash.h"
#include "invite/gate.h"
#include "invite/invite.h"
#include "store/ledger.h"
#include "core/log.h"
#include "cli/progress.h"
#include "api/ratelimit.h"
#include "invite/results.h"
#include "store/runlock.h"
#include "core/signals.h"
#include "intake/tally.h"

#define WINDOW 256
#define INVITE_PATH "/send-review-invite"

enum slot_state {
    SLOT_FREE,
    SLOT_QUEUED,   /* valid, waiting to be (re)sent at not_before */
    SLOT_IN_FLIGHT,
    SLOT_FINAL     /* status settled: written when it reaches the head */
};

struct slot {
    struct row_result r;
    enum slot_state state;
    double not_before;
    int64_t attempt_id; /* the ledger's intent for the request in flight, 0 when none */
};

struct run {
    const struct pipeline *p;
    const struct run_options *o;
    struct engine *eng;
    struct results *out;
    struct api_client *api;
    struct ratelimit rl;
    struct progress pg;
    struct tally tally;
    struct runlock lock;
    struct ledger *ledger; /* NULL for a dry run with no ledger yet */
    struct gate gate;
    char file_hash[17];
    struct slot slots[WINDOW];
    long head, tail;     /* slots [head, tail) are in use, by sequence number */
    int queued;          /* slots in SLOT_QUEUED: rows waiting for their turn */
    int input_done;
    int single_target;   /* one business and campaign for every row */
    int stop_code;       /* != 0: stop sending; the exit code it leads to */
    char stop_reason[600];
};

static void set_state(struct run *run, struct slot *s, enum slot_state st)
{
    run->queued += (st == SLOT_QUEUED) - (s->state == SLOT_QUEUED);
    s->state = st;
}

static struct slot *slot_at(struct run *run, long seq)
{
    return &run->slots[seq % WINDOW];
}

static void stop(struct run *run, int code, const char *why)
{
    if (run->stop_code)
        return;
    run->stop_code = code;
    snprintf(run->stop_reason, sizeof run->stop_reason, "%s", why);
}

/* A row that will not be sent after all: the run stopped before its turn. */
static void not_attempted(struct run *run, struct slot *s)
{
    const char *why = run->stop_code == CP_EXIT_INTERRUPTED ? "the run was interrupted"
                                                            : "the run stopped early";
    row_note(&s->r, "not attempted: %s (a later run sends it)", why);
    s->r.status = ROW_SKIPPED;
    set_state(run, s, SLOT_FINAL);
}

/* Read input rows into free slots. A valid row is queued for sending; no
 * more are read while as many valid rows wait as may be in flight, so the
 * engine runs only a little ahead of the sends (and the ledger is asked
 * about a row just before its turn). */
static int admit(struct run *run, struct cp_error *err)
{
    while (!run->input_done && run->tail - run->head < WINDOW &&
           run->queued < run->p->api.max_in_flight) {
        struct slot *s = slot_at(run, run->tail);
        int rc = engine_next(run->eng, &s->r, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            run->input_done = 1;
            break;
        }
        run->tail++;
        set_state(run, s, SLOT_FINAL);
        s->attempt_id = 0;
        if (s->r.status == ROW_PENDING && !run->stop_code && gate_row(&run->gate, &s->r, err) < 0)
            return -1;
        if (s->r.status != ROW_PENDING)
            continue;
        if (run->o->dry_run) {
            s->r.status = ROW_DRY_RUN;
        } else if (run->stop_code) {
            not_attempted(run, s);
        } else {
            set_state(run, s, SLOT_QUEUED);
            s->not_before = 0;
        }
    }
    return 0;
}

static int flush_head(struct run *run, struct cp_error *err)
{
    while (run->head < run->tail) {
        struct slot *s = slot_at(run, run->head);
        if (s->state != SLOT_FINAL)
            break;
        if (!s->r.processed_at[0] && s->r.status != ROW_DRY_RUN)
            clock_iso_utc(s->r.processed_at, sizeof s->r.processed_at);
        if (results_write(run->out, &s->r, err) < 0)
            return -1;
        tally_add(&run->tally, &s->r);
        if (log_enabled(LOG_DEBUG))
            log_msg(LOG_DEBUG, "row %ld: %s%s%s", s->r.input_row, row_status_name(s->r.status),
                    s->r.reason.len ? ": " : "", strbuf_str(&s->r.reason));
        set_state(run, s, SLOT_FREE);
        run->head++;
    }
    return 0;
}

/* Start every queued row whose time has come, in input order, while the
 * rate grid and max_in_flight allow. */
static int start_sends(struct run *run, struct cp_error *err)
{
    double now = clock_now();
    for (long seq = run->head; seq < run->tail; seq++) {
        struct slot *s = slot_at(run, seq);
        if (s->state != SLOT_QUEUED)
            continue;
        if (run->stop_code) {
            not_attempted(run, s);
            continue;
        }
        if (s->not_before > now)
            continue;
        if (api_in_flight(run->api) >= run->p->api.max_in_flight ||
            ratelimit_wait(&run->rl, now) > 0)
            break;
        if (!gate_send(&run->gate, &s->r)) {
            set_state(run, s, SLOT_FINAL);
            continue;
        }
        char *body = invite_body(run->p, &s->r);
        if (!body)
            return cp_fail(err, CP_EXIT_USAGE, "out of memory");
        /* The intent is on disk before libcurl has the request: a crash
         * from here on leaves a trace the next run reports as in_doubt. */
        if (ledger_intent(run->ledger, run->p->run_id, engine_input_path(run->eng), run->file_hash,
                          run->p->invite.campaign_id, &s->r, &s->attempt_id, err) < 0) {
            free(body);
            return -1;
        }
        int rc = api_post(run->api, (uint64_t)seq, INVITE_PATH, body, err);
        free(body);
        if (rc < 0)
            return -1;
        ratelimit_take(&run->rl, now);
        s->r.attempts++;
        set_state(run, s, SLOT_IN_FLIGHT);
    }
    return 0;
}

/* The ledger's word for where an attempt ended. */
static const char *attempt_status(const struct invite_decision *d, const struct row_result *r)
{
    if (d->verdict == INVITE_RETRY || d->verdict == INVITE_RATE_LIMITED)
        return "retry";
    switch (r->status) {
    case ROW_SENT: return "sent";
    case ROW_FAILED: return "failed";
    case ROW_IN_DOUBT: return "in_doubt";
    default: return "skipped";
    }
}

static int settle(struct run *run, const struct api_result *res, struct cp_error *err)
{
    struct slot *s = slot_at(run, (long)res->tag);
    double now = clock_now();
    struct invite_decision d = invite_decide(run->p, res, &s->r, run->single_target);
    if (ledger_outcome(run->ledger, s->attempt_id, attempt_status(&d, &s->r), &s->r, err) < 0)
        return -1;
    s->attempt_id = 0;
    gate_note_sms(&run->gate, s->r.sms_left);
    switch (d.verdict) {
    case INVITE_DONE:
        if (s->r.status == ROW_SENT)
            ratelimit_success(&run->rl);
        set_state(run, s, SLOT_FINAL);
        break;
    case INVITE_RATE_LIMITED:
        ratelimit_backoff(&run->rl, now, d.wait);
        log_msg(LOG_DEBUG, "rate limited (HTTP 429): pausing %.1fs and slowing down", d.wait);
        /* fall through */
    case INVITE_RETRY:
        set_state(run, s, SLOT_QUEUED);
        s->not_before = now + d.wait;
        break;
    case INVITE_STOP_AUTH:
        set_state(run, s, SLOT_FINAL);
        stop(run, CP_EXIT_AUTH, d.message);
        break;
    case INVITE_STOP_PIPELINE:
        set_state(run, s, SLOT_FINAL);
        stop(run, CP_EXIT_USAGE, d.message);
        break;
    }
    return 0;
}

/* How long the loop may sleep before something is due. */
static int next_wakeup_ms(struct run *run)
{
    double now = clock_now(), wait = 0.1;
    for (long seq = run->head; seq < run->tail; seq++) {
        struct slot *s = slot_at(run, seq);
        if (s->state != SLOT_QUEUED)
            continue;
        double w = s->not_before > now ? s->not_before - now : 0;
        double rl = ratelimit_wait(&run->rl, now);
        if (rl > w)
            w = rl;
        if (w < wait)
            wait = w;
    }
    return (int)(wait * 1000) + 1;
}

static int handle_interrupts(struct run *run)
{
    static int seen;
    if (signals_received == seen)
        return 0;
    seen = signals_received;
    if (seen == 1) {
        stop(run, CP_EXIT_INTERRUPTED, "interrupted");
        log_msg(LOG_WARN, "interrupted: finishing the %d request(s) in flight (Ctrl-C again to "
                          "abandon them)", run->api ? api_in_flight(run->api) : 0);
    } else {
        log_msg(LOG_WARN, "abandoning the requests in flight: they are recorded as in_doubt");
        if (run->api)
            api_abort_all(run->api);
    }
    return 0;
}

static int loop(struct run *run, struct cp_error *err)
{
    for (;;) {
        handle_interrupts(run);
        if (admit(run, err) < 0 || start_sends(run, err) < 0)
            return -1;
        if (flush_head(run, err) < 0)
            return -1;
        progress_update(&run->pg, run->tally.rows, run->tally.by_status[ROW_SENT]);
        if (run->input_done && run->head == run->tail)
            return 0;
        if (!run->api)
            continue; /* a dry run: nothing is ever in flight */
        int ms = next_wakeup_ms(run);
        if (api_in_flight(run->api)) {
            if (api_poll(run->api, ms, err) < 0)
                return -1;
        } else {
            usleep((useconds_t)ms * 1000);
        }
        struct api_result res;
        while (api_take(run->api, &res))
            if (settle(run, &res, err) < 0)
                return -1;
    }
}

/* The first pass: every row read and validated once, nothing sent. */
static int preflight(const struct pipeline *p, const struct run_options *o, long *rows,
                     struct cp_error *err)
{
    struct row_result r;
    struct engine *e = engine_open(p, o->input, o->limit, err);
    int rc;
    if (!e)
        return -1;
    row_result_init(&r);
    *rows = 0;
    while ((rc = engine_next(e, &r, err)) > 0)
        (*rows)++;
    row_result_release(&r);
    engine_close(e);
    return rc;
}

static void summary(struct run *run)
{
    char line[300];
    run->tally.dry_run = run->o->dry_run;
    tally_line(&run->tally, line, sizeof line);
    int bad = run->tally.by_status[ROW_FAILED] || run->tally.by_status[ROW_IN_DOUBT];
    enum log_level lvl = bad || run->stop_code ? LOG_WARN : LOG_INFO;
    if (run->tally.sms_left >= 0)
        log_msg(lvl, "%s: %s; SMS credits left %ld", run->p->name, line, run->tally.sms_left);
    else
        log_msg(lvl, "%s: %s", run->p->name, line);
    if (run->tally.by_status[ROW_REJECTED] || run->tally.by_status[ROW_FAILED] ||
        run->tally.by_status[ROW_IN_DOUBT])
        log_msg(lvl, "rejects: %s", run->p->output.rejects);
    log_msg(lvl, "results: %s", run->p->output.results);
}

/* A real run holds the pipeline's lock and writes the ledger; a dry run
 * only reads it, when there is one, to show what would be skipped. */
static int open_ledger(struct run *run, struct cp_error *err)
{
    const struct pipeline *p = run->p;
    const char *input = engine_input_path(run->eng);
    if (strcmp(input, "-") == 0)
        return cp_fail(err, CP_EXIT_USAGE, "run needs the input as a file, not standard input "
                                           "(it is read twice: once to check, once to send)");
    if (file_hash(input, run->file_hash, err) < 0)
        return -1;
    if (!run->o->dry_run) {
        if (runlock_acquire(&run->lock, p->state.path, p->name, err) < 0)
            return -1;
        if (run->lock.stale_pid)
            log_msg(LOG_WARN, "the previous run (pid %ld) did not finish: resuming; requests it "
                              "left in flight are reported in_doubt", run->lock.stale_pid);
    }
    if (ledger_open(p->state.path, run->o->dry_run, &run->ledger, err) < 0)
        return -1;
    if (run->ledger && !run->o->dry_run &&
        ledger_run_begin(run->ledger, p->run_id, p->name, input, run->file_hash, err) < 0)
        return -1;
    gate_init(&run->gate, p, run->ledger, run->file_hash, !run->o->dry_run);
    return 0;
}

/* guess writes all-zero ids as placeholders so its pipeline loads and
 * checks; sending with them would only collect 404s. */
static int refuse_placeholders(const struct pipeline *p, struct cp_error *err)
{
    static const char zero[] = "00000000-0000-0000-0000-000000000000";
    if (p->invite.business_id && strcmp(p->invite.business_id, zero) == 0)
        return cp_fail(err, CP_EXIT_USAGE, "'%s': invite.business_id is still the placeholder "
                       "'guess' wrote: run 'cloutly-pipe businesses' and put the id in", p->file);
    if (p->invite.campaign_id && strcmp(p->invite.campaign_id, zero) == 0)
        return cp_fail(err, CP_EXIT_USAGE, "'%s': invite.campaign_id is still the placeholder "
                       "'guess' wrote: copy the id from the campaign page's URL in Cloutly",
                       p->file);
    return 0;
}

static int run_open(struct run *run, struct cp_error *err)
{
    const struct pipeline *p = run->p;
    long total = 0;
    if ((!run->o->dry_run && refuse_placeholders(p, err) < 0) || preflight(p, run->o, &total, err) < 0)
        return -1;
    run->eng = engine_open(p, run->o->input, run->o->limit, err);
    if (!run->eng)
        return -1;
    run->single_target = engine_mapping(run->eng)->n[MAP_BUSINESS_ID] == 0;
    if (open_ledger(run, err) < 0)
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
    }
    size_t n_header;
    char *const *header = engine_header(run->eng, &n_header);
    run->out = results_open(p, p->output.results, p->output.rejects, header, n_header, err);
    if (!run->out)
        return -1;
    results_set_delimiter(run->out, engine_delimiter(run->eng));
    ratelimit_init(&run->rl, p->api.rate_per_sec, clock_now());
    progress_init(&run->pg, isatty(2) && !run->o->no_progress && run->o->verbosity >= 0 &&
                                !run->o->json_log, total);
    log_msg(LOG_DEBUG, "%ld rows to process from %s (encoding %s, delimiter '%s')", total,
            engine_input_path(run->eng), engine_encoding(run->eng),
            engine_delimiter(run->eng) == '\t' ? "tab" : (char[]){engine_delimiter(run->eng), 0});
    return 0;
}

static int exit_code(const struct run *run)
{
    if (run->stop_code)
        return run->stop_code;
    if (run->tally.by_status[ROW_FAILED] || run->tally.by_status[ROW_IN_DOUBT])
        return CP_EXIT_INCOMPLETE;
    return CP_EXIT_OK;
}

static void run_close(struct run *run, int code)
{
    struct cp_error ignored;
    if (run->ledger && !run->o->dry_run)
        ledger_run_end(run->ledger, run->p->run_id, code, &ignored);
    ledger_close(run->ledger);
    runlock_release(&run->lock);
    results_abort(run->out);
    api_client_free(run->api);
    engine_close(run->eng);
    for (int i = 0; i < WINDOW; i++)
        row_result_release(&run->slots[i].r);
}

/* invite.business_by_name needs GET /businesses; a dry run without a key
 * goes on without the names (their rows show as unknown locations). */
static int load_business_names(struct pipeline *p, const struct run_options *o,
                               struct cp_error *err)
{
    const char *key;
    struct cp_error why = {0};
    if (pipeline_api_key(p, &key, &why) < 0) {
        if (!o->dry_run) {
            *err = why;
            return -1;
        }
        log_msg(LOG_WARN, "business_by_name: no API key for GET /businesses in this dry run, so "
                          "location names are not matched (%s)", why.msg);
        return 0;
    }
    return business_names_load(p, key, err);
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    struct cp_error err = {0};
    struct pipeline p = {0};
    static struct run run;
    int rc;

    memset(&run, 0, sizeof run);
    run.lock.fd = -1;
    run.o = &o;
    for (int i = 0; i < WINDOW; i++)
        row_result_init(&run.slots[i].r);
    tally_init(&run.tally);
    if (run_options_parse(argc, argv, 1, &o, &err) < 0)
        goto fail;
    if (o.help) {
        printf("usage: cloutly-pipe run PIPELINE.yaml [--dry-run] [--input PATH] [--limit N]\n"
               "                      [-q|-v] [--no-progress] [--log-format text|json]\n\n"
               "Send a review invite for every valid contact of the input, at the pipeline's\n"
               "rate, and write the results and rejects files. --dry-run does everything but\n"
               "send. -v also prints each row's outcome and the HTTP exchange (key redacted).\n\n%s",
               cli_exit_codes);
        rc = 0;
        goto out;
    }
    log_setup(o.verbosity, o.json_log);
    if (pipeline_load(o.pipeline, time(NULL), &p, &err) < 0)
        goto fail;
    if (p.kind == PIPELINE_EXPORT) {
        rc = export_run_pipeline(&p, &o);
        goto out;
    }
    if (p.invite.business_by_name && load_business_names(&p, &o, &err) < 0)
        goto fail;
    run.p = &p;
    signals_install();
    if (run_open(&run, &err) < 0 || loop(&run, &err) < 0)
        goto fail;
    progress_done(&run.pg);
    struct results *out = run.out;
    run.out = NULL;
    if (results_commit(out, &err) < 0)
        goto fail;
    if (run.stop_code && run.stop_code != CP_EXIT_INTERRUPTED)
        log_msg(LOG_ERROR, "%s", run.stop_reason);
    summary(&run);
    rc = exit_code(&run);
    goto out;
fail:
    progress_done(&run.pg);
    rc = cli_report(&err);
out:
    if (run.p)
        run_close(&run, rc);
    pipeline_release(&p);
    return rc;
}
