/*
 * Inside the statement layer: the handles both backends fill, and each
 * backend's functions that sql.c dispatches to. Only store/sql*.c include it.
 */
#ifndef CLOUTLY_SQL_IMPL_H
#define CLOUTLY_SQL_IMPL_H

#include "store/sql.h"

struct sql_db {
    enum sql_kind kind;
    sqlite3 *lite;
    PGconn *pg;
    long changes;  /* PostgreSQL: rows the last command changed */
    char msg[512]; /* PostgreSQL: the last error */
};

struct sql_stmt {
    struct sql_db *db;
    sqlite3_stmt *lite;
    /* PostgreSQL: the rewritten text, the values as text, their types, and
     * the result once sent. */
    char *text;
    int nparams;
    char **vals;
    Oid *types;
    PGresult *res;
    int row; /* the next row of res to hand out; -1: not sent yet */
};

int sql_lite_prepare(struct sql_db *db, const char *sql, struct sql_stmt *st);
int sql_lite_step(struct sql_stmt *st);

int sql_pg_exec(struct sql_db *db, const char *sql);
int sql_pg_prepare(struct sql_db *db, const char *sql, struct sql_stmt *st);
void sql_pg_bind(struct sql_stmt *st, int i, const char *s, Oid type);
int sql_pg_step(struct sql_stmt *st);
void sql_pg_release(struct sql_stmt *st, int keep_params);

#endif
