/*
 * `cloutly-pipe ledger` listings: the attempts of every pipeline of the
 * account (who, when, from which pipeline, file and row, what the API said)
 * and the runs, filtered, as a table, CSV (formula-guarded) or NDJSON.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/csv_cell.h"
#include "store/ledger_internal.h"

static void iso(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *txt(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : NULL;
}

static void json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* One row of `cols` as CSV or NDJSON; column 0 is a time. `plain` marks the
 * columns that may start with '+' (phones) and skip the formula guard. */
static void put_row(FILE *out, sqlite3_stmt *st, const char *const *cols, int ncols,
                    const int *numeric, int plain, enum ledger_format fmt)
{
    char when[32];
    iso((time_t)sqlite3_column_int64(st, 0), when, sizeof when);
    if (fmt == LEDGER_NDJSON)
        fputc('{', out);
    for (int i = 0; i < ncols; i++) {
        const char *v = i == 0 ? when : txt(st, i);
        if (fmt == LEDGER_CSV) {
            csv_put_cell(out, v ? v : "", v ? strlen(v) : 0, i != plain);
            fputs(i + 1 == ncols ? "\r\n" : ",", out);
        } else {
            fprintf(out, "%s\"%s\":", i ? "," : "", cols[i]);
            if (numeric[i] && v)
                fputs(v, out);
            else
                json_str(out, v);
        }
    }
    if (fmt == LEDGER_NDJSON)
        fputs("}\n", out);
}

static void put_header(FILE *out, const char *const *cols, int ncols)
{
    for (int i = 0; i < ncols; i++) {
        csv_put_cell(out, cols[i], strlen(cols[i]), 1);
        fputs(i + 1 == ncols ? "\r\n" : ",", out);
    }
}

static void bind_query(sqlite3_stmt *st, const struct ledger_query *q)
{
    ledger_bind_text(st, 1, q->contact);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)q->since);
    ledger_bind_text(st, 3, q->pipeline);
    ledger_bind_text(st, 4, q->status);
    ledger_bind_text(st, 5, q->business);
}

int ledger_report(struct ledger *l, const struct ledger_query *q, FILE *out, long *n,
                  struct cp_error *err)
{
    static const char *const cols[] = {"when",       "pipeline",    "status",      "email", "phone",
                                       "first_name", "business_id", "campaign_id", "file",  "row",
                                       "http",       "contact_id",  "sms_left",    "reason"};
    static const int numeric[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0};
    const int ncols = (int)(sizeof cols / sizeof *cols);
    sqlite3_stmt *st;
    /* An intent whose run is over is in doubt; listing it so is what a person means. */
    if (sqlite3_prepare_v2(l->db,
                           "SELECT a.created_at, r.pipeline, a.status, a.email, a.phone, "
                           "a.first_name, a.business_id, a.campaign_id, a.file_path, a.input_row, "
                           "a.http_status, a.contact_id, a.sms_left, a.reason FROM attempts a "
                           "LEFT JOIN runs r ON r.run_id = a.run_id WHERE a.created_at >= ?2 AND "
                           "(?1 IS NULL OR a.email = lower(?1) OR a.phone = ?1) AND "
                           "(?3 IS NULL OR r.pipeline = ?3) AND (?4 IS NULL OR a.status = ?4 OR "
                           "(?4 = 'in_doubt' AND a.status = 'intent')) AND "
                           "(?5 IS NULL OR a.business_id = ?5) ORDER BY a.id",
                           -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "query failed");
    bind_query(st, q);
    if (q->format == LEDGER_CSV)
        put_header(out, cols, ncols);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (q->format != LEDGER_TABLE) {
            put_row(out, st, cols, ncols, numeric, 4, q->format);
        } else {
            char when[32];
            const char *email = txt(st, 3), *phone = txt(st, 4), *cid = txt(st, 11),
                       *reason = txt(st, 13), *pipe = txt(st, 1);
            iso((time_t)sqlite3_column_int64(st, 0), when, sizeof when);
            fprintf(out, "%s  %-16s %-8s %-32s %-16s row %-6d %s%s%s%s%s\n", when,
                    pipe ? pipe : "-", txt(st, 2), email ? email : "-", phone ? phone : "-",
                    sqlite3_column_int(st, 9), txt(st, 8), cid ? "  contact " : "", cid ? cid : "",
                    reason ? "  " : "", reason ? reason : "");
        }
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ledger_db_fail(l, l->db, err, "query failed");
    if (q->format == LEDGER_TABLE && *n == 0)
        fprintf(out, "no attempts recorded%s%s\n", q->contact ? " for " : "",
                q->contact ? q->contact : "");
    return 0;
}

int ledger_runs_report(struct ledger *l, const struct ledger_query *q, FILE *out, long *n,
                       struct cp_error *err)
{
    static const char *const cols[] = {"started", "pipeline", "run_id",    "pid",      "host",
                                       "file",    "finished", "exit_code", "attempts", "sent"};
    static const int numeric[] = {0, 0, 0, 1, 0, 0, 0, 1, 1, 1};
    const int ncols = (int)(sizeof cols / sizeof *cols);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            l->db,
            "SELECT r.started_at, r.pipeline, r.run_id, r.pid, r.host, r.file_path, "
            "CASE WHEN r.finished_at IS NULL THEN NULL ELSE "
            "strftime('%Y-%m-%dT%H:%M:%SZ', r.finished_at, 'unixepoch') END, "
            "r.exit_code, (SELECT count(*) FROM attempts a WHERE a.run_id = r.run_id), "
            "(SELECT count(*) FROM attempts a WHERE a.run_id = r.run_id AND "
            "a.status = 'sent') FROM runs r WHERE r.started_at >= ?2 AND "
            "(?3 IS NULL OR r.pipeline = ?3) AND (?1 IS NULL OR ?1 = ?1) AND "
            "(?4 IS NULL OR ?4 = ?4) AND (?5 IS NULL OR ?5 = ?5) "
            "ORDER BY r.started_at DESC, r.rowid DESC",
            -1, &st, NULL) != SQLITE_OK)
        return ledger_db_fail(l, l->db, err, "query failed");
    bind_query(st, q);
    if (q->format == LEDGER_CSV)
        put_header(out, cols, ncols);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (q->format != LEDGER_TABLE) {
            put_row(out, st, cols, ncols, numeric, -1, q->format);
        } else {
            char when[32];
            const char *fin = txt(st, 6), *host = txt(st, 4);
            iso((time_t)sqlite3_column_int64(st, 0), when, sizeof when);
            fprintf(out, "%s  %-16s pid %-7d %-12s %s  %d attempts, %d sent  %s%s\n", when,
                    txt(st, 1), sqlite3_column_int(st, 3), host ? host : "-",
                    txt(st, 5) ? txt(st, 5) : "-", sqlite3_column_int(st, 8),
                    sqlite3_column_int(st, 9), fin ? "finished, exit " : "not finished",
                    fin ? txt(st, 7) : "");
        }
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ledger_db_fail(l, l->db, err, "query failed");
    if (q->format == LEDGER_TABLE && *n == 0)
        fputs("no runs recorded\n", out);
    return 0;
}
