/*
 * The review mirror: see mirror.h.
 *
 * Typed columns are filled by SQLite's own JSON functions from the raw text
 * in the same INSERT (SQLite caches the parse within a statement), so the
 * column list is declared once, in FIELDS below. Change detection costs one
 * primary-key lookup and one hash comparison per review; only a changed
 * review is diffed field by field against the stored raw.
 */
#include "export/mirror.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/isotime.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "export/canon_json.h"

/* column, JSON path, SQL expression over ?2 (the raw text). */
#define FIELDS(X)                                                                       \
    X(author_name, "$.authorName")                                                      \
    X(business_id, "$.businessId")                                                      \
    X(created_at, "$.createdAt")                                                        \
    X(email, "$.email")                                                                 \
    X(is_archived, "$.isArchived")                                                      \
    X(name, "$.name")                                                                   \
    X(phone_number, "$.phoneNumber")                                                    \
    X(photo, "$.photo")                                                                 \
    X(show_on_widget, "$.showOnWidget")                                                 \
    X(response_name, "$.response.name")                                                 \
    X(response_date, "$.response.date")                                                 \
    X(response_comment, "$.response.comment")                                           \
    X(shield, "$.shield")                                                               \
    X(source, "$.source")                                                               \
    X(source_feedback_id, "$.sourceFeedbackId")                                         \
    X(status, "$.status")                                                               \
    X(review_url, "$.reviewUrl")                                                        \
    X(text, "$.text")                                                                   \
    X(type, "$.type")                                                                   \
    X(video_ref, "$.videoRef")                                                          \
    X(gif_ref, "$.gifRef")                                                              \
    X(updated_at, "$.updatedAt")

#define COL_DECL(c, path) #c ","
#define COL_NAME(c, path) "," #c
#define COL_VALUE(c, path) ",json_extract(?2,'" path "')"
#define COL_SET(c, path) "," #c "=json_extract(?2,'" path "')"
/* rating: "5" and 5 are both 5; text that is no number is NULL. */
#define RATING_VALUE                                                                    \
    "CASE WHEN json_type(?2,'$.rating') IN ('integer','real') THEN json_extract(?2,'$.rating')" \
    " WHEN json_type(?2,'$.rating')='text' AND trim(json_extract(?2,'$.rating')) GLOB '[0-9]*'" \
    " THEN CAST(trim(json_extract(?2,'$.rating')) AS INTEGER) END"

/* Content and bookkeeping apart: a run touches every review it reads, and a
 * review that did not change must cost a narrow row (review_state), not a
 * rewrite of its text (review_data). `reviews` joins them for readers. */
static const char schema_v1[] =
    "CREATE TABLE review_data ("
    "  id TEXT PRIMARY KEY,"
    "  author_name TEXT, business_id TEXT, created_at TEXT, email TEXT, is_archived INTEGER,"
    "  name TEXT, phone_number TEXT, photo TEXT, rating INTEGER, show_on_widget INTEGER,"
    "  response_name TEXT, response_date TEXT, response_comment TEXT, shield INTEGER,"
    "  source TEXT, source_feedback_id TEXT, status TEXT, review_url TEXT, text TEXT,"
    "  type TEXT, video_ref TEXT, gif_ref TEXT, updated_at TEXT,"
    "  raw TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX review_data_created_at ON review_data(created_at);"
    "CREATE TABLE review_state ("
    "  id TEXT PRIMARY KEY,"
    "  raw_hash INTEGER NOT NULL,"
    "  content_hash INTEGER NOT NULL,"
    "  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_changed TEXT NOT NULL,"
    "  deleted_at TEXT,"
    "  last_seen_run INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE VIEW reviews AS"
    "  SELECT d.id, d.author_name, d.business_id, d.created_at, d.email, d.is_archived, d.name,"
    "  d.phone_number, d.photo, d.rating, d.show_on_widget, d.response_name, d.response_date,"
    "  d.response_comment, d.shield, d.source, d.source_feedback_id, d.status, d.review_url,"
    "  d.text, d.type, d.video_ref, d.gif_ref, d.updated_at, d.raw, s.content_hash,"
    "  s.first_seen, s.last_seen, s.last_changed, s.deleted_at, s.last_seen_run"
    "  FROM review_data d JOIN review_state s ON s.id = d.id;"
    "CREATE TABLE review_changes ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  run INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('created','updated','deleted','restored')),"
    "  fields TEXT);"
    "CREATE INDEX review_changes_id ON review_changes(id);"
    "CREATE INDEX review_changes_run ON review_changes(run);"
    "CREATE TABLE runs ("
    "  run INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('incremental','full')),"
    "  complete INTEGER NOT NULL DEFAULT 0,"
    "  pages INTEGER, seen INTEGER, created INTEGER, updated INTEGER, deleted INTEGER,"
    "  restored INTEGER);"
    "CREATE VIEW reviews_awaiting_reply AS"
    "  SELECT * FROM reviews WHERE deleted_at IS NULL AND coalesce(is_archived,0)=0"
    "  AND response_name IS NULL AND response_date IS NULL AND response_comment IS NULL;"
    "CREATE VIEW rating_by_month_source AS"
    "  SELECT substr(created_at,1,7) AS month, source, count(*) AS reviews,"
    "  avg(rating) AS avg_rating, sum(rating=1) AS rating_1, sum(rating=2) AS rating_2,"
    "  sum(rating=3) AS rating_3, sum(rating=4) AS rating_4, sum(rating=5) AS rating_5"
    "  FROM reviews WHERE deleted_at IS NULL GROUP BY 1, 2;"
    "CREATE VIEW replies_by_month AS"
    "  SELECT substr(response_date,1,7) AS month, count(*) AS replies FROM reviews"
    "  WHERE deleted_at IS NULL AND response_date IS NOT NULL GROUP BY 1;";

enum stmt {
    S_SEEN,
    S_RAW,
    S_INSERT_DATA,
    S_INSERT_STATE,
    S_UPDATE_DATA,
    S_UPDATE_STATE,
    S_REHASH,
    S_RESTORE,
    S_CHANGE,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_SEEN] = "UPDATE review_state SET last_seen=?2, last_seen_run=?3 WHERE id=?1"
               " RETURNING raw_hash, content_hash, deleted_at",
    [S_RAW] = "SELECT raw FROM review_data WHERE id=?1",
    [S_INSERT_DATA] = "INSERT INTO review_data(id, raw, rating" FIELDS(COL_NAME) ")"
                      " VALUES(?1, ?2, " RATING_VALUE FIELDS(COL_VALUE) ")",
    [S_INSERT_STATE] = "INSERT INTO review_state(id, raw_hash, content_hash, first_seen, last_seen,"
                       " last_changed, last_seen_run) VALUES(?1, ?2, ?3, ?4, ?4, ?4, ?5)",
    [S_UPDATE_DATA] = "UPDATE review_data SET raw=?2, rating=" RATING_VALUE FIELDS(COL_SET)
                      " WHERE id=?1",
    [S_UPDATE_STATE] = "UPDATE review_state SET raw_hash=?2, content_hash=?3, last_changed=?4,"
                       " deleted_at=NULL WHERE id=?1",
    [S_REHASH] = "UPDATE review_state SET raw_hash=?2 WHERE id=?1",
    [S_RESTORE] = "UPDATE review_state SET deleted_at=NULL WHERE id=?1",
    [S_CHANGE] = "INSERT INTO review_changes(id, at, run, kind, fields) VALUES(?1, ?2, ?3, ?4, ?5)",
};

struct mirror {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[S_COUNT];
    int in_run;
    char at[40];            /* this run's time */
    struct mirror_stats ms;
    struct strbuf canon;    /* scratch: a review's canonical text */
    struct strbuf diff;     /* scratch: its changed fields */
};

static int db_fail(struct mirror *m, struct cp_error *err, const char *what)
{
    return cp_fail(err, CP_EXIT_USAGE, "mirror '%s': %s: %s", m->path, what, sqlite3_errmsg(m->db));
}

static int exec(struct mirror *m, const char *sql, struct cp_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    cp_fail(err, CP_EXIT_USAGE, "mirror '%s': %s", m->path, msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
}

/* A single text value of a one-row query, into buf ("" when no row). */
static int query_text(struct mirror *m, const char *sql, char *buf, size_t len,
                      struct cp_error *err)
{
    sqlite3_stmt *s;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(m->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "query");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(m, err, "query");
    return 0;
}

static int set_meta(struct mirror *m, const char *key, const char *value, struct cp_error *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO mirror_meta(key, value) VALUES(?1, ?2)",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "meta");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "meta");
}

/* Create the schema on a new file; check version and selection on an old one. */
static int setup_schema(struct mirror *m, const char *selection, struct cp_error *err)
{
    char version[32], sel[1024];
    if (exec(m, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS mirror_meta(key TEXT PRIMARY KEY,"
                " value TEXT NOT NULL);", err) < 0)
        return -1;
    if (query_text(m, "SELECT value FROM mirror_meta WHERE key='schema_version'", version,
                   sizeof version, err) < 0)
        goto fail;
    if (!version[0]) {
        char v[16];
        snprintf(v, sizeof v, "%d", MIRROR_SCHEMA_VERSION);
        if (exec(m, schema_v1, err) < 0 || set_meta(m, "schema_version", v, err) < 0 ||
            set_meta(m, "selection", selection, err) < 0)
            goto fail;
    } else if (atoi(version) > MIRROR_SCHEMA_VERSION) {
        cp_fail(err, CP_EXIT_USAGE, "mirror '%s' has schema version %s, newer than this "
                "cloutly-pipe knows (%d): upgrade cloutly-pipe", m->path, version,
                MIRROR_SCHEMA_VERSION);
        goto fail;
    } else {
        if (query_text(m, "SELECT value FROM mirror_meta WHERE key='selection'", sel, sizeof sel,
                       err) < 0)
            goto fail;
        if (strcmp(sel, selection) != 0) {
            cp_fail(err, CP_EXIT_USAGE, "mirror '%s' holds the reviews selected by '%s', not "
                    "'%s': a mirror covers one selection (its deletions would be wrong for "
                    "another); give this selection its own mirror file", m->path,
                    sel[0] ? sel : "(every review)", selection[0] ? selection : "(every review)");
            goto fail;
        }
    }
    return exec(m, "COMMIT", err);
fail:
    sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int mirror_open(const char *path, const char *selection, struct mirror **out,
                struct cp_error *err)
{
    struct mirror *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m || !(m->path = strdup(path))) {
        free(m);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    strbuf_init(&m->canon, 64u << 20);
    strbuf_init(&m->diff, 64u << 20);
    if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        db_fail(m, err, "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(m->db, 2000);
    /* 8 MiB of page cache: a sweep's random lookups by id hit it more often,
     * and memory stays flat however large the mirror grows. */
    if (exec(m, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-8192;",
             err) < 0 ||
        setup_schema(m, selection, err) < 0)
        goto fail;
    for (int i = 0; i < S_COUNT; i++)
        if (sqlite3_prepare_v3(m->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &m->st[i],
                               NULL) != SQLITE_OK) {
            db_fail(m, err, "prepare");
            goto fail;
        }
    *out = m;
    return 0;
fail:
    mirror_close(m);
    return -1;
}

void mirror_close(struct mirror *m)
{
    if (!m)
        return;
    if (m->in_run)
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(m->st[i]);
    sqlite3_close(m->db);
    strbuf_release(&m->canon);
    strbuf_release(&m->diff);
    free(m->path);
    free(m);
}

int mirror_plan(struct mirror *m, int64_t *newest_us, int64_t *last_full, struct cp_error *err)
{
    char buf[64];
    int64_t us;
    *newest_us = 0;
    *last_full = 0;
    if (query_text(m, "SELECT max(d.created_at) FROM review_data d JOIN review_state s ON s.id = d.id"
                   " WHERE s.deleted_at IS NULL", buf,
                   sizeof buf, err) < 0)
        return -1;
    if (buf[0] && isotime_parse(buf, strlen(buf), &us) == 0)
        *newest_us = us;
    if (query_text(m, "SELECT max(started_at) FROM runs WHERE kind='full' AND complete=1", buf,
                   sizeof buf, err) < 0)
        return -1;
    if (buf[0] && isotime_parse(buf, strlen(buf), &us) == 0)
        *last_full = us / 1000000;
    return 0;
}

int mirror_begin(struct mirror *m, const char *at, int full, struct cp_error *err)
{
    sqlite3_stmt *s;
    if (sqlite3_exec(m->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return cp_fail(err, CP_EXIT_USAGE, "mirror '%s' is being updated by another run (%s): "
                       "wait for it to finish", m->path, sqlite3_errmsg(m->db));
    m->in_run = 1;
    memset(&m->ms, 0, sizeof m->ms);
    m->ms.full = full;
    snprintf(m->at, sizeof m->at, "%s", at);
    if (sqlite3_prepare_v2(m->db, "INSERT INTO runs(started_at, kind) VALUES(?1, ?2)", -1, &s,
                           NULL) != SQLITE_OK)
        return db_fail(m, err, "runs");
    sqlite3_bind_text(s, 1, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, full ? "full" : "incremental", -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(m, err, "runs");
    m->ms.run = (long)sqlite3_last_insert_rowid(m->db);
    return 0;
}

static int add_change(struct mirror *m, const char *id, size_t id_len, const char *kind,
                      const char *fields, size_t fields_len, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[S_CHANGE];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, m->ms.run);
    sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
    if (fields)
        sqlite3_bind_text(s, 5, fields, (int)fields_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 5);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "review_changes");
}

/* Step a statement bound by the caller, then reset it. */
static int step_done(struct mirror *m, sqlite3_stmt *s, struct cp_error *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "reviews");
}

/* review_data: the review's text and typed columns (insert or update). */
static int write_data(struct mirror *m, enum stmt which, const char *id, size_t id_len,
                      const struct json_span *raw, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[which];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, raw->p, (int)raw->n, SQLITE_STATIC);
    return step_done(m, s, err);
}

/* review_state: hashes and times (insert of a new review, or its change). */
static int write_state(struct mirror *m, enum stmt which, const char *id, size_t id_len,
                       int64_t raw_hash, int64_t hash, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[which];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, raw_hash);
    sqlite3_bind_int64(s, 3, hash);
    sqlite3_bind_text(s, 4, m->at, -1, SQLITE_STATIC);
    if (which == S_INSERT_STATE)
        sqlite3_bind_int64(s, 5, m->ms.run);
    return step_done(m, s, err);
}

static int by_id(struct mirror *m, enum stmt which, const char *id, size_t id_len,
                 int64_t value, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[which];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    if (which == S_REHASH)
        sqlite3_bind_int64(s, 2, value);
    return step_done(m, s, err);
}

/* The review's changed fields against the stored raw, into m->diff. */
static int diff_stored(struct mirror *m, const char *id, size_t id_len,
                       const struct json_span *raw, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[S_RAW];
    struct json_scanner sc;
    struct json_span ov;
    int rc = -1;

    strbuf_reset(&m->diff);
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        db_fail(m, err, "review_data");
        goto out;
    }
    const char *old = (const char *)sqlite3_column_text(s, 0);
    size_t old_len = (size_t)sqlite3_column_bytes(s, 0);
    json_scanner_init(&sc, old, old_len);
    if (!json_value(&sc, json_skip_ws(&sc, old), 0, &ov) || ov.type != JSON_OBJECT) {
        /* A stored raw that is no object cannot be diffed: the whole review changed. */
        rc = strbuf_addstr(&m->diff, "{\"\":{}}");
    } else {
        rc = strbuf_add(&m->diff, "{", 1) < 0 || canon_json_diff(&ov, raw, &m->diff) < 0 ||
                     strbuf_add(&m->diff, "}", 1) < 0
                 ? -1
                 : 0;
    }
    if (rc < 0)
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
out:
    sqlite3_reset(s);
    return rc;
}

static int content_hash(struct mirror *m, const struct review_ref *r, int64_t *hash,
                        struct cp_error *err)
{
    strbuf_reset(&m->canon);
    if (canon_json(&r->raw, &m->canon) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    *hash = (int64_t)canon_hash(m->canon.buf, m->canon.len);
    return 0;
}

/* A review the mirror has never seen. */
static int put_new(struct mirror *m, const struct review_ref *r, const char *id, size_t id_len,
                   int64_t raw_hash, struct cp_error *err)
{
    int64_t hash;
    m->ms.created++;
    return content_hash(m, r, &hash, err) < 0 ||
                   write_data(m, S_INSERT_DATA, id, id_len, &r->raw, err) < 0 ||
                   write_state(m, S_INSERT_STATE, id, id_len, raw_hash, hash, err) < 0 ||
                   add_change(m, id, id_len, "created", NULL, 0, err) < 0
               ? -1
               : 0;
}

int mirror_put(struct mirror *m, const struct review_ref *r, struct cp_error *err)
{
    size_t id_len;
    const char *id = review_id_text(r, &id_len);
    sqlite3_stmt *seen = m->st[S_SEEN];
    int64_t hash = 0;

    if (id_len == 0) {
        log_msg(LOG_WARN, "a review without an id cannot be mirrored: skipped");
        return 0;
    }
    m->ms.seen++;
    int64_t raw_hash = (int64_t)canon_hash(r->raw.p, r->raw.n);
    /* The one statement an unchanged review costs: mark it seen, learn its hashes. */
    sqlite3_bind_text(seen, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(seen, 2, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(seen, 3, m->ms.run);
    int rc = sqlite3_step(seen);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(seen);
        return rc == SQLITE_DONE ? put_new(m, r, id, id_len, raw_hash, err)
                                 : db_fail(m, err, "review_state");
    }
    int64_t old_raw = sqlite3_column_int64(seen, 0), old_hash = sqlite3_column_int64(seen, 1);
    /* Not `deleted_at IS NOT NULL` in the RETURNING clause: SQLite 3.40
     * answers 1 for it on a NULL there. */
    int was_deleted = sqlite3_column_type(seen, 2) != SQLITE_NULL;
    sqlite3_reset(seen);

    int same = old_raw == raw_hash; /* the very bytes: no canonical form needed */
    if (!same) {
        if (content_hash(m, r, &hash, err) < 0)
            return -1;
        same = hash == old_hash;
        /* Other bytes, same content: remember the bytes so the next run skips the work. */
        if (same && by_id(m, S_REHASH, id, id_len, raw_hash, err) < 0)
            return -1;
    }
    if (same) {
        if (!was_deleted) {
            m->ms.unchanged++;
            return 0;
        }
        m->ms.restored++;
        return by_id(m, S_RESTORE, id, id_len, 0, err) < 0 ||
                       add_change(m, id, id_len, "restored", NULL, 0, err) < 0
                   ? -1
                   : 0;
    }
    if (diff_stored(m, id, id_len, &r->raw, err) < 0)
        return -1;
    if (was_deleted)
        m->ms.restored++;
    else
        m->ms.updated++;
    return write_data(m, S_UPDATE_DATA, id, id_len, &r->raw, err) < 0 ||
                   write_state(m, S_UPDATE_STATE, id, id_len, raw_hash, hash, err) < 0 ||
                   add_change(m, id, id_len, was_deleted ? "restored" : "updated", m->diff.buf,
                              m->diff.len, err) < 0
               ? -1
               : 0;
}

/* Why a sweep proves nothing about absences, or NULL when it does. */
static const char *sweep_doubt(const struct export_stats *st)
{
    if (!st->reached_end)
        return "it did not reach the end of the list";
    if (st->total_drops)
        return "the server's total dropped during it (reviews deleted mid-walk can shift "
               "others past the pages already read)";
    if (st->total_first < 0)
        return "the server gave no total to check it against";
    if (st->written < st->total_first)
        return "it found fewer reviews than the server's total";
    return NULL;
}

int mirror_finish_sweep(struct mirror *m, const struct export_stats *st, struct cp_error *err)
{
    sqlite3_stmt *s;
    if (!m->ms.full)
        return 0;
    const char *doubt = sweep_doubt(st);
    if (doubt) {
        log_msg(LOG_WARN, "mirror: full sweep not counted, nothing marked deleted: %s; the next "
                          "run sweeps again", doubt);
        return 0;
    }
    m->ms.sweep_counted = 1;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO review_changes(id, at, run, kind) SELECT id, ?1, "
                           "?2, 'deleted' FROM review_state WHERE deleted_at IS NULL AND "
                           "last_seen_run < ?2 ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "deletions");
    sqlite3_bind_text(s, 1, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, m->ms.run);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(m, err, "deletions");
    m->ms.deleted = sqlite3_changes(m->db);
    if (sqlite3_prepare_v2(m->db, "UPDATE review_state SET deleted_at=?1 WHERE deleted_at IS NULL AND "
                           "last_seen_run < ?2", -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "deletions");
    sqlite3_bind_text(s, 1, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, m->ms.run);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "deletions");
}

int mirror_write_changes(struct mirror *m, FILE *fp, struct cp_error *err)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(m->db, "SELECT json_object('kind', c.kind, 'id', c.id, 'at', c.at,"
                           " 'fields', json(c.fields), 'review', json(r.raw)) FROM review_changes c"
                           " JOIN review_data r ON r.id = c.id WHERE c.run = ?1 ORDER BY c.seq",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "changes");
    sqlite3_bind_int64(s, 1, m->ms.run);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const void *line = sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (fwrite(line, 1, n, fp) != n || fputc('\n', fp) == EOF) {
            sqlite3_finalize(s);
            return cp_fail(err, CP_EXIT_USAGE, "cannot write the change feed");
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "changes");
}

int mirror_commit(struct mirror *m, long pages, struct cp_error *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(m->db, "UPDATE runs SET complete=?2, pages=?3, seen=?4, created=?5,"
                           " updated=?6, deleted=?7, restored=?8 WHERE run=?1", -1, &s, NULL) !=
        SQLITE_OK)
        return db_fail(m, err, "runs");
    sqlite3_bind_int64(s, 1, m->ms.run);
    sqlite3_bind_int(s, 2, m->ms.sweep_counted);
    sqlite3_bind_int64(s, 3, pages);
    sqlite3_bind_int64(s, 4, m->ms.seen);
    sqlite3_bind_int64(s, 5, m->ms.created);
    sqlite3_bind_int64(s, 6, m->ms.updated);
    sqlite3_bind_int64(s, 7, m->ms.deleted);
    sqlite3_bind_int64(s, 8, m->ms.restored);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(m, err, "runs");
    if (sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(m, err, "commit");
    m->in_run = 0;
    return 0;
}

const struct mirror_stats *mirror_stats(const struct mirror *m)
{
    return &m->ms;
}

int mirror_each(struct mirror *m, int ascending, mirror_each_fn fn, void *ctx,
                struct cp_error *err)
{
    sqlite3_stmt *s;
    int rc;
    const char *sql = ascending
                          ? "SELECT raw FROM reviews WHERE deleted_at IS NULL ORDER BY created_at, id"
                          : "SELECT raw FROM reviews WHERE deleted_at IS NULL ORDER BY created_at "
                            "DESC, id DESC";
    if (sqlite3_prepare_v2(m->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "read");
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(ctx, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0),
               err) < 0) {
            sqlite3_finalize(s);
            return -1;
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "read");
}
