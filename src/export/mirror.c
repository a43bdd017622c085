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

static const char schema_v1[] =
    "CREATE TABLE reviews ("
    "  id TEXT PRIMARY KEY,"
    "  author_name TEXT, business_id TEXT, created_at TEXT, email TEXT, is_archived INTEGER,"
    "  name TEXT, phone_number TEXT, photo TEXT, rating INTEGER, show_on_widget INTEGER,"
    "  response_name TEXT, response_date TEXT, response_comment TEXT, shield INTEGER,"
    "  source TEXT, source_feedback_id TEXT, status TEXT, review_url TEXT, text TEXT,"
    "  type TEXT, video_ref TEXT, gif_ref TEXT, updated_at TEXT,"
    "  raw TEXT NOT NULL,"
    "  content_hash INTEGER NOT NULL,"
    "  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_changed TEXT NOT NULL,"
    "  deleted_at TEXT,"
    "  last_seen_run INTEGER NOT NULL);"
    "CREATE INDEX reviews_created_at ON reviews(created_at);"
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
    S_FIND,
    S_INSERT,
    S_UPDATE,
    S_TOUCH,
    S_CHANGE,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_FIND] = "SELECT content_hash, deleted_at IS NOT NULL, raw FROM reviews WHERE id=?1",
    [S_INSERT] = "INSERT INTO reviews(id, raw, content_hash, first_seen, last_seen, last_changed,"
                 " last_seen_run, rating" FIELDS(COL_NAME) ") VALUES(?1, ?2, ?3, ?4, ?4, ?4, ?5, "
                 RATING_VALUE FIELDS(COL_VALUE) ")",
    [S_UPDATE] = "UPDATE reviews SET raw=?2, content_hash=?3, last_seen=?4, last_changed=?4,"
                 " last_seen_run=?5, deleted_at=NULL, rating=" RATING_VALUE FIELDS(COL_SET)
                 " WHERE id=?1",
    [S_TOUCH] = "UPDATE reviews SET last_seen=?2, last_seen_run=?3, deleted_at=NULL WHERE id=?1",
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
    if (exec(m, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) < 0 ||
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
    if (query_text(m, "SELECT max(created_at) FROM reviews WHERE deleted_at IS NULL", buf,
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

/* Bind ?1 id, ?2 raw, ?3 hash, ?4 at, ?5 run and step `which`. */
static int write_review(struct mirror *m, enum stmt which, const char *id, size_t id_len,
                        const struct json_span *raw, int64_t hash, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[which];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, raw->p, (int)raw->n, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, hash);
    sqlite3_bind_text(s, 4, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, m->ms.run);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "reviews");
}

static int touch(struct mirror *m, const char *id, size_t id_len, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[S_TOUCH];
    sqlite3_bind_text(s, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, m->ms.run);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : db_fail(m, err, "reviews");
}

/* The review's changed fields against the stored raw, into m->diff. */
static int diff_stored(struct mirror *m, const char *old, size_t old_len,
                       const struct json_span *raw, struct cp_error *err)
{
    struct json_scanner sc;
    struct json_span ov;
    strbuf_reset(&m->diff);
    json_scanner_init(&sc, old, old_len);
    const char *p = json_skip_ws(&sc, old);
    if (!json_value(&sc, p, 0, &ov) || ov.type != JSON_OBJECT) {
        /* A stored raw that is no object cannot be diffed: say the whole review changed. */
        return strbuf_addstr(&m->diff, "{\"\":{}}") < 0 ? cp_fail(err, CP_EXIT_USAGE, "out of memory") : 0;
    }
    if (strbuf_add(&m->diff, "{", 1) < 0 || canon_json_diff(&ov, raw, &m->diff) < 0 ||
        strbuf_add(&m->diff, "}", 1) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    return 0;
}

int mirror_put(struct mirror *m, const struct review_ref *r, struct cp_error *err)
{
    size_t id_len;
    const char *id = review_id_text(r, &id_len);
    sqlite3_stmt *find = m->st[S_FIND];
    int rc;

    if (id_len == 0) {
        log_msg(LOG_WARN, "a review without an id cannot be mirrored: skipped");
        return 0;
    }
    strbuf_reset(&m->canon);
    if (canon_json(&r->raw, &m->canon) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    int64_t hash = (int64_t)canon_hash(m->canon.buf, m->canon.len);
    m->ms.seen++;

    sqlite3_bind_text(find, 1, id, (int)id_len, SQLITE_STATIC);
    rc = sqlite3_step(find);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(find);
        m->ms.created++;
        return write_review(m, S_INSERT, id, id_len, &r->raw, hash, err) < 0 ||
                       add_change(m, id, id_len, "created", NULL, 0, err) < 0
                   ? -1
                   : 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(find);
        return db_fail(m, err, "reviews");
    }
    int64_t old_hash = sqlite3_column_int64(find, 0);
    int was_deleted = sqlite3_column_int(find, 1);
    if (old_hash == hash) {
        sqlite3_reset(find);
        if (was_deleted) {
            m->ms.restored++;
            if (add_change(m, id, id_len, "restored", NULL, 0, err) < 0)
                return -1;
        } else {
            m->ms.unchanged++;
        }
        return touch(m, id, id_len, err);
    }
    rc = diff_stored(m, (const char *)sqlite3_column_text(find, 2),
                     (size_t)sqlite3_column_bytes(find, 2), &r->raw, err);
    sqlite3_reset(find);
    if (rc < 0)
        return -1;
    if (was_deleted)
        m->ms.restored++;
    else
        m->ms.updated++;
    return write_review(m, S_UPDATE, id, id_len, &r->raw, hash, err) < 0 ||
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
                           "?2, 'deleted' FROM reviews WHERE deleted_at IS NULL AND "
                           "last_seen_run < ?2 ORDER BY created_at", -1, &s, NULL) != SQLITE_OK)
        return db_fail(m, err, "deletions");
    sqlite3_bind_text(s, 1, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, m->ms.run);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(m, err, "deletions");
    m->ms.deleted = sqlite3_changes(m->db);
    if (sqlite3_prepare_v2(m->db, "UPDATE reviews SET deleted_at=?1 WHERE deleted_at IS NULL AND "
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
                           " JOIN reviews r ON r.id = c.id WHERE c.run = ?1 ORDER BY c.seq",
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
