/*
 * report_write (see report.h): the mark of the previous report, the model,
 * the page, the new mark, each file written whole or not at all.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/html.h"
#include "store/atomic_file.h"
#include "store/pg_conn.h"

static void mark_path(char *buf, size_t len, const char *output)
{
    snprintf(buf, len, "%s.state", output);
}

int report_read_mark(const char *output, long *seq, time_t *at)
{
    char path[4096];
    long long s = -1, t = 0;
    mark_path(path, sizeof path, output);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    int ok = fscanf(fp, "seq %lld\nat %lld", &s, &t) == 2 && s >= 0;
    fclose(fp);
    if (!ok)
        return 0;
    *seq = (long)s;
    *at = (time_t)t;
    return 1;
}

static int write_mark(const char *output, long seq, time_t at, struct cp_error *err)
{
    char path[4096];
    struct atomic_file af = {0};
    mark_path(path, sizeof path, output);
    if (atomic_open(&af, path, err) < 0)
        return -1;
    fprintf(af.fp, "seq %ld\nat %lld\n", seq, (long long)at);
    return atomic_commit(&af, err);
}

int report_write(const struct report_options *given, const char *output, struct report_model *out,
                 struct cp_error *err)
{
    struct report_options o = *given;
    struct report_model m;
    struct atomic_file af = {0};
    int rc = -1;
    if (!o.now)
        o.now = time(NULL);
    if (o.match_days <= 0)
        o.match_days = 14;
    o.prev_seq = -1;
    o.prev_at = 0;
    if (pg_is_url(o.ledger_path)) {
        /* The model reads SQLite; the URL may hold a password, so it is
         * neither opened as a file nor written into the page. */
        char shown[512];
        pg_conn_redact(o.ledger_path, shown, sizeof shown);
        return cp_fail(err, CP_EXIT_USAGE,
                       "the report reads an SQLite ledger, and this one is on PostgreSQL ('%s'): "
                       "copy it to a file first ('cloutly-pipe ledger copy --from URL --to "
                       "FILE') and give that with --ledger",
                       shown);
    }
    report_read_mark(output, &o.prev_seq, &o.prev_at);
    if (report_model_build(&o, &m, err) < 0)
        return -1;
    if (atomic_open(&af, output, err) < 0)
        goto out;
    struct html_context c = {o.ledger_path, o.mirror_path, o.pipeline_path, o.pipeline_name,
                             o.prev_at};
    html_render(&m, &c, af.fp);
    if (atomic_commit(&af, err) < 0)
        goto out;
    /* Without a mirror there is no seq to move: keep the old mark. */
    if (m.has_mirror && write_mark(output, m.changes_last_seq, o.now, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc == 0 && out)
        *out = m;
    else
        report_model_free(&m);
    return rc;
}
