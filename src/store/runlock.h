/*
 * One run at a time, where it matters: two runs of the same pipeline, or two
 * runs fed the same input file, exclude each other; runs of different
 * pipelines of the account proceed side by side (their ledger is shared and
 * its claims are atomic, see ledger_claim).
 *
 * A lock is an flock() on a file: the kernel drops it when the process dies,
 * even by kill -9, so a lock left by a killed run is simply taken over. The
 * file holds the owner's pid, host, start time and pipeline, so a refused run
 * can say who holds it; an emptied file means "finished cleanly".
 *
 * With state on PostgreSQL (spec->url) the same locks are session-level
 * advisory locks of the database (store/runlock_pg.h), held on a connection
 * of their own that lives as long as the run, so workers on several machines
 * exclude each other and a crashed worker's lock goes with its session.
 */
#ifndef CLOUTLY_RUNLOCK_H
#define CLOUTLY_RUNLOCK_H

#include "core/error.h"

struct pg_conn; /* libpq's PGconn */

struct runlock {
    int fd;             /* -1 when not held (or held in PostgreSQL) */
    long stale_pid;     /* pid of a run that died holding it, or 0 */
    struct pg_conn *pg; /* the session holding the advisory lock, or NULL */
    long long pg_key;   /* that lock's key */
};

/* Which lock, and what to do when it is held. */
struct runlock_spec {
    const char *dir;      /* the account's lock folder (created 0700) */
    const char *kind;     /* "pipeline" or "input": the file is DIR/KIND-ID.lock */
    const char *id;       /* the pipeline's name, or the input's content hash */
    const char *pipeline; /* the pipeline taking it, written for others to read */
    const char *what; /* the refusal's first words: "another run of pipeline 'x' is in progress" */
    double wait;      /* seconds to wait for it (--wait-lock); 0: refuse at once */
    /* State on PostgreSQL: the lock is the database's, not a file in dir. */
    const char *url;           /* state.url, or NULL: a file in dir */
    const char *password_file; /* state.password_file, or NULL */
    const char *account;       /* the account's id: locks of two accounts never meet */
};

/* Take the lock, waiting up to spec->wait, or fail (CP_EXIT_USAGE) naming
 * the pipeline, pid, host and start time of the run that holds it. */
int runlock_take(struct runlock *lk, const struct runlock_spec *spec, struct cp_error *err);

/* The lock STATE_PATH.lock for whatever uses the ledger at `state_path`
 * (kept for callers that lock one ledger file as a whole). */
int runlock_acquire(struct runlock *lk, const char *state_path, const char *pipeline,
                    struct cp_error *err);
/* The same for a ledger that may be in PostgreSQL (`state_path` a
 * postgresql:// URL, `password_file` its state.password_file or NULL): then
 * the database's lock for this pipeline's ledger work, not a file beside a URL. */
int runlock_acquire_at(struct runlock *lk, const char *state_path, const char *password_file,
                       const char *pipeline, struct cp_error *err);
void runlock_release(struct runlock *lk);

#endif
