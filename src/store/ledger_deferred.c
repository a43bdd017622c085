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
    sqlite3_stmt *st;
    if (ledger_defer(l, run_id, file_path, file_hash, campaign_id, r, not_before, err) < 0)
        return -1;
    /* Same batch transaction as the insert (ledger_defer leaves it open):
     * no fsync of its own. */
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE attempts SET last_name = ?2, source_contact_id = ?3, "
                           "timezone = ?4, kept = 1 WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "cannot write");
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(l->db));
    ledger_bind_text(st, 2, strbuf_str(&r->last_name));
    ledger_bind_text(st, 3, strbuf_str(&r->source_contact_id));
    ledger_bind_text(st, 4, strbuf_str(&r->timezone));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ledger_db_fail(l, l->db, err, "cannot write");
}

int ledger_carry_close(struct ledger *l, const char *run_id, const struct ledger_carried *from,
                       const struct row_result *r, struct cp_error *err)
{
    sqlite3_stmt *st;
    if (ledger_write_stmt(l,
                          "INSERT INTO attempts(run_id, file_path, file_hash, input_row, "
                          "business_id, campaign_id, status, reason, created_at, updated_at) "
                          "SELECT ?1, file_path, file_hash, input_row, business_id, campaign_id, "
                          "'skipped', ?3, ?4, ?4 FROM attempts a WHERE id = ?2 AND id = (SELECT "
                          "MAX(b.id) FROM attempts b WHERE b.file_hash = a.file_hash AND "
                          "b.input_row = a.input_row)",
                          err, &st) < 0)
        return -1;
    ledger_bind_text(st, 1, run_id);
    sqlite3_bind_int64(st, 2, from->id);
    ledger_bind_text(st, 3, strbuf_str(&r->reason));
    sqlite3_bind_int64(st, 4, (sqlite3_int64)clock_wall());
    return ledger_finish_write(l, st, err);
}

/* A column into a row's buffer ("" for NULL). */
static void take_col(sqlite3_stmt *st, int i, struct strbuf *dst)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    strbuf_reset(dst);
    if (s)
        strbuf_addstr(dst, (const char *)s);
}

/* The row's latest attempt is this deferral, it is due, and no later
 * deferral of this pipeline (another file's row, still deferred) holds the
 * same person: that one carries them instead, so one run never has two
 * rows of one person in flight. Erased contacts have neither channel. */
#define DUE_SQL                                                                                    \
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
    "WHERE d.file_hash = c.file_hash AND d.input_row = c.input_row)) "                             \
    "ORDER BY a.id LIMIT ?5"

int ledger_deferred_count(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                          long *n, struct cp_error *err)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM (" DUE_SQL ")", -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    ledger_bind_text(st, 1, pipeline);
    ledger_bind_text(st, 2, file_hash);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 4, 0);
    sqlite3_bind_int(st, 5, -1); /* LIMIT -1: all */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ledger_db_fail(l, l->db, err, "lookup failed");
}

int ledger_deferred_due(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                        int64_t after, struct row_result *rows, struct ledger_carried *from,
                        int max, int *n, struct cp_error *err)
{
    sqlite3_stmt *st;
    int rc = SQLITE_DONE;
    *n = 0;
    if (sqlite3_prepare_v2(l->db, DUE_SQL, -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "lookup failed");
    ledger_bind_text(st, 1, pipeline);
    ledger_bind_text(st, 2, file_hash);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)after);
    sqlite3_bind_int(st, 5, max);
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct row_result *r = &rows[*n];
        struct ledger_carried *f = &from[*n];
        memset(f, 0, sizeof *f);
        f->id = sqlite3_column_int64(st, 0);
        ledger_copy_col(st, 1, f->file_hash, sizeof f->file_hash);
        ledger_copy_col(st, 2, f->file_path, sizeof f->file_path);
        ledger_copy_col(st, 3, f->pipeline, sizeof f->pipeline);
        f->deferred_at = (time_t)sqlite3_column_int64(st, 4);
        row_result_reset(r);
        r->input_row = (long)sqlite3_column_int64(st, 5);
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
    if (*n < max && rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return ledger_db_fail(l, l->db, err, "lookup failed");
    }
    sqlite3_finalize(st);
    return 0;
}
