/*
 * The ledger's one-step answer to "may this row be sent now?": the
 * suppression list, the account-wide cooldown and the intent in a single
 * write transaction (see ledger_claim in ledger.h), plus the suppression
 * list itself. Pipelines of one account run side by side, so the check
 * and the intent must not be two steps: between them another process could
 * claim the same person.
 */
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "store/ledger_internal.h"

int ledger_begin(struct ledger *l, struct cp_error *err)
{
    /* IMMEDIATE takes the write lock now, so what is read inside the
     * transaction cannot change before its writes commit. A batch of
     * deferrals still open is committed first. */
    if (ledger_end_deferrals(l) < 0 || ledger_exec(l->db, "BEGIN IMMEDIATE") < 0)
        return ledger_db_fail(l, l->db, err, "cannot start a transaction");
    return 0;
}

int ledger_commit(struct ledger *l, struct cp_error *err)
{
    if (ledger_exec(l->db, "COMMIT") < 0) {
        ledger_db_fail(l, l->db, err, "cannot commit");
        ledger_rollback(l);
        return -1;
    }
    return 0;
}

void ledger_rollback(struct ledger *l)
{
    ledger_exec(l->db, "ROLLBACK");
}

int ledger_suppressed(struct ledger *l, const char *email, const char *phone,
                      struct ledger_prior *prior, struct cp_error *err)
{
    char ek[65] = "", pk[65] = "";
    sqlite3_stmt *st;
    if (email && *email)
        ledger_key_hash("email", email, ek);
    if (phone && *phone)
        ledger_key_hash("phone", phone, pk);
    if (!ek[0] && !pk[0])
        return 0;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT kind, source, created_at FROM suppressions WHERE key_hash IN "
                           "(?1, ?2) ORDER BY created_at LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    ledger_bind_text(st, 1, ek);
    ledger_bind_text(st, 2, pk);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        memset(prior, 0, sizeof *prior);
        ledger_copy_col(st, 0, prior->status, sizeof prior->status);
        ledger_copy_col(st, 1, prior->reason, sizeof prior->reason);
        prior->at = (time_t)sqlite3_column_int64(st, 2);
        prior->sms_left = -1;
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = ledger_db_fail(l, l->db, err, "lookup failed");
    }
    sqlite3_finalize(st);
    return found;
}

int ledger_suppress_add(struct ledger *l, const char *kind, const char *value, const char *source,
                        struct cp_error *err)
{
    char key[65];
    sqlite3_stmt *st;
    ledger_key_hash(kind, value, key);
    if (ledger_write_stmt(l,
                          "INSERT OR IGNORE INTO suppressions(key_hash, kind, source, "
                          "created_at) VALUES (?1, ?2, ?3, ?4)",
                          err, &st) < 0)
        return -1;
    ledger_bind_text(st, 1, key);
    ledger_bind_text(st, 2, kind);
    ledger_bind_text(st, 3, source);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)clock_wall());
    if (ledger_finish_write(l, st, err) < 0)
        return -1;
    return sqlite3_changes(l->db) > 0;
}

/* The latest attempt that may have reached this person within the cooldown,
 * from any other file of any pipeline of the account. */
static int cooldown_prior(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *out,
                          struct cp_error *err)
{
    sqlite3_stmt *st;
    const struct row_result *r = c->r;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT " LEDGER_PRIOR_COLUMNS " FROM attempts WHERE "
                           "(?3 IS NULL OR business_id = ?3) AND "
                           "(email = ?1 OR phone = ?2) AND created_at >= ?4 AND "
                           "file_hash <> ?5 AND status IN ('sent', 'intent', 'in_doubt') "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    ledger_bind_text(st, 1, strbuf_str(&r->email));
    ledger_bind_text(st, 2, strbuf_str(&r->phone));
    ledger_bind_text(st, 3, c->cooldown_account ? NULL : strbuf_str(&r->business_id));
    sqlite3_bind_int64(st, 4, (sqlite3_int64)c->cooldown_since);
    ledger_bind_text(st, 5, c->file_hash);
    return ledger_one_prior(l, st, out, err);
}

/* This file's row, sent or in flight by another run (another pipeline fed
 * the same bytes): the input lock normally prevents that; this makes sure. */
static int taken_prior(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *out,
                       struct cp_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT " LEDGER_PRIOR_COLUMNS " FROM attempts WHERE file_hash = ?1 AND "
                           "input_row = ?2 AND run_id <> ?3 AND (status IN ('sent', 'intent') OR "
                           "(status = 'in_doubt' AND ?4 = 0)) ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    ledger_bind_text(st, 1, c->file_hash);
    sqlite3_bind_int64(st, 2, c->r->input_row);
    ledger_bind_text(st, 3, c->run_id);
    sqlite3_bind_int(st, 4, c->allow_in_doubt);
    return ledger_one_prior(l, st, out, err);
}

static int insert_intent(struct ledger *l, const struct ledger_claim *c, int64_t *attempt_id,
                         struct cp_error *err)
{
    sqlite3_stmt *st;
    const struct row_result *r = c->r;
    if (ledger_write_stmt(l,
                          "INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, "
                          "phone, first_name, business_id, campaign_id, status, created_at, "
                          "updated_at, body_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                          "'intent', ?10, ?10, ?11)",
                          err, &st) < 0)
        return -1;
    ledger_bind_text(st, 1, c->run_id);
    ledger_bind_text(st, 2, c->file_path);
    ledger_bind_text(st, 3, c->file_hash);
    sqlite3_bind_int64(st, 4, r->input_row);
    ledger_bind_text(st, 5, strbuf_str(&r->email));
    ledger_bind_text(st, 6, strbuf_str(&r->phone));
    ledger_bind_text(st, 7, strbuf_str(&r->first_name));
    ledger_bind_text(st, 8, strbuf_str(&r->business_id));
    ledger_bind_text(st, 9, c->campaign_id);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)clock_wall());
    ledger_bind_text(st, 11, c->body_hash);
    if (ledger_finish_write(l, st, err) < 0)
        return -1;
    *attempt_id = sqlite3_last_insert_rowid(l->db);
    return 0;
}

int ledger_claim(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *prior,
                 int64_t *attempt_id, struct cp_error *err)
{
    const struct row_result *r = c->r;
    int found, rc;
    if (ledger_begin(l, err) < 0)
        return -1;
    found = ledger_suppressed(l, strbuf_str(&r->email), strbuf_str(&r->phone), prior, err);
    if (found) {
        rc = found < 0 ? -1 : LEDGER_SUPPRESSED;
        goto done;
    }
    found = c->cooldown_since > 0 ? cooldown_prior(l, c, prior, err) : 0;
    if (found) {
        rc = found < 0 ? -1 : LEDGER_COOLDOWN;
        goto done;
    }
    found = taken_prior(l, c, prior, err);
    if (found) {
        rc = found < 0 ? -1 : LEDGER_TAKEN;
        goto done;
    }
    if (insert_intent(l, c, attempt_id, err) < 0) {
        rc = -1;
        goto done;
    }
    /* synchronous=FULL: the intent is on disk when COMMIT returns. */
    return ledger_commit(l, err) < 0 ? -1 : LEDGER_CLAIMED;
done:
    ledger_rollback(l);
    return rc;
}
