/*
 * Connecting to PostgreSQL (issue 16): the one place that turns a
 * `postgresql://` state location into a libpq connection, and the one place
 * that knows how to write such a URL into a message without its password.
 *
 * The password comes from libpq's own sources (the URL, PGPASSWORD,
 * PGPASSFILE / ~/.pgpass) or, when the pipeline names one, from the first
 * line of state.password_file. It is never copied into an error message,
 * a log line or a result file: every message names the URL through
 * pg_conn_redact().
 *
 * Ownership: pg_conn_open hands out a connection the caller closes with
 * PQfinish(); the password read from a file lives on the stack only for the
 * duration of the connect and is wiped afterwards.
 */
#ifndef CLOUTLY_PG_CONN_H
#define CLOUTLY_PG_CONN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "core/error.h"

/* 1 when `s` is a PostgreSQL URL (postgres:// or postgresql://), else 0. */
int pg_is_url(const char *s);

/*
 * Write `url` into `out` (always NUL-terminated, truncated to `len`) with
 * every password removed: the user-info password (user:PASS@host) and any
 * `password=` query parameter. A non-URL is written as "(not a URL)".
 */
void pg_conn_redact(const char *url, char *out, size_t len);

/*
 * Connect to `url`. `password_file` (NULL: none) is a file whose first line
 * is the password; it overrides any other source. On success *out is an
 * open connection (status CONNECTION_OK) and 0 is returned; on failure -1
 * with err (CP_EXIT_USAGE) saying what failed, the URL redacted, and what
 * to do next when that is known (a password is asked for, the file is
 * unreadable). Server notices are not printed.
 */
int pg_conn_open(const char *url, const char *password_file, PGconn **out, struct cp_error *err);

#endif
