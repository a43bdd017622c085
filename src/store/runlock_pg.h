/*
 * Run locks in PostgreSQL (state.url), behind runlock.h: a session-level
 * advisory lock per account, kind and id (pg_try_advisory_lock on 64 bits
 * of SHA-256 over the three), held on a connection of its own for as long
 * as the run holds the lock. The server drops the lock when that session
 * ends, so a worker killed by kill -9, or a pod that is gone, leaves
 * nothing to clean up. Who holds it is a row of cloutly_run_owner (pid,
 * host, start, pipeline), written on take and read on a refusal; its
 * `held` flag is cleared on a clean release, so the next run can tell that
 * the previous one did not finish.
 *
 * If the database restarts while a run holds a lock, the lock is gone with
 * the session: another worker may then start the same pipeline. The
 * ledger's claims, not the lock, are what keeps a contact from being sent
 * twice, so this costs no duplicate; the lock only keeps runs from
 * competing for the same rows.
 */
#ifndef CLOUTLY_RUNLOCK_PG_H
#define CLOUTLY_RUNLOCK_PG_H

#include "store/runlock.h"

/* runlock_take with spec->url set. */
int runlock_pg_take(struct runlock *lk, const struct runlock_spec *spec, struct cp_error *err);
/* runlock_release of a lock taken by runlock_pg_take. */
void runlock_pg_release(struct runlock *lk);

#endif
