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
    int exists;         /* the file is there (a missing one is created by the first run) */
    int readable;       /* SQLite could open it and read its header */
    int intact;         /* integrity_check said "ok" */
    int schema;         /* PRAGMA user_version */
    int lock_held;      /* another process holds STATE.lock now */
    long lock_pid;      /* the holder the lock file names, or 0 */
    char problem[1024]; /* SQLite's (or libpq's) words when !readable or !intact */
};

void ledger_health_check(const char *state_path, struct ledger_health *out);

/* The same look at a ledger on PostgreSQL (state.url), read-only: exists
 * when its schema_version table is there, readable when the server
 * answered (problem: why not, the URL redacted), intact when it answered,
 * schema its version. No lock is looked at (run locks there are the
 * server's advisory locks). */
void ledger_health_check_pg(const char *url, const char *password_file, struct ledger_health *out);

#endif
