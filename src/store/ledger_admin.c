/*
 * Looking after the account's ledger: GDPR erasure with a tombstone, and
 * merging in the per-pipeline ledgers of earlier versions. Both are single
 * transactions: an erasure or a merge happens whole or not at all.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "store/ledger_internal.h"

/* Which attempts an erasure covers: ?1 email, ?2 phone, ?3 before. */
#define FORGET_WHERE                                                                               \
    "((?1 IS NOT NULL AND email = ?1) OR (?2 IS NOT NULL AND phone = ?2) OR "                      \
    "(?1 IS NULL AND ?2 IS NULL AND created_at < ?3))"

/* Put the hash of every distinct `col` ("email" or "phone") of the erased
 * attempts on the suppression list (hashed here, so both backends agree). */
static int suppress_erased(struct ledger *l, const char *col, const char *email, const char *phone,
                           time_t before, struct cp_error *err)
{
    char sql[400];
    struct sql_stmt *st;
    int rc;
    snprintf(sql, sizeof sql,
             "SELECT DISTINCT %s FROM attempts WHERE %s IS NOT NULL AND " FORGET_WHERE, col, col);
    if (ledger_prepare(l, sql, SQL_ARGS(SQL_TEXT(email), SQL_TEXT(phone), SQL_INT(before)), &st,
                       err) < 0)
        return -1;
    while ((rc = sql_step(st)) == SQL_ROW) {
        const char *v = sql_col_text(st, 0);
        if (v && ledger_suppress_add(l, col, v, "forget", err) < 0) {
            sql_finalize(st);
            return -1;
        }
    }
    sql_finalize(st);
    return rc == SQL_DONE ? 0 : ledger_db_fail(l, err, "lookup failed");
}

int ledger_forget(struct ledger *l, const char *email, const char *phone, time_t before,
                  int suppress, long *n, struct cp_error *err)
{
    char what[200];
    *n = 0;
    if (ledger_begin(l, err) < 0)
        return -1;
    if (suppress && (suppress_erased(l, "email", email, phone, before, err) < 0 ||
                     suppress_erased(l, "phone", email, phone, before, err) < 0))
        goto fail;
    /* A person asked to be left alone who was never invited is suppressed too. */
    if (suppress && email && ledger_suppress_add(l, "email", email, "forget", err) < 0)
        goto fail;
    if (suppress && phone && ledger_suppress_add(l, "phone", phone, "forget", err) < 0)
        goto fail;
    long erased = ledger_write(
        l,
        "UPDATE attempts SET email = NULL, phone = NULL, first_name = NULL, "
        "last_name = NULL, source_contact_id = NULL, timezone = NULL, "
        "contact_id = NULL, reason = 'personal data erased on request' WHERE " FORGET_WHERE,
        SQL_ARGS(SQL_TEXT(email), SQL_TEXT(phone), SQL_INT(before)), err);
    if (erased < 0)
        goto fail;
    *n = erased;
    if (email || phone)
        snprintf(what, sizeof what, "one contact (%s%s%s)", email ? "email" : "",
                 email && phone ? " and " : "", phone ? "phone" : "");
    else {
        struct tm tm;
        gmtime_r(&before, &tm);
        strftime(what, sizeof what, "every attempt before %Y-%m-%dT%H:%M:%SZ", &tm);
    }
    if (ledger_write(
            l,
            "INSERT INTO erasures(what, attempts, suppressed, created_at) "
            "VALUES (?1, ?2, ?3, ?4)",
            SQL_ARGS(SQL_TEXT(what), SQL_INT(*n), SQL_INT(suppress), SQL_INT(clock_wall())),
            err) < 0)
        goto fail;
    return ledger_commit(l, err);
fail:
    ledger_rollback(l);
    return -1;
}

static char *real_path(const char *path)
{
    char buf[PATH_MAX];
    return strdup(realpath(path, buf) ? buf : path);
}

int ledger_was_merged(struct ledger *l, const char *from, struct cp_error *err)
{
    int64_t one;
    char *rp = real_path(from);
    if (!rp)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    int found = ledger_one_int(l, "SELECT 1 FROM merges WHERE path = ?1", SQL_ARGS(SQL_TEXT(rp)),
                               &one, err);
    free(rp);
    return found;
}

int ledger_merge(struct ledger *l, const char *from, long *added, struct cp_error *err)
{
    struct ledger *old = NULL;
    struct ledger_copy_counts n;
    char *rp = NULL;
    int rc = -1;
    *added = 0;
    if (!(rp = real_path(from)))
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    char *self = ledger_is_pg(l) ? NULL : real_path(l->path);
    int same = !ledger_is_pg(l) && (!self || strcmp(self, rp) == 0);
    free(self);
    if (same) {
        cp_fail(err, CP_EXIT_USAGE, "ledger merge: '%s' is this ledger itself", from);
        goto out;
    }
    /* Opening it read-write brings it to our schema, so the copy is column for column. */
    if (ledger_open(from, 0, &old, err) < 0)
        goto out;
    /* The copy and the merges row in one transaction: merged whole, once. */
    if (ledger_begin(l, err) < 0)
        goto out;
    if (ledger_copy_into(old, l, &n, err) < 0)
        goto rollback;
    *added = n.attempts;
    if (ledger_write(l,
                     "INSERT INTO merges(path, attempts, merged_at) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT(path) DO UPDATE SET attempts = excluded.attempts, "
                     "merged_at = excluded.merged_at",
                     SQL_ARGS(SQL_TEXT(rp), SQL_INT(*added), SQL_INT(clock_wall())), err) < 0)
        goto rollback;
    rc = ledger_commit(l, err);
    goto out;
rollback:
    ledger_rollback(l);
out:
    ledger_close(old);
    free(rp);
    return rc;
}
