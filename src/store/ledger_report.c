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

static const char *txt(struct sql_stmt *st, int i)
{
    return sql_col_text(st, i);
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

/* What a column holds: text, a number (bare in NDJSON), or epoch seconds
 * written as ISO 8601 (NULL stays NULL). */
enum { COL_TEXT, COL_NUM, COL_TIME };

/* One row of `cols` as CSV or NDJSON. `plain` marks the column that may
 * start with '+' (phones) and skips the formula guard. */
static void put_row(FILE *out, struct sql_stmt *st, const char *const *cols, int ncols,
                    const int *kind, int plain, enum ledger_format fmt)
{
    char when[32];
    if (fmt == LEDGER_NDJSON)
        fputc('{', out);
    for (int i = 0; i < ncols; i++) {
        const char *v = txt(st, i);
        if (kind[i] == COL_TIME && v) {
            iso((time_t)sql_col_int64(st, i), when, sizeof when);
            v = when;
        }
        if (fmt == LEDGER_CSV) {
            csv_put_cell(out, v ? v : "", v ? strlen(v) : 0, i != plain);
            fputs(i + 1 == ncols ? "\r\n" : ",", out);
        } else {
            fprintf(out, "%s\"%s\":", i ? "," : "", cols[i]);
            if (kind[i] == COL_NUM && v)
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

int ledger_report(struct ledger *l, const struct ledger_query *q, FILE *out, long *n,
                  struct cp_error *err)
{
    static const char *const cols[] = {"when",       "pipeline",    "status",      "email", "phone",
                                       "first_name", "business_id", "campaign_id", "file",  "row",
                                       "http",       "contact_id",  "sms_left",    "reason"};
    static const int kind[] = {COL_TIME, 0, 0, 0, 0, 0, 0, 0, 0, COL_NUM, COL_NUM, 0, COL_NUM, 0};
    const int ncols = (int)(sizeof cols / sizeof *cols);
    struct sql_stmt *st;
    /* An intent whose run is over is in doubt; listing it so is what a person means. */
    if (ledger_prepare(l,
                       "SELECT a.created_at, r.pipeline, a.status, a.email, a.phone, "
                       "a.first_name, a.business_id, a.campaign_id, a.file_path, a.input_row, "
                       "a.http_status, a.contact_id, a.sms_left, a.reason FROM attempts a "
                       "LEFT JOIN runs r ON r.run_id = a.run_id WHERE a.created_at >= ?2 AND "
                       "(?1 IS NULL OR a.email = lower(?1) OR a.phone = ?1) AND "
                       "(?3 IS NULL OR r.pipeline = ?3) AND (?4 IS NULL OR a.status = ?4 OR "
                       "(?4 = 'in_doubt' AND a.status = 'intent')) AND "
                       "(?5 IS NULL OR a.business_id = ?5) ORDER BY a.id",
                       SQL_ARGS(SQL_TEXT(q->contact), SQL_INT(q->since), SQL_TEXT(q->pipeline),
                                SQL_TEXT(q->status), SQL_TEXT(q->business)),
                       &st, err) < 0)
        return -1;
    if (q->format == LEDGER_CSV)
        put_header(out, cols, ncols);
    int rc;
    *n = 0;
    while ((rc = sql_step(st)) == SQL_ROW) {
        if (q->format != LEDGER_TABLE) {
            put_row(out, st, cols, ncols, kind, 4, q->format);
        } else {
            char when[32];
            const char *email = txt(st, 3), *phone = txt(st, 4), *cid = txt(st, 11),
                       *reason = txt(st, 13), *pipe = txt(st, 1);
            iso((time_t)sql_col_int64(st, 0), when, sizeof when);
            fprintf(out, "%s  %-16s %-8s %-32s %-16s row %-6d %s%s%s%s%s\n", when,
                    pipe ? pipe : "-", txt(st, 2), email ? email : "-", phone ? phone : "-",
                    (int)sql_col_int64(st, 9), txt(st, 8), cid ? "  contact " : "", cid ? cid : "",
                    reason ? "  " : "", reason ? reason : "");
        }
        (*n)++;
    }
    sql_finalize(st);
    if (rc != SQL_DONE)
        return ledger_db_fail(l, err, "query failed");
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
    static const int kind[] = {COL_TIME, 0, 0, COL_NUM, 0, 0, COL_TIME, COL_NUM, COL_NUM, COL_NUM};
    const int ncols = (int)(sizeof cols / sizeof *cols);
    struct sql_stmt *st;
    /* rowid: SQLite's own, and a column of that name on PostgreSQL (ledger_pg.c). */
    if (ledger_prepare(l,
                       "SELECT r.started_at, r.pipeline, r.run_id, r.pid, r.host, r.file_path, "
                       "r.finished_at, r.exit_code, (SELECT count(*) FROM attempts a WHERE "
                       "a.run_id = r.run_id), (SELECT count(*) FROM attempts a WHERE a.run_id = "
                       "r.run_id AND a.status = 'sent') FROM runs r WHERE r.started_at >= ?1 AND "
                       "(?2 IS NULL OR r.pipeline = ?2) ORDER BY r.started_at DESC, r.rowid DESC",
                       SQL_ARGS(SQL_INT(q->since), SQL_TEXT(q->pipeline)), &st, err) < 0)
        return -1;
    if (q->format == LEDGER_CSV)
        put_header(out, cols, ncols);
    int rc;
    *n = 0;
    while ((rc = sql_step(st)) == SQL_ROW) {
        if (q->format != LEDGER_TABLE) {
            put_row(out, st, cols, ncols, kind, -1, q->format);
        } else {
            char when[32];
            const char *fin = txt(st, 6), *host = txt(st, 4);
            iso((time_t)sql_col_int64(st, 0), when, sizeof when);
            fprintf(out, "%s  %-16s pid %-7d %-12s %s  %d attempts, %d sent  %s%s\n", when,
                    txt(st, 1), (int)sql_col_int64(st, 3), host ? host : "-",
                    txt(st, 5) ? txt(st, 5) : "-", (int)sql_col_int64(st, 8),
                    (int)sql_col_int64(st, 9), fin ? "finished, exit " : "not finished",
                    fin ? txt(st, 7) : "");
        }
        (*n)++;
    }
    sql_finalize(st);
    if (rc != SQL_DONE)
        return ledger_db_fail(l, err, "query failed");
    if (q->format == LEDGER_TABLE && *n == 0)
        fputs("no runs recorded\n", out);
    return 0;
}
