/* The page walk over GET /reviews: see export.h. */
#include "export/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/idset.h"
#include "core/isotime.h"
#include "core/log.h"

/* Pages in a row holding nothing new before the walk calls the server stuck.
 * One can happen honestly (a page_size of inserts between two requests). */
#define MAX_STALE_PAGES 3
/* The id set's ceiling: about 128 MiB of fingerprints. */
#define MAX_REVIEWS 10000000L
/* The most ids reserved up front from a total: 10 MiB. */
#define RESERVE_MAX 1000000LL

enum phase { FIRST, PROBE, WALK, DONE };

struct export_walk {
    struct export_query q;
    struct idset *seen;
    enum phase phase;
    long next;       /* the offset to ask for */
    int stale_pages; /* pages in a row with nothing new */
    int sink_done;   /* the sink asked to end after this page */
    struct export_stats st;
};

const char *export_mode_name(enum offset_mode m)
{
    return m == OFFSET_PAGE ? "page number" : m == OFFSET_RECORD ? "record offset" : "unknown";
}

struct export_walk *export_walk_new(const struct export_query *q, struct cp_error *err)
{
    struct export_walk *w = calloc(1, sizeof *w);
    if (!w || !(w->seen = idset_new())) {
        free(w);
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    w->q = *q;
    w->st.total_first = w->st.total_last = -1;
    w->st.newest_us = INT64_MIN;
    return w;
}

void export_walk_free(struct export_walk *w)
{
    if (!w)
        return;
    idset_free(w->seen);
    free(w);
}

long export_walk_next_offset(const struct export_walk *w)
{
    return w->phase == DONE ? -1 : w->next;
}

const struct export_stats *export_walk_stats(const struct export_walk *w)
{
    return &w->st;
}

static void note_total(struct export_walk *w, long long total)
{
    struct export_stats *st = &w->st;
    if (st->pages == 1) {
        st->total_first = st->total_last = total;
        /* Size the id set once, with room for some arrivals, rather than
         * doubling it on the way (a rehash holds both tables at once). The
         * cap keeps a server's wild total from reserving memory it never
         * fills; past it the set grows as it goes. A failure here is not
         * one: the set grows instead. */
        if (total > 0)
            idset_reserve(w->seen, (size_t)(total < RESERVE_MAX ? total : RESERVE_MAX) +
                                       (size_t)total / 64 + 4 * (size_t)w->q.page_size);
        return;
    }
    if (total == st->total_last)
        return;
    st->total_changes++;
    if (total < st->total_last)
        st->total_drops++;
    log_msg(LOG_DEBUG, "total changed from %lld to %lld at page %ld", st->total_last, total,
            st->pages);
    st->total_last = total;
}

/* Is a review created at `us` older than `since` (so not written)? One whose
 * createdAt cannot be read is written: a duplicate is better than a loss. */
static int older_than_since(struct export_walk *w, int64_t us, int dated)
{
    if (!w->q.has_since)
        return 0;
    if (!dated) {
        w->st.undated++;
        return 0;
    }
    return us < w->q.since_us || (w->q.since_exclusive && us == w->q.since_us);
}

static void note_newest(struct export_walk *w, const struct review_ref *r, int64_t us)
{
    size_t n = r->created.n - 2;
    if (us <= w->st.newest_us || n >= sizeof w->st.newest)
        return;
    w->st.newest_us = us;
    memcpy(w->st.newest, r->created.p + 1, n);
    w->st.newest[n] = '\0';
}

/* Hand the page's new reviews to the sink. *fresh counts reviews not seen
 * before, *older_seen says whether one was older than since. */
static int take_reviews(struct export_walk *w, const struct review_page *pg, export_sink_fn sink,
                        void *ctx, long *fresh, int *older_seen, struct cp_error *err)
{
    *fresh = 0;
    *older_seen = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const struct review_ref *r = &pg->items[i];
        size_t len;
        const char *id = review_id_text(r, &len);
        if (len == 0) {
            w->st.no_id++;
        } else {
            int added = idset_add(w->seen, id, len);
            if (added < 0)
                return cp_fail(err, CP_EXIT_USAGE, "out of memory");
            if (added == 0) {
                w->st.duplicates++;
                continue;
            }
        }
        (*fresh)++;
        int64_t us = 0;
        int dated = r->created.type == JSON_STRING &&
                    isotime_parse(r->created.p + 1, r->created.n - 2, &us) == 0;
        if (older_than_since(w, us, dated)) {
            w->st.older++;
            *older_seen = 1;
            continue;
        }
        if (dated)
            note_newest(w, r, us);
        int said = sink(ctx, r, err);
        if (said < 0)
            return -1;
        w->sink_done |= said > 0;
        w->st.written++;
    }
    w->st.not_objects += (long)pg->not_objects;
    return 0;
}

static int overlap_with_seen(const struct export_walk *w, const struct review_page *pg)
{
    int n = 0;
    for (size_t i = 0; i < pg->n; i++) {
        size_t len;
        const char *id = review_id_text(&pg->items[i], &len);
        n += len && idset_contains(w->seen, id, len);
    }
    return n;
}

/* The answer to offset 1 tells the semantics (see export.h). Under page
 * numbers it shares only the reviews that inserts pushed over (m of them);
 * under record offsets all but about one of the first page's. Half a page
 * is the line: an account would need page_size/2 new reviews between two
 * requests to blur it. */
static void decide_mode(struct export_walk *w, const struct review_page *pg, int overlap)
{
    long L = w->q.page_size;
    w->st.mode = 2L * overlap >= L ? OFFSET_RECORD : OFFSET_PAGE;
    if (w->st.mode == OFFSET_RECORD) {
        log_msg(LOG_INFO,
                "offset: this server reads it as a record offset, not a page number as "
                "the API documentation says (the answer to offset 1 repeated %d of the "
                "first page's %ld reviews): paging by records",
                overlap, L);
        w->st.positions = 1 + (long)pg->n;
        w->next = 1 + L;
        w->st.duplicates -= overlap; /* the shifted page repeats by design, not by the server */
    } else {
        log_msg(LOG_INFO,
                "offset: this server reads it as a page number, as the API "
                "documentation says (the answer to offset 1 shared %d of %zu reviews "
                "with the first page)",
                overlap, pg->n);
        w->st.positions = L + (long)pg->n;
        w->next = 2;
    }
}

static int never_ends(struct export_walk *w, long fresh, struct cp_error *err)
{
    const struct export_stats *st = &w->st;
    long L = w->q.page_size;
    w->stale_pages = fresh == 0 ? w->stale_pages + 1 : 0;
    if (w->stale_pages >= MAX_STALE_PAGES)
        return cp_fail(err, CP_EXIT_INPUT,
                       "the server sent only reviews already exported on %d pages in a row (up to "
                       "offset %ld): it seems to ignore 'offset'; stopped rather than loop",
                       MAX_STALE_PAGES, w->next);
    if (st->total_first >= 0 && st->positions > 2 * st->total_first + 10 * L)
        return cp_fail(err, CP_EXIT_INPUT,
                       "the server keeps sending pages: %ld reviews read, its total was %lld when "
                       "the export began and is %lld now; stopped rather than loop",
                       st->positions, st->total_first, st->total_last);
    if ((long)idset_count(w->seen) > MAX_REVIEWS)
        return cp_fail(err, CP_EXIT_INPUT,
                       "more than %ld reviews: stopped (an export holds at "
                       "most that many; split it with filters)",
                       MAX_REVIEWS);
    return 0;
}

int export_walk_page(struct export_walk *w, const struct review_page *pg, export_sink_fn sink,
                     void *ctx, struct cp_error *err)
{
    long L = w->q.page_size, n = (long)pg->n, fresh;
    int older_seen, overlap = 0;

    if (w->phase == DONE)
        return 0;
    w->st.pages++;
    note_total(w, pg->total);
    if (w->phase == PROBE)
        overlap = overlap_with_seen(w, pg);
    if (take_reviews(w, pg, sink, ctx, &fresh, &older_seen, err) < 0)
        return -1;

    switch (w->phase) {
    case FIRST:
        w->st.positions = n;
        w->next = 1;
        w->phase = PROBE;
        if (L == 1) {
            /* Offset 1 is the second review either way: nothing to tell apart. */
            w->st.mode = OFFSET_PAGE;
            w->phase = WALK;
        }
        break;
    case PROBE:
        if (n > 0)
            decide_mode(w, pg, overlap);
        w->phase = WALK;
        break;
    case WALK:
        w->st.positions += n;
        w->next += w->st.mode == OFFSET_RECORD ? L : 1;
        if (never_ends(w, fresh, err) < 0)
            return -1;
        break;
    case DONE: break;
    }
    if (n < L || (w->st.total_last >= 0 && w->st.positions >= w->st.total_last)) {
        w->phase = DONE;
        w->st.reached_end = !w->sink_done && !(older_seen && w->q.sort == EXPORT_SORT_DESC);
    } else if ((older_seen && w->q.sort == EXPORT_SORT_DESC) || w->sink_done) {
        w->phase = DONE;
    }
    return 0;
}

/* Percent-encode a query value (RFC 3986 unreserved characters pass). */
static void put_param(char **p, char *end, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int n = snprintf(*p, (size_t)(end - *p), "&%s=", name);
    if (n < 0 || n >= end - *p)
        return;
    *p += n;
    for (const unsigned char *v = (const unsigned char *)value; *v && end - *p > 3; v++) {
        if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') ||
            *v == '-' || *v == '_' || *v == '.' || *v == '~') {
            *(*p)++ = (char)*v;
        } else {
            *(*p)++ = '%';
            *(*p)++ = hex[*v >> 4];
            *(*p)++ = hex[*v & 15];
        }
    }
    **p = '\0';
}

void export_page_path(const struct export_query *q, long offset, char *buf, size_t len)
{
    int n = snprintf(buf, len, "/reviews?limit=%d&offset=%ld&sort=%s", q->page_size, offset,
                     q->sort == EXPORT_SORT_ASC ? "asc" : "desc");
    if (n < 0 || (size_t)n >= len)
        return;
    char *p = buf + n, *end = buf + len;
    if (q->source)
        put_param(&p, end, "source", q->source);
    if (q->business_id)
        put_param(&p, end, "businessId", q->business_id);
    if (q->show_on_widget >= 0)
        put_param(&p, end, "showOnWidget", q->show_on_widget ? "true" : "false");
}

static int check_page(void *ctx, const struct api_result *res, char *why, size_t whylen)
{
    return review_page_parse(ctx, res->body, res->body_len, why, whylen);
}

static void summarise(const struct export_walk *w)
{
    const struct export_stats *st = &w->st;
    if (st->total_changes)
        log_msg(LOG_INFO,
                "total changed during the export, from %lld to %lld: new reviews "
                "arrived (%ld repeated by the shift were dropped; the next "
                "'since: last_run' export picks the new ones up)",
                st->total_first, st->total_last, st->duplicates);
    else if (st->duplicates)
        log_msg(LOG_INFO, "%ld %s sent twice by the server %s written once", st->duplicates,
                st->duplicates == 1 ? "review" : "reviews", st->duplicates == 1 ? "was" : "were");
    if (st->not_objects)
        log_msg(LOG_WARN, "%ld %s of 'reviews' %s not an object: skipped", st->not_objects,
                st->not_objects == 1 ? "element" : "elements",
                st->not_objects == 1 ? "was" : "were");
    if (st->no_id)
        log_msg(LOG_WARN, "%ld %s no id: written, but %s cannot be deduplicated", st->no_id,
                st->no_id == 1 ? "review had" : "reviews had", st->no_id == 1 ? "it" : "they");
    if (st->undated)
        log_msg(LOG_WARN, "%ld %s no readable createdAt: written, whatever 'since' says",
                st->undated, st->undated == 1 ? "review had" : "reviews had");
    long distinct = (long)idset_count(w->seen) + st->no_id;
    if (st->reached_end && st->total_first > distinct)
        log_msg(LOG_WARN,
                "the server's total was %lld when the export began but the walk found "
                "%ld distinct reviews: reviews deleted meanwhile? run it again to be "
                "sure",
                st->total_first, distinct);
}

int export_run(struct fetcher *f, const struct export_query *q, export_sink_fn sink, void *ctx,
               export_progress_fn progress, void *pctx, struct export_stats *st,
               struct cp_error *err)
{
    struct review_page pg;
    struct api_result res;
    char path[1024];
    long offset;
    int rc = -1;

    review_page_init(&pg);
    struct export_walk *w = export_walk_new(q, err);
    if (!w)
        goto out;
    while ((offset = export_walk_next_offset(w)) >= 0) {
        export_page_path(q, offset, path, sizeof path);
        if (fetch_get(f, path, check_page, &pg, &res, err) < 0 ||
            export_walk_page(w, &pg, sink, ctx, err) < 0)
            goto out;
        if (progress)
            progress(pctx, &w->st);
    }
    summarise(w);
    rc = 0;
out:
    if (w)
        *st = w->st;
    export_walk_free(w);
    review_page_release(&pg);
    return rc;
}
