/*
 * The ledger on PostgreSQL: connecting (store/pg_conn.h) and the schema.
 *
 * The schema has the same versions as SQLite's migration list in ledger.c
 * and is recorded in a schema_version table (one row per step applied,
 * with when). Migrations are forward-only and each runs in its own
 * transaction, all under a session advisory lock, so pods of a CronJob
 * starting at the same second apply each step once: the version is read
 * again after the lock is taken.
 *
 * Each entry below is the PostgreSQL text of the SQLite step with the same
 * number; it differs only in types (BIGSERIAL for SQLite's INTEGER PRIMARY
 * KEY, BIGINT for epoch seconds). A NULL entry runs SQLite's own text,
 * which is right for the additive steps both dialects share (ALTER TABLE
 * ... ADD COLUMN, CREATE INDEX): adding a step to SQLite's list is then
 * the whole change, and a step whose SQLite text PostgreSQL cannot run
 * fails loudly in the PostgreSQL tests and gets its entry here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/ledger_internal.h"
#include "store/pg_conn.h"

static const char *const pg_migrations[LEDGER_SCHEMA_VERSION] = {
    /* 1: attempts and runs. runs.rowid stands for SQLite's implicit rowid:
     * the order runs were recorded in, which `ledger --runs` sorts by. */
    "CREATE TABLE attempts ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  run_id TEXT NOT NULL,"
    "  file_path TEXT NOT NULL,"
    "  file_hash TEXT NOT NULL,"
    "  input_row BIGINT NOT NULL,"
    "  email TEXT,"
    "  phone TEXT,"
    "  first_name TEXT,"
    "  business_id TEXT NOT NULL,"
    "  campaign_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  contact_id TEXT,"
    "  http_status INTEGER,"
    "  sms_left BIGINT,"
    "  sms_renews TEXT,"
    "  reason TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX attempts_file_row ON attempts(file_hash, input_row);"
    "CREATE INDEX attempts_email ON attempts(email, business_id) WHERE email IS NOT NULL;"
    "CREATE INDEX attempts_phone ON attempts(phone, business_id) WHERE phone IS NOT NULL;"
    "CREATE TABLE runs ("
    "  run_id TEXT PRIMARY KEY,"
    "  pipeline TEXT NOT NULL,"
    "  file_path TEXT,"
    "  file_hash TEXT,"
    "  pid BIGINT,"
    "  started_at BIGINT NOT NULL,"
    "  finished_at BIGINT,"
    "  exit_code INTEGER,"
    "  rowid BIGSERIAL);",
    /* 2: export watermarks. */
    "CREATE TABLE watermarks ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at BIGINT NOT NULL);",
    /* 3: send windows and daily caps. */
    "ALTER TABLE attempts ADD COLUMN not_before BIGINT;"
    "CREATE INDEX attempts_business_day ON attempts(business_id, created_at);",
    /* 4: the account's ledger (issue 11). */
    "ALTER TABLE attempts ADD COLUMN body_hash TEXT;"
    "ALTER TABLE runs ADD COLUMN host TEXT;"
    "CREATE INDEX attempts_created ON attempts(created_at);"
    "CREATE TABLE suppressions ("
    "  key_hash TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE erasures ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  what TEXT NOT NULL,"
    "  attempts BIGINT NOT NULL,"
    "  suppressed INTEGER NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE merges ("
    "  path TEXT PRIMARY KEY,"
    "  attempts BIGINT NOT NULL,"
    "  merged_at BIGINT NOT NULL);",
};

#define STR2(x)     #x
#define STR(x)      STR2(x)
#define MIGRATE_KEY STR(LEDGER_PG_LOCK_CLASS) ", " STR(LEDGER_PG_LOCK_MIGRATE)

/* The schema's version: 0 when no ledger was made here yet, -1 with err. */
static int pg_version(struct ledger *l, struct cp_error *err)
{
    int64_t v = 0;
    int64_t exists;
    if (ledger_one_int(l,
                       "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
                       "'schema_version' AND schemaname = ANY (current_schemas(false))",
                       SQL_NO_ARGS, &exists, err) < 0)
        return -1;
    if (!exists)
        return 0;
    if (ledger_one_int(l, "SELECT COALESCE(MAX(version), 0) FROM schema_version", SQL_NO_ARGS, &v,
                       err) < 0)
        return -1;
    return (int)v;
}

static int step(struct ledger *l, int v, struct cp_error *err)
{
    const char *sql = pg_migrations[v] ? pg_migrations[v] : ledger_sqlite_migration(v + 1);
    if (ledger_exec(l, "BEGIN") < 0 || ledger_exec(l, sql) < 0 ||
        ledger_write(l, "INSERT INTO schema_version(version, applied_at) VALUES (?1, ?2)",
                     SQL_ARGS(SQL_INT(v + 1), SQL_INT(time(NULL))), err) < 0 ||
        ledger_exec(l, "COMMIT") < 0) {
        cp_fail(err, CP_EXIT_USAGE, "ledger '%s': migrating to schema %d failed: %s", l->path,
                v + 1, sql_errmsg(l->db));
        ledger_exec(l, "ROLLBACK");
        return -1;
    }
    return 0;
}

/* Bring the schema to `target` under the migration lock. */
static int pg_migrate(struct ledger *l, int target, struct cp_error *err)
{
    int v, rc = -1;
    if (ledger_exec(l, "SELECT pg_advisory_lock(" MIGRATE_KEY ")") < 0)
        return ledger_db_fail(l, err, "cannot take the migration lock");
    if (ledger_exec(l, "CREATE TABLE IF NOT EXISTS schema_version ("
                       "  version INTEGER PRIMARY KEY,"
                       "  applied_at BIGINT NOT NULL)") < 0) {
        ledger_db_fail(l, err, "cannot create schema_version");
        goto out;
    }
    if ((v = pg_version(l, err)) < 0)
        goto out;
    if (v > LEDGER_SCHEMA_VERSION) {
        cp_fail(err, CP_EXIT_USAGE,
                "ledger '%s' has schema version %d, newer than this cloutly-pipe "
                "understands (%d): upgrade cloutly-pipe",
                l->path, v, LEDGER_SCHEMA_VERSION);
        goto out;
    }
    for (; v < target; v++)
        if (step(l, v, err) < 0)
            goto out;
    rc = 0;
out:
    ledger_exec(l, "SELECT pg_advisory_unlock(" MIGRATE_KEY ")");
    return rc;
}

int ledger_pg_open(const char *url, const char *password_file, int readonly, int target,
                   struct ledger **out, struct cp_error *err)
{
    char shown[512];
    PGconn *conn;
    *out = NULL;
    pg_conn_redact(url, shown, sizeof shown);
    struct ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(shown))) {
        free(l);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    if (pg_conn_open(url, password_file, &conn, err) < 0)
        goto fail;
    if (!(l->db = sql_wrap_pg(conn))) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        goto fail;
    }
    if (readonly) {
        int v = pg_version(l, err);
        if (v < 0)
            goto fail;
        if (v == 0) { /* no pipeline of the account has run yet */
            ledger_close(l);
            return 0;
        }
    }
    /* Also for reading: an older schema is brought up to date (additive),
     * as upgrade_for_reading does for a file. */
    if (pg_migrate(l, target, err) < 0)
        goto fail;
    *out = l;
    return 0;
fail:
    ledger_close(l);
    return -1;
}
