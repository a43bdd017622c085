/* The export job: see export_job.h. */
#include "export/export_job.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/isotime.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "export/reviews_out.h"
#include "store/atomic_file.h"
#include "store/ledger.h"
#include "store/runlock.h"

struct job {
    const struct pipeline *p;
    const struct export_job_options *o;
    struct export_query q;
    struct api_client *api;
    struct fetcher f;
    struct runlock lock;
    struct ledger *ledger;   /* only with since: last_run */
    struct strbuf mark;      /* the watermark's name in the ledger */
    struct strbuf selection; /* the filters as a query string: the mirror's selection */
    struct atomic_file af;
    int to_file;  /* af is open: renamed into place on success */
    FILE *direct; /* a device or FIFO given as the output, written as it is */
    FILE *fp;
    struct reviews_out *out;
    struct mirror *mirror;
    struct atomic_file feed; /* export.changes */
    int feed_open;
    /* the mirror run's stop rule (incremental runs only) */
    int incremental;
    int64_t newest_us; /* the mirror's newest review when the run began */
    int64_t cutoff_us; /* lookback by time: stop past reviews created before this */
    long min_reviews;  /* lookback by pages: read at least this many */
    long put;          /* reviews handed to the mirror */
    double started;
};

/* ---- setting up -------------------------------------------------------- */

/* The filters as "source=google&businessId=..." ("" for none): the
 * watermark's and the mirror's name for the selection of reviews. */
static int selection_text(const struct pipeline *p, struct strbuf *sb)
{
    const char *sep = "";
    if (p->export.filters.source) {
        if (strbuf_addf(sb, "source=%s", p->export.filters.source) < 0)
            return -1;
        sep = "&";
    }
    if (p->export.filters.business_id) {
        if (strbuf_addf(sb, "%sbusinessId=%s", sep, p->export.filters.business_id) < 0)
            return -1;
        sep = "&";
    }
    if (p->export.filters.show_on_widget >= 0 &&
        strbuf_addf(sb, "%sshowOnWidget=%s", sep,
                    p->export.filters.show_on_widget ? "true" : "false") < 0)
        return -1;
    return 0;
}

/* The watermark's name: the pipeline and the filters, since a watermark
 * only means something for the same selection of reviews. */
static int mark_name(struct job *j)
{
    if (strbuf_addf(&j->mark, "export:%s", j->p->name) < 0)
        return -1;
    if (j->selection.len && strbuf_addf(&j->mark, "?%s", j->selection.buf) < 0)
        return -1;
    return 0;
}

static int setup_since(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    char value[128];
    if (p->export.since) {
        if (isotime_parse(p->export.since, strlen(p->export.since), &j->q.since_us) < 0)
            return cp_fail(err, CP_EXIT_USAGE,
                           "invalid since '%s' (expected last_run or an ISO "
                           "date like 2026-01-31)",
                           p->export.since);
        j->q.has_since = 1;
        log_msg(LOG_DEBUG, "since %s: reviews created at or after it", p->export.since);
        return 0;
    }
    if (!p->export.since_last_run)
        return 0;
    if (!p->state.path)
        return cp_fail(err, CP_EXIT_USAGE,
                       "'since last_run' needs a pipeline file: its ledger "
                       "keeps the watermark (or give --since DATE)");
    if (mark_name(j) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    if (runlock_acquire_at(&j->lock, p->state.path, p->state.password_file, p->name, err) < 0 ||
        ledger_open_at(p->state.path, p->state.password_file, 0, &j->ledger, err) < 0)
        return -1;
    int found = ledger_watermark_get(j->ledger, j->mark.buf, value, sizeof value, err);
    if (found < 0)
        return -1;
    if (!found) {
        log_msg(LOG_INFO, "since last_run: no earlier complete export, so every review");
        return 0;
    }
    if (isotime_parse(value, strlen(value), &j->q.since_us) < 0)
        return cp_fail(err, CP_EXIT_USAGE,
                       "ledger '%s': the watermark of '%s' is not a date "
                       "('%s'): remove the ledger's watermarks row to export everything again",
                       p->state.path, j->mark.buf, value);
    j->q.has_since = 1;
    j->q.since_exclusive = 1;
    log_msg(LOG_INFO, "since last_run: reviews created after %s", value);
    return 0;
}

static const char *output_name(const struct job *j)
{
    const char *path = j->o->output;
    return path && strcmp(path, "-") != 0 ? path : "standard output";
}

static int open_output(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    const char *path = j->o->output;
    struct reviews_out_options ro = {
        .format = p->export.format,
        .fields = (const char *const *)p->export.fields,
        .n_fields = p->export.n_fields,
        .formula_guard = p->export.csv_formula_guard,
        .excel_bom = p->export.excel && p->export.format == EXPORT_CSV,
        .name = output_name(j),
    };
    struct stat sb;
    if (path && strcmp(path, "-") != 0 && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* /dev/stdout, a FIFO: a rename would replace the device with a file. */
        if (S_ISDIR(sb.st_mode))
            return cp_fail(err, CP_EXIT_USAGE, "output '%s' is a folder: give a file name", path);
        if (!(j->direct = fopen(path, "w")))
            return cp_fail(err, CP_EXIT_USAGE, "cannot open '%s': %s", path, strerror(errno));
        j->fp = j->direct;
    } else if (path && strcmp(path, "-") != 0) {
        if (atomic_open(&j->af, path, err) < 0)
            return -1;
        j->to_file = 1;
        j->fp = j->af.fp;
    } else {
        j->fp = j->o->out ? j->o->out : stdout;
    }
    j->out = reviews_out_new(j->fp, &ro, err);
    return j->out ? 0 : -1;
}

static int open_api(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    if (j->o->transport) {
        fetcher_init_transport(&j->f, j->o->transport, p->api.rate_per_sec, p->api.retries,
                               j->o->stop);
        return 0;
    }
    const char *key;
    if (pipeline_api_key(p, &key, err) < 0)
        return -1;
    struct api_options ao = {.base_url = p->api.base_url,
                             .api_key = key,
                             .timeout_ms = p->api.timeout_ms,
                             .ca_file = p->api.ca_file,
                             .trace = j->o->trace ? stderr : NULL};
    if (!(j->api = api_client_new(&ao, err)))
        return -1;
    fetcher_init(&j->f, j->api, p->api.rate_per_sec, p->api.retries, j->o->stop);
    if (j->o->budget)
        fetcher_share_budget(&j->f, j->o->budget);
    return 0;
}

/* ---- finishing --------------------------------------------------------- */

static int commit_output(struct job *j, struct cp_error *err)
{
    if (reviews_out_finish(j->out, err) < 0)
        return -1;
    if (j->to_file) {
        j->to_file = 0;
        if (atomic_commit(&j->af, err) < 0)
            return -1;
    }
    if (j->direct) {
        FILE *fp = j->direct;
        j->direct = NULL;
        if (fclose(fp) != 0)
            return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", j->o->output,
                           strerror(errno));
    }
    return 0;
}

static void close_job(struct job *j)
{
    if (j->to_file)
        atomic_abort(&j->af);
    if (j->feed_open)
        atomic_abort(&j->feed);
    if (j->direct)
        fclose(j->direct);
    reviews_out_free(j->out);
    mirror_close(j->mirror);
    api_client_free(j->api);
    ledger_close(j->ledger);
    runlock_release(&j->lock);
    strbuf_release(&j->mark);
    strbuf_release(&j->selection);
}

/* ---- plain: the API into a file ---------------------------------------- */

static int write_sink(void *ctx, const struct review_ref *r, struct cp_error *err)
{
    return reviews_out_write(ctx, r, err);
}

static int plain_export(struct job *j, struct export_job_report *rep, struct cp_error *err)
{
    struct export_stats *st = &rep->st;
    if (setup_since(j, err) < 0 || open_api(j, err) < 0 || open_output(j, err) < 0 ||
        export_run(&j->f, &j->q, write_sink, j->out, j->o->progress, j->o->progress_ctx, st, err) <
            0 ||
        commit_output(j, err) < 0)
        return -1;
    /* Only now, with the file in place, may the next run start after it. */
    int moved = j->ledger && st->newest[0] && (!j->q.has_since || st->newest_us > j->q.since_us);
    if (moved && ledger_watermark_set(j->ledger, j->mark.buf, st->newest, err) < 0)
        return -1;
    char older[96] = "";
    if (st->older)
        snprintf(older, sizeof older, ", %ld older than since skipped", st->older);
    char mode[64] = ""; /* one page never shows how the server reads offset */
    if (st->mode != OFFSET_UNKNOWN)
        snprintf(mode, sizeof mode, ", offset read as a %s", export_mode_name(st->mode));
    log_msg(LOG_INFO, "%s: %ld %s written to %s in %ld %s%s%s, %.1fs", j->p->name, st->written,
            st->written == 1 ? "review" : "reviews", output_name(j), st->pages,
            st->pages == 1 ? "page" : "pages", mode, older, clock_now() - j->started);
    if (moved)
        log_msg(LOG_INFO, "watermark: %s (the next 'since: last_run' export starts after it)",
                st->newest);
    return 0;
}

/* ---- from the mirror into a file ---------------------------------------- */

struct from_mirror {
    struct job *j;
    struct review_page pg;
    struct strbuf body;
    long written;
};

static int from_mirror_one(void *ctx, const char *raw, size_t len, struct cp_error *err)
{
    struct from_mirror *fm = ctx;
    char why[200];
    strbuf_reset(&fm->body);
    if (strbuf_add(&fm->body, "{\"reviews\":[", 12) < 0 || strbuf_add(&fm->body, raw, len) < 0 ||
        strbuf_add(&fm->body, "]}", 2) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    if (review_page_parse(&fm->pg, fm->body.buf, fm->body.len, why, sizeof why) < 0 ||
        fm->pg.n != 1)
        return cp_fail(err, CP_EXIT_INPUT, "mirror '%s': a stored review is not JSON (%s)",
                       fm->j->p->export.mirror, why);
    if (reviews_out_write(fm->j->out, &fm->pg.items[0], err) < 0)
        return -1;
    fm->written++;
    return 0;
}

static int write_from_mirror(struct job *j, long *written, struct cp_error *err)
{
    struct from_mirror fm = {.j = j};
    int rc;
    review_page_init(&fm.pg);
    strbuf_init(&fm.body, 64u << 20);
    rc = open_output(j, err) < 0 ||
                 mirror_each(j->mirror, j->p->export.sort == EXPORT_SORT_ASC, from_mirror_one, &fm,
                             err) < 0 ||
                 commit_output(j, err) < 0
             ? -1
             : 0;
    review_page_release(&fm.pg);
    strbuf_release(&fm.body);
    *written = fm.written;
    if (rc == 0)
        log_msg(LOG_INFO, "%s: %ld reviews written from the mirror '%s' to %s", j->p->name,
                fm.written, j->p->export.mirror, output_name(j));
    return rc;
}

/* ---- mirror: the API into the mirror ------------------------------------ */

static int mirror_sink(void *ctx, const struct review_ref *r, struct cp_error *err)
{
    struct job *j = ctx;
    int64_t us = 0;
    if (mirror_put(j->mirror, r, err) < 0)
        return -1;
    j->put++;
    if (!j->incremental)
        return 0;
    /* Newest first: once past the newest review the mirror had and past the
     * lookback, everything further down is older still. */
    int dated = r->created.type == JSON_STRING &&
                isotime_parse(r->created.p + 1, r->created.n - 2, &us) == 0;
    if (!dated || us >= j->newest_us)
        return 0;
    if (j->min_reviews)
        return j->put >= j->min_reviews;
    return us < j->cutoff_us;
}

static void plan_run(struct job *j, int64_t newest_us, int64_t last_full)
{
    const struct pipeline *p = j->p;
    time_t now = j->o->now ? j->o->now : time(NULL);
    const char *why;
    if (j->o->full)
        why = "asked for (--full)";
    else if (!newest_us)
        why = "the mirror holds no review yet";
    else if (p->export.full_every_secs && !last_full)
        why = "no full sweep has counted yet";
    else if (p->export.full_every_secs && now - last_full >= p->export.full_every_secs)
        why = "export.full_every has passed since the last one";
    else
        why = NULL;
    j->newest_us = newest_us;
    j->incremental = why == NULL;
    if (why) {
        log_msg(LOG_INFO, "mirror: full sweep: %s", why);
        return;
    }
    if (p->export.lookback_pages) {
        j->min_reviews = (long)p->export.lookback_pages * p->export.page_size;
        log_msg(LOG_INFO, "mirror: incremental: the newest %d pages and every new review",
                p->export.lookback_pages);
    } else {
        j->cutoff_us = newest_us - (int64_t)p->export.lookback_secs * 1000000;
        log_msg(LOG_INFO,
                "mirror: incremental: every new review and those up to %ld days "
                "older than the newest the mirror holds",
                p->export.lookback_secs / 86400);
    }
}

static int write_feed(struct job *j, struct cp_error *err)
{
    if (!j->p->export.changes)
        return 0;
    if (atomic_open(&j->feed, j->p->export.changes, err) < 0)
        return -1;
    j->feed_open = 1;
    if (mirror_write_changes(j->mirror, j->feed.fp, err) < 0)
        return -1;
    j->feed_open = 0;
    return atomic_commit(&j->feed, err);
}

static int mirror_export(struct job *j, struct export_job_report *rep, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    struct export_stats *st = &rep->st;
    int64_t newest_us, last_full;
    char at[40];

    if (p->export.since || p->export.since_last_run)
        return cp_fail(err, CP_EXIT_USAGE,
                       "export.since does not apply to a mirror (it reads "
                       "the newest pages back to export.lookback): remove it, or export without "
                       "the mirror");
    j->q.sort = EXPORT_SORT_DESC; /* the lookback needs newest first */
    if (open_api(j, err) < 0 ||
        mirror_open(p->export.mirror, j->selection.buf ? j->selection.buf : "", &j->mirror, err) <
            0 ||
        mirror_plan(j->mirror, &newest_us, &last_full, err) < 0)
        return -1;
    plan_run(j, newest_us, last_full);
    clock_iso_utc(at, sizeof at);
    if (mirror_begin(j->mirror, at, !j->incremental, err) < 0 ||
        export_run(&j->f, &j->q, mirror_sink, j, j->o->progress, j->o->progress_ctx, st, err) < 0 ||
        mirror_finish_sweep(j->mirror, st, err) < 0 || write_feed(j, err) < 0 ||
        mirror_commit(j->mirror, st->pages, err) < 0)
        return -1;
    rep->mirrored = 1;
    rep->ms = *mirror_stats(j->mirror);
    const struct mirror_stats *ms = &rep->ms;
    log_msg(LOG_INFO,
            "%s: mirror '%s' updated (%s%s): %ld reviews read in %ld pages: %ld created, "
            "%ld updated, %ld deleted, %ld restored, %ld unchanged, %.1fs",
            p->name, p->export.mirror, ms->full ? "full sweep" : "incremental",
            ms->full && !ms->sweep_counted ? ", not counted" : "", ms->seen, st->pages, ms->created,
            ms->updated, ms->deleted, ms->restored, ms->unchanged, clock_now() - j->started);
    if (j->o->output)
        return write_from_mirror(j, &rep->from_mirror, err);
    return 0;
}

/* ---- the job ------------------------------------------------------------- */

int export_job_run(const struct pipeline *p, const struct export_job_options *o,
                   struct export_job_report *rep, struct cp_error *err)
{
    struct job j;
    struct export_job_report local;
    int rc;

    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    memset(&j, 0, sizeof j);
    j.p = p;
    j.o = o;
    j.lock.fd = -1;
    j.started = clock_now();
    strbuf_init(&j.mark, 4096);
    strbuf_init(&j.selection, 4096);
    j.q = (struct export_query){
        .page_size = p->export.page_size,
        .sort = p->export.sort,
        .source = p->export.filters.source,
        .business_id = p->export.filters.business_id,
        .show_on_widget = p->export.filters.show_on_widget,
    };
    if (p->export.excel && p->export.format != EXPORT_CSV)
        log_msg(LOG_DEBUG, "export.excel applies to CSV only: ignored for NDJSON");
    if (selection_text(p, &j.selection) < 0) {
        rc = cp_fail(err, CP_EXIT_USAGE, "out of memory");
    } else if (o->from_mirror) {
        rc = !p->export.mirror ? cp_fail(err, CP_EXIT_USAGE,
                                         "--from-mirror needs a mirror: set export.mirror "
                                         "in the pipeline or give --mirror PATH")
             : mirror_open(p->export.mirror, strbuf_str(&j.selection), &j.mirror, err) < 0
                 ? -1
                 : write_from_mirror(&j, &rep->from_mirror, err);
    } else if (p->export.mirror) {
        rc = mirror_export(&j, rep, err);
    } else {
        rc = plain_export(&j, rep, err);
    }
    if (rc < 0) {
        if (err->code == CP_EXIT_INTERRUPTED)
            log_msg(LOG_WARN, "interrupted after %ld %s: %s", rep->st.pages,
                    rep->st.pages == 1 ? "page" : "pages",
                    p->export.mirror ? "the mirror is as it was"
                    : j.to_file      ? "no file written, the watermark unchanged"
                                     : "the output is incomplete");
        else if (rep->st.pages && p->export.mirror)
            cp_error_prefix(err, "export stopped after %ld %s, the mirror unchanged", rep->st.pages,
                            rep->st.pages == 1 ? "page" : "pages");
        else if (rep->st.pages && (j.to_file || j.ledger))
            cp_error_prefix(err, "export stopped after %ld %s, nothing written", rep->st.pages,
                            rep->st.pages == 1 ? "page" : "pages");
    }
    rep->n_http = api_http_counts(j.api, rep->http_codes, rep->http_counts, EXPORT_JOB_MAX_CODES);
    close_job(&j);
    return rc;
}
