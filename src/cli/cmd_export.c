/*
 * `cloutly-pipe export [PIPELINE.yaml] [options]`, and `run` on a pipeline
 * of kind export: page through GET /reviews into NDJSON or CSV.
 *
 * The output appears whole or not at all: it is written to a temporary
 * file beside the target (0600), fsynced and renamed when the walk is
 * complete; a failure or an interruption removes it. With `since:
 * last_run` the watermark (the newest createdAt written) lives in the
 * pipeline's ledger and moves only after that rename, so an export that
 * did not finish is simply done again next time. Standard output (no
 * --output, or "-") cannot be taken back: there the exit code says whether
 * what came out is complete.
 */
#include "core/signals.h"
#include "cli/cmd_export.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "export/export.h"
#include "api/fetch.h"
#include "core/isotime.h"
#include "store/ledger.h"
#include "core/log.h"
#include "store/atomic_file.h"
#include "export/reviews_out.h"
#include "store/runlock.h"
#include "cli/state.h"
#include "core/strbuf.h"
#include "core/uuid.h"

/* How this export is to be shown and where it goes, beyond the pipeline. */
struct export_flags {
    const char *output;  /* NULL or "-": standard output; else a path as given */
    int output_from_cli; /* --output given (a relative path is the caller's, not the pipeline's) */
    int verbosity;
    int no_progress;
    int json_log;
};

struct job {
    const struct pipeline *p;
    const struct export_flags *fl;
    struct export_query q;
    struct api_client *api;
    struct fetcher f;
    struct runlock lock;
    struct cli_state state; /* the account: its ledger, rate budget and locks */
    struct ledger *ledger;  /* only with since: last_run */
    struct strbuf mark;     /* the watermark's name in the ledger */
    struct atomic_file af;
    int to_file;            /* af is open: renamed into place on success */
    FILE *direct;           /* a device or FIFO given as --output, written as it is */
    FILE *fp;
    struct reviews_out *out;
    /* progress line */
    int progress;
    double started, drawn;
};

/* ---- progress ---------------------------------------------------------- */

static void draw_progress(void *ctx, const struct export_stats *st)
{
    struct job *j = ctx;
    double now = clock_now();
    /* Not before the second page: the line would cut the message saying how
     * the server reads `offset`. */
    if (!j->progress || st->pages < 2 || now - j->drawn < 0.25)
        return;
    j->drawn = now;
    double elapsed = now - j->started;
    double rate = elapsed > 0 ? (double)st->positions / elapsed : 0;
    long long total = st->total_last;
    char eta[32] = "?";
    int width = 30, fill = 0;
    if (total > 0 && !(j->q.has_since && j->q.sort == EXPORT_SORT_DESC)) {
        double left = (double)(total - st->positions);
        if (left < 0)
            left = 0;
        fill = (int)((double)st->positions / (double)total * width);
        fill = fill > width ? width : fill;
        if (rate > 0)
            clock_format_duration(left / rate, eta, sizeof eta);
    }
    fputs("\r[", stderr);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    if (total >= 0)
        fprintf(stderr, "] %ld/%lld reviews  %ld pages  %.0f reviews/s  ETA %s   ", st->positions,
                total, st->pages, rate, eta);
    else
        fprintf(stderr, "] %ld reviews  %ld pages  %.0f reviews/s   ", st->positions, st->pages,
                rate);
    fflush(stderr);
}

static void end_progress(struct job *j)
{
    if (j->progress && j->drawn > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* ---- setting up -------------------------------------------------------- */

/* The watermark's name: the pipeline and the filters, since a watermark
 * only means something for the same selection of reviews. */
static int mark_name(struct job *j)
{
    const struct pipeline *p = j->p;
    char sep = '?';
    if (strbuf_addf(&j->mark, "export:%s", p->name) < 0)
        return -1;
    if (p->export.filters.source) {
        if (strbuf_addf(&j->mark, "%csource=%s", sep, p->export.filters.source) < 0)
            return -1;
        sep = '&';
    }
    if (p->export.filters.business_id) {
        if (strbuf_addf(&j->mark, "%cbusinessId=%s", sep, p->export.filters.business_id) < 0)
            return -1;
        sep = '&';
    }
    if (p->export.filters.show_on_widget >= 0 &&
        strbuf_addf(&j->mark, "%cshowOnWidget=%s", sep,
                    p->export.filters.show_on_widget ? "true" : "false") < 0)
        return -1;
    return 0;
}

static int setup_since(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    char value[128];
    if (p->export.since) {
        if (isotime_parse(p->export.since, strlen(p->export.since), &j->q.since_us) < 0)
            return cp_fail(err, CP_EXIT_USAGE, "invalid since '%s' (expected last_run or an ISO "
                           "date like 2026-01-31)", p->export.since);
        j->q.has_since = 1;
        log_msg(LOG_DEBUG, "since %s: reviews created at or after it", p->export.since);
        return 0;
    }
    if (!p->export.since_last_run)
        return 0;
    const char *state_path = cli_state_ledger(&j->state, p->state.path);
    if (!p->file || !state_path)
        return cp_fail(err, CP_EXIT_USAGE, "'since last_run' needs a pipeline file: its ledger "
                       "keeps the watermark (or give --since DATE)");
    if (mark_name(j) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    /* One export of this pipeline at a time; other pipelines go on. */
    char what[300];
    snprintf(what, sizeof what, "another run of pipeline '%s' is in progress", p->name);
    struct runlock_spec ls = {.dir = j->state.acct.lock_dir, .kind = "pipeline", .id = p->name,
                              .pipeline = p->name, .what = what};
    if (runlock_take(&j->lock, &ls, err) < 0 || ledger_open(state_path, 0, &j->ledger, err) < 0)
        return -1;
    int found = ledger_watermark_get(j->ledger, j->mark.buf, value, sizeof value, err);
    if (found < 0)
        return -1;
    if (!found) {
        log_msg(LOG_INFO, "since last_run: no earlier complete export, so every review");
        return 0;
    }
    if (isotime_parse(value, strlen(value), &j->q.since_us) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "ledger '%s': the watermark of '%s' is not a date "
                       "('%s'): remove the ledger's watermarks row to export everything again",
                       state_path, j->mark.buf, value);
    j->q.has_since = 1;
    j->q.since_exclusive = 1;
    log_msg(LOG_INFO, "since last_run: reviews created after %s", value);
    return 0;
}

static int open_output(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    const char *path = j->fl->output;
    struct reviews_out_options ro = {
        .format = p->export.format,
        .fields = p->export.fields,
        .n_fields = p->export.n_fields,
        .formula_guard = p->export.csv_formula_guard,
        .excel_bom = p->export.excel && p->export.format == EXPORT_CSV,
        .name = path && strcmp(path, "-") != 0 ? path : "standard output",
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
        static char buf[64 * 1024];
        j->fp = stdout;
        setvbuf(stdout, buf, _IOFBF, sizeof buf);
    }
    j->out = reviews_out_new(j->fp, &ro, err);
    return j->out ? 0 : -1;
}

static int open_job(struct job *j, struct cp_error *err)
{
    const struct pipeline *p = j->p;
    const char *key;
    j->q = (struct export_query){
        .page_size = p->export.page_size,
        .sort = p->export.sort,
        .source = p->export.filters.source,
        .business_id = p->export.filters.business_id,
        .show_on_widget = p->export.filters.show_on_widget,
    };
    if (pipeline_api_key(p, &key, err) < 0 || cli_state_open(&j->state, key, p->state.path, err) < 0 ||
        setup_since(j, err) < 0)
        return -1;
    struct api_options ao = {.base_url = p->api.base_url,
                             .api_key = key,
                             .timeout_ms = p->api.timeout_ms,
                             .ca_file = p->api.ca_file,
                             .trace = j->fl->verbosity > 0 ? stderr : NULL};
    if (!(j->api = api_client_new(&ao, err)))
        return -1;
    fetcher_init(&j->f, j->api, p->api.rate_per_sec, p->api.retries, &signals_received);
    fetcher_share_budget(&j->f, cli_state_budget(&j->state));
    return open_output(j, err);
}

/* ---- finishing --------------------------------------------------------- */

static int sink(void *ctx, const struct review_ref *r, struct cp_error *err)
{
    return reviews_out_write(ctx, r, err);
}

static int commit(struct job *j, const struct export_stats *st, struct cp_error *err)
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
            return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", j->fl->output,
                           strerror(errno));
    }
    /* Only now, with the file in place, may the next run start after it. */
    if (j->ledger && st->newest[0] &&
        (!j->q.has_since || st->newest_us > j->q.since_us) &&
        ledger_watermark_set(j->ledger, j->mark.buf, st->newest, err) < 0)
        return -1;
    return 0;
}

static void summary(const struct job *j, const struct export_stats *st)
{
    double secs = clock_now() - j->started;
    char older[96] = "";
    if (st->older)
        snprintf(older, sizeof older, ", %ld older than since skipped", st->older);
    log_msg(LOG_INFO, "%s: %ld reviews written to %s in %ld pages (offset read as a %s%s), %.1fs",
            j->p->name, st->written,
            j->fl->output && strcmp(j->fl->output, "-") ? j->fl->output : "standard output",
            st->pages, export_mode_name(st->mode), older, secs);
    if (j->ledger && st->newest[0] && (!j->q.has_since || st->newest_us > j->q.since_us))
        log_msg(LOG_INFO, "watermark: %s (the next 'since: last_run' export starts after it)",
                st->newest);
}

static void close_job(struct job *j)
{
    if (j->to_file)
        atomic_abort(&j->af);
    if (j->direct)
        fclose(j->direct);
    reviews_out_free(j->out);
    api_client_free(j->api);
    ledger_close(j->ledger);
    runlock_release(&j->lock);
    cli_state_close(&j->state);
    strbuf_release(&j->mark);
}

static int execute(const struct pipeline *p, const struct export_flags *fl)
{
    struct job j;
    struct export_stats st;
    struct cp_error err = {0};
    int rc;

    memset(&j, 0, sizeof j);
    memset(&st, 0, sizeof st);
    j.p = p;
    j.fl = fl;
    j.lock.fd = -1;
    strbuf_init(&j.mark, 4096);
    j.started = clock_now();
    j.progress = isatty(2) && !fl->no_progress && fl->verbosity >= 0 && !fl->json_log;
    if (p->export.excel && p->export.format != EXPORT_CSV)
        log_msg(LOG_DEBUG, "export.excel applies to CSV only: ignored for NDJSON");
    signals_install();
    if (open_job(&j, &err) < 0 ||
        export_run(&j.f, &j.q, sink, j.out, draw_progress, &j, &st, &err) < 0 ||
        commit(&j, &st, &err) < 0)
        goto fail;
    end_progress(&j);
    summary(&j, &st);
    rc = CP_EXIT_OK;
    goto out;
fail:
    end_progress(&j);
    if (err.code == CP_EXIT_INTERRUPTED)
        log_msg(LOG_WARN, "interrupted after %ld pages: %s", st.pages,
                j.to_file ? "no file written, the watermark unchanged" : "the output is incomplete");
    else if (st.pages && (j.to_file || j.ledger))
        cp_error_prefix(&err, "export stopped after %ld pages, nothing written", st.pages);
    rc = err.code == CP_EXIT_INTERRUPTED ? CP_EXIT_INTERRUPTED : cli_report(&err);
out:
    close_job(&j);
    return rc;
}

/* ---- the command line -------------------------------------------------- */

struct export_cli {
    const char *pipeline, *format, *output, *source, *business_id, *show, *sort, *since;
    struct export_flags fl;
    int help;
};

static const char export_usage[] =
    "usage: cloutly-pipe export [PIPELINE.yaml] [--format ndjson|csv] [--output PATH]\n"
    "                           [--source S] [--business-id ID] [--show-on-widget true|false]\n"
    "                           [--sort asc|desc] [--since DATE|last_run]\n"
    "                           [-q|-v] [--no-progress] [--log-format text|json]\n\n"
    "Page through every review of the account (GET /reviews) into NDJSON, each review\n"
    "exactly as the API sent it, or CSV for spreadsheets. Without a pipeline the key\n"
    "comes from CLOUTLY_API_KEY; options override the pipeline's export section.\n"
    "The output is written whole or not at all (standard output when --output is\n"
    "absent or '-'). --since last_run needs a pipeline: its ledger keeps the newest\n"
    "review written, and only a complete export moves it.\n\n"
    "Exit codes: 0 complete, 2 usage or pipeline error, 3 key refused (401),\n"
    "4 the API's pages could not be read (retries exhausted), 5 interrupted:\n"
    "in every case but 0, no file is written and the watermark does not move.\n";

static int parse_cli(int argc, char **argv, struct export_cli *c, struct cp_error *err)
{
    enum { O_FORMAT = 256, O_OUTPUT, O_SOURCE, O_BUSINESS, O_SHOW, O_SORT, O_SINCE,
           O_NO_PROGRESS, O_LOG_FORMAT };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"output", required_argument, NULL, O_OUTPUT},
        {"source", required_argument, NULL, O_SOURCE},
        {"business-id", required_argument, NULL, O_BUSINESS},
        {"show-on-widget", required_argument, NULL, O_SHOW},
        {"sort", required_argument, NULL, O_SORT},
        {"since", required_argument, NULL, O_SINCE},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-progress", no_argument, NULL, O_NO_PROGRESS},
        {"log-format", required_argument, NULL, O_LOG_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    memset(c, 0, sizeof *c);
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":o:qvh", longopts, NULL)) != -1) {
        switch (o) {
        case O_FORMAT: c->format = optarg; break;
        case 'o':
        case O_OUTPUT: c->output = optarg; c->fl.output_from_cli = 1; break;
        case O_SOURCE: c->source = optarg; break;
        case O_BUSINESS: c->business_id = optarg; break;
        case O_SHOW: c->show = optarg; break;
        case O_SORT: c->sort = optarg; break;
        case O_SINCE: c->since = optarg; break;
        case 'q': c->fl.verbosity = -1; break;
        case 'v': c->fl.verbosity = 1; break;
        case O_NO_PROGRESS: c->fl.no_progress = 1; break;
        case O_LOG_FORMAT:
            if (strcmp(optarg, "json") == 0)
                c->fl.json_log = 1;
            else if (strcmp(optarg, "text") != 0)
                return cp_fail(err, CP_EXIT_USAGE, "--log-format must be text or json, not '%s'", optarg);
            break;
        case 'h': c->help = 1; return 0;
        case ':':
            return cp_fail(err, CP_EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cp_fail(err, CP_EXIT_USAGE, "unknown option '%s' (see export --help)",
                           argv[optind - 1]);
        }
    }
    if (optind < argc)
        c->pipeline = argv[optind++];
    if (optind < argc)
        return cp_fail(err, CP_EXIT_USAGE, "unexpected argument '%s' (see export --help)", argv[optind]);
    return 0;
}

static int replace(char **dst, const char *value, struct cp_error *err)
{
    char *dup = strdup(value);
    if (!dup)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    free(*dst);
    *dst = dup;
    return 0;
}

/* The command line's word over the pipeline's. */
static int apply_cli(struct pipeline *p, const struct export_cli *c, struct cp_error *err)
{
    if (c->format) {
        if (strcmp(c->format, "ndjson") && strcmp(c->format, "csv"))
            return cp_fail(err, CP_EXIT_USAGE, "--format must be ndjson or csv, not '%s'", c->format);
        p->export.format = c->format[0] == 'c' ? EXPORT_CSV : EXPORT_NDJSON;
    }
    if (c->sort) {
        if (strcmp(c->sort, "asc") && strcmp(c->sort, "desc"))
            return cp_fail(err, CP_EXIT_USAGE, "--sort must be asc or desc, not '%s'", c->sort);
        p->export.sort = c->sort[0] == 'a' ? EXPORT_SORT_ASC : EXPORT_SORT_DESC;
    }
    if (c->show) {
        if (strcmp(c->show, "true") && strcmp(c->show, "false"))
            return cp_fail(err, CP_EXIT_USAGE, "--show-on-widget must be true or false, not '%s'",
                           c->show);
        p->export.filters.show_on_widget = c->show[0] == 't';
    }
    if (c->source && replace(&p->export.filters.source, c->source, err) < 0)
        return -1;
    if (c->business_id) {
        if (!uuid_valid_str(c->business_id))
            return cp_fail(err, CP_EXIT_USAGE, "invalid --business-id '%s' (expected a UUID; run "
                           "'cloutly-pipe businesses' to list business ids)", c->business_id);
        if (replace(&p->export.filters.business_id, c->business_id, err) < 0)
            return -1;
    }
    if (c->since) {
        int64_t us;
        free(p->export.since);
        p->export.since = NULL;
        p->export.since_last_run = strcmp(c->since, "last_run") == 0;
        if (!p->export.since_last_run) {
            if (isotime_parse(c->since, strlen(c->since), &us) < 0)
                return cp_fail(err, CP_EXIT_USAGE, "invalid --since '%s' (expected last_run or an "
                               "ISO date like 2026-01-31)", c->since);
            if (replace(&p->export.since, c->since, err) < 0)
                return -1;
        }
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_cli c;
    struct pipeline p = {0};
    struct cp_error err = {0};
    int rc;

    if (parse_cli(argc, argv, &c, &err) < 0) {
        rc = cli_report(&err);
        goto out;
    }
    if (c.help) {
        fputs(export_usage, stdout);
        rc = 0;
        goto out;
    }
    log_setup(c.fl.verbosity, c.fl.json_log);
    if (c.pipeline ? pipeline_load(c.pipeline, time(NULL), &p, &err)
                   : pipeline_defaults(PIPELINE_EXPORT, "export", time(NULL), &p, &err)) {
        rc = cli_report(&err);
        goto out;
    }
    if (p.kind != PIPELINE_EXPORT) {
        cp_fail(&err, CP_EXIT_USAGE, "%s: 'export' needs a pipeline of kind export, this one is "
                "kind invite (or run 'cloutly-pipe export' without a pipeline)", c.pipeline);
        rc = cli_report(&err);
        goto out;
    }
    if (apply_cli(&p, &c, &err) < 0) {
        rc = cli_report(&err);
        goto out;
    }
    c.fl.output = c.fl.output_from_cli ? c.output : p.export.output;
    rc = execute(&p, &c.fl);
out:
    pipeline_release(&p);
    return rc;
}

int export_run_pipeline(const struct pipeline *p, const struct run_options *o)
{
    struct cp_error err = {0};
    struct export_flags fl = {.output = p->export.output,
                              .verbosity = o->verbosity,
                              .no_progress = o->no_progress,
                              .json_log = o->json_log};
    if (o->dry_run || o->input || o->limit) {
        cp_fail(&err, CP_EXIT_USAGE, "%s: '%s' does not apply to an export pipeline (it sends "
                "nothing and reads no input file)", p->file ? p->file : "pipeline",
                o->dry_run ? "--dry-run" : o->input ? "--input" : "--limit");
        return cli_report(&err);
    }
    return execute(p, &fl);
}
