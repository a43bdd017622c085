/*
 * The account's rate budget in PostgreSQL (state.url), behind budget.h: the
 * same GCRA pacing as the file, kept in one row per account of the table
 * cloutly_budget, so workers on different machines share it.
 *
 * Each request's slot is booked by one upsert (one round trip): the row is
 * locked by the statement itself, so concurrent workers are served one after
 * the other, and the slot is computed from the database server's clock,
 * the one clock every worker shares (each host's CLOCK_MONOTONIC is its own).
 * Successes that recover speed after 429s ride along with the next booking
 * instead of costing a round trip of their own.
 *
 * A lost connection (the server restarted) is reset once per call, at most
 * once a second; while it stays lost the calls fail (< 0) and the caller
 * paces on its own, as budget.h says.
 *
 * Ownership: a budget_pg owns its connection; budget_pg_close() ends it.
 */
#ifndef CLOUTLY_BUDGET_PG_H
#define CLOUTLY_BUDGET_PG_H

#include "core/error.h"

struct budget_pg;

/* Connect (see store/pg_conn.h for the URL and the password), create the
 * table when it is missing, and prepare the statements; `account` is the
 * account's id (store/account.h), never the key. NULL with err
 * (CP_EXIT_USAGE) when the database cannot be reached. */
struct budget_pg *budget_pg_open(const char *url, const char *password_file, const char *account,
                                 struct cp_error *err);
void budget_pg_close(struct budget_pg *b);

/* budget.h's calls, with the server's clock in place of the caller's `now`. */
double budget_pg_acquire(struct budget_pg *b, double interval);
/* budget_pg_acquire that also says when the slot starts, in epoch seconds
 * of the server's clock (`slot` may be NULL): how tests see the grid. */
double budget_pg_book(struct budget_pg *b, double interval, double *slot);
void budget_pg_backoff(struct budget_pg *b, double pause);
void budget_pg_success(struct budget_pg *b);
double budget_pg_slowdown(struct budget_pg *b);

#endif
