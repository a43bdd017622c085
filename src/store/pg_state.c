/* The budget's and the run locks' tables in PostgreSQL: see pg_state.h. */
#include "store/pg_state.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"

/* pg_advisory_xact_lock key for creating the tables: "cloutlyS" as bytes. */
#define PG_STATE_DDL_LOCK "7164536336655275347"

static const char *const DDL =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(" PG_STATE_DDL_LOCK ");"
    "CREATE TABLE IF NOT EXISTS cloutly_budget ("
    " account text PRIMARY KEY,"
    " next double precision NOT NULL,"          /* the next slot, server epoch seconds */
    " slowdown double precision NOT NULL,"      /* >= 1 after 429s */
    " wide_interval double precision NOT NULL," /* the widest interval a live worker asked */
    " wide_until double precision NOT NULL,"    /* when that claim lapses */
    " asked_at double precision NOT NULL);"     /* the server's clock at the last booking */
    "CREATE TABLE IF NOT EXISTS cloutly_run_owner ("
    " lock_key bigint PRIMARY KEY,"
    " account text NOT NULL, kind text NOT NULL, id text NOT NULL,"
    " pid bigint NOT NULL, host text NOT NULL, started text NOT NULL, pipeline text NOT NULL,"
    " held boolean NOT NULL);" /* false once released cleanly */
    "COMMIT;";

int pg_state_ok(PGresult *res, ExecStatusType want)
{
    if (res && PQresultStatus(res) == want)
        return 1;
    PQclear(res);
    return 0;
}

/* Both tables there already: the usual case, and the only one a role
 * without CREATE on the schema (tables made by someone else) can pass. */
static int tables_exist(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT to_regclass('cloutly_budget') IS NOT NULL"
                                 " AND to_regclass('cloutly_run_owner') IS NOT NULL");
    if (!pg_state_ok(res, PGRES_TUPLES_OK))
        return 0;
    int yes = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return yes;
}

int pg_state_tables(PGconn *conn, struct cp_error *err)
{
    if (tables_exist(conn))
        return 0;
    PGresult *res = PQexec(conn, DDL);
    if (pg_state_ok(res, PGRES_COMMAND_OK)) {
        PQclear(res);
        return 0;
    }
    char why[512];
    snprintf(why, sizeof why, "%s", PQerrorMessage(conn));
    why[strcspn(why, "\n")] = '\0';
    PQclear(PQexec(conn, "ROLLBACK"));
    return cp_fail(err, CP_EXIT_USAGE,
                   "cannot create the rate budget's and run locks' tables in PostgreSQL: %s", why);
}

int pg_state_reconnect(PGconn *conn, double *last, double every)
{
    if (PQstatus(conn) == CONNECTION_OK)
        return 0; /* the statement failed for another reason: a reset would not help */
    double now = clock_now();
    if (*last > 0 && now - *last < every)
        return 0;
    *last = now;
    PQreset(conn);
    return PQstatus(conn) == CONNECTION_OK;
}
