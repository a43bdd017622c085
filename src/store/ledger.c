/*
 * The ledger: see ledger.h. Its SQL is written once on the statement layer
 * (store/sql.h) and runs on SQLite (this file opens and migrates those) and
 * on PostgreSQL (ledger_pg.c).
 *
 * SQLite: WAL mode with synchronous=FULL: each intent and outcome is its
 * own transaction and is on disk before the function returns, which is
 * what makes "killed at any instant" safe. At the API's 100 requests a
 * minute the fsyncs cost nothing that matters. PostgreSQL: each statement
 * outside a transaction commits before the call returns (the server's
 * synchronous_commit decides how durable that commit is; on is the default).
 */
#include "store/ledger.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/sha256.h"
#include "store/atomic_file.h"
#include "store/ledger_internal.h"
#include "store/pg_conn.h"

/* Schema history. Entry i brings a database from version i to i + 1;
 * never edit an entry once released: add one. */
static const char *const migrations[LEDGER_SCHEMA_VERSION] = {
    /* 1: attempts and runs. */
    "CREATE TABLE attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id TEXT NOT NULL,"
    "  file_path TEXT NOT NULL,"
    "  file_hash TEXT NOT NULL,"
    "  input_row INTEGER NOT NULL,"
    "  email TEXT,"
    "  phone TEXT,"
    "  first_name TEXT,"
    "  business_id TEXT NOT NULL,"
    "  campaign_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  contact_id TEXT,"
    "  http_status INTEGER,"
    "  sms_left INTEGER,"
    "  sms_renews TEXT,"
    "  reason TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX attempts_file_row ON attempts(file_hash, input_row);"
    "CREATE INDEX attempts_email ON attempts(email, business_id) WHERE email IS NOT NULL;"
    "CREATE INDEX attempts_phone ON attempts(phone, business_id) WHERE phone IS NOT NULL;"
    "CREATE TABLE runs ("
    "  run_id TEXT PRIMARY KEY,"
    "  pipeline TEXT NOT NULL,"
    "  file_path TEXT,"
    "  file_hash TEXT,"
    "  pid INTEGER,"
    "  started_at INTEGER NOT NULL,"
    "  finished_at INTEGER,"
    "  exit_code INTEGER);",
    /* 2: export watermarks (since: last_run). */
    "CREATE TABLE watermarks ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);",
    /* 3: send windows and daily caps: a deferred row says when it may go,
     * and sends are counted per business and day. */
    "ALTER TABLE attempts ADD COLUMN not_before INTEGER;"
    "CREATE INDEX attempts_business_day ON attempts(business_id, created_at);",
    /* 4: the account's ledger (issue 11): fingerprints of refused requests,
     * the host of each run, the suppression list (hashes, never values),
     * erasure tombstones, and the ledgers merged in. */
    "ALTER TABLE attempts ADD COLUMN body_hash TEXT;"
    "ALTER TABLE runs ADD COLUMN host TEXT;"
    "CREATE INDEX attempts_created ON attempts(created_at);"
    "CREATE TABLE suppressions ("
    "  key_hash TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE erasures ("
    "  id INTEGER PRIMARY KEY,"
    "  what TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  suppressed INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE merges ("
    "  path TEXT PRIMARY KEY,"
    "  attempts INTEGER NOT NULL,"
    "  merged_at INTEGER NOT NULL);",
    /* 5: a deferred row carries the rest of its request (issue 12), so a
     * later run of another file can send it (ledger_deferred.c); `kept` is
     * 1 on deferrals that did (older ones go with their own file only). */
    "ALTER TABLE attempts ADD COLUMN last_name TEXT;"
    "ALTER TABLE attempts ADD COLUMN source_contact_id TEXT;"
    "ALTER TABLE attempts ADD COLUMN timezone TEXT;"
    "ALTER TABLE attempts ADD COLUMN kept INTEGER;"
    "CREATE INDEX attempts_deferred ON attempts(not_before) WHERE status = 'deferred' AND "
    "kept = 1;",
};

/* Deferrals are written in batches, one transaction per DEFER_BATCH: a
 * deferral lost in a crash costs nothing (with no record the next run
 * decides the row afresh), and an fsync per row would make a campaign of
 * 20,000 deferred rows take minutes. Every other write commits the batch
 * first, so an intent is still on disk before its request. */
#define DEFER_BATCH 1000

int ledger_end_deferrals(struct ledger *l)
{
    if (!l->deferrals)
        return 0;
    l->deferrals = 0;
    return ledger_exec(l, "COMMIT");
}

int ledger_db_fail(struct ledger *l, struct cp_error *err, const char *what)
{
    return cp_fail(err, CP_EXIT_USAGE, "ledger '%s': %s: %s", l ? l->path : "?", what,
                   l ? sql_errmsg(l->db) : "out of memory");
}

int ledger_exec(struct ledger *l, const char *sql)
{
    return sql_exec(l->db, sql);
}

static int exec_raw(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Bring `db` from its version up to `target`, one transaction per step. */
static int migrate(sqlite3 *db, int target, const char *path, struct cp_error *err)
{
    int v = user_version(db);
    if (v < 0)
        return cp_fail(err, CP_EXIT_USAGE, "ledger '%s': not an SQLite database (%s)", path,
                       sqlite3_errmsg(db));
    if (v > LEDGER_SCHEMA_VERSION)
        return cp_fail(err, CP_EXIT_USAGE,
                       "ledger '%s' has schema version %d, newer than this cloutly-pipe "
                       "understands (%d): upgrade cloutly-pipe",
                       path, v, LEDGER_SCHEMA_VERSION);
    while (v < target) {
        char bump[64];
        /* Pipelines of one account start side by side: the version is read
         * again under the write lock, so only one of them runs each step. */
        int ok = exec_raw(db, "BEGIN IMMEDIATE") == 0;
        if (ok && (v = user_version(db)) >= target) {
            exec_raw(db, "COMMIT");
            break;
        }
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
        if (!ok || exec_raw(db, migrations[v]) < 0 || exec_raw(db, bump) < 0 ||
            exec_raw(db, "COMMIT") < 0) {
            cp_fail(err, CP_EXIT_USAGE, "ledger '%s': migrating to schema %d failed: %s", path,
                    v + 1, sqlite3_errmsg(db));
            exec_raw(db, "ROLLBACK");
            return -1;
        }
        v++;
    }
    return 0;
}

const char *ledger_sqlite_migration(int version)
{
    return version >= 1 && version <= LEDGER_SCHEMA_VERSION ? migrations[version - 1] : NULL;
}

static int open_db(const char *path, int flags, sqlite3 **out, struct cp_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        cp_fail(err, CP_EXIT_USAGE, "cannot open ledger '%s': %s", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    /* Another process of the account may hold the write lock for a while
     * (a long listing, a backup); waiting is right, failing would turn an
     * answered invite into a false in_doubt. */
    sqlite3_busy_timeout(db, 60000);
    *out = db;
    return 0;
}

int ledger_create_at_version(const char *path, int version, struct cp_error *err)
{
    sqlite3 *db;
    if (pg_is_url(path)) {
        struct ledger *l = NULL;
        int rc = ledger_pg_open(path, NULL, 0, version, &l, err);
        ledger_close(l);
        return rc;
    }
    if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, err) < 0)
        return -1;
    int rc = migrate(db, version, path, err);
    sqlite3_close(db);
    return rc;
}

void ledger_key_hash(const char *kind, const char *value, char out[65])
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cloutly-pipe %s\n", kind);
    sha256_hex2(prefix, value, out);
}

/* A read-only look at an older ledger (a dry run, `ledger`): its schema is
 * brought up to date first (additive, one transaction per step), so every
 * query sees the columns it names. A file we may not write stays as it is. */
static int upgrade_for_reading(const char *path, struct cp_error *err)
{
    sqlite3 *db;
    if (open_db(path, SQLITE_OPEN_READONLY, &db, err) < 0)
        return -1;
    int v = user_version(db);
    sqlite3_close(db);
    if (v < 1 || v >= LEDGER_SCHEMA_VERSION)
        return 0; /* not ours, or current: ledger_open says so */
    if (open_db(path, SQLITE_OPEN_READWRITE, &db, err) < 0)
        return -1;
    int rc = migrate(db, LEDGER_SCHEMA_VERSION, path, err);
    sqlite3_close(db);
    return rc;
}

/* WAL mode, waiting for another process of the account that is creating
 * the same ledger at the same moment: the journal-mode change can meet its
 * lock without SQLite's busy handler being asked (two cron jobs of a new
 * account starting in the same second). Once set, WAL mode persists in the
 * file, so the second process only confirms it. */
static int set_wal(sqlite3 *db)
{
    for (int tries = 0; tries < 3000; tries++) { /* 20 ms apart: the busy timeout's minute */
        if (exec_raw(db, "PRAGMA journal_mode=WAL") == 0)
            return 0;
        int code = sqlite3_errcode(db) & 0xff;
        if (code != SQLITE_BUSY && code != SQLITE_LOCKED)
            return -1;
        sqlite3_sleep(20);
    }
    return -1;
}

/* The SQLite checks and settings of ledger_open on the raw connection:
 * 0 ready, 1 an empty read-only file (no ledger yet), -1 with err. */
static int sqlite_ready(sqlite3 *db, const char *path, int readonly, off_t size,
                        struct cp_error *err)
{
    if (!readonly) {
        if (set_wal(db) < 0 || exec_raw(db, "PRAGMA synchronous=FULL") < 0)
            return cp_fail(err, CP_EXIT_USAGE, "ledger '%s': cannot set WAL mode: %s", path,
                           sqlite3_errmsg(db));
        return migrate(db, LEDGER_SCHEMA_VERSION, path, err);
    }
    int v = user_version(db);
    if (v == LEDGER_SCHEMA_VERSION)
        return 0;
    /* A read-only look at an older ledger: the next real run migrates it. */
    if (v < 0)
        return cp_fail(err, CP_EXIT_USAGE,
                       "cannot read ledger '%s': %s (damaged, or not an SQLite "
                       "file)",
                       path, sqlite3_errmsg(db));
    if (v == 0 && size > 0)
        return cp_fail(err, CP_EXIT_USAGE, "'%s' is an SQLite file but not a cloutly-pipe ledger",
                       path);
    return v == 0 ? 1 : 0; /* empty: warned by the caller */
}

static int sqlite_open(const char *path, int readonly, struct ledger **out, struct cp_error *err)
{
    sqlite3 *db = NULL;
    if (readonly) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return 0;
        fclose(f);
    }
    struct ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    if (!readonly && make_parent_dirs(path, err) < 0)
        goto fail;
    if (readonly && upgrade_for_reading(path, err) < 0)
        goto fail;
    struct stat st = {0};
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
        /* SQLite takes an empty file for a new database: say so, since a
         * ledger truncated by a full disk or a bad copy loses the history
         * that stops a second invite. */
        log_msg(LOG_WARN,
                "ledger '%s' is empty (0 bytes): %s; if it held history, restore it "
                "from a backup before the next run",
                path, readonly ? "nothing is known yet" : "starting a new ledger");
    if (!readonly) {
        /* Created 0600 before SQLite sees it: the ledger holds customers'
         * emails and phones, and SQLite gives its -wal and -shm files the
         * database file's mode. */
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (open_db(path, flags, &db, err) < 0)
        goto fail;
    int ready = sqlite_ready(db, path, readonly, st.st_size, err);
    if (ready < 0)
        goto fail;
    if (!(l->db = sql_wrap_sqlite(db))) {
        db = NULL;
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        goto fail;
    }
    db = NULL;
    if (ready == 1) {
        ledger_close(l);
        return 0;
    }
    *out = l;
    return 0;
fail:
    sqlite3_close(db);
    ledger_close(l);
    return -1;
}

int ledger_open_at(const char *location, const char *password_file, int readonly,
                   struct ledger **out, struct cp_error *err)
{
    *out = NULL;
    if (pg_is_url(location))
        return ledger_pg_open(location, password_file, readonly, LEDGER_SCHEMA_VERSION, out, err);
    return sqlite_open(location, readonly, out, err);
}

int ledger_open(const char *path, int readonly, struct ledger **out, struct cp_error *err)
{
    return ledger_open_at(path, NULL, readonly, out, err);
}

int ledger_is_pg(const struct ledger *l)
{
    return sql_kind(l->db) == SQL_PG;
}

const char *ledger_name(const struct ledger *l)
{
    return l->path;
}

void ledger_close(struct ledger *l)
{
    if (!l)
        return;
    if (l->db)
        ledger_end_deferrals(l);
    sql_close(l->db);
    free(l->path);
    free(l);
}

void ledger_copy_col(struct sql_stmt *st, int i, char *dst, size_t len)
{
    const char *s = sql_col_text(st, i);
    snprintf(dst, len, "%s", s ? s : "");
}

#define PRIOR_COLUMNS LEDGER_PRIOR_COLUMNS
#define PRIOR_COLUMNS_A                                                                            \
    "a.id, a.status, a.contact_id, a.file_path, a.http_status, a.sms_left, a.sms_renews, "         \
    "a.reason, a.created_at, a.body_hash"

void ledger_read_prior(struct sql_stmt *st, struct ledger_prior *out)
{
    memset(out, 0, sizeof *out);
    out->id = sql_col_int64(st, 0);
    ledger_copy_col(st, 1, out->status, sizeof out->status);
    ledger_copy_col(st, 2, out->contact_id, sizeof out->contact_id);
    ledger_copy_col(st, 3, out->file_path, sizeof out->file_path);
    out->http_status = (int)sql_col_int64(st, 4);
    out->sms_left = sql_col_is_null(st, 5) ? -1 : (long)sql_col_int64(st, 5);
    ledger_copy_col(st, 6, out->sms_renews, sizeof out->sms_renews);
    ledger_copy_col(st, 7, out->reason, sizeof out->reason);
    out->at = (time_t)sql_col_int64(st, 8);
    ledger_copy_col(st, 9, out->body_hash, sizeof out->body_hash);
}

int ledger_prepare(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                   struct sql_stmt **out, struct cp_error *err)
{
    if (sql_prepare(l->db, sql, out) < 0)
        return ledger_db_fail(l, err, "cannot prepare a statement");
    sql_bind_args(*out, args, n);
    return 0;
}

int ledger_one_prior(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                     struct ledger_prior *out, struct cp_error *err)
{
    struct sql_stmt *st;
    if (ledger_prepare(l, sql, args, n, &st, err) < 0)
        return -1;
    int rc = sql_step(st), found = 0;
    if (rc == SQL_ROW) {
        ledger_read_prior(st, out);
        found = 1;
    } else if (rc != SQL_DONE) {
        found = ledger_db_fail(l, err, "lookup failed");
    }
    sql_finalize(st);
    return found;
}

int ledger_one_int(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                   int64_t *v, struct cp_error *err)
{
    struct sql_stmt *st;
    if (ledger_prepare(l, sql, args, n, &st, err) < 0)
        return -1;
    int rc = sql_step(st), found = 0;
    *v = 0;
    if (rc == SQL_ROW) {
        *v = sql_col_int64(st, 0);
        found = 1;
    } else if (rc != SQL_DONE) {
        found = ledger_db_fail(l, err, "lookup failed");
    }
    sql_finalize(st);
    return found;
}

long ledger_write(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                  struct cp_error *err)
{
    struct sql_stmt *st;
    if (ledger_end_deferrals(l) < 0)
        return ledger_db_fail(l, err, "cannot write");
    if (ledger_prepare(l, sql, args, n, &st, err) < 0)
        return -1;
    int rc = sql_step(st);
    sql_finalize(st);
    if (rc != SQL_DONE)
        return ledger_db_fail(l, err, "cannot write");
    return sql_changes(l->db);
}

int ledger_insert(struct ledger *l, const char *sql, const struct sql_arg *args, size_t n,
                  int64_t *id, struct cp_error *err)
{
    struct sql_stmt *st;
    if (ledger_end_deferrals(l) < 0)
        return ledger_db_fail(l, err, "cannot write");
    if (ledger_prepare(l, sql, args, n, &st, err) < 0)
        return -1;
    int rc = sql_step(st);
    if (rc == SQL_ROW) {
        *id = sql_col_int64(st, 0);
        rc = sql_step(st);
    }
    sql_finalize(st);
    if (rc != SQL_DONE)
        return ledger_db_fail(l, err, "cannot write");
    return 0;
}

int ledger_file_row(struct ledger *l, const char *file_hash, long input_row,
                    struct ledger_prior *out, struct cp_error *err)
{
    return ledger_one_prior(l,
                            "SELECT " PRIOR_COLUMNS " FROM attempts WHERE file_hash = ?1 AND "
                            "input_row = ?2 ORDER BY id DESC LIMIT 1",
                            SQL_ARGS(SQL_TEXT(file_hash), SQL_INT(input_row)), out, err);
}

int ledger_recent_contact(struct ledger *l, const char *email, const char *phone,
                          const char *business_id, time_t since, const char *file_hash,
                          struct ledger_prior *out, struct cp_error *err)
{
    return ledger_one_prior(l,
                            "SELECT " PRIOR_COLUMNS
                            " FROM attempts WHERE (?3 IS NULL OR business_id = ?3) AND "
                            "(email = ?1 OR phone = ?2) AND created_at >= ?4 AND "
                            "file_hash <> ?5 AND status IN ('sent', 'intent', 'in_doubt') "
                            "ORDER BY id DESC LIMIT 1",
                            SQL_ARGS(SQL_TEXT(email), SQL_TEXT(phone), SQL_TEXT(business_id),
                                     SQL_INT(since), SQL_TEXT(file_hash)),
                            out, err);
}

int ledger_pipeline_contact(struct ledger *l, const char *pipeline, const char *email,
                            const char *phone, const char *business_id, time_t since,
                            const char *file_hash, struct ledger_prior *out, struct cp_error *err)
{
    return ledger_one_prior(l,
                            "SELECT " PRIOR_COLUMNS_A " FROM attempts a JOIN runs r ON "
                            "r.run_id = a.run_id WHERE r.pipeline = ?1 AND a.business_id = ?4 AND "
                            "(a.email = ?2 OR a.phone = ?3) AND a.created_at > ?5 AND "
                            "a.file_hash <> ?6 AND a.status IN ('sent', 'intent', 'in_doubt') "
                            "ORDER BY a.id DESC LIMIT 1",
                            SQL_ARGS(SQL_TEXT(pipeline), SQL_TEXT(email), SQL_TEXT(phone),
                                     SQL_TEXT(business_id), SQL_INT(since), SQL_TEXT(file_hash)),
                            out, err);
}

long ledger_last_sms_left(struct ledger *l)
{
    struct cp_error ignored = {0};
    int64_t v;
    int found = ledger_one_int(l,
                               "SELECT sms_left FROM attempts WHERE sms_left IS NOT NULL "
                               "ORDER BY updated_at DESC, id DESC LIMIT 1",
                               SQL_NO_ARGS, &v, &ignored);
    return found == 1 ? (long)v : -1;
}

int ledger_run_begin(struct ledger *l, const char *run_id, const char *pipeline,
                     const char *file_path, const char *file_hash, struct cp_error *err)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return ledger_write(l,
                        "INSERT INTO runs(run_id, pipeline, file_path, file_hash, pid, started_at, "
                        "host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(run_id) DO UPDATE "
                        "SET pipeline = excluded.pipeline, file_path = excluded.file_path, "
                        "file_hash = excluded.file_hash, pid = excluded.pid, started_at = "
                        "excluded.started_at, host = excluded.host, finished_at = NULL, "
                        "exit_code = NULL",
                        SQL_ARGS(SQL_TEXT(run_id), SQL_TEXT(pipeline), SQL_TEXT(file_path),
                                 SQL_TEXT(file_hash), SQL_INT(getpid()), SQL_INT(clock_wall()),
                                 SQL_TEXT(host)),
                        err) < 0
               ? -1
               : 0;
}

int ledger_run_end(struct ledger *l, const char *run_id, int exit_code, struct cp_error *err)
{
    return ledger_write(l, "UPDATE runs SET finished_at = ?2, exit_code = ?3 WHERE run_id = ?1",
                        SQL_ARGS(SQL_TEXT(run_id), SQL_INT(clock_wall()), SQL_INT(exit_code)),
                        err) < 0
               ? -1
               : 0;
}

int ledger_intent(struct ledger *l, const char *run_id, const char *file_path,
                  const char *file_hash, const char *campaign_id, const struct row_result *r,
                  int64_t *attempt_id, struct cp_error *err)
{
    return ledger_insert(
        l,
        "INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, phone, "
        "first_name, business_id, campaign_id, status, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'intent', ?10, ?10) RETURNING id",
        SQL_ARGS(SQL_TEXT(run_id), SQL_TEXT(file_path), SQL_TEXT(file_hash), SQL_INT(r->input_row),
                 SQL_TEXT(strbuf_str(&r->email)), SQL_TEXT(strbuf_str(&r->phone)),
                 SQL_TEXT(strbuf_str(&r->first_name)), SQL_TEXT(strbuf_str(&r->business_id)),
                 SQL_TEXT(campaign_id), SQL_INT(clock_wall())),
        attempt_id, err);
}

int ledger_outcome(struct ledger *l, int64_t attempt_id, const char *status,
                   const struct row_result *r, struct cp_error *err)
{
    return ledger_write(
               l,
               "UPDATE attempts SET status = ?2, contact_id = ?3, http_status = ?4, "
               "sms_left = ?5, sms_renews = ?6, reason = ?7, updated_at = ?8 WHERE id = ?1",
               SQL_ARGS(SQL_INT(attempt_id), SQL_TEXT(status), SQL_TEXT(strbuf_str(&r->contact_id)),
                        r->http_status ? SQL_INT(r->http_status) : SQL_NULL,
                        r->sms_left >= 0 ? SQL_INT(r->sms_left) : SQL_NULL,
                        SQL_TEXT(strbuf_str(&r->sms_renews)), SQL_TEXT(strbuf_str(&r->reason)),
                        SQL_INT(clock_wall())),
               err) < 0
               ? -1
               : 0;
}

int ledger_mark_in_doubt(struct ledger *l, int64_t attempt_id, struct cp_error *err)
{
    return ledger_write(l,
                        "UPDATE attempts SET status = 'in_doubt', reason = 'the run was stopped "
                        "while this request was in flight', updated_at = ?2 WHERE id = ?1 AND "
                        "status = 'intent'",
                        SQL_ARGS(SQL_INT(attempt_id), SQL_INT(clock_wall())), err) < 0
               ? -1
               : 0;
}

int ledger_watermark_get(struct ledger *l, const char *name, char *value, size_t len,
                         struct cp_error *err)
{
    struct sql_stmt *st;
    if (ledger_prepare(l, "SELECT value FROM watermarks WHERE name = ?1", SQL_ARGS(SQL_TEXT(name)),
                       &st, err) < 0)
        return -1;
    int rc = sql_step(st), found = 0;
    if (rc == SQL_ROW) {
        ledger_copy_col(st, 0, value, len);
        found = 1;
    } else if (rc != SQL_DONE) {
        found = ledger_db_fail(l, err, "lookup failed");
    }
    sql_finalize(st);
    return found;
}

int ledger_watermark_set(struct ledger *l, const char *name, const char *value,
                         struct cp_error *err)
{
    return ledger_write(l,
                        "INSERT INTO watermarks(name, value, updated_at) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                        "updated_at = excluded.updated_at",
                        SQL_ARGS(SQL_TEXT(name), SQL_TEXT(value), SQL_INT(clock_wall())), err) < 0
               ? -1
               : 0;
}

int ledger_defer_insert(struct ledger *l, const char *run_id, const char *file_path,
                        const char *file_hash, const char *campaign_id, const struct row_result *r,
                        time_t not_before, int64_t *id, struct cp_error *err)
{
    struct sql_stmt *st;
    if (l->deferrals >= DEFER_BATCH && ledger_end_deferrals(l) < 0)
        return ledger_db_fail(l, err, "cannot write");
    if (!l->deferrals &&
        ledger_exec(l, sql_kind(l->db) == SQL_PG ? "BEGIN" : "BEGIN IMMEDIATE") < 0)
        return ledger_db_fail(l, err, "cannot write");
    l->deferrals++;
    if (ledger_prepare(
            l,
            "INSERT INTO attempts(run_id, file_path, file_hash, input_row, "
            "email, phone, first_name, business_id, campaign_id, status, reason, "
            "not_before, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            "?7, ?8, ?9, 'deferred', ?10, ?11, ?12, ?12) RETURNING id",
            SQL_ARGS(SQL_TEXT(run_id), SQL_TEXT(file_path), SQL_TEXT(file_hash),
                     SQL_INT(r->input_row), SQL_TEXT(strbuf_str(&r->email)),
                     SQL_TEXT(strbuf_str(&r->phone)), SQL_TEXT(strbuf_str(&r->first_name)),
                     SQL_TEXT(strbuf_str(&r->business_id)), SQL_TEXT(campaign_id),
                     SQL_TEXT(strbuf_str(&r->reason)), SQL_INT(not_before), SQL_INT(clock_wall())),
            &st, err) < 0)
        return -1;
    int rc = sql_step(st);
    if (rc == SQL_ROW) {
        *id = sql_col_int64(st, 0);
        rc = sql_step(st);
    }
    sql_finalize(st);
    return rc == SQL_DONE ? 0 : ledger_db_fail(l, err, "cannot write");
}

int ledger_defer(struct ledger *l, const char *run_id, const char *file_path, const char *file_hash,
                 const char *campaign_id, const struct row_result *r, time_t not_before,
                 struct cp_error *err)
{
    int64_t id;
    return ledger_defer_insert(l, run_id, file_path, file_hash, campaign_id, r, not_before, &id,
                               err);
}

int ledger_flush_deferrals(struct ledger *l, struct cp_error *err)
{
    if (ledger_end_deferrals(l) < 0)
        return ledger_db_fail(l, err, "cannot write");
    return 0;
}

int ledger_count_sends(struct ledger *l, const char *business_id, time_t from, time_t to, long *n,
                       struct cp_error *err)
{
    int64_t v = 0;
    int found =
        ledger_one_int(l,
                       "SELECT count(*) FROM attempts WHERE business_id = ?1 AND "
                       "created_at >= ?2 AND created_at < ?3 AND "
                       "status IN ('sent', 'intent', 'in_doubt')",
                       SQL_ARGS(SQL_TEXT(business_id), SQL_INT(from), SQL_INT(to)), &v, err);
    *n = (long)v;
    if (found == 0)
        return ledger_db_fail(l, err, "lookup failed");
    return found < 0 ? -1 : 0;
}

int ledger_file_summary(struct ledger *l, const char *file_hash, const char *run_id,
                        struct ledger_file_summary *out, struct cp_error *err)
{
    struct sql_stmt *st;
    int rc;
    memset(out, 0, sizeof *out);
    /* Each row's latest attempt decides what it counts as. */
    if (ledger_prepare(l,
                       "SELECT a.status, COUNT(*) FROM attempts a WHERE a.file_hash = ?1 AND "
                       "a.run_id <> ?2 AND a.id = (SELECT MAX(b.id) FROM attempts b WHERE "
                       "b.file_hash = ?1 AND b.input_row = a.input_row) GROUP BY a.status",
                       SQL_ARGS(SQL_TEXT(file_hash), SQL_TEXT(run_id)), &st, err) < 0)
        return -1;
    while ((rc = sql_step(st)) == SQL_ROW) {
        const char *status = sql_col_text(st, 0);
        long n = (long)sql_col_int64(st, 1);
        if (!status)
            continue;
        if (strcmp(status, "sent") == 0)
            out->sent += n;
        else if (strcmp(status, "failed") == 0)
            out->failed += n;
        else if (strcmp(status, "in_doubt") == 0 || strcmp(status, "intent") == 0)
            out->in_doubt += n;
    }
    sql_finalize(st);
    if (rc != SQL_DONE)
        return ledger_db_fail(l, err, "lookup failed");
    int64_t runs = 0;
    if (ledger_one_int(l,
                       "SELECT COUNT(DISTINCT run_id) FROM attempts WHERE file_hash = ?1 AND "
                       "run_id <> ?2",
                       SQL_ARGS(SQL_TEXT(file_hash), SQL_TEXT(run_id)), &runs, err) < 0)
        return -1;
    out->runs = (long)runs;
    return 0;
}
