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

static int run_forget(struct ledger *l, const char *sql, const char *email, const char *phone,
                      time_t before, struct cp_error *err)
{
    sqlite3_stmt *st;
    if (ledger_write_stmt(l, sql, err, &st) < 0)
        return -1;
    ledger_bind_text(st, 1, email);
    ledger_bind_text(st, 2, phone);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)before);
    return ledger_finish_write(l, st, err);
}

int ledger_forget(struct ledger *l, const char *email, const char *phone, time_t before,
                  int suppress, long *n, struct cp_error *err)
{
    char what[200];
    sqlite3_stmt *st;
    *n = 0;
    if (ledger_begin(l, err) < 0)
        return -1;
    if (suppress &&
        (run_forget(l,
                    "INSERT OR IGNORE INTO suppressions(key_hash, kind, source, created_at) "
                    "SELECT DISTINCT cp_key('email', email), 'email', 'forget', strftime('%s') "
                    "FROM attempts WHERE email IS NOT NULL AND " FORGET_WHERE,
                    email, phone, before, err) < 0 ||
         run_forget(l,
                    "INSERT OR IGNORE INTO suppressions(key_hash, kind, source, created_at) "
                    "SELECT DISTINCT cp_key('phone', phone), 'phone', 'forget', strftime('%s') "
                    "FROM attempts WHERE phone IS NOT NULL AND " FORGET_WHERE,
                    email, phone, before, err) < 0))
        goto fail;
    /* A person asked to be left alone who was never invited is suppressed too. */
    if (suppress && email && ledger_suppress_add(l, "email", email, "forget", err) < 0)
        goto fail;
    if (suppress && phone && ledger_suppress_add(l, "phone", phone, "forget", err) < 0)
        goto fail;
    if (run_forget(
            l,
            "UPDATE attempts SET email = NULL, phone = NULL, first_name = NULL, "
            "last_name = NULL, source_contact_id = NULL, timezone = NULL, "
            "contact_id = NULL, reason = 'personal data erased on request' WHERE " FORGET_WHERE,
            email, phone, before, err) < 0)
        goto fail;
    *n = (long)sqlite3_changes(l->db);
    if (email || phone)
        snprintf(what, sizeof what, "one contact (%s%s%s)", email ? "email" : "",
                 email && phone ? " and " : "", phone ? "phone" : "");
    else {
        struct tm tm;
        gmtime_r(&before, &tm);
        strftime(what, sizeof what, "every attempt before %Y-%m-%dT%H:%M:%SZ", &tm);
    }
    if (ledger_write_stmt(l,
                          "INSERT INTO erasures(what, attempts, suppressed, created_at) "
                          "VALUES (?1, ?2, ?3, ?4)",
                          err, &st) < 0)
        goto fail;
    ledger_bind_text(st, 1, what);
    sqlite3_bind_int64(st, 2, *n);
    sqlite3_bind_int(st, 3, suppress);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)clock_wall());
    if (ledger_finish_write(l, st, err) < 0)
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
    sqlite3_stmt *st;
    char *rp = real_path(from);
    if (!rp)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    int found = -1;
    if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM merges WHERE path = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        ledger_bind_text(st, 1, rp);
        int rc = sqlite3_step(st);
        found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    free(rp);
    if (found < 0)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    return found;
}

/* The copy itself, inside the transaction, from the attached `old`. */
static const char merge_sql[] =
    "INSERT INTO runs(run_id, pipeline, file_path, file_hash, pid, started_at, finished_at, "
    "  exit_code, host) "
    "SELECT run_id, pipeline, file_path, file_hash, pid, started_at, finished_at, exit_code, host "
    "FROM old.runs WHERE run_id NOT IN (SELECT run_id FROM main.runs);"
    "INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, phone, first_name, "
    "  business_id, campaign_id, status, contact_id, http_status, sms_left, sms_renews, reason, "
    "  created_at, updated_at, body_hash) "
    "SELECT run_id, file_path, file_hash, input_row, email, phone, first_name, business_id, "
    "  campaign_id, status, contact_id, http_status, sms_left, sms_renews, reason, created_at, "
    "  updated_at, body_hash FROM old.attempts o WHERE NOT EXISTS (SELECT 1 FROM main.attempts m "
    "  WHERE m.run_id = o.run_id AND m.file_hash = o.file_hash AND m.input_row = o.input_row "
    "  AND m.created_at = o.created_at) ORDER BY o.id;";

static const char merge_rest_sql[] =
    "INSERT INTO watermarks(name, value, updated_at) SELECT name, value, updated_at "
    "FROM old.watermarks WHERE true ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at WHERE excluded.updated_at > watermarks.updated_at;"
    "INSERT OR IGNORE INTO suppressions SELECT * FROM old.suppressions;"
    "INSERT INTO erasures(what, attempts, suppressed, created_at) SELECT what, attempts, "
    "suppressed, created_at FROM old.erasures;";

int ledger_merge(struct ledger *l, const char *from, long *added, struct cp_error *err)
{
    struct ledger *old = NULL;
    sqlite3_stmt *st;
    char *rp = NULL;
    int rc = -1, attached = 0;
    *added = 0;
    /* Opening it read-write brings it to our schema, so the copy is column for column. */
    if (ledger_open(from, 0, &old, err) < 0)
        return -1;
    ledger_close(old);
    if (!(rp = real_path(from))) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        goto out;
    }
    char *self = real_path(l->path);
    int same = !self || strcmp(self, rp) == 0;
    free(self);
    if (same) {
        cp_fail(err, CP_EXIT_USAGE, "ledger merge: '%s' is this ledger itself", from);
        goto out;
    }
    if (sqlite3_prepare_v2(l->db, "ATTACH DATABASE ?1 AS old", -1, &st, NULL) != SQLITE_OK) {
        ledger_db_fail(l, l->db, err, "cannot attach");
        goto out;
    }
    ledger_bind_text(st, 1, rp);
    if (ledger_finish_write(l, st, err) < 0)
        goto out;
    attached = 1;
    if (ledger_begin(l, err) < 0)
        goto out;
    if (ledger_exec(l->db, merge_sql) < 0) {
        ledger_db_fail(l, l->db, err, "merge failed");
        goto rollback;
    }
    /* The attempts copied (the last statement of merge_sql): what matters. */
    *added = (long)sqlite3_changes(l->db);
    if (ledger_exec(l->db, merge_rest_sql) < 0) {
        ledger_db_fail(l, l->db, err, "merge failed");
        goto rollback;
    }
    if (ledger_write_stmt(l,
                          "INSERT OR REPLACE INTO merges(path, attempts, merged_at) VALUES "
                          "(?1, ?2, ?3)",
                          err, &st) < 0)
        goto rollback;
    ledger_bind_text(st, 1, rp);
    sqlite3_bind_int64(st, 2, *added);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)clock_wall());
    if (ledger_finish_write(l, st, err) < 0)
        goto rollback;
    rc = ledger_commit(l, err);
    goto out;
rollback:
    ledger_rollback(l);
out:
    if (attached)
        ledger_exec(l->db, "DETACH DATABASE old");
    free(rp);
    return rc;
}
