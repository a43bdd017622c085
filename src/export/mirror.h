/*
 * The review mirror (export.mirror, `export --mirror`): an SQLite database
 * that holds every review the account has, as of the last run, and a record
 * of how each one changed since it was first seen.
 *
 * A run is one SQLite transaction (mirror_begin .. mirror_commit): killed or
 * failed anywhere before the commit, the database is as it was. Within it,
 * each review read from the API is compared with the stored one by its
 * canonical JSON (canon_json.h), so key order and number spelling are never
 * a change; a new review is `created`, a changed one `updated` (with the
 * changed fields), a stored-as-deleted one that reappears `restored`. Only
 * a full sweep that reached the end of the list with a `total` that never
 * dropped may mark the reviews it did not see `deleted`.
 *
 * Schema (version 1; times are UTC ISO 8601 text with milliseconds,
 * "2026-12-01T03:00:00.123Z"; booleans are 0/1; review fields keep the
 * API's text, e.g. created_at "2021-02-03T00:00:00.000Z"):
 *
 *   reviews          a view, one row per review id ever seen, joining
 *                    review_data (data_id, raw, and the fields as columns
 *                    SQLite generates from raw) and review_state (keyed by
 *                    created_us, createdAt in microseconds since 1970, and
 *                    id; data_id, the hashes, raw_hash of the bytes last
 *                    read, seen_at/seen_run of the last run that wrote the
 *                    row, the times):
 *     id, author_name, business_id, created_at, email,
 *     is_archived INTEGER, name, phone_number, photo, rating INTEGER (a
 *     string "5" is stored as 5), show_on_widget INTEGER, response_name,
 *     response_date, response_comment, shield INTEGER, source,
 *     source_feedback_id, status, review_url, text, type, video_ref,
 *     gif_ref, updated_at: the vendor page's fields, NULL when absent or null;
 *     raw TEXT: the review exactly as the API last sent it with a change
 *     (unknown fields kept); content_hash INTEGER: of its canonical form;
 *     first_seen, last_seen, last_changed TEXT: run times (last_seen: the
 *     later of seen_at and the last counted sweep while the review
 *     existed); deleted_at TEXT: NULL while the review exists;
 *     last_seen_run INTEGER: runs.run, likewise.
 *   review_changes   one row per event, in order
 *     seq INTEGER PRIMARY KEY, id TEXT, at TEXT (the run's time), run
 *     INTEGER, kind TEXT: created | updated | deleted | restored, fields
 *     TEXT: JSON {"rating":{"old":"5","new":"2"},"response":{"old":null,
 *     "new":{...}}} for updated and restored (NULL when nothing changed),
 *     NULL for created and deleted. Dotted paths for nested objects
 *     ("response.comment"); a side without the field has no old/new member.
 *   runs             one row per committed run
 *     run INTEGER PRIMARY KEY, started_at TEXT, kind TEXT: incremental |
 *     full, complete INTEGER (1: a full sweep that counted, so it marked
 *     deletions), pages, seen, created, updated, deleted, restored INTEGER.
 *   mirror_meta      key/value: schema_version, selection (the filters the
 *                    mirror was built with; another selection is refused).
 *   Views: reviews_awaiting_reply (existing, not archived, no response),
 *   rating_by_month_source (month "YYYY-MM", source, reviews, avg_rating,
 *   rating_1 .. rating_5), replies_by_month (month of response_date, replies).
 *
 * Ownership: the mirror owns its database handle and statements; review
 * spans handed in are only read during the call.
 */
#ifndef CLOUTLY_MIRROR_H
#define CLOUTLY_MIRROR_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "export/export.h"
#include "export/review_page.h"

#define MIRROR_SCHEMA_VERSION 1

struct mirror;

/* What one run did. */
struct mirror_stats {
    long run;          /* runs.run of this run */
    int full;          /* a full sweep was asked for */
    int sweep_counted; /* ... and it counted: absences were marked deleted */
    long seen, created, updated, restored, deleted, unchanged;
};

/* Open (creating when absent) the mirror at `path` for reviews selected by
 * `selection` ("" for every review; "source=google&..." otherwise). -1 with
 * err when it cannot be opened, is not a mirror, is newer than this tool,
 * or was built for another selection. */
int mirror_open(const char *path, const char *selection, struct mirror **out, struct cp_error *err);
/* Roll back a run still open and close. Safe on NULL. */
void mirror_close(struct mirror *m);

/* The newest createdAt among existing reviews (microseconds; 0 when the
 * mirror is empty) and the start of the last sweep that counted (seconds
 * since 1970; 0 when none). */
int mirror_plan(struct mirror *m, int64_t *newest_us, int64_t *last_full, struct cp_error *err);

/* Start a run: the transaction, and its row in runs. `at` is the run's time
 * ("2026-12-01T03:00:00.123Z"). -1 when another run holds the mirror. */
int mirror_begin(struct mirror *m, const char *at, int full, struct cp_error *err);
/* Record one review as read from the API. */
int mirror_put(struct mirror *m, const struct review_ref *r, struct cp_error *err);
/* After the walk: with a full sweep whose walk `st` reached the end with a
 * total that never dropped and covered as many reviews as it first said,
 * mark every review not seen in this run deleted. Otherwise marks nothing
 * and says why in the log. */
int mirror_finish_sweep(struct mirror *m, const struct export_stats *st, struct cp_error *err);
/* This run's events, one NDJSON line each: {"kind","id","at","fields","review"}. */
int mirror_write_changes(struct mirror *m, FILE *fp, struct cp_error *err);
/* Commit the run. Afterwards *ms holds its figures. */
int mirror_commit(struct mirror *m, long pages, struct cp_error *err);
const struct mirror_stats *mirror_stats(const struct mirror *m);

/* Each existing review's raw JSON, newest first (desc) or oldest first. */
typedef int (*mirror_each_fn)(void *ctx, const char *raw, size_t len, struct cp_error *err);
int mirror_each(struct mirror *m, int ascending, mirror_each_fn fn, void *ctx,
                struct cp_error *err);

#endif
