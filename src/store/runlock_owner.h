/*
 * Who holds a run lock, and how a refusal names them: shared by the file
 * locks (runlock.c) and the PostgreSQL ones (runlock_pg.c), so a refused
 * run reads the same whichever backend keeps the account's state.
 */
#ifndef CLOUTLY_RUNLOCK_OWNER_H
#define CLOUTLY_RUNLOCK_OWNER_H

#include "core/error.h"

struct runlock_owner {
    long pid;
    char host[128];
    char since[64]; /* UTC ISO-8601 start of the run */
    char pipeline[256];
};

/* This process, starting now, for `pipeline` (NULL: "?"). */
void runlock_self(struct runlock_owner *o, const char *pipeline);

/* Fail (CP_EXIT_USAGE): "WHAT (pipeline 'p', pid N on host H, started T): ...". */
int runlock_refuse(const char *what, const struct runlock_owner *o, struct cp_error *err);

/* The one log line a run writes when it starts waiting (--wait-lock). */
void runlock_tell_wait(const char *what, const struct runlock_owner *o, double wait);

#endif
