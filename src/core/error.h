/*
 * Errors as values. A function that can fail takes a `struct cp_error *`,
 * fills it with a message for a person and an exit-code class, and returns -1
 * (or NULL). Only main.c turns an error into output and an exit code.
 *
 * Messages follow one shape: lower case, the subject quoted, what went wrong
 * first, and what to do next when there is something to do, e.g.
 *   pipeline.yaml:12:3: unknown key 'invite_dealy_days' (did you mean 'invite_delay_days'?)
 */
#ifndef CLOUTLY_ERROR_H
#define CLOUTLY_ERROR_H

#include <stddef.h>

/* Exit codes of SPEC section 2; an error carries the one it should end with. */
enum cp_exit {
    CP_EXIT_OK = 0,
    CP_EXIT_INCOMPLETE = 1, /* some rows failed or are in doubt */
    CP_EXIT_USAGE = 2,      /* usage or pipeline error: nothing was sent */
    CP_EXIT_AUTH = 3,       /* 401 */
    CP_EXIT_INPUT = 4,      /* input unreadable */
    CP_EXIT_INTERRUPTED = 5 /* SIGINT/SIGTERM */
};

struct cp_error {
    enum cp_exit code; /* what the process should exit with */
    char msg[1024];    /* for a person; empty when no error */
};

/* Set the error and return -1, so callers can write `return cp_fail(...)`. */
int cp_fail(struct cp_error *err, enum cp_exit code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "prefix: " (e.g. a file name). */
void cp_error_prefix(struct cp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cp_error_clear(struct cp_error *err);

#endif
