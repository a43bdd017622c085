/* The statement layer's one face over two backends: see sql.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql_impl.h"

#define PG_INT8 20
#define PG_TEXT 25

static struct sql_db *wrap(enum sql_kind kind)
{
    struct sql_db *db = calloc(1, sizeof *db);
    if (db)
        db->kind = kind;
    return db;
}

struct sql_db *sql_wrap_sqlite(sqlite3 *lite)
{
    struct sql_db *db = wrap(SQL_SQLITE);
    if (!db)
        sqlite3_close(lite);
    else
        db->lite = lite;
    return db;
}

struct sql_db *sql_wrap_pg(PGconn *conn)
{
    struct sql_db *db = wrap(SQL_PG);
    if (!db)
        PQfinish(conn);
    else
        db->pg = conn;
    return db;
}

void sql_close(struct sql_db *db)
{
    if (!db)
        return;
    if (db->lite)
        sqlite3_close(db->lite);
    if (db->pg)
        PQfinish(db->pg);
    free(db);
}

enum sql_kind sql_kind(const struct sql_db *db)
{
    return db->kind;
}

sqlite3 *sql_sqlite_handle(struct sql_db *db)
{
    return db->lite;
}

PGconn *sql_pg_handle(struct sql_db *db)
{
    return db->pg;
}

const char *sql_errmsg(const struct sql_db *db)
{
    if (!db)
        return "out of memory";
    if (db->kind == SQL_SQLITE)
        return sqlite3_errmsg(db->lite);
    return db->msg[0] ? db->msg : "unknown error";
}

int sql_exec(struct sql_db *db, const char *sql)
{
    if (db->kind == SQL_SQLITE)
        return sqlite3_exec(db->lite, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    return sql_pg_exec(db, sql);
}

int sql_prepare(struct sql_db *db, const char *sql, struct sql_stmt **out)
{
    struct sql_stmt *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st) {
        if (db->kind == SQL_PG)
            snprintf(db->msg, sizeof db->msg, "out of memory");
        return -1;
    }
    st->db = db;
    st->row = -1;
    int rc = db->kind == SQL_SQLITE ? sql_lite_prepare(db, sql, st) : sql_pg_prepare(db, sql, st);
    if (rc < 0) {
        sql_finalize(st);
        return -1;
    }
    *out = st;
    return 0;
}

void sql_bind_text(struct sql_stmt *st, int i, const char *s)
{
    if (st->lite) {
        if (s)
            sqlite3_bind_text(st->lite, i, s, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st->lite, i);
    } else {
        /* A NULL text is typed text too: `?1 IS NULL` alone cannot tell
         * PostgreSQL what ?1 is. */
        sql_pg_bind(st, i, s, PG_TEXT);
    }
}

void sql_bind_int64(struct sql_stmt *st, int i, int64_t v)
{
    if (st->lite) {
        sqlite3_bind_int64(st->lite, i, (sqlite3_int64)v);
    } else {
        char num[24];
        snprintf(num, sizeof num, "%" PRId64, v);
        sql_pg_bind(st, i, num, PG_INT8);
    }
}

void sql_bind_null(struct sql_stmt *st, int i)
{
    /* Untyped on PostgreSQL: the column it goes into or is compared with decides. */
    if (st->lite)
        sqlite3_bind_null(st->lite, i);
    else
        sql_pg_bind(st, i, NULL, 0);
}

void sql_bind_args(struct sql_stmt *st, const struct sql_arg *args, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int i = (int)k + 1;
        if (args[k].kind == SQL_ARG_INT)
            sql_bind_int64(st, i, args[k].i);
        else if (args[k].kind == SQL_ARG_TEXT)
            sql_bind_text(st, i, args[k].s && *args[k].s ? args[k].s : NULL);
        else
            sql_bind_null(st, i);
    }
}

int sql_step(struct sql_stmt *st)
{
    return st->lite ? sql_lite_step(st) : sql_pg_step(st);
}

void sql_reset(struct sql_stmt *st)
{
    if (st->lite)
        sqlite3_reset(st->lite);
    else
        sql_pg_release(st, 1);
}

void sql_finalize(struct sql_stmt *st)
{
    if (!st)
        return;
    if (st->lite)
        sqlite3_finalize(st->lite);
    sql_pg_release(st, 0);
    free(st);
}

const char *sql_col_text(struct sql_stmt *st, int i)
{
    if (st->lite)
        return (const char *)sqlite3_column_text(st->lite, i);
    if (!st->res || st->row < 1 || PQgetisnull(st->res, st->row - 1, i))
        return NULL;
    return PQgetvalue(st->res, st->row - 1, i);
}

int64_t sql_col_int64(struct sql_stmt *st, int i)
{
    if (st->lite)
        return (int64_t)sqlite3_column_int64(st->lite, i);
    const char *s = sql_col_text(st, i);
    return s ? (int64_t)strtoll(s, NULL, 10) : 0;
}

int sql_col_is_null(struct sql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
    return sql_col_text(st, i) == NULL;
}

long sql_changes(const struct sql_db *db)
{
    return db->kind == SQL_SQLITE ? (long)sqlite3_changes(db->lite) : db->changes;
}
