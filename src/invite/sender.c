/* The send loop: see sender.h. */
#include "invite/sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/concurrency.h"
#include "api/ratelimit.h"
#include "core/clock.h"
#include "core/log.h"
#include "invite/gate.h"
#include "invite/invite.h"
#include "invite/window.h"

#define WINDOW      256
#define CARRY_BATCH 64 /* deferred rows of earlier files read from the ledger at a time */
#define INVITE_PATH "/send-review-invite"

enum slot_state {
    SLOT_FREE,
    SLOT_QUEUED, /* valid, waiting to be (re)sent at not_before */
    SLOT_IN_FLIGHT,
    SLOT_FINAL /* status settled: written when it reaches the head */
};

struct slot {
    struct row_result r;
    enum slot_state state;
    double not_before;
    int64_t attempt_id;         /* the ledger's intent for the request in flight, 0 when none */
    double posted_at;           /* now_of() when its request went out, for the latency */
    int waits;                  /* queued to wait for its window (outside_window: wait) */
    char wait_text[96];         /* waits: the opening, "09:00 AEDT (Australia/Sydney)" */
    int carried;                /* a row deferred by an earlier run of another file */
    struct ledger_carried from; /* carried: where it was deferred */
};

/* Deferred rows of earlier files, read from the ledger a batch at a time
 * and sent before the file's own rows. */
struct carry {
    struct row_result rows[CARRY_BATCH];
    struct ledger_carried from[CARRY_BATCH];
    int n, next;    /* rows[next..n) not yet taken */
    int64_t cursor; /* the last deferral taken */
    int done;       /* none left: the file's own rows may come */
    long live;      /* taken and not yet written out */
    struct tally tally;
};

struct sender {
    struct sender_config c;
    struct ratelimit rl;
    struct concurrency cc; /* the in-flight cap, raised when latency needs it */
    struct tally tally;
    struct gate gate;
    struct window *window; /* send windows and the daily cap */
    struct carry *carry;   /* NULL when the run carries no rows (see carried_out) */
    char last_wait[160];   /* the wait last announced (outside_window: wait) */
    char waiting[160];     /* the wait now, for the progress line; "" when none */
    int n_waits;           /* queued slots waiting for their window */
    struct slot slots[WINDOW];
    long head, tail; /* slots [head, tail) are in use, by sequence number */
    int queued;      /* slots in SLOT_QUEUED: rows waiting for their turn */
    int input_done;
    int interrupts;             /* stop requests seen so far */
    int target_proven;          /* an answer showed the key, business and campaign work */
    long posts;                 /* requests handed to the transport */
    struct cp_error ledger_err; /* the first outcome the ledger could not record */
    int stop_code;              /* != 0: stop sending; the exit code it leads to */
    char stop_reason[600];
};

static double now_of(const struct sender *s)
{
    return s->c.now ? s->c.now() : clock_now();
}

static int in_flight(const struct sender *s)
{
    return s->c.transport ? s->c.transport->in_flight(s->c.transport->ctx) : 0;
}

struct sender *sender_new(const struct sender_config *cfg, struct cp_error *err)
{
    struct sender *s = calloc(1, sizeof *s);
    if (!s) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    s->c = *cfg;
    for (int i = 0; i < WINDOW; i++)
        row_result_init(&s->slots[i].r);
    tally_init(&s->tally);
    s->tally.dry_run = cfg->dry_run;
    ratelimit_init(&s->rl, cfg->p->api.rate_per_sec, now_of(s));
    concurrency_init(&s->cc, cfg->p->api.max_in_flight, cfg->p->api.rate_per_sec);
    s->rl.shared = cfg->rate_shared;
    gate_init(&s->gate, cfg->p, cfg->ledger, cfg->file_hash, !cfg->dry_run);
    s->gate.retry_failed = cfg->retry_failed;
    s->gate.retry_in_doubt |= cfg->retry_in_doubt;
    s->window = window_open(cfg->p, cfg->ledger, err);
    if (!s->window) {
        sender_free(s);
        return NULL;
    }
    if (cfg->carried_out && cfg->ledger && !cfg->dry_run) {
        if (!(s->carry = calloc(1, sizeof *s->carry))) {
            sender_free(s);
            cp_fail(err, CP_EXIT_USAGE, "out of memory");
            return NULL;
        }
        for (int i = 0; i < CARRY_BATCH; i++)
            row_result_init(&s->carry->rows[i]);
        tally_init(&s->carry->tally);
    }
    return s;
}

void sender_free(struct sender *s)
{
    if (!s)
        return;
    for (int i = 0; i < WINDOW; i++)
        row_result_release(&s->slots[i].r);
    if (s->carry)
        for (int i = 0; i < CARRY_BATCH; i++)
            row_result_release(&s->carry->rows[i]);
    free(s->carry);
    window_close(s->window);
    free(s);
}

int sender_stop_code(const struct sender *s)
{
    return s->stop_code;
}

const char *sender_stop_reason(const struct sender *s)
{
    return s->stop_reason;
}

const struct tally *sender_tally(const struct sender *s)
{
    return &s->tally;
}

const struct tally *sender_carried_tally(const struct sender *s)
{
    static const struct tally none = {.sms_left = -1};
    return s->carry ? &s->carry->tally : &none;
}

const struct window *sender_window(const struct sender *s)
{
    return s->window;
}

const struct concurrency *sender_concurrency(const struct sender *s)
{
    return &s->cc;
}

static void set_state(struct sender *s, struct slot *sl, enum slot_state st)
{
    if (sl->waits && sl->state == SLOT_QUEUED && st != SLOT_QUEUED) {
        sl->waits = 0; /* its window opened (or the run stopped): a retry is no wait */
        s->n_waits--;
    }
    s->queued += (st == SLOT_QUEUED) - (sl->state == SLOT_QUEUED);
    sl->state = st;
}

static struct slot *slot_at(struct sender *s, long seq)
{
    return &s->slots[seq % WINDOW];
}

static void stop(struct sender *s, int code, const char *why)
{
    if (s->stop_code)
        return;
    s->stop_code = code;
    snprintf(s->stop_reason, sizeof s->stop_reason, "%s", why);
}

void sender_stop(struct sender *s, int code, const char *why)
{
    stop(s, code, why);
}

long sender_posts(const struct sender *s)
{
    return s->posts;
}

void sender_interrupt(struct sender *s, int level)
{
    if (level <= s->interrupts)
        return;
    s->interrupts = level;
    if (level == 1) {
        stop(s, CP_EXIT_INTERRUPTED, "interrupted");
        int n = in_flight(s);
        log_msg(LOG_WARN,
                "interrupted: finishing the %d %s in flight (Ctrl-C again to abandon "
                "%s)",
                n, n == 1 ? "request" : "requests", n == 1 ? "it" : "them");
    } else {
        stop(s, CP_EXIT_INTERRUPTED, "interrupted");
        log_msg(LOG_WARN, "abandoning the requests in flight: they are recorded as in_doubt");
        if (s->c.transport)
            s->c.transport->abort_all(s->c.transport->ctx);
    }
}

/* A row that will not be sent after all: the run stopped before its turn. */
static void not_attempted(struct sender *s, struct slot *sl)
{
    const char *why =
        s->stop_code == CP_EXIT_INTERRUPTED ? "the run was interrupted" : "the run stopped early";
    row_note(&sl->r, "not attempted: %s (a later run sends it)", why);
    sl->r.status = ROW_SKIPPED;
    set_state(s, sl, SLOT_FINAL);
}

/* The next deferred row of an earlier file that is due, into `sl`: 1, 0
 * when none is left, -1 with err. Its buffers are swapped like take_row's. */
static int take_carried(struct sender *s, struct slot *sl, struct cp_error *err)
{
    struct carry *c = s->carry;
    if (!c || c->done)
        return 0;
    if (c->next == c->n) {
        c->next = 0;
        if (ledger_deferred_due(s->c.ledger, s->c.p->name, s->c.file_hash, (time_t)clock_wall(),
                                c->cursor, c->rows, c->from, CARRY_BATCH, &c->n, err) < 0)
            return -1;
        if (c->n == 0) {
            c->done = 1;
            return 0;
        }
        if (!c->cursor)
            log_msg(LOG_INFO, "sending first the rows earlier runs of this pipeline deferred "
                              "from other files, now inside their window");
    }
    struct row_result tmp = sl->r;
    sl->r = c->rows[c->next];
    c->rows[c->next] = tmp;
    sl->from = c->from[c->next++];
    sl->carried = 1;
    c->cursor = sl->from.id;
    c->live++;
    char when[40];
    time_t at = sl->from.deferred_at;
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    row_note(&sl->r, "deferred by an earlier run at %s, from '%s' row %ld", when,
             sl->from.file_path, sl->r.input_row);
    return 1;
}

/* Take the next row from the source into a slot: the source's buffers are
 * swapped, not copied, so a row costs no allocation. 1, 0 at the end, 2
 * when the file's rows must wait for the carried ones to settle (so one
 * person's carried row and file row are never both in flight), -1. */
static int take_row(struct sender *s, struct slot *sl, struct cp_error *err)
{
    sl->carried = 0;
    int carried = take_carried(s, sl, err);
    if (carried != 0)
        return carried;
    if (s->carry && s->carry->live)
        return 2;
    struct row_result *r;
    int rc = s->c.next_row ? s->c.next_row(s->c.rows_ctx, &r, err) : vpool_next(s->c.rows, &r, err);
    if (rc <= 0)
        return rc;
    struct row_result tmp = sl->r;
    sl->r = *r;
    *r = tmp;
    return 1;
}

/* The send window and the daily cap for a row the gate let through: it
 * stays PENDING (maybe to wait: *wait_s > 0), or is DEFERRED and recorded
 * so that a later run sends it. */
static int window_check(struct sender *s, struct slot *sl, double wall, double *wait_s,
                        struct cp_error *err)
{
    struct row_result *r = &sl->r;
    struct window_decision d;
    *wait_s = 0;
    if (window_decide(s->window, r, wall, &d, err) < 0)
        return -1;
    if (d.verdict == WINDOW_WAIT) {
        *wait_s = d.opens_at - wall;
        snprintf(sl->wait_text, sizeof sl->wait_text, "%s", d.opens_text);
    }
    if (d.verdict != WINDOW_DEFER || s->c.dry_run || !s->c.ledger)
        return 0;
    /* A carried row deferred again stays under its own file and row. */
    return ledger_defer_row(s->c.ledger, s->c.p->run_id,
                            sl->carried ? sl->from.file_path : s->c.input_path,
                            sl->carried ? sl->from.file_hash : s->c.file_hash,
                            s->c.p->invite.campaign_id, r, (time_t)d.opens_at, err);
}

/* A carried row whose person was invited after it was deferred (another
 * pipeline, or this one from another file) is not sent again, whatever
 * the cooldown: the deferral promised one invite, not a second. */
static int invited_since(struct sender *s, struct slot *sl, struct cp_error *err)
{
    struct ledger_prior pr;
    const struct row_result *r = &sl->r;
    const char *business =
        s->c.p->validate.cooldown_scope == COOLDOWN_ACCOUNT ? NULL : strbuf_str(&r->business_id);
    int found = ledger_recent_contact(s->c.ledger, strbuf_str(&r->email), strbuf_str(&r->phone),
                                      business, sl->from.deferred_at, sl->from.file_hash, &pr, err);
    if (found <= 0)
        return found;
    row_note(&sl->r, "invited since it was deferred (from '%s'): not sent again", pr.file_path);
    sl->r.status = ROW_SKIPPED;
    return 0;
}

/* The gate's word on a slot: a carried row is asked about as a row of its
 * own file (resume, cooldown and the claim exclude that file). */
static int gate_slot(struct sender *s, struct slot *sl, struct cp_error *err)
{
    if (!sl->carried)
        return gate_row(&s->gate, &sl->r, err);
    const char *own = s->gate.file_hash;
    s->gate.file_hash = sl->from.file_hash;
    int rc = gate_row(&s->gate, &sl->r, err);
    s->gate.file_hash = own;
    if (rc == 0 && sl->r.status == ROW_PENDING)
        rc = invited_since(s, sl, err);
    if (rc == 0 && sl->r.status != ROW_PENDING)
        rc = ledger_carry_close(s->c.ledger, s->c.p->run_id, &sl->from, &sl->r, err);
    return rc;
}

/* Read rows into free slots. A valid row is queued for sending; no more are
 * read while as many valid rows wait as may be in flight, so reading runs
 * only a little ahead of the sends (and the ledger is asked about a row
 * just before its turn). Rows waiting for their window do not count: the
 * rows behind them that may go now still go. */
static int admit(struct sender *s, struct cp_error *err)
{
    /* One instant for the rows read together (microseconds apart): the
     * windows are minutes wide. */
    double wall = clock_wall();
    while (!s->input_done && s->tail - s->head < WINDOW && s->queued - s->n_waits < s->cc.cap) {
        struct slot *sl = slot_at(s, s->tail);
        int rc = take_row(s, sl, err);
        if (rc < 0)
            return -1;
        if (rc == 2)
            break;
        if (rc == 0) {
            s->input_done = 1;
            break;
        }
        s->tail++;
        set_state(s, sl, SLOT_FINAL);
        sl->attempt_id = 0;
        if (sl->r.status == ROW_PENDING && !s->stop_code && gate_slot(s, sl, err) < 0)
            return -1;
        double wait_s = 0;
        if (sl->r.status == ROW_PENDING && !s->stop_code &&
            window_check(s, sl, wall, &wait_s, err) < 0)
            return -1;
        if (sl->r.status != ROW_PENDING)
            continue;
        if (s->c.dry_run) {
            sl->r.status = ROW_DRY_RUN;
        } else if (s->stop_code) {
            not_attempted(s, sl);
        } else {
            set_state(s, sl, SLOT_QUEUED);
            sl->not_before = wait_s > 0 ? now_of(s) + wait_s : 0;
            if (wait_s > 0) {
                sl->waits = 1;
                s->n_waits++;
            }
        }
    }
    return 0;
}

static int flush_head(struct sender *s, struct cp_error *err)
{
    char now[sizeof s->slots[0].r.processed_at] = ""; /* the rows written together, once */
    while (s->head < s->tail) {
        struct slot *sl = slot_at(s, s->head);
        if (sl->state != SLOT_FINAL)
            break;
        if (!sl->r.processed_at[0] && sl->r.status != ROW_DRY_RUN) {
            if (!now[0])
                clock_iso_utc(now, sizeof now);
            memcpy(sl->r.processed_at, now, sizeof now);
        }
        if (results_write(sl->carried ? s->c.carried_out : s->c.out, &sl->r, err) < 0)
            return -1;
        tally_add(sl->carried ? &s->carry->tally : &s->tally, &sl->r);
        if (sl->carried)
            s->carry->live--;
        if (log_enabled(LOG_DEBUG)) {
            char text[1200];
            snprintf(text, sizeof text, "row %ld: %s%s%s", sl->r.input_row,
                     row_status_name(sl->r.status), sl->r.reason.len ? ": " : "",
                     strbuf_str(&sl->r.reason));
            struct log_field f[] = {LOG_INT("input_row", sl->r.input_row),
                                    LOG_STR("status", row_status_name(sl->r.status)),
                                    LOG_STR("reason", strbuf_str(&sl->r.reason)),
                                    LOG_INT("http_status", sl->r.http_status)};
            log_event(LOG_DEBUG, "row", text, f, sizeof f / sizeof *f);
        }
        set_state(s, sl, SLOT_FREE);
        s->head++;
    }
    return 0;
}

/* A queued row's intent, committed before its slot is booked, so the
 * claim's fsync never delays a request past its slot (on a short server
 * window that delay alone can make one request too many). The claim checks
 * the cooldown again in the same transaction: another pipeline of the
 * account may have invited this person meanwhile. 1 claimed, 0 when the row
 * became final instead (another pipeline got there first, or the ledger
 * cannot be written: then sending stops), -1 with err. */
static int claim_one(struct sender *s, struct slot *sl, struct cp_error *err)
{
    char *body = invite_body(s->c.p, &sl->r);
    if (!body)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    struct cp_error lerr = {0};
    const char *own = s->gate.file_hash;
    if (sl->carried)
        s->gate.file_hash = sl->from.file_hash; /* its intent goes under its own file and row */
    int claimed = gate_claim(&s->gate, &sl->r, s->c.p->run_id,
                             sl->carried ? sl->from.file_path : s->c.input_path, body,
                             &sl->attempt_id, &lerr);
    s->gate.file_hash = own;
    free(body);
    if (claimed < 0) {
        /* Without its intent on disk a request may not go out. Stop, and
         * let every row read still reach the results. */
        char why[sizeof s->stop_reason];
        snprintf(why, sizeof why, "the ledger cannot be written (%.300s): stopped sending%s",
                 lerr.msg, s->posts ? "; the rows sent are in the results file" : "");
        stop(s, s->posts ? CP_EXIT_INCOMPLETE : CP_EXIT_USAGE, why);
        sl->attempt_id = 0;
        not_attempted(s, sl);
        return 0;
    }
    if (claimed == 0)
        set_state(s, sl, SLOT_FINAL);
    return claimed;
}

/* A claim that will not be sent after all (the run stopped before its slot):
 * its intent is closed, so the next run does not report it in doubt. */
static int drop_claim(struct sender *s, struct slot *sl, struct cp_error *err)
{
    if (!sl->attempt_id)
        return 0;
    int rc = ledger_outcome(s->c.ledger, sl->attempt_id, "skipped", &sl->r, err);
    sl->attempt_id = 0;
    return rc;
}

/* Hand one claimed row to the transport: its intent is on disk, so a crash
 * from here on leaves a trace the next run reports as in_doubt. */
static int post_one(struct sender *s, long seq, struct slot *sl, struct cp_error *err)
{
    char *body = invite_body(s->c.p, &sl->r);
    if (!body)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    const struct api_transport *t = s->c.transport;
    int rc = t->post(t->ctx, (uint64_t)seq, INVITE_PATH, body, err);
    free(body);
    if (rc < 0)
        return -1;
    s->posts++;
    sl->posted_at = now_of(s);
    sl->r.attempts++;
    set_state(s, sl, SLOT_IN_FLIGHT);
    return 0;
}

/* Start every queued row whose time has come, in input order, while the
 * rate grid and max_in_flight allow. */
static int start_sends(struct sender *s, struct cp_error *err)
{
    double now = now_of(s);
    for (long seq = s->head; seq < s->tail; seq++) {
        struct slot *sl = slot_at(s, seq);
        if (sl->state != SLOT_QUEUED)
            continue;
        if (s->stop_code) {
            if (drop_claim(s, sl, err) < 0)
                return -1;
            not_attempted(s, sl);
            continue;
        }
        if (sl->not_before > now)
            continue;
        /* Until one answer proves the key and the target, one request at a
         * time: a wrong key or campaign then costs exactly one request
         * (401 "stopped at the first one"), whatever max_in_flight says. */
        int cap = s->target_proven ? s->cc.cap : 1;
        if (in_flight(s) >= cap)
            break;
        if (!sl->attempt_id) {
            if (!gate_send(&s->gate, &sl->r)) {
                set_state(s, sl, SLOT_FINAL);
                continue;
            }
            int claimed = claim_one(s, sl, err);
            if (claimed < 0)
                return -1;
            if (claimed == 0)
                continue;
        }
        /* The slot is booked now (in the account's budget when shared) and
         * the request goes at once; a claimed row whose slot lies ahead
         * keeps its claim and goes first next turn. */
        if (ratelimit_acquire(&s->rl, now_of(s)) > 0)
            break;
        if (post_one(s, seq, sl, err) < 0)
            return -1;
    }
    return 0;
}

/* The ledger's word for where an attempt ended. */
static const char *attempt_status(const struct invite_decision *d, const struct row_result *r)
{
    if (d->verdict == INVITE_RETRY || d->verdict == INVITE_RATE_LIMITED)
        return "retry";
    /* A 404 that stops a single-target run is the pipeline's mistake, not the
     * row's: the row stays free, so fixing the id and rerunning sends it. */
    if (d->verdict == INVITE_STOP_PIPELINE)
        return "pipeline_error";
    switch (r->status) {
    case ROW_SENT: return "sent";
    case ROW_FAILED: return "failed";
    case ROW_IN_DOUBT: return "in_doubt";
    default: return "skipped";
    }
}

/* The answer arrived but the ledger could not take it (disk full, a lock
 * held past the busy timeout). The row is what the server said it is:
 * report that, and send nothing more, since every further intent would
 * fail the same way. The next run finds the intent without an outcome and
 * reports the row in_doubt, so it is never sent twice. */
static void outcome_unrecorded(struct sender *s, struct slot *sl, struct invite_decision *d,
                               const struct cp_error *lerr)
{
    if (!s->ledger_err.msg[0])
        s->ledger_err = *lerr;
    if (d->verdict == INVITE_RETRY || d->verdict == INVITE_RATE_LIMITED) {
        /* Not acted on by the server, but it cannot be retried now. */
        row_note(&sl->r,
                 "not sent: the ledger could not record the attempt (%s); a later run "
                 "sends it",
                 lerr->msg);
        sl->r.status = ROW_SKIPPED;
        d->verdict = INVITE_DONE;
    } else {
        row_note(&sl->r, "(the ledger could not record this outcome: %s)", lerr->msg);
    }
    char why[sizeof s->stop_reason];
    snprintf(why, sizeof why,
             "the ledger cannot be written (%.300s): stopped sending; the rows "
             "sent are in the results file, and the next run reports them in_doubt rather than "
             "send them again",
             lerr->msg);
    stop(s, CP_EXIT_INCOMPLETE, why);
}

static void settle(struct sender *s, const struct api_result *res)
{
    struct slot *sl = slot_at(s, (long)res->tag);
    double now = now_of(s);
    struct invite_decision d = invite_decide(s->c.p, res, &sl->r, s->c.single_target);
    struct cp_error lerr = {0};
    if (ledger_outcome(s->c.ledger, sl->attempt_id, attempt_status(&d, &sl->r), &sl->r, &lerr) < 0)
        outcome_unrecorded(s, sl, &d, &lerr);
    sl->attempt_id = 0;
    if ((res->http_status >= 200 && res->http_status < 300) || res->http_status == 400)
        s->target_proven = 1;
    if (res->http_status && concurrency_observe(&s->cc, now - sl->posted_at))
        log_msg(LOG_DEBUG,
                "in flight: now up to %d (mean latency %.2fs x %.1f/s needs %.1f; "
                "api.max_in_flight %d, ceiling %d)",
                s->cc.cap, s->cc.mean_latency, s->cc.rate, concurrency_need(&s->cc), s->cc.base,
                s->cc.ceiling);
    gate_note_sms(&s->gate, sl->r.sms_left);
    switch (d.verdict) {
    case INVITE_DONE:
        if (sl->r.status == ROW_SENT)
            ratelimit_success(&s->rl);
        set_state(s, sl, SLOT_FINAL);
        break;
    case INVITE_RATE_LIMITED:
        ratelimit_backoff(&s->rl, now, d.wait);
        if (log_enabled(LOG_DEBUG)) {
            char text[120];
            snprintf(text, sizeof text, "rate limited (HTTP 429): pausing %.1fs and slowing down",
                     d.wait);
            struct log_field f[] = {LOG_NUM("wait_s", d.wait), LOG_INT("http_status", 429),
                                    LOG_INT("input_row", sl->r.input_row)};
            log_event(LOG_DEBUG, "throttle_wait", text, f, sizeof f / sizeof *f);
        }
        set_state(s, sl, SLOT_QUEUED);
        sl->not_before = now + d.wait;
        break;
    case INVITE_RETRY:
        if (log_enabled(LOG_DEBUG)) {
            char text[400];
            snprintf(text, sizeof text, "row %ld: retrying in %.1fs (attempt %d%s%s)",
                     sl->r.input_row, d.wait, sl->r.attempts + 1, res->error[0] ? ": " : "",
                     res->error[0] ? res->error : "");
            struct log_field f[] = {
                LOG_INT("input_row", sl->r.input_row), LOG_INT("attempt", sl->r.attempts + 1),
                LOG_NUM("wait_s", d.wait), LOG_INT("http_status", res->http_status)};
            log_event(LOG_DEBUG, "retry", text, f, sizeof f / sizeof *f);
        }
        set_state(s, sl, SLOT_QUEUED);
        sl->not_before = now + d.wait;
        break;
    case INVITE_STOP_AUTH:
        set_state(s, sl, SLOT_FINAL);
        stop(s, CP_EXIT_AUTH, d.message);
        break;
    case INVITE_STOP_PIPELINE:
        set_state(s, sl, SLOT_FINAL);
        stop(s, CP_EXIT_USAGE, d.message);
        break;
    case INVITE_STOP_WAIT:
        set_state(s, sl, SLOT_FINAL);
        stop(s, CP_EXIT_INCOMPLETE, d.message);
        break;
    }
}

/* How long the loop may sleep before something is due. */
static int next_wakeup_ms(struct sender *s)
{
    double now = now_of(s), wait = 0.1;
    for (long seq = s->head; seq < s->tail; seq++) {
        struct slot *sl = slot_at(s, seq);
        if (sl->state != SLOT_QUEUED)
            continue;
        double w = sl->not_before > now ? sl->not_before - now : 0;
        double rl = ratelimit_wait(&s->rl, now);
        if (rl > w)
            w = rl;
        if (w < wait)
            wait = w;
    }
    return (int)(wait * 1000) + 1;
}

/* outside_window: wait. When nothing is in flight or due and rows wait for
 * their window, the run is asleep: say until when and for how many (the
 * rows read so far that wait for the earliest opening), once per change, as
 * an event, and keep it for the progress line. */
static void note_waiting(struct sender *s)
{
    const struct slot *first = NULL;
    double now = now_of(s);
    long n = 0;
    s->waiting[0] = '\0';
    if (!s->n_waits || in_flight(s))
        return;
    for (long seq = s->head; seq < s->tail; seq++) {
        struct slot *sl = slot_at(s, seq);
        if (sl->state != SLOT_QUEUED)
            continue;
        if (!sl->waits || sl->not_before <= now)
            return; /* something is due: not asleep */
        if (!first || sl->not_before < first->not_before)
            first = sl;
    }
    if (!first)
        return;
    for (long seq = s->head; seq < s->tail; seq++) {
        const struct slot *sl = slot_at(s, seq);
        n += sl->state == SLOT_QUEUED && strcmp(sl->wait_text, first->wait_text) == 0;
    }
    snprintf(s->waiting, sizeof s->waiting, "waiting until %.96s for %ld contact%s",
             first->wait_text, n, n == 1 ? "" : "s");
    if (strcmp(s->waiting, s->last_wait) == 0)
        return;
    snprintf(s->last_wait, sizeof s->last_wait, "%s", s->waiting);
    char text[400];
    snprintf(text, sizeof text,
             "%s (invite.outside_window: wait%s; Ctrl-C stops, a later run sends them)", s->waiting,
             s->c.p->invite.outside_window_set ? "" : ", the default on a terminal");
    struct log_field f[] = {LOG_STR("until", first->wait_text), LOG_INT("contacts", n),
                            LOG_NUM("wait_s", first->not_before - now)};
    log_event(LOG_INFO, "waiting", text, f, sizeof f / sizeof *f);
}

int sender_run(struct sender *s, struct cp_error *err)
{
    const struct api_transport *t = s->c.transport;
    for (;;) {
        note_waiting(s);
        if (s->c.on_tick) {
            struct sender_stats st = {.rows = s->tally.rows,
                                      .sent = s->tally.by_status[ROW_SENT],
                                      .in_flight = in_flight(s),
                                      .failed = s->tally.by_status[ROW_FAILED],
                                      .in_doubt = s->tally.by_status[ROW_IN_DOUBT],
                                      .waiting = s->waiting};
            s->c.on_tick(s->c.tick_ctx, s, &st);
        }
        if (admit(s, err) < 0 || start_sends(s, err) < 0 || flush_head(s, err) < 0)
            return -1;
        if (s->c.ledger && !s->c.dry_run && ledger_flush_deferrals(s->c.ledger, err) < 0)
            return -1;
        if (s->input_done && s->head == s->tail)
            return 0;
        if (!t)
            continue; /* a dry run: nothing is ever in flight */
        if (t->poll(t->ctx, next_wakeup_ms(s), err) < 0)
            return -1;
        struct api_result res;
        while (t->take(t->ctx, &res))
            settle(s, &res);
    }
}
