/* Results and rejects CSV: see results.h. */
#include "invite/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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
static int format_records(void *ctx, const char *in, size_t len, struct strbuf *out);

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
        /* NULL: written in line, the same bytes. */
        rs->bg = bg_writer_open(rs->res.fp, format_records, rs);
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

/* A results line's values, wherever they are kept: in the row (written
 * in line) or in a record of the writing thread's chunk. */
enum {
    V_REASON,
    V_CONTACT,
    V_FIRST,
    V_LAST,
    V_EMAIL,
    V_PHONE,
    V_SOURCE,
    V_BUSINESS,
    V_RENEWS,
    V_AT,
    V_TEXTS
};
struct line_view {
    long input_row, sms_left;
    int status, http_status;
    const char *text[V_TEXTS];
    size_t len[V_TEXTS];
};

static void view_of(const struct row_result *r, struct line_view *v)
{
    const struct strbuf *t[] = {
        &r->reason, &r->contact_id,        &r->first_name,  &r->last_name, &r->email,
        &r->phone,  &r->source_contact_id, &r->business_id, &r->sms_renews};
    for (int i = 0; i < V_AT; i++) {
        v->text[i] = strbuf_str(t[i]);
        v->len[i] = t[i]->len;
    }
    v->text[V_AT] = r->processed_at;
    v->len[V_AT] = strlen(r->processed_at);
    v->input_row = r->input_row;
    v->sms_left = r->sms_left;
    v->status = (int)r->status;
    v->http_status = r->http_status;
}

/* One cell and its comma at `o`; guarded: text from the customer's export
 * or the server, in a file people open in a spreadsheet, where a cell that
 * would run as a formula is neutralised. */
static char *put_cell(char *o, const struct line_view *v, int i, int guarded)
{
    o += csv_cell_put(o, v->text[i], v->len[i], guarded);
    *o++ = ',';
    return o;
}

/* The reason's cell: a campaign's deferred rows share one long note, and
 * quoting it is most of writing their line, so the latest is kept. */
static char *put_reason(struct results *rs, char *o, const struct line_view *v)
{
    const char *why = v->text[V_REASON];
    size_t len = v->len[V_REASON];
    if (len > 64 && len <= rs->last_reason.max &&
        (len != rs->last_reason.len || memcmp(why, rs->last_reason.buf, len) != 0)) {
        strbuf_reset(&rs->last_reason);
        strbuf_reset(&rs->last_reason_cell);
        if (strbuf_add(&rs->last_reason, why, len) < 0 ||
            csv_cell_add(&rs->last_reason_cell, why, len, 1) < 0)
            strbuf_reset(&rs->last_reason); /* too long to keep: written as usual */
    }
    if (len > 64 && len == rs->last_reason.len) { /* the same text, or just kept */
        memcpy(o, rs->last_reason_cell.buf, rs->last_reason_cell.len);
        o += rs->last_reason_cell.len;
        *o++ = ',';
        return o;
    }
    return put_cell(o, v, V_REASON, 1);
}

/* The bytes a line of `v` may take at most. */
static size_t line_room(const struct results *rs, const struct line_view *v)
{
    size_t need =
        3 * 24 + strlen(row_status_name((enum row_status)v->status)) + rs->same_cells.len + 4;
    for (int i = 0; i < V_TEXTS; i++)
        need += CSV_CELL_MAX(v->len[i]) + 1;
    return need;
}

/* The line of `v` at `o`, which has line_room() bytes: its end. */
static char *put_line(struct results *rs, char *o, const struct line_view *v)
{
    const char *status = row_status_name((enum row_status)v->status);
    o += put_long(o, v->input_row);
    *o++ = ',';
    memcpy(o, status, strlen(status));
    o += strlen(status);
    *o++ = ',';
    o = put_reason(rs, o, v);
    o = put_cell(o, v, V_CONTACT, 1);
    o = put_cell(o, v, V_FIRST, 1);
    o = put_cell(o, v, V_LAST, 1);
    o = put_cell(o, v, V_EMAIL, 1);
    o = put_cell(o, v, V_PHONE, 0); /* E.164: its '+' is the number's, not a formula */
    o = put_cell(o, v, V_SOURCE, 1);
    o = put_cell(o, v, V_BUSINESS, 0);
    memcpy(o, rs->same_cells.buf, rs->same_cells.len);
    o += rs->same_cells.len;
    if (v->http_status)
        o += put_long(o, v->http_status);
    *o++ = ',';
    if (v->sms_left >= 0)
        o += put_long(o, v->sms_left);
    *o++ = ',';
    o = put_cell(o, v, V_RENEWS, 0);
    o += csv_cell_put(o, v->text[V_AT], v->len[V_AT], 0);
    *o++ = '\r';
    *o++ = '\n';
    return o;
}

/* With the writing thread, a row goes into its chunk as a record (the
 * numbers, then each text as a length and its bytes: a few copies) and the
 * thread makes the line: quoting a million rows' cells runs beside the
 * rows still being decided. */
struct record_head {
    long input_row, sms_left;
    int status, http_status;
    uint32_t len[V_TEXTS];
};

static int put_record(struct results *rs, const struct line_view *v)
{
    struct record_head h = {.input_row = v->input_row,
                            .sms_left = v->sms_left,
                            .status = v->status,
                            .http_status = v->http_status};
    size_t need = sizeof h;
    for (int i = 0; i < V_TEXTS; i++) {
        if (v->len[i] > UINT32_MAX)
            return -1;
        h.len[i] = (uint32_t)v->len[i];
        need += v->len[i];
    }
    char *o = bg_writer_reserve(rs->bg, need);
    if (!o)
        return -1;
    memcpy(o, &h, sizeof h);
    o += sizeof h;
    for (int i = 0; i < V_TEXTS; i++) {
        memcpy(o, v->text[i], v->len[i]);
        o += v->len[i];
    }
    bg_writer_commit(rs->bg, need);
    return 0;
}

/* The writing thread's half: a chunk of records into lines. */
static int format_records(void *ctx, const char *in, size_t len, struct strbuf *out)
{
    struct results *rs = ctx;
    const char *end = in + len;
    strbuf_reset(out);
    while (in < end) {
        struct record_head h;
        struct line_view v;
        memcpy(&h, in, sizeof h);
        in += sizeof h;
        v.input_row = h.input_row;
        v.sms_left = h.sms_left;
        v.status = h.status;
        v.http_status = h.http_status;
        for (int i = 0; i < V_TEXTS; i++) {
            v.text[i] = in;
            v.len[i] = h.len[i];
            in += h.len[i];
        }
        if (strbuf_reserve(out, line_room(rs, &v)) < 0)
            return -1;
        out->len = (size_t)(put_line(rs, out->buf + out->len, &v) - out->buf);
        out->buf[out->len] = '\0'; /* a strbuf keeps its NUL */
    }
    return 0;
}

/* In line, the line is built in memory and written with one call. */
static int write_result_line(struct results *rs, const struct row_result *r)
{
    struct line_view v;
    view_of(r, &v);
    if (rs->bg)
        return put_record(rs, &v);
    struct strbuf *l = &rs->line;
    strbuf_reset(l);
    if (strbuf_reserve(l, line_room(rs, &v)) < 0)
        return -1;
    char *end = put_line(rs, l->buf, &v);
    fwrite(l->buf, 1, (size_t)(end - l->buf), rs->res.fp);
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

void results_preview(struct results *rs)
{
    rs->res.no_sync = rs->rej.no_sync = 1;
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
