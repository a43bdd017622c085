/*
 * Deferred rows that outlive their file (issue 12): a nightly run defers
 * the contacts outside their send window, and the next night's run reads
 * another export. For that run to send them first, a deferral keeps the
 * whole request (names, channels, source contact id, zone), and the run
 * asks here which deferrals of its pipeline are due. A carried row's
 * intent is recorded under its own file and row, so the file it came from
 * and every later run see it as sent.
 *
 * Written only with the statement helpers of ledger_internal.h, so the
 * PostgreSQL backend can take it over query by query.
 */
#include <string.h>

#include "core/clock.h"
#include "store/ledger_internal.h"

int ledger_defer_row(struct ledger *l, const char *run_id, const char *file_path,
                     const char *file_hash, const char *campaign_id, const struct row_result *r,
                     time_t not_before, struct cp_error *err)
{
    struct sql_stmt *st;
    int64_t id;
    if (ledger_defer_insert(l, run_id, file_path, file_hash, campaign_id, r, not_before, &id, err) <
        0)
        return -1;
    /* Same batch transaction as the insert (ledger_defer leaves it open):
     * no fsync of its own, and not ledger_write (which would end the batch). */
    if (ledger_prepare(l,
                       "UPDATE attempts SET last_name = ?2, source_contact_id = ?3, "
                       "timezone = ?4, kept = 1 WHERE id = ?1",
                       SQL_ARGS(SQL_INT(id), SQL_TEXT(strbuf_str(&r->last_name)),
                                SQL_TEXT(strbuf_str(&r->source_contact_id)),
                                SQL_TEXT(strbuf_str(&r->timezone))),
                       &st, err) < 0)
        return -1;
    int rc = sql_step(st);
    sql_finalize(st);
    return rc == SQL_DONE ? 0 : ledger_db_fail(l, err, "cannot write");
}

int ledger_carry_close(struct ledger *l, const char *run_id, const struct ledger_carried *from,
                       const struct row_result *r, struct cp_error *err)
{
    return ledger_write(l,
                        "INSERT INTO attempts(run_id, file_path, file_hash, input_row, "
                        "business_id, campaign_id, status, reason, created_at, updated_at) "
                        "SELECT ?1, file_path, file_hash, input_row, business_id, campaign_id, "
                        "'skipped', ?3, ?4, ?4 FROM attempts a WHERE id = ?2 AND id = (SELECT "
                        "MAX(b.id) FROM attempts b WHERE b.file_hash = a.file_hash AND "
                        "b.input_row = a.input_row)",
                        SQL_ARGS(SQL_TEXT(run_id), SQL_INT(from->id),
                                 SQL_TEXT(strbuf_str(&r->reason)), SQL_INT(clock_wall())),
                        err) < 0
               ? -1
               : 0;
}

/* A column into a row's buffer ("" for NULL). */
static void take_col(struct sql_stmt *st, int i, struct strbuf *dst)
{
    const char *s = sql_col_text(st, i);
    strbuf_reset(dst);
    if (s)
        strbuf_addstr(dst, s);
}

/* The row's latest attempt is this deferral, it is due, and no later
 * deferral of this pipeline (another file's row, still deferred) holds the
 * same person: that one carries them instead, so one run never has two
 * rows of one person in flight. Erased contacts have neither channel. */
#define DUE_FROM                                                                                   \
    "SELECT a.id, a.file_hash, a.file_path, r.pipeline, a.created_at, a.input_row, "               \
    "a.first_name, a.last_name, a.email, a.phone, a.source_contact_id, a.business_id, "            \
    "a.timezone FROM attempts a JOIN runs r ON r.run_id = a.run_id "                               \
    "WHERE a.status = 'deferred' AND a.kept = 1 AND a.not_before <= ?3 AND a.id > ?4 AND "         \
    "r.pipeline = ?1 "                                                                             \
    "AND a.file_hash <> ?2 AND (a.email IS NOT NULL OR a.phone IS NOT NULL) "                      \
    "AND a.id = (SELECT MAX(b.id) FROM attempts b WHERE b.file_hash = a.file_hash AND "            \
    "b.input_row = a.input_row) "                                                                  \
    "AND NOT EXISTS (SELECT 1 FROM attempts c JOIN runs rc ON rc.run_id = c.run_id "               \
    "WHERE c.id > a.id AND c.status = 'deferred' AND rc.pipeline = ?1 AND "                        \
    "c.business_id = a.business_id AND c.file_hash <> a.file_hash AND "                            \
    "(c.email = a.email OR c.phone = a.phone) AND c.id = (SELECT MAX(d.id) FROM attempts d "       \
    "WHERE d.file_hash = c.file_hash AND d.input_row = c.input_row))"
#define DUE_SQL DUE_FROM " ORDER BY a.id LIMIT ?5"

int ledger_deferred_count(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                          long *n, struct cp_error *err)
{
    int64_t v = 0;
    /* No LIMIT: SQLite's "-1 is all" is an error on PostgreSQL. */
    int found = ledger_one_int(
        l, "SELECT count(*) FROM (" DUE_FROM ") due",
        SQL_ARGS(SQL_TEXT(pipeline), SQL_TEXT(file_hash), SQL_INT(now), SQL_INT(0)), &v, err);
    *n = (long)v;
    if (found == 0)
        return ledger_db_fail(l, err, "lookup failed");
    return found < 0 ? -1 : 0;
}

int ledger_deferred_due(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                        int64_t after, struct row_result *rows, struct ledger_carried *from,
                        int max, int *n, struct cp_error *err)
{
    struct sql_stmt *st;
    int rc = SQL_DONE;
    *n = 0;
    if (ledger_prepare(l, DUE_SQL,
                       SQL_ARGS(SQL_TEXT(pipeline), SQL_TEXT(file_hash), SQL_INT(now),
                                SQL_INT(after), SQL_INT(max)),
                       &st, err) < 0)
        return -1;
    while (*n < max && (rc = sql_step(st)) == SQL_ROW) {
        struct row_result *r = &rows[*n];
        struct ledger_carried *f = &from[*n];
        memset(f, 0, sizeof *f);
        f->id = sql_col_int64(st, 0);
        ledger_copy_col(st, 1, f->file_hash, sizeof f->file_hash);
        ledger_copy_col(st, 2, f->file_path, sizeof f->file_path);
        ledger_copy_col(st, 3, f->pipeline, sizeof f->pipeline);
        f->deferred_at = (time_t)sql_col_int64(st, 4);
        row_result_reset(r);
        r->input_row = (long)sql_col_int64(st, 5);
        take_col(st, 6, &r->first_name);
        take_col(st, 7, &r->last_name);
        take_col(st, 8, &r->email);
        take_col(st, 9, &r->phone);
        take_col(st, 10, &r->source_contact_id);
        take_col(st, 11, &r->business_id);
        take_col(st, 12, &r->timezone);
        r->status = ROW_PENDING;
        (*n)++;
    }
    if (*n < max && rc != SQL_DONE) {
        sql_finalize(st);
        return ledger_db_fail(l, err, "lookup failed");
    }
    sql_finalize(st);
    return 0;
}
