/*
 * Moving an account's history between ledgers (`ledger copy`, and `ledger
 * merge` of a pipeline's old ledger): every run, attempt, watermark,
 * suppression, erasure tombstone and merge record of one ledger that the
 * other lacks, on either backend in either direction.
 *
 * Rows are read from the source in their order (attempt ids ascending, so
 * "the latest attempt" stays the latest) and written one by one through
 * the statement layer, each after a check that it is not there yet. The
 * same identity as the old SQLite merge decides that: a run by its id, an
 * attempt by run, file, row and creation time (with statuses, outcomes and
 * times as they were, so a cooldown still holds after the copy), a
 * watermark by name (the newer value wins), a suppression by its hash, a
 * tombstone by what, how many and when. Copying twice adds nothing.
 */
#include <stdio.h>
#include <string.h>

#include "store/ledger_internal.h"

enum col_kind { TXT, NUM };

/* One table: its columns (the first `nkey` of them, by index in key[],
 * identify a row), and how a missing row is written. */
struct table {
    const char *name;
    const char *const *cols;
    const enum col_kind *kinds;
    int ncols;
    const char *order;  /* the source's ORDER BY */
    const int *key;     /* indexes into cols identifying a row */
    int nkey;           /* 0: the INSERT's own ON CONFLICT decides */
    const char *upsert; /* appended to the INSERT, or NULL */
    size_t counter;     /* offsetof the count in struct ledger_copy_counts */
};

static const char *const run_cols[] = {"run_id",     "pipeline",    "file_path", "file_hash", "pid",
                                       "started_at", "finished_at", "exit_code", "host"};
static const enum col_kind run_kinds[] = {TXT, TXT, TXT, TXT, NUM, NUM, NUM, NUM, TXT};
static const int run_key[] = {0};

/* Every column up to schema 5's carried-row columns (ledger_deferred.c). */
static const char *const attempt_cols[] = {"run_id",     "file_path",   "file_hash",
                                           "input_row",  "email",       "phone",
                                           "first_name", "business_id", "campaign_id",
                                           "status",     "contact_id",  "http_status",
                                           "sms_left",   "sms_renews",  "reason",
                                           "created_at", "updated_at",  "not_before",
                                           "body_hash",  "last_name",   "source_contact_id",
                                           "timezone",   "kept"};
static const enum col_kind attempt_kinds[] = {TXT, TXT, TXT, NUM, TXT, TXT, TXT, TXT,
                                              TXT, TXT, TXT, NUM, NUM, TXT, TXT, NUM,
                                              NUM, NUM, TXT, TXT, TXT, TXT, NUM};
static const int attempt_key[] = {0, 2, 3, 15};

static const char *const watermark_cols[] = {"name", "value", "updated_at"};
static const enum col_kind watermark_kinds[] = {TXT, TXT, NUM};

static const char *const suppression_cols[] = {"key_hash", "kind", "source", "created_at"};
static const enum col_kind suppression_kinds[] = {TXT, TXT, TXT, NUM};

static const char *const erasure_cols[] = {"what", "attempts", "suppressed", "created_at"};
static const enum col_kind erasure_kinds[] = {TXT, NUM, NUM, NUM};
static const int erasure_key[] = {0, 1, 3};

static const char *const merge_cols[] = {"path", "attempts", "merged_at"};
static const enum col_kind merge_kinds[] = {TXT, NUM, NUM};

#define N(a)     ((int)(sizeof a / sizeof *a))
#define COUNT(f) offsetof(struct ledger_copy_counts, f)

static const struct table tables[] = {
    {"runs", run_cols, run_kinds, N(run_cols), "rowid", run_key, N(run_key), NULL, COUNT(runs)},
    {"attempts", attempt_cols, attempt_kinds, N(attempt_cols), "id", attempt_key, N(attempt_key),
     NULL, COUNT(attempts)},
    {"watermarks", watermark_cols, watermark_kinds, N(watermark_cols), "name", NULL, 0,
     "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
     "WHERE excluded.updated_at > watermarks.updated_at",
     COUNT(watermarks)},
    {"suppressions", suppression_cols, suppression_kinds, N(suppression_cols), "key_hash", NULL, 0,
     "ON CONFLICT(key_hash) DO NOTHING", COUNT(suppressions)},
    {"erasures", erasure_cols, erasure_kinds, N(erasure_cols), "id", erasure_key, N(erasure_key),
     NULL, COUNT(erasures)},
    {"merges", merge_cols, merge_kinds, N(merge_cols), "path", NULL, 0,
     "ON CONFLICT(path) DO NOTHING", COUNT(merges)},
};

/* "a, b, c" or "?1, ?2, ?3" or "a = ?1 AND b = ?2" into buf. */
static void put_list(char *buf, size_t len, const struct table *t, int which)
{
    size_t o = 0;
    buf[0] = '\0';
    int n = which == 2 ? t->nkey : t->ncols;
    for (int i = 0; i < n && o < len; i++) {
        const char *sep = i ? (which == 2 ? " AND " : ", ") : "";
        if (which == 0)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, t->cols[i]);
        else if (which == 1)
            o += (size_t)snprintf(buf + o, len - o, "%s?%d", sep, i + 1);
        else
            o += (size_t)snprintf(buf + o, len - o, "%s%s = ?%d", sep, t->cols[t->key[i]], i + 1);
    }
}

/* Bind the current source row's columns (all, or the key's) to `dst`. */
static void bind_row(struct sql_stmt *dst, struct sql_stmt *src, const struct table *t, int key)
{
    int n = key ? t->nkey : t->ncols;
    for (int i = 0; i < n; i++) {
        int c = key ? t->key[i] : i;
        if (sql_col_is_null(src, c))
            sql_bind_null(dst, i + 1);
        else if (t->kinds[c] == NUM)
            sql_bind_int64(dst, i + 1, sql_col_int64(src, c));
        else
            sql_bind_text(dst, i + 1, sql_col_text(src, c));
    }
}

static int copy_table(struct ledger *from, struct ledger *to, const struct table *t, long *added,
                      struct cp_error *err)
{
    char cols[600], params[300], where[300], sql[1600];
    struct sql_stmt *src = NULL, *exists = NULL, *ins = NULL;
    int rc = -1, step;
    *added = 0;
    put_list(cols, sizeof cols, t, 0);
    put_list(params, sizeof params, t, 1);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, t->name, t->order);
    if (ledger_prepare(from, sql, SQL_NO_ARGS, &src, err) < 0)
        goto out;
    snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)%s%s", t->name, cols, params,
             t->upsert ? " " : "", t->upsert ? t->upsert : "");
    if (ledger_prepare(to, sql, SQL_NO_ARGS, &ins, err) < 0)
        goto out;
    if (t->nkey) {
        put_list(where, sizeof where, t, 2);
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE %s LIMIT 1", t->name, where);
        if (ledger_prepare(to, sql, SQL_NO_ARGS, &exists, err) < 0)
            goto out;
    }
    while ((step = sql_step(src)) == SQL_ROW) {
        if (exists) {
            sql_reset(exists);
            bind_row(exists, src, t, 1);
            int found = sql_step(exists);
            if (found < 0) {
                ledger_db_fail(to, err, "lookup failed");
                goto out;
            }
            if (found == SQL_ROW)
                continue;
        }
        sql_reset(ins);
        bind_row(ins, src, t, 0);
        if (sql_step(ins) != SQL_DONE) {
            ledger_db_fail(to, err, "cannot write");
            goto out;
        }
        *added += sql_changes(to->db);
    }
    if (step != SQL_DONE) {
        ledger_db_fail(from, err, "cannot read");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        cp_error_prefix(err, "copying the %s", t->name);
    sql_finalize(src);
    sql_finalize(exists);
    sql_finalize(ins);
    return rc;
}

int ledger_copy_into(struct ledger *from, struct ledger *to, struct ledger_copy_counts *n,
                     struct cp_error *err)
{
    memset(n, 0, sizeof *n);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        long *count = (long *)((char *)n + tables[i].counter);
        if (copy_table(from, to, &tables[i], count, err) < 0)
            return -1;
    }
    return 0;
}

int ledger_copy(struct ledger *from, struct ledger *to, struct ledger_copy_counts *n,
                struct cp_error *err)
{
    if (ledger_begin(to, err) < 0)
        return -1;
    if (ledger_copy_into(from, to, n, err) < 0) {
        ledger_rollback(to);
        return -1;
    }
    return ledger_commit(to, err);
}

int ledger_counts(struct ledger *l, struct ledger_copy_counts *n, struct cp_error *err)
{
    memset(n, 0, sizeof *n);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[100];
        int64_t v;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i].name);
        if (ledger_one_int(l, sql, SQL_NO_ARGS, &v, err) < 0)
            return -1;
        *(long *)((char *)n + tables[i].counter) = (long)v;
    }
    return 0;
}
