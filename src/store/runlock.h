/*
 * One run of a pipeline at a time. The lock is an flock() on STATE.lock
 * beside the ledger: the kernel drops it when the process dies, even by
 * kill -9, so a lock left by a killed run is simply taken over. The file
 * holds the owner's pid and start time, so a refused run can say who holds it.
 */
#ifndef CLOUTLY_RUNLOCK_H
#define CLOUTLY_RUNLOCK_H

#include "core/error.h"

struct runlock {
    int fd;            /* -1 when not held */
    long stale_pid;    /* pid of a run that died holding it, or 0 */
};

/* Take the lock for the ledger at `state_path`, or fail (CP_EXIT_USAGE)
 * naming the process that holds it. */
int runlock_acquire(struct runlock *lk, const char *state_path, const char *pipeline,
                    struct cp_error *err);
void runlock_release(struct runlock *lk);

#endif
