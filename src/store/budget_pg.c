/* The account's rate budget in PostgreSQL: see budget_pg.h. */
#include "store/budget_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_conn.h"
#include "store/pg_state.h"

/* As in budget.c: no slot or pause lies further ahead than this. */
#define BUDGET_HORIZON "3600"

/*
 * budget.c's acquire as one statement. A first booking inserts the row; a
 * later one rewrites it from the locked old row (b.*) and the proposed one
 * (excluded.*, which carries the server's clock and the caller's interval):
 * renew the claim of the widest interval, apply the successes that came
 * since, keep to the grid within a tenth of a slot (at most 0.6 s), and
 * book the slot one step after. RETURNING reads the new row, so the slot is
 * next - step, and its delay from now (and the slot itself, for tests).
 *   $1 account  $2 interval (s)  $3 successes since the last call
 */
static const char *const TAKE =
    "INSERT INTO cloutly_budget AS b"
    " (account, next, slowdown, wide_interval, wide_until, asked_at)"
    " SELECT $1, t + $2, 1, $2, t + 2 * $2 + 1, t"
    " FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) c"
    " ON CONFLICT (account) DO UPDATE SET (next, slowdown, wide_interval, wide_until, asked_at) ="
    " (SELECT CASE WHEN n0 > now - least(wi * s / 10, 0.6) THEN n0 ELSE now END + wi * s,"
    "         s, wi, wu, now"
    "  FROM (SELECT now, s,"
    "               CASE WHEN renew THEN i ELSE b.wide_interval END AS wi,"
    "               CASE WHEN renew THEN now + 2 * i + 1 ELSE b.wide_until END AS wu,"
    "               CASE WHEN b.next > now + " BUDGET_HORIZON " THEN now ELSE b.next END AS n0"
    "        FROM (SELECT excluded.asked_at AS now, excluded.wide_interval AS i,"
    "                     greatest(1, b.slowdown - 0.01 * $3) AS s,"
    "                     excluded.asked_at >= b.wide_until"
    "                     OR b.wide_until > excluded.asked_at + " BUDGET_HORIZON
    "                     OR excluded.wide_interval >= b.wide_interval AS renew) x) y)"
    " RETURNING greatest(0, next - wide_interval * slowdown - asked_at),"
    "           next - wide_interval * slowdown";

/* A 429: nobody starts before now + pause, everybody 10% slower (at most 4x).
 *   $1 account  $2 pause (s)  $3 successes since the last call */
static const char *const BACKOFF =
    "INSERT INTO cloutly_budget AS b"
    " (account, next, slowdown, wide_interval, wide_until, asked_at)"
    " SELECT $1, t + $2, 1.1, 0, 0, t"
    " FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) c"
    " ON CONFLICT (account) DO UPDATE SET"
    " next = greatest(CASE WHEN b.next > excluded.asked_at + " BUDGET_HORIZON
    "                 THEN excluded.asked_at ELSE b.next END, excluded.next),"
    " slowdown = least(greatest(1, b.slowdown - 0.01 * $3) * 1.1, 4)";

static const char *const SLOWDOWN = "SELECT slowdown FROM cloutly_budget WHERE account = $1";

struct budget_pg {
    PGconn *conn;
    char account[64];
    long successes;    /* not yet written: they go with the next booking */
    double last_reset; /* monotonic time of the last reconnect attempt */
};

static int prepare(struct budget_pg *b)
{
    static const struct {
        const char *name, *sql;
        int n;
    } stmts[] = {{"cp_budget_take", TAKE, 3},
                 {"cp_budget_backoff", BACKOFF, 3},
                 {"cp_budget_slowdown", SLOWDOWN, 1}};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        PGresult *res = PQprepare(b->conn, stmts[i].name, stmts[i].sql, stmts[i].n, NULL);
        if (!pg_state_ok(res, PGRES_COMMAND_OK))
            return -1;
        PQclear(res);
    }
    return 0;
}

struct budget_pg *budget_pg_open(const char *url, const char *password_file, const char *account,
                                 struct cp_error *err)
{
    struct budget_pg *b = calloc(1, sizeof *b);
    if (!b) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    snprintf(b->account, sizeof b->account, "%s", account);
    if (pg_conn_open(url, password_file, &b->conn, err) < 0) {
        free(b);
        return NULL;
    }
    if (pg_state_tables(b->conn, err) < 0)
        goto fail;
    if (prepare(b) < 0) {
        cp_fail(err, CP_EXIT_USAGE, "cannot prepare the rate budget's statements: %s",
                PQerrorMessage(b->conn));
        goto fail;
    }
    return b;
fail:
    budget_pg_close(b);
    return NULL;
}

void budget_pg_close(struct budget_pg *b)
{
    if (!b)
        return;
    PQfinish(b->conn);
    free(b);
}

/* Run a prepared statement; after a lost connection, reconnect, prepare
 * again and try once more. The result, or NULL (cleared) on failure. */
static PGresult *run(struct budget_pg *b, const char *name, int n, const char *const *values,
                     ExecStatusType want)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *res = PQexecPrepared(b->conn, name, n, values, NULL, NULL, 0);
        if (pg_state_ok(res, want))
            return res;
        if (attempt > 0 || !pg_state_reconnect(b->conn, &b->last_reset, 1.0) || prepare(b) < 0)
            return NULL;
    }
    return NULL;
}

double budget_pg_book(struct budget_pg *b, double interval, double *slot)
{
    char iv[32], ok[32];
    snprintf(iv, sizeof iv, "%.9f", interval);
    snprintf(ok, sizeof ok, "%ld", b->successes);
    const char *values[] = {b->account, iv, ok};
    PGresult *res = run(b, "cp_budget_take", 3, values, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    double wait = -1;
    if (PQntuples(res) == 1) {
        wait = strtod(PQgetvalue(res, 0, 0), NULL);
        if (slot)
            *slot = strtod(PQgetvalue(res, 0, 1), NULL);
    }
    PQclear(res);
    if (wait >= 0)
        b->successes = 0;
    return wait;
}

double budget_pg_acquire(struct budget_pg *b, double interval)
{
    return budget_pg_book(b, interval, NULL);
}

void budget_pg_backoff(struct budget_pg *b, double pause)
{
    char ps[32], ok[32];
    snprintf(ps, sizeof ps, "%.6f", pause > 3600 ? 3600.0 : pause);
    snprintf(ok, sizeof ok, "%ld", b->successes);
    const char *values[] = {b->account, ps, ok};
    PGresult *res = run(b, "cp_budget_backoff", 3, values, PGRES_COMMAND_OK);
    if (res) {
        b->successes = 0;
        PQclear(res);
    }
}

void budget_pg_success(struct budget_pg *b)
{
    b->successes++;
}

double budget_pg_slowdown(struct budget_pg *b)
{
    const char *values[] = {b->account};
    PGresult *res = run(b, "cp_budget_slowdown", 1, values, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    double s = PQntuples(res) == 1 ? strtod(PQgetvalue(res, 0, 0), NULL) : 1.0;
    PQclear(res);
    s -= 0.01 * (double)b->successes;
    return s < 1.0 ? 1.0 : s;
}
