/* Run locks in PostgreSQL: see runlock_pg.h. */
#include "store/runlock_pg.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/sha256.h"
#include "store/pg_conn.h"
#include "store/pg_state.h"
#include "store/runlock_owner.h"

/* 64 bits of SHA-256 over account, kind and id, as the signed bigint that
 * pg_advisory_lock takes. */
static long long lock_key(const struct runlock_spec *spec)
{
    char text[600], hex[65];
    snprintf(text, sizeof text, "%s\n%s\n%s", spec->account ? spec->account : "", spec->kind,
             spec->id);
    sha256_hex2("cloutly-pipe run lock\n", text, hex);
    hex[16] = '\0';
    uint64_t u = strtoull(hex, NULL, 16);
    long long k;
    memcpy(&k, &u, sizeof k);
    return k;
}

/* The single value of a one-row answer, or NULL; `*res` to clear. */
static const char *one(PGconn *c, const char *sql, int n, const char *const *values, PGresult **res)
{
    *res = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
    if (!pg_state_ok(*res, PGRES_TUPLES_OK)) {
        *res = NULL;
        return NULL;
    }
    return PQntuples(*res) == 1 ? PQgetvalue(*res, 0, 0) : NULL;
}

/* The owner row; `held` says whether it was left held (1), released (0)
 * or is missing (-1). */
static int read_owner(PGconn *c, const char *key, struct runlock_owner *o)
{
    const char *values[] = {key};
    memset(o, 0, sizeof *o);
    PGresult *res = PQexecParams(c,
                                 "SELECT pid, host, started, pipeline, held FROM cloutly_run_owner"
                                 " WHERE lock_key = $1",
                                 1, NULL, values, NULL, NULL, 0);
    if (!pg_state_ok(res, PGRES_TUPLES_OK))
        return -1;
    int held = -1;
    if (PQntuples(res) == 1) {
        o->pid = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(o->host, sizeof o->host, "%s", PQgetvalue(res, 0, 1));
        snprintf(o->since, sizeof o->since, "%s", PQgetvalue(res, 0, 2));
        snprintf(o->pipeline, sizeof o->pipeline, "%s", PQgetvalue(res, 0, 3));
        held = PQgetvalue(res, 0, 4)[0] == 't';
    }
    PQclear(res);
    return held;
}

static int write_owner(PGconn *c, const char *key, const struct runlock_spec *spec,
                       const struct runlock_owner *me)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", me->pid);
    const char *values[] = {key,        spec->account ? spec->account : "",
                            spec->kind, spec->id,
                            pid,        me->host,
                            me->since,  me->pipeline};
    PGresult *res = PQexecParams(
        c,
        "INSERT INTO cloutly_run_owner"
        " (lock_key, account, kind, id, pid, host, started, pipeline, held)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)"
        " ON CONFLICT (lock_key) DO UPDATE SET account = excluded.account, kind = excluded.kind,"
        " id = excluded.id, pid = excluded.pid, host = excluded.host,"
        " started = excluded.started, pipeline = excluded.pipeline, held = true",
        8, NULL, values, NULL, NULL, 0);
    if (!pg_state_ok(res, PGRES_COMMAND_OK))
        return -1;
    PQclear(res);
    return 0;
}

/* 1 taken, 0 held by another session, -1 the database failed. */
static int try_lock(PGconn *c, const char *key)
{
    PGresult *res;
    const char *values[] = {key};
    const char *v = one(c, "SELECT pg_try_advisory_lock($1::bigint)", 1, values, &res);
    int rc = v ? v[0] == 't' : -1;
    PQclear(res);
    return rc;
}

static int db_fail(PGconn *c, const char *doing, struct cp_error *err)
{
    char why[512];
    snprintf(why, sizeof why, "%s", PQerrorMessage(c));
    why[strcspn(why, "\n")] = '\0';
    return cp_fail(err, CP_EXIT_USAGE, "cannot %s in PostgreSQL: %s", doing, why);
}

int runlock_pg_take(struct runlock *lk, const struct runlock_spec *spec, struct cp_error *err)
{
    PGconn *c = NULL;
    struct runlock_owner o, me;
    char key[32];
    lk->fd = -1;
    lk->stale_pid = 0;
    lk->pg = NULL;
    lk->pg_key = lock_key(spec);
    snprintf(key, sizeof key, "%lld", lk->pg_key);
    if (pg_conn_open(spec->url, spec->password_file, &c, err) < 0)
        return -1;
    if (pg_state_tables(c, err) < 0)
        goto fail;
    double deadline = clock_now() + spec->wait;
    int told = 0, got;
    while ((got = try_lock(c, key)) == 0) {
        read_owner(c, key, &o);
        if (clock_now() >= deadline) {
            runlock_refuse(spec->what, &o, err);
            if (spec->wait > 0)
                cp_error_prefix(err, "--wait-lock: still held after the wait");
            goto fail;
        }
        if (!told++)
            runlock_tell_wait(spec->what, &o, spec->wait);
        usleep(100 * 1000);
    }
    if (got < 0) {
        db_fail(c, "take the run lock", err);
        goto fail;
    }
    runlock_self(&me, spec->pipeline);
    if (read_owner(c, key, &o) == 1 && (o.pid != me.pid || strcmp(o.host, me.host) != 0))
        lk->stale_pid = o.pid; /* it held the lock and its session is gone: it did not finish */
    if (write_owner(c, key, spec, &me) < 0) {
        db_fail(c, "record the run lock's owner", err);
        goto fail;
    }
    lk->pg = c;
    return 0;
fail:
    PQfinish(c);
    return -1;
}

void runlock_pg_release(struct runlock *lk)
{
    PGconn *c = lk->pg;
    char key[32], pid[32], host[128];
    snprintf(key, sizeof key, "%lld", lk->pg_key);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    struct runlock_owner me;
    runlock_self(&me, NULL);
    snprintf(host, sizeof host, "%s", me.host);
    /* After a database restart the lock is already gone with the session;
     * a fresh one still marks the run finished, so the next run does not
     * report it as crashed. */
    if (PQstatus(c) != CONNECTION_OK)
        PQreset(c);
    const char *values[] = {key, pid, host};
    PQclear(PQexecParams(c,
                         "UPDATE cloutly_run_owner SET held = false"
                         " WHERE lock_key = $1 AND pid = $2 AND host = $3",
                         3, NULL, values, NULL, NULL, 0));
    PQfinish(c); /* ending the session releases the advisory lock */
    lk->pg = NULL;
}
