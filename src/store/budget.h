/*
 * The account's rate budget, shared by every process of the account on this
 * host (invite runs, exports, `businesses`, `guess`): the API counts requests
 * per account, so N processes each pacing themselves to the full limit would
 * together earn 429s.
 *
 * The state is a GCRA "theoretical arrival time" kept in a small file
 * (STATE/ID.budget) and changed only under an exclusive flock(), so each
 * request's slot is computed atomically: the next request of the account,
 * whichever process asks, starts no earlier than one interval after the last.
 * A 429 seen by one process pauses and slows all of them (the pause and the
 * slowdown live in the file too); successes bring the pace back gradually.
 *
 * Processes that configure different limits: each slot is as wide as the
 * widest interval (the lowest rate) asked for by a process that is still
 * taking slots, so the account as a whole keeps to the lowest limit among
 * the pipelines running at that moment.
 *
 * Times are CLOCK_MONOTONIC seconds (clock_now()), which every process on one
 * host shares; values from before a reboot are recognised and dropped. The
 * file is not fsynced: losing it costs one interval of pacing, nothing more.
 *
 * With state on PostgreSQL (state.url) the same budget is a row of the
 * database, for workers on several machines (store/budget_pg.h): chosen at
 * open, the calls below are the same; the caller's `now` is then unused,
 * since the database server's clock is the one every worker shares.
 *
 * Ownership: a budget owns its file descriptor or its database connection;
 * budget_close() frees it.
 */
#ifndef CLOUTLY_BUDGET_H
#define CLOUTLY_BUDGET_H

#include "core/error.h"

struct budget;

/* Open (creating, 0600, and its folder, 0700) the budget file at `path`. */
struct budget *budget_open(const char *path, struct cp_error *err);
/* The account `account`'s budget in the PostgreSQL database at `url`; NULL
 * with err (CP_EXIT_USAGE, the password never in it) when it cannot be reached. */
struct budget *budget_open_pg(const char *url, const char *password_file, const char *account,
                              struct cp_error *err);
void budget_close(struct budget *b);

/*
 * A request wants to start at `now` with slots `interval` seconds apart (the
 * caller's own rate, with its margin). The account's next free slot is booked
 * for it: 0 means send now, > 0 the seconds until its slot (send then, without
 * asking again: the slot is taken); < 0: the file could not be read or
 * written (the caller paces on its own). Booking ahead serves processes in
 * the order they ask, so a process that wakes a millisecond later than
 * another is not starved by it.
 */
double budget_acquire(struct budget *b, double now, double interval);

/* The server said 429: nobody starts before now + pause, and every process
 * slows down by 10% (up to 4x). */
void budget_backoff(struct budget *b, double now, double pause);

/* A request succeeded: recover 1% of the speed lost to 429s. */
void budget_success(struct budget *b);

/* The shared slowdown factor (>= 1), for tests and diagnostics; -1 on error. */
double budget_slowdown(struct budget *b);

#endif
