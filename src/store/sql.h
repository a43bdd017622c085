/*
 * A small statement layer under the ledger, with two backends: SQLite (the
 * embedded default, a file) and PostgreSQL (libpq, when the state location
 * is a postgresql:// URL). The ledger is written once on top of it, so the
 * same SQL runs on both; where the dialects differ the ledger asks
 * sql_kind() and picks the text.
 *
 * Placeholders are SQLite's: `?N` (numbered) or `?` (the next number); on
 * PostgreSQL they are rewritten to `$N` (outside quoted literals). Binding
 * is by number from 1; a number never bound is NULL. Values come back as
 * text or int64 whatever the backend (PostgreSQL is read in text mode).
 *
 * A statement is run by sql_step(): SQL_ROW while it has rows, then
 * SQL_DONE; -1 on an error, whose words sql_errmsg() gives. On PostgreSQL
 * the statement is sent at the first step with the types of its bound
 * values (text, int8) and the whole result is read then, so another
 * statement may run while a result is being read.
 *
 * Ownership: a sql_db owns its connection (sql_close closes it); a
 * sql_stmt belongs to its caller until sql_finalize; the text sql_col_text
 * returns lives until the next step or finalize of that statement. Bound
 * strings are copied.
 */
#ifndef CLOUTLY_SQL_H
#define CLOUTLY_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <sqlite3.h>

enum sql_kind { SQL_SQLITE, SQL_PG };
enum { SQL_DONE = 0, SQL_ROW = 1 };

struct sql_db;
struct sql_stmt;

/* Take over an open connection (closed on failure): NULL when out of memory. */
struct sql_db *sql_wrap_sqlite(sqlite3 *db);
struct sql_db *sql_wrap_pg(PGconn *conn);
void sql_close(struct sql_db *db);

enum sql_kind sql_kind(const struct sql_db *db);
/* The backend's own handle, for what only it can do (PRAGMA, ATTACH, functions). */
sqlite3 *sql_sqlite_handle(struct sql_db *db);
PGconn *sql_pg_handle(struct sql_db *db);

/* The last error's words (never empty after a failure). */
const char *sql_errmsg(const struct sql_db *db);

/* One or more statements without parameters or rows: 0 or -1. */
int sql_exec(struct sql_db *db, const char *sql);

/* 0 and *out, or -1 (sql_errmsg says why). */
int sql_prepare(struct sql_db *db, const char *sql, struct sql_stmt **out);
/* `s` NULL binds NULL. */
void sql_bind_text(struct sql_stmt *st, int i, const char *s);
void sql_bind_int64(struct sql_stmt *st, int i, int64_t v);
void sql_bind_null(struct sql_stmt *st, int i);
int sql_step(struct sql_stmt *st);
/* Run it again from the start with the same SQL (bindings kept). */
void sql_reset(struct sql_stmt *st);
void sql_finalize(struct sql_stmt *st);

/* Column i of the current row: text (NULL for NULL), int64 (0 for NULL). */
const char *sql_col_text(struct sql_stmt *st, int i);
int64_t sql_col_int64(struct sql_stmt *st, int i);
int sql_col_is_null(struct sql_stmt *st, int i);

/* Rows the last statement stepped to SQL_DONE on `db` changed. */
long sql_changes(const struct sql_db *db);

/*
 * Arguments as values, bound in order from ?1: what the ledger's helpers
 * take, so a query and its values read as one call and the types are
 * checked by the compiler, e.g.
 *   SQL_ARGS(SQL_TEXT(file_hash), SQL_INT(row))
 */
enum sql_arg_kind { SQL_ARG_TEXT, SQL_ARG_INT, SQL_ARG_NULL };
struct sql_arg {
    enum sql_arg_kind kind;
    const char *s; /* SQL_ARG_TEXT: NULL or "" bind NULL (the ledger stores no empty strings) */
    int64_t i;     /* SQL_ARG_INT */
};
#define SQL_TEXT(x) ((struct sql_arg){SQL_ARG_TEXT, (x), 0})
#define SQL_INT(x)  ((struct sql_arg){SQL_ARG_INT, NULL, (int64_t)(x)})
#define SQL_NULL    ((struct sql_arg){SQL_ARG_NULL, NULL, 0})
#define SQL_ARGS(...)                                                                              \
    (const struct sql_arg[]){__VA_ARGS__},                                                         \
        sizeof((const struct sql_arg[]){__VA_ARGS__}) / sizeof(struct sql_arg)
#define SQL_NO_ARGS NULL, 0

void sql_bind_args(struct sql_stmt *st, const struct sql_arg *args, size_t n);

#endif
