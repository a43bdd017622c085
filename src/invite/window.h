/*
 * Quiet hours and the daily cap: may this contact be invited now?
 *
 * The send window is checked at the moment the invite will reach the
 * person: the POST time plus invite_delay_days, in the recipient's zone. A
 * contact with a phone follows invite.send_window (default 09:00-20:00
 * every day: inside the US federal 08:00-21:00 rule with an hour's margin
 * each side, and a time people accept texts in every market we serve); a
 * contact with only an email follows invite.email_window (default any) in
 * the business's zone (invite.timezone, else UTC). Where a number may be in
 * several zones (phone_zone.h), the window must hold in every one.
 *
 * invite.max_per_day counts, per business and local day of the business's
 * zone, the invites the ledger holds as sent or maybe sent, across runs and
 * pipelines sharing the ledger, plus this run's.
 *
 * Outside the window a row is deferred (recorded, a later run sends it in
 * its window), waited for (the row goes when its window opens), or sent by
 * email only (invite.outside_window). The plan of a run (how many inside,
 * when each group's window opens) is kept for the summary and --dry-run.
 *
 * Ownership: a window borrows the pipeline and the ledger, and owns its
 * zone database, its decision cache and its plan. One thread.
 */
#ifndef CLOUTLY_WINDOW_H
#define CLOUTLY_WINDOW_H

#include <stdio.h>

#include "config/pipeline.h"
#include "core/error.h"
#include "core/row.h"
#include "store/ledger.h"

enum window_verdict {
    WINDOW_SEND,  /* inside its window (maybe by email only: the phone was dropped) */
    WINDOW_DEFER, /* not now: the row becomes ROW_DEFERRED with the reason */
    WINDOW_WAIT   /* not yet: send it at `opens_at` (invite.outside_window: wait) */
};

struct window_decision {
    enum window_verdict verdict;
    double opens_at;     /* WAIT/DEFER: epoch seconds the row may go (the POST time) */
    char opens_text[96]; /* "09:00 AEDT (Australia/Sydney)" */
};

struct window;

/* NULL and err when the zone database cannot be read or invite.timezone is
 * not a zone. `ledger` may be NULL (a dry run with no ledger yet). */
struct window *window_open(const struct pipeline *p, struct ledger *ledger, struct cp_error *err);
/* Safe on NULL. */
void window_close(struct window *w);

/* Decide for a ROW_PENDING row at wall-clock time `now` (epoch seconds).
 * WINDOW_DEFER also sets r->status = ROW_DEFERRED and notes why; SEND may
 * have emptied r->phone (email_only). -1 with err when the ledger fails. */
int window_decide(struct window *w, struct row_result *r, double now, struct window_decision *d,
                  struct cp_error *err);

/* The run's plan so far, for a person: a few lines to `out`, each starting
 * with `prefix`. Nothing when every window is any and there is no cap. */
void window_print_plan(const struct window *w, FILE *out, const char *prefix);

/* The summary's one line on deferred rows ("deferred 412: outside
 * 09:00-20:00 in the recipient's zone; next window opens 09:00 AEDT"), or
 * "" when none were deferred. */
void window_summary(const struct window *w, char *buf, size_t len);

#endif
