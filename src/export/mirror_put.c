/*
 * What a mirror run does with each review read from the API, and at the end
 * of a full sweep with the reviews it did not read: see mirror.h for the
 * rules (created, updated, restored, deleted) and mirror.c for the schema.
 *
 * An unchanged review costs a hash of its bytes and, in a full sweep, a
 * lookup in memory (mirror_index.h), in an incremental run one UPDATE ...
 * RETURNING on its narrow review_state row. Only bytes that differ from the
 * last ones read get the canonical form, and only a changed review is
 * diffed field by field against the stored raw.
 */
#include <string.h>

#include <sqlite3.h>

#include "api/json_scan.h"
#include "core/isotime.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "export/canon_json.h"
#include "export/idset.h"
#include "export/mirror.h"
#include "export/mirror_impl.h"
#include "export/mirror_index.h"

/* Step a statement bound by the caller, then reset it. */
static int step_done(struct mirror *m, sqlite3_stmt *s, struct cp_error *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : mirror_db_fail(m, err, "reviews");
}

/* One review being put: what it is keyed by. */
struct put {
    const struct review_ref *r;
    const char *id; /* the id's text */
    size_t id_len;
    int64_t created_us; /* createdAt; 0 when absent or unreadable */
    int64_t raw_hash, hash;
};

static void bind_key(sqlite3_stmt *s, const struct put *pu)
{
    sqlite3_bind_int64(s, 1, pu->created_us);
    sqlite3_bind_text(s, 2, pu->id, (int)pu->id_len, SQLITE_STATIC);
}

static int by_id(struct mirror *m, enum stmt which, const struct put *pu, int64_t value,
                 struct cp_error *err)
{
    sqlite3_stmt *s = m->st[which];
    sqlite3_bind_text(s, 1, pu->id, (int)pu->id_len, SQLITE_STATIC);
    if (which == S_REHASH)
        sqlite3_bind_int64(s, 2, value);
    if (which == S_REKEY)
        sqlite3_bind_int64(s, 2, pu->created_us);
    if (which == S_UPDATE_STATE) {
        sqlite3_bind_int64(s, 2, pu->raw_hash);
        sqlite3_bind_int64(s, 3, pu->hash);
    }
    if (which == S_UPDATE_STATE || which == S_REHASH || which == S_RESTORE) {
        sqlite3_bind_text(s, 4, m->at, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, m->ms.run);
    }
    return step_done(m, s, err);
}

/* The review's changed fields against the stored raw, into m->diff. */
static int diff_stored(struct mirror *m, int64_t data_id, const struct json_span *raw,
                       struct cp_error *err)
{
    sqlite3_stmt *s = m->st[S_RAW];
    struct json_scanner sc;
    struct json_span ov;
    int rc = -1;

    strbuf_reset(&m->diff);
    sqlite3_bind_int64(s, 1, data_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        mirror_db_fail(m, err, "review_data");
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

static int content_hash(struct mirror *m, struct put *pu, struct cp_error *err)
{
    strbuf_reset(&m->canon);
    if (canon_json(&pu->r->raw, &m->canon) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    pu->hash = (int64_t)canon_hash(m->canon.buf, m->canon.len);
    return 0;
}

/* A review the mirror has never seen. */
static int put_new(struct mirror *m, struct put *pu, struct cp_error *err)
{
    sqlite3_stmt *d = m->st[S_INSERT_DATA], *s = m->st[S_INSERT_STATE];
    m->ms.created++;
    if (content_hash(m, pu, err) < 0)
        return -1;
    sqlite3_bind_text(d, 1, pu->r->raw.p, (int)pu->r->raw.n, SQLITE_STATIC);
    if (step_done(m, d, err) < 0)
        return -1;
    bind_key(s, pu);
    sqlite3_bind_int64(s, 3, sqlite3_last_insert_rowid(m->db));
    sqlite3_bind_int64(s, 4, pu->raw_hash);
    sqlite3_bind_int64(s, 5, pu->hash);
    sqlite3_bind_text(s, 6, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, m->ms.run);
    if (step_done(m, s, err) < 0)
        return -1;
    return mirror_add_change(m, pu->id, pu->id_len, "created", NULL, 0, err);
}

/* Mark the review seen by its key. 1 and its stored state, 0 when no row
 * has that key, -1 on error. */
static int mark_seen(struct mirror *m, const struct put *pu, int64_t *raw_hash, int64_t *hash,
                     int *was_deleted, int64_t *data_id, struct cp_error *err)
{
    sqlite3_stmt *seen = m->st[S_SEEN];
    bind_key(seen, pu);
    sqlite3_bind_text(seen, 3, m->at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(seen, 4, m->ms.run);
    int rc = sqlite3_step(seen);
    if (rc == SQLITE_ROW) {
        *raw_hash = sqlite3_column_int64(seen, 0);
        *hash = sqlite3_column_int64(seen, 1);
        /* Not `deleted_at IS NOT NULL` in the RETURNING clause: SQLite 3.40
         * answers 1 for it on a NULL there. */
        *was_deleted = sqlite3_column_type(seen, 2) != SQLITE_NULL;
        *data_id = sqlite3_column_int64(seen, 3);
    }
    sqlite3_reset(seen);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return mirror_db_fail(m, err, "review_state");
    return rc == SQLITE_ROW;
}

/* The stored state of the review by its id alone: 1 and the state, 0 when
 * the mirror has no such id, -1 on error. A row whose createdAt changed
 * moves to its new key. */
static int state_by_id(struct mirror *m, const struct put *pu, int64_t *raw_hash, int64_t *hash,
                       int *was_deleted, int64_t *data_id, struct cp_error *err)
{
    sqlite3_stmt *s = m->st[S_FIND];
    int64_t created_us = 0;
    sqlite3_bind_text(s, 1, pu->id, (int)pu->id_len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        created_us = sqlite3_column_int64(s, 0);
        *raw_hash = sqlite3_column_int64(s, 1);
        *hash = sqlite3_column_int64(s, 2);
        *was_deleted = sqlite3_column_type(s, 3) != SQLITE_NULL;
        *data_id = sqlite3_column_int64(s, 4);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return mirror_db_fail(m, err, "review_state");
    if (rc == SQLITE_DONE)
        return 0;
    if (created_us != pu->created_us && by_id(m, S_REKEY, pu, 0, err) < 0)
        return -1;
    return 1;
}

int mirror_put(struct mirror *m, const struct review_ref *r, struct cp_error *err)
{
    struct put pu = {.r = r};
    int64_t old_raw = 0, old_hash = 0, data_id = 0;
    int was_deleted = 0, found;

    pu.id = review_id_text(r, &pu.id_len);
    if (pu.id_len == 0) {
        log_msg(LOG_WARN, "a review without an id cannot be mirrored: skipped");
        return 0;
    }
    if (r->created.type != JSON_STRING ||
        isotime_parse(r->created.p + 1, r->created.n - 2, &pu.created_us) < 0)
        pu.created_us = 0;
    m->ms.seen++;
    pu.raw_hash = (int64_t)canon_hash(r->raw.p, r->raw.n);
    if (m->ix) {
        /* A full sweep: the very bytes of last time cost a lookup in memory. */
        uint64_t fp = idset_fingerprint(pu.id, pu.id_len);
        unsigned char *fl;
        struct mirror_entry *e = mirror_index_get(m->ix, fp, &fl);
        if (!e) {
            if (mirror_index_put(m->ix, fp, pu.raw_hash, MIRROR_SEEN) < 0)
                return cp_fail(err, CP_EXIT_USAGE, "out of memory");
            return put_new(m, &pu, err);
        }
        *fl |= MIRROR_SEEN;
        if (e->raw_hash == pu.raw_hash && !(*fl & MIRROR_DELETED)) {
            m->ms.unchanged++;
            return 0;
        }
        e->raw_hash = pu.raw_hash;
        *fl &= (unsigned char)~MIRROR_DELETED;
        found = state_by_id(m, &pu, &old_raw, &old_hash, &was_deleted, &data_id, err);
    } else {
        /* An incremental run: one statement marks the review seen and tells
         * its state; a review whose createdAt changed is found by id, moved,
         * and marked then. */
        found = mark_seen(m, &pu, &old_raw, &old_hash, &was_deleted, &data_id, err);
        if (found == 0 &&
            (found = state_by_id(m, &pu, &old_raw, &old_hash, &was_deleted, &data_id, err)) > 0)
            found = mark_seen(m, &pu, &old_raw, &old_hash, &was_deleted, &data_id, err);
    }
    if (found < 0)
        return -1;
    if (found == 0)
        return put_new(m, &pu, err);

    int same = old_raw == pu.raw_hash; /* the very bytes: no canonical form needed */
    if (!same) {
        if (content_hash(m, &pu, err) < 0)
            return -1;
        same = pu.hash == old_hash;
        /* Other bytes, same content: remember the bytes so the next run skips the work. */
        if (same && by_id(m, S_REHASH, &pu, pu.raw_hash, err) < 0)
            return -1;
    }
    if (same) {
        if (!was_deleted) {
            m->ms.unchanged++;
            return 0;
        }
        m->ms.restored++;
        return by_id(m, S_RESTORE, &pu, 0, err) < 0 ||
                       mirror_add_change(m, pu.id, pu.id_len, "restored", NULL, 0, err) < 0
                   ? -1
                   : 0;
    }
    if (diff_stored(m, data_id, &r->raw, err) < 0)
        return -1;
    if (was_deleted)
        m->ms.restored++;
    else
        m->ms.updated++;
    sqlite3_stmt *d = m->st[S_UPDATE_DATA];
    sqlite3_bind_int64(d, 1, data_id);
    sqlite3_bind_text(d, 2, r->raw.p, (int)r->raw.n, SQLITE_STATIC);
    return step_done(m, d, err) < 0 || by_id(m, S_UPDATE_STATE, &pu, 0, err) < 0 ||
                   mirror_add_change(m, pu.id, pu.id_len, was_deleted ? "restored" : "updated",
                                     m->diff.buf, m->diff.len, err) < 0
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

/* The existing reviews a sweep saw (`seen` 1) or did not, as a list of ids
 * (NUL-separated) in key order: read whole before anything is written, so
 * no update runs under an open scan of the same table. */
static int existing_ids(struct mirror *m, int seen, struct strbuf *ids, size_t *n,
                        struct cp_error *err)
{
    sqlite3_stmt *s;
    int rc;
    *n = 0;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT id FROM review_state WHERE deleted_at IS NULL"
                           " ORDER BY created_us, id",
                           -1, &s, NULL) != SQLITE_OK)
        return mirror_db_fail(m, err, "sweep");
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0);
        unsigned char *fl;
        int was_seen =
            mirror_index_get(m->ix, idset_fingerprint(id, len), &fl) && (*fl & MIRROR_SEEN);
        if (was_seen != seen)
            continue;
        if (strbuf_add0(ids, id, len) < 0) {
            sqlite3_finalize(s);
            return cp_fail(err, CP_EXIT_USAGE, "out of memory");
        }
        (*n)++;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : mirror_db_fail(m, err, "sweep");
}

/* Apply `sql` (?1 id, ?2 the run's time, ?3 the run) to each id of the list,
 * with a `kind` event for each when kind is not NULL. */
static int each_id(struct mirror *m, const struct strbuf *ids, size_t n, const char *sql,
                   const char *kind, struct cp_error *err)
{
    sqlite3_stmt *s;
    const char *id = strbuf_str(ids);
    if (sqlite3_prepare_v2(m->db, sql, -1, &s, NULL) != SQLITE_OK)
        return mirror_db_fail(m, err, "sweep");
    for (size_t i = 0; i < n; i++, id += strlen(id) + 1) {
        size_t len = strlen(id);
        sqlite3_bind_text(s, 1, id, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, m->at, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, m->ms.run);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE || (kind && mirror_add_change(m, id, len, kind, NULL, 0, err) < 0)) {
            sqlite3_finalize(s);
            return rc != SQLITE_DONE ? mirror_db_fail(m, err, "sweep") : -1;
        }
    }
    sqlite3_finalize(s);
    return 0;
}

int mirror_finish_sweep(struct mirror *m, const struct export_stats *st, struct cp_error *err)
{
    struct strbuf ids;
    size_t n;
    int rc;
    if (!m->ms.full)
        return 0;
    const char *doubt = sweep_doubt(st);
    strbuf_init(&ids, (size_t)1 << 31);
    if (doubt) {
        log_msg(LOG_WARN,
                "mirror: full sweep not counted, nothing marked deleted: %s; the next "
                "run sweeps again",
                doubt);
        /* It still saw what it saw: those rows say so themselves. */
        rc = existing_ids(m, 1, &ids, &n, err) < 0 ||
                     each_id(m, &ids, n,
                             "UPDATE review_state SET seen_at=?2, seen_run=?3"
                             " WHERE id=?1",
                             NULL, err) < 0
                 ? -1
                 : 0;
    } else {
        m->ms.sweep_counted = 1;
        rc = existing_ids(m, 0, &ids, &n, err) < 0 ||
                     each_id(m, &ids, n, "UPDATE review_state SET deleted_at=?2 WHERE id=?1",
                             "deleted", err) < 0
                 ? -1
                 : 0;
        m->ms.deleted = (long)n;
    }
    strbuf_release(&ids);
    return rc;
}
