/* The intake engine: see engine.h. */
#include "intake/engine.h"

#include <stdlib.h>
#include <string.h>

#include "intake/dedupe.h"
#include "intake/dedupe_spill.h"
#include "intake/validate.h"

struct engine {
    const struct pipeline *p;
    struct csv_in *in;
    struct mapping map;
    struct consent consent; /* where the channels: rules read */
    struct dedupe *seen;
    struct dedupe_spill *spill; /* borrowed; set by engine_defer_dedupe */
    int keep_raw;
    long limit;
    long rows; /* data rows handed out */
};

/* The header index of a channels: rule's column, or -1 without a rule. */
static int consent_column(const struct mapping *m, const struct where_rule *w, const char *what,
                          const char *input_path, int *col, struct cp_error *err)
{
    *col = -1;
    if (!w)
        return 0;
    for (size_t i = 0; i < m->header_n && *col < 0; i++)
        if (strcasecmp(m->header[i], w->column) == 0)
            *col = (int)i;
    if (*col < 0)
        return cp_fail(err, CP_EXIT_INPUT,
                       "'%s': no column '%s' (named by %s in the pipeline): check the consent "
                       "column's name in the export",
                       input_path, w->column, what);
    return 0;
}

static int find_consent(struct engine *e, const char *input_path, struct cp_error *err)
{
    if (consent_column(&e->map, e->p->channels.sms, "channels.sms", input_path, &e->consent.sms_col,
                       err) < 0)
        return -1;
    return consent_column(&e->map, e->p->channels.email, "channels.email", input_path,
                          &e->consent.email_col, err);
}

struct engine *engine_open(const struct pipeline *p, const char *input_path, long limit,
                           struct cp_error *err)
{
    return engine_open_as(p, input_path, NULL, limit, err);
}

struct engine *engine_open_as(const struct pipeline *p, const char *input_path,
                              const char *read_path, long limit, struct cp_error *err)
{
    struct csv_row header;
    struct engine *e = calloc(1, sizeof *e);
    if (!e) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    e->p = p;
    e->limit = limit;
    e->keep_raw = 1;
    if (!input_path)
        input_path = p->input.path;
    if (!input_path) {
        cp_fail(err, CP_EXIT_USAGE, "'%s': no input: set input.path or pass --input PATH", p->file);
        goto fail;
    }
    e->in = csv_in_open_as(read_path ? read_path : input_path, input_path, p->input.encoding,
                           p->input.delimiter, err);
    if (!e->in)
        goto fail;
    int rc = csv_in_next(e->in, &header, err);
    if (rc <= 0) {
        if (rc == 0)
            cp_fail(err, CP_EXIT_INPUT, "'%s': the file is empty (expected a header row)",
                    input_path);
        goto fail;
    }
    if (mapping_init(&e->map, p, &header, input_path, err) < 0 ||
        find_consent(e, input_path, err) < 0)
        goto fail;
    /* Every data line ends in the results, blank ones as skipped. */
    csv_in_keep_blank(e->in, 1);
    if (p->validate.dedupe && !(e->seen = dedupe_new())) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto fail;
    }
    return e;
fail:
    engine_close(e);
    return NULL;
}

static void keep_raw(const struct csv_row *row, struct row_result *r)
{
    strbuf_add(&r->raw, row->packed, row->packed_len);
    r->n_raw = row->n;
}

/* Skip a valid contact whose email or phone was on an earlier valid row.
 * Every key of every valid row is remembered, duplicates' too, so a chain
 * (A+P1, B+P1, B+P3) is one person however it is read. */
static int dedupe_row(struct engine *e, struct row_result *r, struct cp_error *err)
{
    long by_email = 0, by_phone = 0;
    if (r->email.len)
        by_email = dedupe_check_add(e->seen, 'e', r->email.buf, r->email.len, r->input_row);
    if (r->phone.len)
        by_phone = dedupe_check_add(e->seen, 'p', r->phone.buf, r->phone.len, r->input_row);
    if (by_email < 0 || by_phone < 0)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory while deduplicating");
    long first = by_email ? by_email : by_phone;
    if (first) {
        strbuf_reset(&r->reason);
        row_note(r, "duplicate of input row %ld", first);
        r->status = ROW_SKIPPED;
    }
    return 0;
}

void engine_defer_dedupe(struct engine *e, struct dedupe_spill *spill)
{
    e->spill = spill;
}

void engine_keep_raw(struct engine *e, int keep)
{
    e->keep_raw = keep;
}

static int spill_row(struct engine *e, struct row_result *r, struct cp_error *err)
{
    if (r->email.len && dedupe_spill_add_fp(e->spill, 'e', r->key_fp[0], r->input_row, err) < 0)
        return -1;
    if (r->phone.len && dedupe_spill_add_fp(e->spill, 'p', r->key_fp[1], r->input_row, err) < 0)
        return -1;
    return 0;
}

int engine_read(struct engine *e, struct csv_row *row, struct cp_error *err)
{
    if (e->limit > 0 && e->rows >= e->limit)
        return 0;
    int rc = csv_in_next(e->in, row, err);
    if (rc > 0)
        e->rows++;
    return rc;
}

void engine_validate(const struct engine *e, const struct csv_row *row, struct row_result *r)
{
    row_result_reset(r);
    r->input_row = row->line;
    if (e->keep_raw)
        keep_raw(row, r);
    validate_row(e->p, &e->map, &e->consent, row, r);
    if (e->spill && e->seen && r->status == ROW_PENDING) {
        if (r->email.len)
            r->key_fp[0] = dedupe_fingerprint('e', r->email.buf, r->email.len);
        if (r->phone.len)
            r->key_fp[1] = dedupe_fingerprint('p', r->phone.buf, r->phone.len);
    }
}

int engine_dedupe(struct engine *e, struct row_result *r, struct cp_error *err)
{
    if (r->status != ROW_PENDING || !e->seen)
        return 0;
    if (e->spill)
        return spill_row(e, r, err);
    return dedupe_row(e, r, err);
}

int engine_next(struct engine *e, struct row_result *r, struct cp_error *err)
{
    struct csv_row row;
    int rc = engine_read(e, &row, err);
    if (rc <= 0)
        return rc;
    engine_validate(e, &row, r);
    return engine_dedupe(e, r, err) < 0 ? -1 : 1;
}

const struct mapping *engine_mapping(const struct engine *e)
{
    return &e->map;
}

const char *engine_input_path(const struct engine *e)
{
    return csv_in_path(e->in);
}

const char *engine_encoding(const struct engine *e)
{
    return csv_in_encoding(e->in);
}

int engine_encoding_unsure(const struct engine *e)
{
    return csv_in_encoding_unsure(e->in);
}

char engine_delimiter(const struct engine *e)
{
    return csv_in_delimiter(e->in);
}

char *const *engine_header(const struct engine *e, size_t *n)
{
    *n = e->map.header_n;
    return e->map.header;
}

long long engine_offset(const struct engine *e)
{
    return csv_in_offset(e->in);
}

void engine_close(struct engine *e)
{
    if (!e)
        return;
    csv_in_close(e->in);
    mapping_release(&e->map);
    dedupe_free(e->seen);
    free(e);
}
