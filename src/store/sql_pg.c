/*
 * The statement layer on PostgreSQL (see sql.h): SQLite's `?N` placeholders
 * rewritten to `$N`, values sent as text with their types (so `?3 IS NULL
 * OR business_id = ?3` is typed as SQLite would take it), one round trip
 * per statement with PQexecParams. No server-side prepared statements: a
 * ledger statement runs once per row at the API's pace, and a connection
 * that was reset needs no re-preparing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql_impl.h"

/* The first line of libpq's words for the last failure, into db->msg. */
static void keep_error(struct sql_db *db, const PGresult *res)
{
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = PQerrorMessage(db->pg);
    snprintf(db->msg, sizeof db->msg, "%s", m && *m ? m : "unknown error");
    db->msg[strcspn(db->msg, "\n")] = '\0';
}

/*
 * A connection lost (the server restarted, a network blip) fails the
 * statement that found it so, and every ledger operation gives up on its
 * first failure (rolling back). The statement after that one reconnects:
 * it starts a new operation, so nothing half-done continues on the new
 * session. What the lost statement did is not guessed at: an intent whose
 * commit was never confirmed is found by the next run as in doubt.
 */
static void revive(struct sql_db *db)
{
    if (PQstatus(db->pg) == CONNECTION_BAD)
        PQreset(db->pg);
}

int sql_pg_exec(struct sql_db *db, const char *sql)
{
    revive(db);
    PGresult *res = PQexec(db->pg, sql);
    ExecStatusType s = PQresultStatus(res);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok)
        keep_error(db, res);
    PQclear(res);
    return ok ? 0 : -1;
}

/* `?N` -> `$N`, `?` -> `$<next>`, outside '...' and "..."; the highest
 * number used is the statement's parameter count. */
static char *rewrite(const char *sql, int *nparams)
{
    /* A bare '?' becomes at most "$" and five digits. */
    size_t cap = strlen(sql) * 6 + 1;
    char *out = malloc(cap), *o = out;
    int next = 0, max = 0;
    char quote = 0;
    if (!out)
        return NULL;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            *o++ = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
        } else if (*p == '?') {
            int num = 0;
            const char *d = p + 1;
            while (*d >= '0' && *d <= '9')
                num = num * 10 + (*d++ - '0');
            if (d == p + 1)
                num = ++next;
            else
                next = num;
            if (num > max)
                max = num;
            o += snprintf(o, cap - (size_t)(o - out), "$%d", num);
            p = d - 1;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    *nparams = max;
    return out;
}

int sql_pg_prepare(struct sql_db *db, const char *sql, struct sql_stmt *st)
{
    if (!(st->text = rewrite(sql, &st->nparams))) {
        snprintf(db->msg, sizeof db->msg, "out of memory");
        return -1;
    }
    if (st->nparams > 0) {
        st->vals = calloc((size_t)st->nparams, sizeof *st->vals);
        st->types = calloc((size_t)st->nparams, sizeof *st->types);
        if (!st->vals || !st->types) {
            snprintf(db->msg, sizeof db->msg, "out of memory");
            return -1;
        }
    }
    return 0;
}

void sql_pg_bind(struct sql_stmt *st, int i, const char *s, Oid type)
{
    if (i < 1 || i > st->nparams)
        return; /* not in the statement: SQLite ignores it too (SQLITE_RANGE) */
    free(st->vals[i - 1]);
    st->vals[i - 1] = s ? strdup(s) : NULL;
    st->types[i - 1] = type;
}

int sql_pg_step(struct sql_stmt *st)
{
    struct sql_db *db = st->db;
    if (st->row < 0) {
        revive(db);
        st->res = PQexecParams(db->pg, st->text, st->nparams, st->types,
                               (const char *const *)st->vals, NULL, NULL, 0);
        ExecStatusType s = PQresultStatus(st->res);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            keep_error(db, st->res);
            PQclear(st->res);
            st->res = NULL;
            return -1;
        }
        const char *n = PQcmdTuples(st->res);
        db->changes = n && *n ? strtol(n, NULL, 10) : 0;
        st->row = 0;
    }
    if (st->row < PQntuples(st->res)) {
        st->row++;
        return SQL_ROW;
    }
    return SQL_DONE;
}

void sql_pg_release(struct sql_stmt *st, int keep_params)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    if (keep_params)
        return;
    for (int i = 0; st->vals && i < st->nparams; i++)
        free(st->vals[i]);
    free(st->vals);
    free(st->types);
    free(st->text);
    st->vals = NULL;
    st->types = NULL;
    st->text = NULL;
}
