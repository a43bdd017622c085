/* Results and rejects CSV: see results.h. */
#include "invite/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/csv_cell.h"
#include "core/strbuf.h"
#include "store/atomic_file.h"

struct results {
    const struct pipeline *p;
    struct atomic_file res, rej;
    int have_res, have_rej;
    size_t n_header; /* the input's columns: every rejects line has this many */
    char delim;      /* the input's delimiter, to join a row's extra fields */
};

static void put_str(FILE *fp, const char *s, int last)
{
    csv_put_field(fp, s, strlen(s));
    fputs(last ? "\r\n" : ",", fp);
}

static void put_sb(FILE *fp, const struct strbuf *sb)
{
    csv_put_field(fp, strbuf_str(sb), sb->len);
    putc(',', fp);
}

static const char *const results_header[] = {
    "input_row",         "status",          "reason",      "contact_id",
    "first_name",        "last_name",       "email",       "phone_number",
    "source_contact_id", "business_id",     "campaign_id", "invite_delay_days",
    "http_status",       "sms_limits_left", "sms_renews",  "processed_at"};

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
    if (results_path) {
        if (atomic_open(&rs->res, results_path, err) < 0)
            goto fail;
        rs->have_res = 1;
        size_t n = sizeof results_header / sizeof *results_header;
        for (size_t i = 0; i < n; i++)
            put_str(rs->res.fp, results_header[i], i + 1 == n);
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

/* Text from the customer's export or the server, in a file people open in
 * a spreadsheet: a cell that would run as a formula is neutralised. */
static void put_guarded(FILE *fp, const struct strbuf *sb)
{
    csv_put_cell(fp, strbuf_str(sb), sb->len, 1);
    fputc(',', fp);
}

static void write_result_line(struct results *rs, const struct row_result *r)
{
    FILE *fp = rs->res.fp;
    char num[32];
    fprintf(fp, "%ld,%s,", r->input_row, row_status_name(r->status));
    put_guarded(fp, &r->reason);
    put_guarded(fp, &r->contact_id);
    put_guarded(fp, &r->first_name);
    put_guarded(fp, &r->last_name);
    put_guarded(fp, &r->email);
    put_sb(fp, &r->phone); /* E.164: its '+' is the number's, not a formula */
    put_guarded(fp, &r->source_contact_id);
    put_sb(fp, &r->business_id);
    put_str(fp, rs->p->invite.campaign_id ? rs->p->invite.campaign_id : "", 0);
    snprintf(num, sizeof num, "%d", rs->p->invite.invite_delay_days);
    put_str(fp, rs->p->invite.invite_delay_days ? num : "", 0);
    snprintf(num, sizeof num, "%d", r->http_status);
    put_str(fp, r->http_status ? num : "", 0);
    snprintf(num, sizeof num, "%ld", r->sms_left);
    put_str(fp, r->sms_left >= 0 ? num : "", 0);
    put_sb(fp, &r->sms_renews);
    put_str(fp, r->processed_at, 1);
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
        write_result_line(rs, r);
        if (ferror(rs->res.fp))
            return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", rs->res.path,
                           strerror(errno));
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
    if (rs->have_res && atomic_commit(&rs->res, err) < 0)
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
    if (rs->have_res)
        atomic_abort(&rs->res);
    if (rs->have_rej)
        atomic_abort(&rs->rej);
    free(rs);
}
