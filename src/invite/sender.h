/*
 * The send loop: validated rows -> POST /send-review-invite -> outcomes, at
 * most once per row, at the configured pace, with results in input order.
 *
 * Rows flow through a window of slots in input order: a row source fills a
 * slot, a valid row waits for its turn on the rate grid and a free
 * connection, and the head of the window is written out as soon as it is
 * final, so results come out in input order while up to max_in_flight
 * requests overlap.
 *
 * The at-most-once rule lives here: a row's intent is committed to the
 * ledger before the transport sees its request, and its outcome after the
 * answer; a stop (401, a pipeline error, an interrupt) settles every slot,
 * so each row read ends in the results exactly once.
 *
 * Ownership: the sender borrows the pipeline, row source, results writer,
 * ledger and transport for its lifetime; it owns its slots, rate grid,
 * gate and tally. sender_free() releases what it owns.
 */
#ifndef CLOUTLY_SENDER_H
#define CLOUTLY_SENDER_H

#include "api/ratelimit.h"
#include "api/transport.h"
#include "config/pipeline.h"
#include "core/error.h"
#include "intake/parallel.h"
#include "intake/tally.h"
#include "invite/results.h"
#include "invite/window.h"
#include "store/ledger.h"

struct sender;

struct sender_stats {
    long rows;     /* rows written to the results so far */
    long sent;     /* of them, sent */
    int in_flight; /* requests in flight now */
    long failed;   /* of the rows written, failed */
    long in_doubt; /* of the rows written, in_doubt */
    /* outside_window: wait, nothing due: "waiting until Wed 2026-12-02 09:00
     * AEDT (Australia/Sydney) for 412 contacts", else "". */
    const char *waiting;
};

struct sender_config {
    const struct pipeline *p;
    struct vpool *rows;                    /* where rows come from, in input order */
    struct results *out;                   /* where each settled row goes */
    struct ledger *ledger;                 /* NULL only for a dry run with no ledger yet */
    const struct api_transport *transport; /* NULL for a dry run */
    const char *input_path;                /* recorded with each intent */
    const char *file_hash;                 /* this input's identity, for resume */
    int dry_run;                           /* settle valid rows as dry_run, send nothing */
    int single_target;                     /* one business and campaign for every row */
    const struct rate_shared *rate_shared; /* the account's rate budget, or NULL: pace alone */
    int retry_failed;    /* run --retry-failed: send rows the API refused before */
    int retry_in_doubt;  /* run --retry-in-doubt: resend rows left in doubt */
    double (*now)(void); /* monotonic seconds; NULL: clock_now */
    /* Called once per turn of the loop, e.g. to draw progress and to pass
     * on interrupts with sender_interrupt(); may be NULL. */
    void (*on_tick)(void *ctx, struct sender *s, const struct sender_stats *st);
    void *tick_ctx;
    /* Rows deferred by earlier runs of this pipeline from other files
     * (issue 12): when set (a real run with a ledger), the due ones are
     * sent first, before this file's rows, and settle here, not in `out`. */
    struct results *carried_out;
};

/* NULL with err when memory runs out. */
struct sender *sender_new(const struct sender_config *cfg, struct cp_error *err);
/* Safe on NULL. */
void sender_free(struct sender *s);

/* Run until every row of the source is settled and written: 0, or -1 with
 * err when the ledger, the results or the input fail (rows in flight are
 * then left as the ledger recorded them: in_doubt for the next run). */
int sender_run(struct sender *s, struct cp_error *err);

/* A stop request from outside: level 1 finishes what is in flight and
 * sends nothing more; level 2 also abandons the requests in flight. */
void sender_interrupt(struct sender *s, int level);

/* Stop sending from outside (the input changed under the run): what is in
 * flight is settled, the rest is skipped for a later run. */
void sender_stop(struct sender *s, int code, const char *why);

/* Requests handed to the transport so far: once one has, the run may have
 * sent invites, and no error may say "nothing was sent". */
long sender_posts(const struct sender *s);

/* After sender_run: the exit code a stop led to (0 when none) and why. */
int sender_stop_code(const struct sender *s);
const char *sender_stop_reason(const struct sender *s);
const struct tally *sender_tally(const struct sender *s);
/* The rows carried from earlier files' deferrals, by status. */
const struct tally *sender_carried_tally(const struct sender *s);
/* The run's send-window plan and deferrals (invite/window.h). */
const struct window *sender_window(const struct sender *s);

#endif
