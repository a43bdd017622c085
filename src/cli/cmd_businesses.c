/*
 * `cloutly-pipe businesses [PIPELINE.yaml] [--format table|csv|ndjson]`:
 * the account's businesses (locations) with their ids and review sources,
 * for filling in invite.business_id and export.filters.
 *
 * A table on a terminal, CSV when the output goes elsewhere (a file, a
 * pipe), NDJSON with each business exactly as the API sent it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cmd_export.h"
#include "cli/options.h"
#include "api/businesses.h"
#include "api/fetch.h"
#include "cli/state.h"
#include "api/json_scan.h"
#include "core/log.h"
#include "export/reviews_out.h"
#include "core/strbuf.h"

enum format { TABLE, CSV, NDJSON };

/* Display width: code points, with control characters shown as spaces. */
static size_t width(const struct strbuf *sb)
{
    size_t w = 0;
    for (size_t i = 0; i < sb->len; i++)
        w += ((unsigned char)sb->buf[i] & 0xC0) != 0x80;
    return w;
}

static void put_padded(const struct strbuf *sb, size_t w, int last)
{
    for (size_t i = 0; i < sb->len; i++) {
        unsigned char c = (unsigned char)sb->buf[i];
        putchar(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (!last)
        for (size_t i = width(sb); i < w + 2; i++)
            putchar(' ');
    if (last)
        putchar('\n');
}

static void print_table(const struct business_list *l)
{
    struct strbuf head[3];
    const char *titles[] = {"ID", "NAME", "SOURCES"};
    size_t w[3];
    for (int k = 0; k < 3; k++) {
        strbuf_init(&head[k], 64);
        strbuf_addstr(&head[k], titles[k]);
        w[k] = width(&head[k]);
    }
    for (size_t i = 0; i < l->n; i++) {
        const struct business *b = &l->items[i];
        size_t bw[3] = {width(&b->id), width(&b->name), width(&b->sources)};
        for (int k = 0; k < 3; k++)
            w[k] = bw[k] > w[k] ? bw[k] : w[k];
    }
    for (int k = 0; k < 3; k++)
        put_padded(&head[k], w[k], k == 2);
    for (size_t i = 0; i < l->n; i++) {
        put_padded(&l->items[i].id, w[0], 0);
        put_padded(&l->items[i].name, w[1], 0);
        put_padded(&l->items[i].sources, w[2], 1);
    }
    for (int k = 0; k < 3; k++)
        strbuf_release(&head[k]);
}

static int print_csv(const struct business_list *l)
{
    struct strbuf row;
    int rc = 0;
    strbuf_init(&row, 1u << 24);
    fputs("id,name,sources\r\n", stdout);
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        const struct business *b = &l->items[i];
        strbuf_reset(&row);
        rc = csv_cell_add(&row, strbuf_str(&b->id), b->id.len, true) < 0 ||
                     strbuf_add(&row, ",", 1) < 0 ||
                     csv_cell_add(&row, strbuf_str(&b->name), b->name.len, true) < 0 ||
                     strbuf_add(&row, ",", 1) < 0 ||
                     csv_cell_add(&row, strbuf_str(&b->sources), b->sources.len, true) < 0 ||
                     strbuf_add(&row, "\r\n", 2) < 0
                 ? -1
                 : 0;
        if (rc == 0)
            fwrite(row.buf, 1, row.len, stdout);
    }
    strbuf_release(&row);
    return rc;
}

static int print_ndjson(const struct business_list *l)
{
    struct strbuf scratch;
    int rc = 0;
    strbuf_init(&scratch, 1u << 24);
    for (size_t i = 0; i < l->n && rc == 0; i++)
        rc = ndjson_line_write(stdout, &l->items[i].raw, &scratch);
    strbuf_release(&scratch);
    return rc;
}

enum { B_FORMAT = 1 };

static const struct cli_opt businesses_opts[] = {
    {"format", 'f', "table|csv|ndjson", B_FORMAT, "a table on a terminal, CSV otherwise"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_spec businesses_spec = {
    .command = "businesses",
    .synopsis = "[PIPELINE.yaml] [--format table|csv|ndjson] [-q|-v] [--log-format text|json]",
    .about = "List the account's businesses (locations): their ids, for invite.business_id\n"
             "and export.filters.businessId, and their review sources, for\n"
             "export.filters.source. The key comes from the pipeline's api section, or\n"
             "CLOUTLY_API_KEY without one.",
    .opts = businesses_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 0,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = "Exit codes:\n  0  listed\n  2  usage or pipeline error\n  3  key refused "
                  "(401)\n  4  the API could not be read (retries exhausted)\n  5  interrupted\n",
};

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    enum format *fmt = ctx;
    if (id != B_FORMAT)
        return 0;
    if (!strcasecmp(value, "table"))
        *fmt = TABLE;
    else if (!strcasecmp(value, "csv"))
        *fmt = CSV;
    else if (!strcasecmp(value, "ndjson"))
        *fmt = NDJSON;
    else
        return cp_fail(err, CP_EXIT_USAGE,
                       "businesses: --format must be table, csv or ndjson, not '%s'", value);
    return 0;
}

static int parse(int argc, char **argv, const char **pipeline, enum format *fmt,
                 struct cli_common *common, struct cp_error *err)
{
    const char *args[1];
    int n;
    *fmt = isatty(1) ? TABLE : CSV;
    if (cli_parse(&businesses_spec, argc, argv, on_option, fmt, common, args, &n, err) < 0)
        return -1;
    *pipeline = n ? args[0] : NULL;
    return 0;
}

int cmd_businesses(int argc, char **argv)
{
    struct pipeline p = {0};
    struct cp_error err = {0};
    struct business_list l = {0};
    struct api_client *api = NULL;
    struct fetcher f;
    struct cli_state state = {0};
    struct api_result res;
    const char *pipeline = NULL, *key;
    enum format fmt;
    int verbose = 0, rc;

    struct cli_common common;
    if (parse(argc, argv, &pipeline, &fmt, &common, &err) < 0)
        goto fail;
    if (common.help) {
        cli_help(&businesses_spec, stdout);
        rc = 0;
        goto out;
    }
    verbose = common.verbosity > 0;
    log_setup(common.verbosity, common.json_log);
    if ((pipeline ? pipeline_load(pipeline, time(NULL), &p, &err)
                  : pipeline_defaults(PIPELINE_EXPORT, "businesses", time(NULL), &p, &err)) < 0 ||
        pipeline_api_key(&p, &key, &err) < 0)
        goto fail;
    struct api_options ao = {.base_url = p.api.base_url,
                             .api_key = key,
                             .timeout_ms = p.api.timeout_ms,
                             .ca_file = p.api.ca_file,
                             .trace = verbose ? stderr : NULL};
    if (!(api = api_client_new(&ao, &err)))
        goto fail;
    fetcher_init(&f, api, p.api.rate_per_sec, p.api.retries, NULL);
    /* The GET takes its slot from the account's budget, like every request. */
    if (cli_state_open_pipeline(&state, key, &p, &err) < 0)
        goto fail;
    fetcher_share_budget(&f, cli_state_budget(&state));
    if (fetch_get(&f, "/businesses", business_list_read, &l, &res, &err) < 0)
        goto fail;
    if (fmt == TABLE)
        print_table(&l);
    else if ((fmt == CSV ? print_csv(&l) : print_ndjson(&l)) < 0 && !ferror(stdout)) {
        cp_fail(&err, CP_EXIT_USAGE, "out of memory");
        goto fail;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cp_fail(&err, CP_EXIT_USAGE, "cannot write to standard output");
        goto fail;
    }
    if (l.n == 0)
        log_msg(LOG_WARN, "no businesses on this account: add a location in Cloutly first");
    rc = 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    business_list_release(&l);
    api_client_free(api);
    cli_state_close(&state);
    pipeline_release(&p);
    return rc;
}
