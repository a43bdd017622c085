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

#define STR2(x) #x
#define STR(x)  STR2(x)

int ledger_begin(struct ledger *l, struct cp_error *err)
{
    /*
     * SQLite: IMMEDIATE takes the write lock now, so what is read inside
     * the transaction cannot change before its writes commit.
     *
     * PostgreSQL: the same effect from a transaction-scoped advisory lock,
     * one per ledger database (so per account), taken first in every write
     * transaction; the server releases it at COMMIT or ROLLBACK, and with
     * the session when a worker dies. Not SERIALIZABLE: a claim's question
     * is "is there NO such attempt?", and two workers that both see none
     * would each commit their intent under READ COMMITTED, while under
     * SERIALIZABLE one of them fails and needs a retry loop around the
     * whole claim. The lock makes the second worker wait the first one's
     * few milliseconds and then see its intent, which is exactly SQLite's
     * single writer; at the API's pace the waiting costs nothing.
     *
     * A batch of deferrals still open is committed first.
     */
    const char *begin = sql_kind(l->db) == SQL_PG
                            ? "BEGIN; SELECT pg_advisory_xact_lock(" STR(
                                  LEDGER_PG_LOCK_CLASS) ", " STR(LEDGER_PG_LOCK_WRITE) ")"
                            : "BEGIN IMMEDIATE";
    if (ledger_end_deferrals(l) < 0 || ledger_exec(l, begin) < 0) {
        ledger_db_fail(l, err, "cannot start a transaction");
        ledger_exec(l, "ROLLBACK");
        return -1;
    }
    return 0;
}

int ledger_commit(struct ledger *l, struct cp_error *err)
{
    if (ledger_exec(l, "COMMIT") < 0) {
        ledger_db_fail(l, err, "cannot commit");
        ledger_rollback(l);
        return -1;
    }
    return 0;
}

void ledger_rollback(struct ledger *l)
{
    ledger_exec(l, "ROLLBACK");
}

int ledger_suppressed(struct ledger *l, const char *email, const char *phone,
                      struct ledger_prior *prior, struct cp_error *err)
{
    char ek[65] = "", pk[65] = "";
    struct sql_stmt *st;
    if (email && *email)
        ledger_key_hash("email", email, ek);
    if (phone && *phone)
        ledger_key_hash("phone", phone, pk);
    if (!ek[0] && !pk[0])
        return 0;
    if (ledger_prepare(l,
                       "SELECT kind, source, created_at FROM suppressions WHERE key_hash IN "
                       "(?1, ?2) ORDER BY created_at LIMIT 1",
                       SQL_ARGS(SQL_TEXT(ek), SQL_TEXT(pk)), &st, err) < 0)
        return -1;
    int rc = sql_step(st), found = 0;
    if (rc == SQL_ROW) {
        memset(prior, 0, sizeof *prior);
        ledger_copy_col(st, 0, prior->status, sizeof prior->status);
        ledger_copy_col(st, 1, prior->reason, sizeof prior->reason);
        prior->at = (time_t)sql_col_int64(st, 2);
        prior->sms_left = -1;
        found = 1;
    } else if (rc != SQL_DONE) {
        found = ledger_db_fail(l, err, "lookup failed");
    }
    sql_finalize(st);
    return found;
}

int ledger_suppress_add(struct ledger *l, const char *kind, const char *value, const char *source,
                        struct cp_error *err)
{
    char key[65];
    ledger_key_hash(kind, value, key);
    long n = ledger_write(
        l,
        "INSERT INTO suppressions(key_hash, kind, source, created_at) VALUES "
        "(?1, ?2, ?3, ?4) ON CONFLICT(key_hash) DO NOTHING",
        SQL_ARGS(SQL_TEXT(key), SQL_TEXT(kind), SQL_TEXT(source), SQL_INT(clock_wall())), err);
    return n < 0 ? -1 : n > 0;
}

/* The latest attempt that may have reached this person within the cooldown,
 * from any other file of any pipeline of the account. */
static int cooldown_prior(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *out,
                          struct cp_error *err)
{
    const struct row_result *r = c->r;
    return ledger_one_prior(
        l,
        "SELECT " LEDGER_PRIOR_COLUMNS " FROM attempts WHERE "
        "(?3 IS NULL OR business_id = ?3) AND "
        "(email = ?1 OR phone = ?2) AND created_at >= ?4 AND "
        "file_hash <> ?5 AND status IN ('sent', 'intent', 'in_doubt') "
        "ORDER BY id DESC LIMIT 1",
        SQL_ARGS(SQL_TEXT(strbuf_str(&r->email)), SQL_TEXT(strbuf_str(&r->phone)),
                 SQL_TEXT(c->cooldown_account ? NULL : strbuf_str(&r->business_id)),
                 SQL_INT(c->cooldown_since), SQL_TEXT(c->file_hash)),
        out, err);
}

/* This file's row, sent or in flight by another run (another pipeline fed
 * the same bytes): the input lock normally prevents that; this makes sure. */
static int taken_prior(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *out,
                       struct cp_error *err)
{
    return ledger_one_prior(l,
                            "SELECT " LEDGER_PRIOR_COLUMNS
                            " FROM attempts WHERE file_hash = ?1 AND "
                            "input_row = ?2 AND run_id <> ?3 AND (status IN ('sent', 'intent') OR "
                            "(status = 'in_doubt' AND ?4 = 0)) ORDER BY id DESC LIMIT 1",
                            SQL_ARGS(SQL_TEXT(c->file_hash), SQL_INT(c->r->input_row),
                                     SQL_TEXT(c->run_id), SQL_INT(c->allow_in_doubt)),
                            out, err);
}

static int insert_intent(struct ledger *l, const struct ledger_claim *c, int64_t *attempt_id,
                         struct cp_error *err)
{
    const struct row_result *r = c->r;
    return ledger_insert(l,
                         "INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, "
                         "phone, first_name, business_id, campaign_id, status, created_at, "
                         "updated_at, body_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                         "'intent', ?10, ?10, ?11) RETURNING id",
                         SQL_ARGS(SQL_TEXT(c->run_id), SQL_TEXT(c->file_path),
                                  SQL_TEXT(c->file_hash), SQL_INT(r->input_row),
                                  SQL_TEXT(strbuf_str(&r->email)), SQL_TEXT(strbuf_str(&r->phone)),
                                  SQL_TEXT(strbuf_str(&r->first_name)),
                                  SQL_TEXT(strbuf_str(&r->business_id)), SQL_TEXT(c->campaign_id),
                                  SQL_INT(clock_wall()), SQL_TEXT(c->body_hash)),
                         attempt_id, err);
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
    /* SQLite's synchronous=FULL, PostgreSQL's commit: the intent is durable
     * when COMMIT returns, before the request is sent. */
    return ledger_commit(l, err) < 0 ? -1 : LEDGER_CLAIMED;
done:
    ledger_rollback(l);
    return rc;
}
