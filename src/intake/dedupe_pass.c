/*
 * run's two passes: see dedupe_pass.h.
 *
 * A row goes to the temporary file as its fixed fields, then each text
 * field as a length and its bytes; pass two reads them back in the same
 * order. The file is written and read through large stdio buffers: it is
 * written once and read once, front to back.
 */
#include "intake/dedupe_pass.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/dedupe_spill.h"
#include "intake/parallel.h"

#define IO_BUF (1u << 20)

struct fixed {
    long input_row;
    long sms_left;
    size_t n_raw;
    int status;
    int http_status;
    int attempts;
    char processed_at[32];
};

struct dedupe_pass {
    struct engine *e;
    struct dedupe_spill *spill; /* NULL: the engine deduped in memory in pass one */
    FILE *file;
    char *iobuf;
    char *scratch; /* one text field on its way back into a row */
    uint32_t scratch_cap;
    long rows;
    struct row_result r;
};

/* The text fields of a row, in the file's order. */
static struct strbuf *field(struct row_result *r, int i)
{
    struct strbuf *const f[] = {&r->reason,      &r->first_name, &r->last_name,
                                &r->email,       &r->phone,      &r->source_contact_id,
                                &r->business_id, &r->timezone,   &r->contact_id,
                                &r->sms_renews,  &r->raw};
    return i < (int)(sizeof f / sizeof *f) ? f[i] : NULL;
}

static int io_failed(struct cp_error *err, const char *what)
{
    return cp_fail(err, CP_EXIT_INPUT,
                   "cannot %s the temporary file of validated rows: %s (set TMPDIR to a "
                   "writable folder with room for about the input's size)",
                   what, errno ? strerror(errno) : "short read");
}

static int write_row(void *ctx, struct row_result *r, struct cp_error *err)
{
    struct dedupe_pass *dp = ctx;
    struct fixed fx;
    memset(&fx, 0, sizeof fx); /* padding too: the file holds no stray bytes */
    fx.input_row = r->input_row;
    fx.sms_left = r->sms_left;
    fx.n_raw = r->n_raw;
    fx.status = (int)r->status;
    fx.http_status = r->http_status;
    fx.attempts = r->attempts;
    memcpy(fx.processed_at, r->processed_at, sizeof fx.processed_at);
    if (fwrite(&fx, sizeof fx, 1, dp->file) != 1)
        return io_failed(err, "write");
    for (int i = 0; field(r, i); i++) {
        const struct strbuf *f = field(r, i);
        uint32_t len = (uint32_t)f->len;
        if (fwrite(&len, sizeof len, 1, dp->file) != 1 ||
            (len && fwrite(f->buf, len, 1, dp->file) != 1))
            return io_failed(err, "write");
    }
    dp->rows++;
    return 0;
}

static int read_row(struct dedupe_pass *dp, struct row_result *r, struct cp_error *err)
{
    struct fixed fx;
    errno = 0;
    if (fread(&fx, sizeof fx, 1, dp->file) != 1)
        return feof(dp->file) && !ferror(dp->file) ? 0 : io_failed(err, "read");
    row_result_reset(r);
    r->input_row = fx.input_row;
    r->sms_left = fx.sms_left;
    r->n_raw = fx.n_raw;
    r->status = (enum row_status)fx.status;
    r->http_status = fx.http_status;
    r->attempts = fx.attempts;
    memcpy(r->processed_at, fx.processed_at, sizeof r->processed_at);
    for (int i = 0; field(r, i); i++) {
        struct strbuf *f = field(r, i);
        uint32_t len;
        if (fread(&len, sizeof len, 1, dp->file) != 1)
            return io_failed(err, "read");
        if (len > dp->scratch_cap) {
            char *grown = realloc(dp->scratch, len);
            if (!grown)
                return cp_fail(err, CP_EXIT_INPUT, "out of memory");
            dp->scratch = grown;
            dp->scratch_cap = len;
        }
        errno = 0;
        if (len && fread(dp->scratch, len, 1, dp->file) != 1)
            return io_failed(err, "read");
        /* Within the field's ceiling: it held when the row was written. */
        if (strbuf_add(f, dp->scratch, len) < 0)
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    }
    return 1;
}

struct dedupe_pass *dedupe_pass_open(struct engine *e, int threads, int dedupe, int spill,
                                     long *rows, struct cp_error *err)
{
    struct dedupe_pass *dp = calloc(1, sizeof *dp);
    if (!dp) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    dp->e = e;
    row_result_init(&dp->r);
    if (dedupe && spill) {
        if (!(dp->spill = dedupe_spill_new(err)))
            goto fail;
        engine_defer_dedupe(e, dp->spill);
    }
    errno = 0;
    if (!(dp->file = tmpfile()) || !(dp->iobuf = malloc(IO_BUF)) ||
        setvbuf(dp->file, dp->iobuf, _IOFBF, IO_BUF) != 0) {
        io_failed(err, "create");
        goto fail;
    }
    if (validate_all(e, threads, write_row, dp, err) < 0)
        goto fail;
    errno = 0;
    if (fflush(dp->file) != 0 || fseek(dp->file, 0, SEEK_SET) != 0) {
        io_failed(err, "write");
        goto fail;
    }
    if (dp->spill && dedupe_spill_begin(dp->spill, err) < 0)
        goto fail;
    *rows = dp->rows;
    return dp;
fail:
    dedupe_pass_close(dp);
    return NULL;
}

int dedupe_pass_next(struct dedupe_pass *dp, struct row_result **out, struct cp_error *err)
{
    int rc = read_row(dp, &dp->r, err);
    if (rc <= 0)
        return rc;
    if (dp->spill && dp->r.status == ROW_PENDING) {
        long first = dedupe_spill_first_of(dp->spill, dp->r.input_row, err);
        if (first < 0)
            return -1;
        if (first) { /* as engine.c's in-memory dedupe words it */
            strbuf_reset(&dp->r.reason);
            row_note(&dp->r, "duplicate of input row %ld", first);
            dp->r.status = ROW_SKIPPED;
        }
    }
    *out = &dp->r;
    return 1;
}

void dedupe_pass_close(struct dedupe_pass *dp)
{
    if (!dp)
        return;
    if (dp->file)
        fclose(dp->file);
    free(dp->iobuf);
    free(dp->scratch);
    dedupe_spill_free(dp->spill);
    row_result_release(&dp->r);
    free(dp);
}
