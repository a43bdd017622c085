/*
 * Inside the ledger: the handle and the helpers that ledger.c and its
 * companions (ledger_claim.c, ledger_admin.c, ledger_report.c,
 * ledger_copy.c, ledger_pg.c) share. Only store/ledger*.c include this.
 *
 * Every look-up and write goes through the helpers below: one call with
 * its SQL and its values (SQL_ARGS), on whichever backend the ledger is
 * (store/sql.h), with the error named after the ledger.
 */
#ifndef CLOUTLY_LEDGER_INTERNAL_H
#define CLOUTLY_LEDGER_INTERNAL_H

#include "store/ledger.h"
#include "store/sql.h"

struct ledger {
    struct sql_db *db;
    char *path;    /* for messages: the file, or the URL without its password */
    int deferrals; /* ledger_defer rows in the open transaction, 0 when none */
};

#define LEDGER_PRIOR_COLUMNS                                                                       \
    "id, status, contact_id, file_path, http_status, sms_left, sms_renews, reason, created_at, "   \
    "body_hash"

/*
 * PostgreSQL's advisory locks of the ledger, as (class, object) pairs: the
 * two-number form, whose key space does not overlap the one-number form
 * that other users of the database may take. Advisory locks are per
 * database, and a ledger's database is its account's.
 */
#define LEDGER_PG_LOCK_CLASS   1131179893 /* "Clou" */
#define LEDGER_PG_LOCK_WRITE   1          /* transaction-scoped: the claim, erasures, merges */
#define LEDGER_PG_LOCK_MIGRATE 2          /* session-scoped while the schema is migrated */

/* err from the connection's last error, naming the ledger: always -1. */
int ledger_db_fail(struct ledger *l, struct cp_error *err, const char *what);
/* One or more statements with no parameters or result: 0 or -1. */
int ledger_exec(struct ledger *l, const char *sql);
/* Commit a batch of deferrals, if one is open: before any other transaction. */
int ledger_end_deferrals(struct ledger *l);
void ledger_copy_col(struct sql_stmt *st, int i, char *dst, size_t len);
/* A row of LEDGER_PRIOR_COLUMNS. */
void ledger_read_prior(struct sql_stmt *st, struct ledger_prior *out);

/* Prepare `sql` with its values bound: 0 and *out, or -1 with err. */
int ledger_prepare(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                   struct sql_stmt **out, struct cp_error *err);
/* A query giving at most one row of LEDGER_PRIOR_COLUMNS: 1 found, 0 none, -1 with err. */
int ledger_one_prior(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                     struct ledger_prior *out, struct cp_error *err);
/* A query giving at most one integer: 1 and *v, 0 no row, -1 with err. */
int ledger_one_int(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                   int64_t *v, struct cp_error *err);
/* A write, durable when it returns outside a transaction (an open batch of
 * deferrals is committed first): the rows changed, or -1 with err. */
long ledger_write(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                  struct cp_error *err);
/* An INSERT ... RETURNING id (SQLite 3.35 and PostgreSQL): 0 and *id, or -1. */
int ledger_insert(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                  int64_t *id, struct cp_error *err);

/* ledger_defer, giving the deferral's attempt id (still in the open batch). */
int ledger_defer_insert(struct ledger *l, const char *run_id, const char *file_path,
                        const char *file_hash, const char *campaign_id, const struct row_result *r,
                        time_t not_before, int64_t *id, struct cp_error *err);

/* ledger_copy inside a transaction the caller holds on `to`. */
int ledger_copy_into(struct ledger *from, struct ledger *to, struct ledger_copy_counts *n,
                     struct cp_error *err);

/* SQLite's migration step `version` (1-based), for ledger_pg.c's shared steps. */
const char *ledger_sqlite_migration(int version);

/* The PostgreSQL side of ledger_open (ledger_pg.c): connect to `url`,
 * bring the schema to `target` under the migration lock. With `readonly`
 * a database where no ledger was ever made gives *out NULL. */
int ledger_pg_open(const char *url, const char *password_file, int readonly, int target,
                   struct ledger **out, struct cp_error *err);

#endif
