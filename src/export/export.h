/*
 * The page walk over GET /reviews: every review once, none skipped, even
 * while new reviews arrive.
 *
 * Offset semantics. The vendor page says `offset` is a page number; others
 * describe it as a record offset. The walk asks for offset 0, then offset 1:
 * under page numbers the second answer is the next page (nothing in common
 * with the first), under record offsets it is the first page shifted by one
 * (all but one review in common). It pages on accordingly and logs which.
 *
 * Inserts. Pages are fetched one at a time, in order. New reviews arrive at
 * the newest end. In `desc` order (the default) an insert pushes every
 * older review one place further down the list, so a page asked for after
 * it starts with reviews already written: a duplicate, dropped by id, never
 * a gap. In `asc` order an insert lands after the end and shifts nothing.
 * Either way nothing present when the export began can be skipped; reviews
 * that arrive during it are picked up by the next `since: last_run`, whose
 * watermark is the newest createdAt written. A changed `total` is logged.
 *
 * Stops: a short page, or as many list positions read as the latest
 * `total`; in `desc` with `since`, the first review older than `since`
 * (the rest are older still). Guards against a server that never ends:
 * three pages in a row holding only reviews already written, or a walk that
 * reads past twice the starting total plus ten pages.
 *
 * The walk itself (export_walk_*) is pure: it is fed pages and says which
 * offset to ask for next, so the unit tests play servers against it.
 * export_run() joins it to the network through a fetcher.
 *
 * Ownership: the walk owns its id set; the sink gets spans valid only
 * during the call.
 */
#ifndef CLOUTLY_EXPORT_H
#define CLOUTLY_EXPORT_H

#include <stdint.h>

#include "core/error.h"
#include "api/fetch.h"
#include "config/pipeline.h"
#include "export/review_page.h"

/* What to ask GET /reviews for. */
struct export_query {
    int page_size; /* `limit`, 1..1000 */
    enum export_sort sort;
    const char *source;      /* NULL: every source */
    const char *business_id; /* NULL: every business */
    int show_on_widget;      /* -1: no filter, 0, 1 */
    int has_since;           /* only reviews created at or after since_us */
    int64_t since_us;        /* microseconds since 1970 (isotime.h) */
    int since_exclusive;     /* strictly after since_us (the last_run watermark) */
};

enum offset_mode { OFFSET_UNKNOWN, OFFSET_PAGE, OFFSET_RECORD };

struct export_stats {
    long pages;            /* answers used (retries not counted) */
    long positions;        /* list positions read, duplicates included */
    long written;          /* reviews handed to the sink */
    long duplicates;       /* dropped: an id already written */
    long older;            /* not written: older than since */
    long no_id;            /* written without dedupe: no id */
    long undated;          /* written although since was asked: no readable createdAt */
    long not_objects;      /* elements of `reviews` that were not objects: skipped */
    long long total_first; /* the first page's total, -1 when none */
    long long total_last;  /* the latest page's total */
    int total_changes;     /* pages whose total differed from the one before */
    int total_drops;       /* ... of which were lower: reviews deleted mid-walk, so the
                               walk may have a gap and proves nothing about absences */
    int reached_end;       /* the walk ended at the list's end (a short page or `total`
                               positions read), not at since, a sink's stop or an error */
    enum offset_mode mode;
    int64_t newest_us; /* the newest createdAt written (INT64_MIN: none) */
    char newest[64];   /* ... as the API wrote it */
};

/* Where each review goes: 0 to go on, 1 to end the walk after this page
 * (the mirror's lookback has reached far enough), or -1 with err to stop
 * the export. */
typedef int (*export_sink_fn)(void *ctx, const struct review_ref *r, struct cp_error *err);
/* Told after each page (for a progress line). */
typedef void (*export_progress_fn)(void *ctx, const struct export_stats *st);

struct export_walk;

struct export_walk *export_walk_new(const struct export_query *q, struct cp_error *err);
void export_walk_free(struct export_walk *w);
/* The offset to ask for next, or -1 when the walk is over. */
long export_walk_next_offset(const struct export_walk *w);
/* Feed the answer to that offset: each new review goes to `sink`.
 * 0 to go on (see next_offset), -1 with err (CP_EXIT_INPUT for a server
 * that never ends, or the sink's error). */
int export_walk_page(struct export_walk *w, const struct review_page *pg, export_sink_fn sink,
                     void *ctx, struct cp_error *err);
const struct export_stats *export_walk_stats(const struct export_walk *w);

/* "/reviews?limit=100&offset=3&sort=desc&source=google" into buf. */
void export_page_path(const struct export_query *q, long offset, char *buf, size_t len);

/* The whole walk over the network. `progress` may be NULL. On return *st
 * holds the figures so far, complete or not. */
int export_run(struct fetcher *f, const struct export_query *q, export_sink_fn sink, void *ctx,
               export_progress_fn progress, void *pctx, struct export_stats *st,
               struct cp_error *err);

const char *export_mode_name(enum offset_mode m);

#endif
