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
 */
#ifndef CLOUTLY_RUNLOCK_H
#define CLOUTLY_RUNLOCK_H

#include "core/error.h"

struct runlock {
    int fd;         /* -1 when not held */
    long stale_pid; /* pid of a run that died holding it, or 0 */
};

/* Which lock, and what to do when it is held. */
struct runlock_spec {
    const char *dir;      /* the account's lock folder (created 0700) */
    const char *kind;     /* "pipeline" or "input": the file is DIR/KIND-ID.lock */
    const char *id;       /* the pipeline's name, or the input's content hash */
    const char *pipeline; /* the pipeline taking it, written for others to read */
    const char *what; /* the refusal's first words: "another run of pipeline 'x' is in progress" */
    double wait;      /* seconds to wait for it (--wait-lock); 0: refuse at once */
};

/* Take the lock, waiting up to spec->wait, or fail (CP_EXIT_USAGE) naming
 * the pipeline, pid, host and start time of the run that holds it. */
int runlock_take(struct runlock *lk, const struct runlock_spec *spec, struct cp_error *err);

/* The lock STATE_PATH.lock for whatever uses the ledger at `state_path`
 * (kept for callers that lock one ledger file as a whole). */
int runlock_acquire(struct runlock *lk, const char *state_path, const char *pipeline,
                    struct cp_error *err);
void runlock_release(struct runlock *lk);

#endif
