/* Results and rejects CSV: see results.h. */
#include "invite/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bg_writer.h"
#include "core/csv_cell.h"
#include "core/strbuf.h"
#include "store/atomic_file.h"

struct results {
    const struct pipeline *p;
    struct atomic_file res, rej;
    int have_res, have_rej;
    size_t n_header;          /* the input's columns: every rejects line has this many */
    char delim;               /* the input's delimiter, to join a row's extra fields */
    struct bg_writer *bg;     /* the results file's writing thread; NULL: in line */
    struct strbuf line;       /* one results line, written with one call (no bg) */
    struct strbuf same_cells; /* "campaign_id,invite_delay_days," the same on every line */
    /* The latest reason and its cell: a campaign's deferred rows share one
     * long note, and quoting it is most of writing their line. */
    struct strbuf last_reason, last_reason_cell;
};

static void put_str(FILE *fp, const char *s, int last)
{
    csv_put_field(fp, s, strlen(s));
    fputs(last ? "\r\n" : ",", fp);
}

static const char *const results_header[] = {
    "input_row",         "status",          "reason",      "contact_id",
    "first_name",        "last_name",       "email",       "phone_number",
    "source_contact_id", "business_id",     "campaign_id", "invite_delay_days",
    "http_status",       "sms_limits_left", "sms_renews",  "processed_at"};

static int same_cells(struct results *rs);

struct results *results_open(const struct pipeline *p, const char *results_path,
                             const char *rejects_path, char *const *header, size_t n_header,
                             struct cp_error *err)
{
    struct results *rs = calloc(1, sizeof *rs);
    if (!rs) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    rs->p = p;
    rs->n_header = n_header;
    rs->delim = ',';
    strbuf_init(&rs->line, (size_t)1 << 30);
    strbuf_init(&rs->same_cells, 4096);
    strbuf_init(&rs->last_reason, 4096);
    strbuf_init(&rs->last_reason_cell, 4096);
    if (same_cells(rs) < 0) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        goto fail;
    }
    if (results_path) {
        if (atomic_open(&rs->res, results_path, err) < 0)
            goto fail;
        rs->have_res = 1;
        size_t n = sizeof results_header / sizeof *results_header;
        for (size_t i = 0; i < n; i++)
            put_str(rs->res.fp, results_header[i], i + 1 == n);
        rs->bg = bg_writer_open(rs->res.fp); /* NULL: written in line, as well */
    }
    if (rejects_path) {
        if (atomic_open(&rs->rej, rejects_path, err) < 0)
            goto fail;
        rs->have_rej = 1;
        for (size_t i = 0; i < n_header; i++)
            put_str(rs->rej.fp, header[i], 0);
        put_str(rs->rej.fp, "input_row", 0);
        put_str(rs->rej.fp, "reason", 1);
    }
    return rs;
fail:
    results_abort(rs);
    return NULL;
}

/* `v` in decimal at `o`: the bytes written (at most 20). */
static size_t put_long(char *o, long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t w = 0;
    if (v < 0)
        o[w++] = '-';
    while (n)
        o[w++] = tmp[--n];
    return w;
}

/* The cells every line shares, once (the campaign is the pipeline's). */
static int same_cells(struct results *rs)
{
    const char *campaign = rs->p->invite.campaign_id ? rs->p->invite.campaign_id : "";
    char num[24];
    size_t n = rs->p->invite.invite_delay_days ? put_long(num, rs->p->invite.invite_delay_days) : 0;
    int rc = csv_cell_add(&rs->same_cells, campaign, strlen(campaign), 0);
    rc |= strbuf_add(&rs->same_cells, ",", 1);
    rc |= strbuf_add(&rs->same_cells, num, n);
    rc |= strbuf_add(&rs->same_cells, ",", 1);
    return rc < 0 ? -1 : 0;
}

/* One cell and its comma at `o`; guarded: text from the customer's export
 * or the server, in a file people open in a spreadsheet, where a cell that
 * would run as a formula is neutralised. */
static char *put_cell(char *o, const struct strbuf *v, int guarded)
{
    o += csv_cell_put(o, strbuf_str(v), v->len, guarded);
    *o++ = ',';
    return o;
}

/* The line is built in memory and written with one call: a results file of
 * a million rows is most of a dry run's output. */
static int write_result_line(struct results *rs, const struct row_result *r)
{
    const struct strbuf *text[] = {
        &r->reason, &r->contact_id,        &r->first_name,  &r->last_name, &r->email,
        &r->phone,  &r->source_contact_id, &r->business_id, &r->sms_renews};
    const char *status = row_status_name(r->status);
    size_t at_len = strlen(r->processed_at),
           need = 3 * 24 + strlen(status) + rs->same_cells.len + CSV_CELL_MAX(at_len) + 4;
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        need += CSV_CELL_MAX(text[i]->len) + 1;
    struct strbuf *l = &rs->line;
    strbuf_reset(l);
    char *o = rs->bg                        ? bg_writer_reserve(rs->bg, need)
              : strbuf_reserve(l, need) < 0 ? NULL
                                            : l->buf;
    if (!o)
        return -1;
    char *start = o;
    o += put_long(o, r->input_row);
    *o++ = ',';
    memcpy(o, status, strlen(status));
    o += strlen(status);
    *o++ = ',';
    const struct strbuf *why = &r->reason;
    if (why->len > 64 && why->len <= rs->last_reason.max &&
        (why->len != rs->last_reason.len || memcmp(why->buf, rs->last_reason.buf, why->len) != 0)) {
        strbuf_reset(&rs->last_reason);
        strbuf_reset(&rs->last_reason_cell);
        if (strbuf_add(&rs->last_reason, why->buf, why->len) < 0 ||
            csv_cell_add(&rs->last_reason_cell, why->buf, why->len, 1) < 0)
            strbuf_reset(&rs->last_reason); /* too long to keep: written as usual */
    }
    if (why->len > 64 && why->len == rs->last_reason.len) { /* the same text, or just kept */
        memcpy(o, rs->last_reason_cell.buf, rs->last_reason_cell.len);
        o += rs->last_reason_cell.len;
        *o++ = ',';
    } else {
        o = put_cell(o, why, 1);
    }
    o = put_cell(o, &r->contact_id, 1);
    o = put_cell(o, &r->first_name, 1);
    o = put_cell(o, &r->last_name, 1);
    o = put_cell(o, &r->email, 1);
    o = put_cell(o, &r->phone, 0); /* E.164: its '+' is the number's, not a formula */
    o = put_cell(o, &r->source_contact_id, 1);
    o = put_cell(o, &r->business_id, 0);
    memcpy(o, rs->same_cells.buf, rs->same_cells.len);
    o += rs->same_cells.len;
    if (r->http_status)
        o += put_long(o, r->http_status);
    *o++ = ',';
    if (r->sms_left >= 0)
        o += put_long(o, r->sms_left);
    *o++ = ',';
    o = put_cell(o, &r->sms_renews, 0);
    o += csv_cell_put(o, r->processed_at, at_len, 0);
    *o++ = '\r';
    *o++ = '\n';
    if (rs->bg)
        bg_writer_commit(rs->bg, (size_t)(o - start));
    else
        fwrite(start, 1, (size_t)(o - start), rs->res.fp);
    return 0;
}

/* The row's original fields under the input's header. A row with too few
 * fields is padded; one with too many has the extra fields joined back into
 * the last column with the input's delimiter, so the file stays a table and
 * nothing of the row is lost. */
static void write_reject_line(struct results *rs, const struct row_result *r)
{
    FILE *fp = rs->rej.fp;
    const char *v = strbuf_str(&r->raw);
    size_t cols = rs->n_header ? rs->n_header : r->n_raw;
    for (size_t i = 0; i < cols; i++) {
        size_t len = i < r->n_raw ? strlen(v) : 0;
        if (i + 1 == cols && r->n_raw > cols) {
            const char *start = v, *end = v;
            for (size_t k = i; k < r->n_raw; k++)
                end += strlen(end) + 1;
            struct strbuf joined;
            strbuf_init(&joined, (size_t)(end - start) + 1);
            for (const char *f = start; f < end; f += strlen(f) + 1) {
                if (f != start)
                    strbuf_add(&joined, &rs->delim, 1);
                strbuf_addstr(&joined, f);
            }
            csv_put_field(fp, strbuf_str(&joined), joined.len);
            strbuf_release(&joined);
        } else {
            csv_put_field(fp, v, len);
        }
        putc(',', fp);
        if (i < r->n_raw)
            v += len + 1;
    }
    fprintf(fp, "%ld,", r->input_row);
    csv_put_field(fp, strbuf_str(&r->reason), r->reason.len);
    fputs("\r\n", fp);
}

void results_set_delimiter(struct results *rs, char delim)
{
    rs->delim = delim;
}

int results_write(struct results *rs, const struct row_result *r, struct cp_error *err)
{
    if (rs->have_res) {
        int failed = write_result_line(rs, r) < 0;
        /* With the writing thread the stream is its own: its error says. */
        int e = rs->bg ? bg_writer_failed(rs->bg) : ferror(rs->res.fp) ? (errno ? errno : EIO) : 0;
        if (failed && !e)
            return cp_fail(err, CP_EXIT_USAGE, "out of memory");
        if (e)
            return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", rs->res.path, strerror(e));
    }
    if (rs->have_rej && (r->status == ROW_REJECTED || r->status == ROW_FAILED)) {
        write_reject_line(rs, r);
        if (ferror(rs->rej.fp))
            return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", rs->rej.path,
                           strerror(errno));
    }
    return 0;
}

int results_commit(struct results *rs, struct cp_error *err)
{
    int rc = 0;
    int e = bg_writer_finish(rs->bg);
    rs->bg = NULL;
    if (rs->have_res && e)
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", rs->res.path, strerror(e));
    else if (rs->have_res && atomic_commit(&rs->res, err) < 0)
        rc = -1;
    rs->have_res = 0;
    /* After a failure the rejects file is dropped by results_abort(), not
     * left behind as a temporary file of customer data. */
    if (rs->have_rej && rc == 0) {
        rs->have_rej = 0;
        if (atomic_commit(&rs->rej, err) < 0)
            rc = -1;
    }
    results_abort(rs);
    return rc;
}

void results_abort(struct results *rs)
{
    if (!rs)
        return;
    bg_writer_finish(rs->bg); /* before its stream is closed */
    if (rs->have_res)
        atomic_abort(&rs->res);
    if (rs->have_rej)
        atomic_abort(&rs->rej);
    strbuf_release(&rs->line);
    strbuf_release(&rs->same_cells);
    strbuf_release(&rs->last_reason);
    strbuf_release(&rs->last_reason_cell);
    free(rs);
}
