/*
 * `cloutly-pipe check PIPELINE.yaml [--input PATH]`: the dry check before a
 * campaign. Loads the pipeline, reads the whole input through the same
 * engine as `run`, and prints what would be sent, rejected and skipped and
 * why, with examples. No network, no files written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "intake/dedupe_spill.h"
#include "intake/engine.h"
#include "core/log.h"
#include "intake/parallel.h"
#include "intake/tally.h"
#include "invite/window.h"

static void print_line(void *ctx, const char *s)
{
    fprintf(ctx, "  %s\n", s);
}

struct dup_ctx {
    struct tally *t;
    struct row_result r;
};

/* A row counted as valid turns out to repeat an earlier contact. */
static void on_duplicate(void *ctx, long row, long first)
{
    struct dup_ctx *d = ctx;
    row_result_reset(&d->r);
    d->r.input_row = row;
    d->r.status = ROW_SKIPPED;
    row_note(&d->r, "duplicate of input row %ld", first);
    d->t->by_status[ROW_PENDING]--;
    d->t->rows--;
    tally_add(d->t, &d->r);
}

/* Every location value no business id was found for, once, with its row
 * count: the list a person fills invite.business_map from. */
#define MAX_UNMAPPED 100
struct unmapped {
    char value[MAX_UNMAPPED][64];
    long rows[MAX_UNMAPPED];
    int n;
    long more;
};

struct check_ctx {
    struct tally *t;
    struct unmapped u;
    struct window *window; /* the send-window plan of the valid rows */
    double now;
};

static void note_unmapped(struct unmapped *u, const struct row_result *r)
{
    static const char mark[] = "unknown location \"";
    const char *v = strstr(strbuf_str(&r->reason), mark);
    if (!v)
        return;
    v += sizeof mark - 1;
    const char *end = strchr(v, '"');
    size_t len = end ? (size_t)(end - v) : strlen(v);
    if (len >= sizeof u->value[0])
        len = sizeof u->value[0] - 1;
    for (int i = 0; i < u->n; i++)
        if (strlen(u->value[i]) == len && memcmp(u->value[i], v, len) == 0) {
            u->rows[i]++;
            return;
        }
    if (u->n == MAX_UNMAPPED) {
        u->more++;
        return;
    }
    memcpy(u->value[u->n], v, len);
    u->value[u->n][len] = '\0';
    u->rows[u->n++] = 1;
}

static int count_row(void *ctx, struct row_result *r, struct cp_error *err)
{
    struct check_ctx *c = ctx;
    (void)err;
    tally_add(c->t, r);
    if (r->status == ROW_REJECTED)
        note_unmapped(&c->u, r);
    /* After the tally: check counts a row valid whatever its window says. */
    struct window_decision d;
    if (r->status == ROW_PENDING && window_decide(c->window, r, c->now, &d, err) < 0)
        return -1;
    return 0;
}

static void print_unmapped(const struct unmapped *u)
{
    if (!u->n)
        return;
    printf("unmapped locations (add them to invite.business_map):\n");
    for (int i = 0; i < u->n; i++)
        printf("  \"%s\"  %ld row%s\n", u->value[i], u->rows[i], u->rows[i] == 1 ? "" : "s");
    if (u->more)
        printf("  and %ld rows with other values\n", u->more);
}

static const char *delimiter_name(char d)
{
    return d == '\t' ? "tab" : d == ',' ? "','" : d == ';' ? "';'" : d == '|' ? "'|'" : "?";
}

static const struct cli_opt check_opts[] = {
    {"input", 'i', "PATH", RUN_OPT_INPUT, "read this export instead of input.path"},
    {NULL, 0, NULL, 0, NULL},
};

const struct cli_spec cmd_check_spec = {
    .command = "check",
    .synopsis = "PIPELINE.yaml [--input PATH] [-q|-v] [--log-format text|json]",
    .about = "Validate the pipeline and every row of the input, with no network and no\n"
             "files written; print the counts per reason with examples.",
    .opts = check_opts,
    .common = CLI_VERBOSITY | CLI_LOG_FORMAT,
    .min_args = 1,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = cli_check_exit_codes,
};

int cmd_check(int argc, char **argv)
{
    struct run_options o;
    struct cp_error err = {0};
    struct pipeline p = {0};
    struct engine *e = NULL;
    struct tally t;
    struct dedupe_spill *spill = NULL;
    struct dup_ctx dups = {.t = &t};
    int rc;

    row_result_init(&dups.r);
    tally_init(&t);
    if (run_options_parse(&cmd_check_spec, argc, argv, &o, &err) < 0)
        goto fail;
    if (o.help) {
        cli_help(&cmd_check_spec, stdout);
        rc = 0;
        goto out;
    }
    log_setup(o.verbosity, o.json_log);
    if (pipeline_load(o.pipeline, time(NULL), &p, &err) < 0)
        goto fail;
    /* What run would refuse before sending (placeholder ids, a key that does
     * not resolve) fails check too, after the rows are read and counted. */
    struct cp_error not_ready = {0};
    int ready = pipeline_check_ready(&p, &not_ready) == 0;
    if (p.kind == PIPELINE_EXPORT && !ready) {
        err = not_ready;
        goto fail;
    }
    if (p.kind == PIPELINE_EXPORT) {
        /* An export pipeline has no input to read: loading it is the check. */
        printf("pipeline: %s (name %s): ok, an export pipeline\n", o.pipeline, p.name);
        rc = 0;
        goto out;
    }
    e = engine_open(&p, o.input, 0, &err);
    if (!e || !(spill = dedupe_spill_new(&err)))
        goto fail;
    engine_defer_dedupe(e, spill);
    engine_keep_raw(e, 0);
    printf("pipeline: %s (name %s)\n", o.pipeline, p.name);
    printf("input:    %s (encoding %s, delimiter %s)\n", engine_input_path(e), engine_encoding(e),
           delimiter_name(engine_delimiter(e)));
    if (engine_encoding_unsure(e))
        printf("warning:  the encoding (%s) was guessed from little text: if names look wrong, "
               "set input.encoding to the file's (utf-8, windows-1252, windows-1251, "
               "windows-1256... or any `iconv -l` name)\n",
               engine_encoding(e));
    char system[256];
    if (mapping_system(engine_mapping(e), system, sizeof system))
        printf("system:   %s\n", system);
    printf("mapping:\n");
    mapping_describe(engine_mapping(e), print_line, stdout);
    const struct mapping *m = engine_mapping(e);
    if (m->n_optout || m->n_unknown_consent) {
        printf("opt-outs:\n");
        mapping_describe_optouts(m, p.validate.honour_opt_outs, print_line, stdout);
    }
    /* CLOUTLY_THREADS caps the validation threads on a shared machine. */
    const char *threads = getenv("CLOUTLY_THREADS");
    static struct check_ctx cc;
    cc.t = &t;
    if (clock_override_error()) {
        cp_fail(&err, CP_EXIT_USAGE, "%s", clock_override_error());
        goto fail;
    }
    cc.now = clock_wall();
    /* No ledger: check writes nothing and opens nothing; the daily cap
     * counts from zero (run --dry-run reads the ledger). */
    if (!(cc.window = window_open(&p, NULL, &err)))
        goto fail;
    if (validate_all(e, threads ? (int)strtol(threads, NULL, 10) : 0, count_row, &cc, &err) < 0 ||
        (p.validate.dedupe && dedupe_spill_resolve(spill, on_duplicate, &dups, &err) < 0))
        goto fail;
    printf("rows:     %ld: %ld valid (would be sent), %ld rejected, %ld skipped\n", t.rows,
           t.by_status[ROW_PENDING], t.by_status[ROW_REJECTED], t.by_status[ROW_SKIPPED]);
    tally_print_reasons(&t, stdout);
    print_unmapped(&cc.u);
    window_print_plan(cc.window, stdout, "");
    if (!ready) {
        err = not_ready;
        goto fail;
    }
    rc = fflush(stdout) == 0 ? 0 : CP_EXIT_USAGE;
    goto out;
fail:
    rc = cli_report(&err);
out:
    engine_close(e);
    window_close(cc.window);
    cc.window = NULL;
    dedupe_spill_free(spill);
    row_result_release(&dups.r);
    pipeline_release(&p);
    return rc;
}
