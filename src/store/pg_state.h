/*
 * The tables of the account's shared state in PostgreSQL that are not the
 * ledger: the rate budget (cloutly_budget, one row per account) and the
 * owners of run locks (cloutly_run_owner, one row per lock). They are
 * created on first use by whichever process gets there first, under a
 * transaction-level advisory lock so two workers starting at once do not
 * race on CREATE TABLE. Forward-only: a later version adds columns with
 * defaults, never drops one, so older binaries keep working beside it.
 *
 * Also here: what a libpq result means for the caller, so budget_pg and
 * runlock_pg read the same way.
 */
#ifndef CLOUTLY_PG_STATE_H
#define CLOUTLY_PG_STATE_H

#include <libpq-fe.h>

#include "core/error.h"

/* Create the tables when missing. -1 with err (CP_EXIT_USAGE) naming the
 * server's reason. */
int pg_state_tables(PGconn *conn, struct cp_error *err);

/* PQexec/PQexecPrepared's result was what was expected (`want`); the result
 * is always cleared when the answer is 0. */
int pg_state_ok(PGresult *res, ExecStatusType want);

/* After a failed call: reset a connection that is gone, at most once per
 * `every` seconds of the monotonic clock (`*last` keeps the time of the
 * last try). 1 when the connection is up again (prepared statements are
 * lost with the old session: the caller prepares them again), else 0. */
int pg_state_reconnect(PGconn *conn, double *last, double every);

#endif
