/*
 * `doctor`'s look at a ledger without changing it: is the SQLite file
 * whole (PRAGMA integrity_check), at the schema this build knows, and is
 * its run lock free? The file is opened read-only and the lock is only
 * tried, never kept.
 */
#ifndef CLOUTLY_LEDGER_HEALTH_H
#define CLOUTLY_LEDGER_HEALTH_H

#include <stddef.h>

struct ledger_health {
    int exists;        /* the file is there (a missing one is created by the first run) */
    int readable;      /* SQLite could open it and read its header */
    int intact;        /* integrity_check said "ok" */
    int schema;        /* PRAGMA user_version */
    int lock_held;     /* another process holds STATE.lock now */
    long lock_pid;     /* the holder the lock file names, or 0 */
    char problem[256]; /* SQLite's words when !readable or !intact */
};

void ledger_health_check(const char *state_path, struct ledger_health *out);

#endif
