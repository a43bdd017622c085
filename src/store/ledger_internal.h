/*
 * Inside the ledger: the handle and the statement helpers that ledger.c and
 * its companions (ledger_claim.c, ledger_admin.c, ledger_report.c) share.
 * Only store/ledger*.c include this.
 */
#ifndef CLOUTLY_LEDGER_INTERNAL_H
#define CLOUTLY_LEDGER_INTERNAL_H

#include <sqlite3.h>

#include "store/ledger.h"

struct ledger {
    sqlite3 *db;
    char *path;
    int deferrals; /* ledger_defer rows in the open transaction, 0 when none */
};

#define LEDGER_PRIOR_COLUMNS                                                                       \
    "id, status, contact_id, file_path, http_status, sms_left, sms_renews, reason, created_at, "   \
    "body_hash"

/* err from the connection's last error, naming the ledger: always -1. */
int ledger_db_fail(struct ledger *l, sqlite3 *db, struct cp_error *err, const char *what);
/* One statement with no result: 0 or -1. */
int ledger_exec(sqlite3 *db, const char *sql);
/* Commit a batch of deferrals, if one is open: before any other transaction. */
int ledger_end_deferrals(struct ledger *l);
/* Bind NULL for NULL or "". */
void ledger_bind_text(sqlite3_stmt *st, int i, const char *s);
void ledger_copy_col(sqlite3_stmt *st, int i, char *dst, size_t len);
/* A row of LEDGER_PRIOR_COLUMNS. */
void ledger_read_prior(sqlite3_stmt *st, struct ledger_prior *out);
/* Step a prepared query expected to give at most one prior, finalizing it:
 * 1 found, 0 none, -1 with err. */
int ledger_one_prior(struct ledger *l, sqlite3_stmt *st, struct ledger_prior *out,
                     struct cp_error *err);
int ledger_write_stmt(struct ledger *l, const char *sql, struct cp_error *err, sqlite3_stmt **out);
/* Step a write to done and finalize it: 0 or -1 with err. */
int ledger_finish_write(struct ledger *l, sqlite3_stmt *st, struct cp_error *err);

#endif
