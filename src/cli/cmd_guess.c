/*
 * `cloutly-pipe guess EXPORT.csv`: the way in for an export the tool has
 * never seen. It sniffs the encoding, delimiter and header, says which
 * system wrote the file, shows a few rows as they would be sent (through the
 * real validation, with the pipeline it is about to print), and prints a
 * starter pipeline on standard output:
 *
 *   cloutly-pipe guess customers.csv > customers.yaml
 *
 * Everything for the person goes to stderr as YAML comments ("# ..."), so
 * even `guess x.csv > p.yaml 2>&1` leaves a loadable file. With
 * CLOUTLY_API_KEY set it asks GET /businesses for the real business id; any
 * failure there leaves a placeholder and says why, never stops the guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "intake/engine.h"
#include "api/businesses.h"
#include "api/fetch.h"
#include "cli/state.h"
#include "guess/guess.h"
#include "core/log.h"
#include "guess/starter.h"

/* Rows shown as they would be sent, and not sent. */
#define SHOW_SENT     5
#define SHOW_NOT_SENT 4

static const struct cli_spec guess_spec = {
    .command = "guess",
    .synopsis = "EXPORT.csv [-q|-v] [--log-format text|json]",
    .about = "Read a POS or CRM export the tool has never seen: its encoding, delimiter and\n"
             "columns, the system that wrote it, and a few rows as they would be sent. Print\n"
             "a starter pipeline on standard output (the analysis goes to stderr):\n\n"
             "  cloutly-pipe guess customers.csv > customers.yaml\n"
             "  cloutly-pipe check customers.yaml\n"
             "  cloutly-pipe run customers.yaml --dry-run\n"
             "  cloutly-pipe run customers.yaml\n\n"
             "With CLOUTLY_API_KEY set, the business id comes from GET /businesses\n"
             "(CLOUTLY_BASE_URL overrides the API's address); otherwise, and for the\n"
             "campaign id, the pipeline has placeholders marked REPLACE.",
    .opts = NULL,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 1,
    .max_args = 1,
    .args_name = "EXPORT.csv",
    .exit_codes = "Exit codes:\n  0  pipeline printed\n  2  usage error\n  4  the export "
                  "cannot be read\n",
};

/* ---- GET /businesses ----------------------------------------------------- */

static void clear_businesses(struct starter *s)
{
    for (size_t i = 0; i < s->n_biz; i++) {
        free(s->biz[i].id);
        free(s->biz[i].name);
    }
    s->n_biz = 0;
}

/* The listing's businesses into the starter; -1 when out of memory. */
static int take_businesses(struct starter *s, const struct business_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].id.len &&
            starter_add_business(s, strbuf_str(&l->items[i].id), strbuf_str(&l->items[i].name)) < 0)
            return -1;
    return 0;
}

/* Real business ids when a key is at hand; else a note on why not. */
static void lookup_businesses(struct starter *s, int verbose)
{
    struct pipeline p = {0};
    struct cp_error err = {0};
    struct api_client *api = NULL;
    struct api_result res;
    struct fetcher f;
    struct cli_state state = {0};
    struct business_list list = {0};
    const char *key, *env = getenv("CLOUTLY_API_KEY");

    if (!env || !*env) {
        snprintf(s->biz_note, sizeof s->biz_note,
                 "set CLOUTLY_API_KEY and run guess again to have it filled in");
        return;
    }
    if (pipeline_defaults(PIPELINE_INVITE, "guess", time(NULL), &p, &err) < 0 ||
        pipeline_api_key(&p, &key, &err) < 0)
        goto fail;
    struct api_options ao = {.base_url = p.api.base_url,
                             .api_key = key,
                             .timeout_ms = 10000, /* a guess should not hang on the network */
                             .trace = verbose ? stderr : NULL};
    if (!(api = api_client_new(&ao, &err)))
        goto fail;
    fetcher_init(&f, api, p.api.rate_per_sec, 1, NULL);
    /* The GET takes its slot from the account's budget, like every request. */
    if (cli_state_open(&state, key, NULL, &err) < 0)
        goto fail;
    fetcher_share_budget(&f, cli_state_budget(&state));
    if (fetch_get(&f, "/businesses", business_list_read, &list, &res, &err) < 0)
        goto fail;
    if (take_businesses(s, &list) < 0) {
        cp_fail(&err, CP_EXIT_USAGE, "out of memory");
        goto fail;
    }
    if (!s->n_biz)
        snprintf(s->biz_note, sizeof s->biz_note,
                 "the account has no businesses yet: add a location in Cloutly first");
    goto out;
fail:
    clear_businesses(s); /* half an answer is no answer */
    snprintf(s->biz_note, sizeof s->biz_note, "could not list the businesses: %.300s", err.msg);
out:
    business_list_release(&list);
    api_client_free(api);
    cli_state_close(&state);
    pipeline_release(&p);
}

/* ---- the analysis, on stderr --------------------------------------------- */

static void print_line(void *ctx, const char *s)
{
    (void)ctx;
    fprintf(stderr, "#     %s\n", s);
}

/* One row as a person reads it: who, how they would be reached, and why not. */
static void add_row(struct strbuf *sb, const struct row_result *r)
{
    strbuf_addf(sb, "#     row %-5ld", r->input_row);
    if (r->status != ROW_PENDING) {
        strbuf_addf(sb, "%s: %s\n", row_status_name(r->status), strbuf_str(&r->reason));
        return;
    }
    strbuf_addf(sb, "%s %s", strbuf_str(&r->first_name), strbuf_str(&r->last_name));
    if (r->email.len)
        strbuf_addf(sb, "  <%s>", strbuf_str(&r->email));
    if (r->phone.len)
        strbuf_addf(sb, "  %s", strbuf_str(&r->phone));
    if (r->source_contact_id.len)
        strbuf_addf(sb, "  id %s", strbuf_str(&r->source_contact_id));
    if (r->reason.len)
        strbuf_addf(sb, "  (%s)", strbuf_str(&r->reason));
    strbuf_addstr(sb, "\n");
}

/* The first rows through the engine, as `check` and `run` will see them.
 * -1 with err when the export cannot be mapped or read. */
/* Whether the rows guess shows a person can be read at all (JSON mode,
 * where they are not shown): 0, or -1 with err. */
static int rows_readable(const struct pipeline *p, struct cp_error *err)
{
    struct row_result r;
    int rc;
    struct engine *e = engine_open(p, NULL, GUESS_SCAN_ROWS, err);
    if (!e)
        return -1;
    engine_keep_raw(e, 0);
    row_result_init(&r);
    while ((rc = engine_next(e, &r, err)) > 0)
        ;
    row_result_release(&r);
    engine_close(e);
    return rc < 0 ? -1 : 0;
}

static int show_rows(const struct pipeline *p, struct cp_error *err)
{
    struct row_result r;
    struct strbuf sent, not_sent;
    long count[ROW_DEFERRED + 1] = {0}, rows = 0;
    int rc;
    struct engine *e = engine_open(p, NULL, GUESS_SCAN_ROWS, err);
    if (!e)
        return -1;
    engine_keep_raw(e, 0);
    row_result_init(&r);
    strbuf_init(&sent, 1u << 20);
    strbuf_init(&not_sent, 1u << 20);
    fputs("#   mapping\n", stderr);
    mapping_describe(engine_mapping(e), print_line, NULL);
    mapping_describe_optouts(engine_mapping(e), p->validate.honour_opt_outs, print_line, NULL);
    while ((rc = engine_next(e, &r, err)) > 0) {
        rows++;
        count[r.status]++;
        if (r.status == ROW_PENDING && count[ROW_PENDING] <= SHOW_SENT)
            add_row(&sent, &r);
        else if (r.status != ROW_PENDING && rows - count[ROW_PENDING] <= SHOW_NOT_SENT)
            add_row(&not_sent, &r);
    }
    fprintf(stderr, "#   rows        %s%ld: %ld would be sent, %ld rejected, %ld skipped\n",
            rows == GUESS_SCAN_ROWS ? "the first " : "", rows, count[ROW_PENDING],
            count[ROW_REJECTED], count[ROW_SKIPPED]);
    if (sent.len)
        fprintf(stderr, "#   as they would be sent:\n%s", strbuf_str(&sent));
    if (not_sent.len)
        fprintf(stderr, "#   not sent:\n%s", strbuf_str(&not_sent));
    strbuf_release(&sent);
    strbuf_release(&not_sent);
    row_result_release(&r);
    engine_close(e);
    return rc < 0 ? -1 : 0;
}

static void show_header(const char *path, const struct guess *g)
{
    char sys[256];
    presets_describe(g->pm.system, g->pm.marks_found, g->pm.marks_total, sys, sizeof sys);
    fprintf(stderr, "# guess: %s\n", path);
    char delim[4] = {'\'', g->delimiter, '\'', 0};
    fprintf(stderr, "#   read as     %s, delimiter %s\n", g->encoding,
            g->delimiter == '\t' ? "tab" : delim);
    if (g->encoding_unsure)
        fprintf(stderr, "#   warning     the encoding was guessed from little text: if names "
                        "look wrong, set input.encoding (windows-1251, windows-1256...)\n");
    fprintf(stderr, "#   system      %s\n", sys);
    fprintf(stderr, "#   columns     %zu:", g->n);
    for (size_t i = 0; i < g->n && i < 40; i++)
        fprintf(stderr, "%s '%s'", i ? "," : "", g->header[i]);
    fprintf(stderr, "%s\n", g->n > 40 ? ", ..." : "");
}

/* Each store of the export and the business it was mapped to, or why not. */
static void show_stores(const struct starter *s)
{
    const struct location_tally *t = &s->g->location;
    fprintf(stderr, "#   stores      '%s': %zu store%s, each mapped in invite.business_map\n",
            s->g->header[t->col], t->n, t->n == 1 ? "" : "s");
    for (size_t i = 0; i < t->n; i++) {
        struct location_match m;
        const struct location_value *v = &t->values[i];
        starter_store_match(s, i, &m);
        fprintf(stderr, "#     \"%s\" (%ld row%s) -> ", v->value, v->rows, v->rows == 1 ? "" : "s");
        if (!s->n_biz)
            fprintf(stderr, "its business id to fill in: %s\n", s->biz_note);
        else if (m.kind == LOCATION_EXACT)
            fprintf(stderr, "%s %s\n", s->biz[m.best].id, s->biz[m.best].name);
        else if (m.kind == LOCATION_NEAR)
            fprintf(stderr, "%s %s (not an exact name: check it)\n", s->biz[m.best].id,
                    s->biz[m.best].name);
        else if (m.kind == LOCATION_SEVERAL)
            fprintf(stderr, "several businesses fit ('%s', '%s'): TODO in the pipeline\n",
                    s->biz[m.best].name, s->biz[m.second].name);
        else
            fputs("no business is named like it: TODO in the pipeline\n", stderr);
    }
    if (t->empty)
        fprintf(stderr, "#     %ld row%s no store\n", t->empty, t->empty == 1 ? " has" : "s have");
}

static void show_decisions(const struct starter *s)
{
    const struct guess *g = s->g;
    static const char *const channel[PRESET_CHANNELS] = {"sms", "email"};
    fprintf(stderr, "#   country     %s%s%s\n",
            g->country[0] ? g->country : "unknown: ", g->country[0] ? ": " : "", g->country_why);
    for (int c = 0; c < PRESET_CHANNELS; c++)
        if (s->consent[c])
            fprintf(stderr, "#   consent     %s: '%s' allows %ld of %ld rows\n", channel[c],
                    g->header[s->consent[c]->col], g->consent_rows[c], g->rows);
    if (starter_maps_stores(s))
        show_stores(s);
    else if (s->n_biz)
        fprintf(stderr, "#   business    %s %s (from GET /businesses%s)\n", s->biz[0].id,
                s->biz[0].name, s->n_biz > 1 ? "; others listed in the pipeline" : "");
    else
        fprintf(stderr, "#   business    placeholder: %s\n", s->biz_note);
}

/* ---- the command --------------------------------------------------------- */

int cmd_guess(int argc, char **argv)
{
    struct cp_error err = {0}, rows_err = {0};
    struct guess g = {0};
    struct starter s = {0};
    struct pipeline p = {0};
    const char *path = NULL;
    int verbose = 0, rc, n;
    struct cli_common common;
    const char *args[1];

    if (cli_parse(&guess_spec, argc, argv, NULL, NULL, &common, args, &n, &err) < 0)
        goto fail;
    path = n ? args[0] : NULL;
    verbose = common.verbosity > 0;
    if (common.help) {
        cli_help(&guess_spec, stdout);
        fputs("\nExports it knows by their header:\n", stdout);
        for (size_t i = 0; presets_at(i); i++)
            printf("  %s\n", presets_at(i)->title);
        rc = 0;
        goto out;
    }
    log_setup(common.verbosity, common.json_log);
    if (guess_read(&g, path, &err) < 0 || starter_init(&s, &g, path, &err) < 0)
        goto fail;
    lookup_businesses(&s, verbose);
    if (starter_pipeline(&s, time(NULL), &p, &err) < 0)
        goto fail;
    if (common.json_log) {
        /* Nothing but JSON on stderr: the analysis is for a person, and the
         * pipeline on standard output carries its decisions as comments. */
        if (rows_readable(&p, &rows_err) < 0)
            log_msg(LOG_WARN, "%s", rows_err.msg);
        log_msg(LOG_INFO, "guess: the starter pipeline for '%s' is on standard output", path);
    } else {
        show_header(path, &g);
        show_decisions(&s);
        /* A file check would refuse is still worth a starter pipeline. */
        if (show_rows(&p, &rows_err) < 0)
            fprintf(stderr, "#   problem     %s\n", rows_err.msg);
        fputs("# the starter pipeline is on standard output: save it, replace the ids\n"
              "# marked REPLACE, then check, run --dry-run, run\n",
              stderr);
    }
    if (starter_write(&s, stdout) < 0 || fflush(stdout) != 0) {
        cp_fail(&err, CP_EXIT_USAGE, "cannot write the pipeline to standard output");
        goto fail;
    }
    rc = rows_err.msg[0] ? cli_report(&rows_err) : 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    pipeline_release(&p);
    starter_release(&s);
    guess_release(&g);
    return rc;
}
