/*
 * run's two passes: see dedupe_pass.h.
 *
 * A row goes to the temporary file as one record: its length, a few
 * numbers and each text field as a length and its bytes (lengths as
 * LEB128 varints: most are one byte); pass two reads them back in the
 * same order. The file is written once and read once, front to back,
 * through large stdio buffers.
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

struct dedupe_pass {
    struct engine *e;
    struct dedupe_spill *spill; /* NULL: the engine deduped in memory in pass one */
    FILE *file;
    char *iobuf;
    char *scratch; /* one record on its way back into a row */
    size_t scratch_cap;
    long rows;
    int sending;         /* a real run: a valid row may still fail and need its raw fields */
    struct row_result r; /* the row handed out */
    struct strbuf rec;   /* one record on its way to the file */
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

/* LEB128 into `out` (room for 10 bytes): the bytes used. */
static size_t put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

/* A record's length: 0, 1 at the end of the file (before its first
 * byte), -1 when the file ends inside it or it runs past 64 bits. */
static int get_varint_fp(FILE *fp, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        int c = getc_unlocked(fp);
        if (c == EOF)
            return shift == 0 && !ferror(fp) ? 1 : -1;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* A varint from the record in [*p, end): 0, or -1 when it runs past end. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

static int rec_add(struct strbuf *rec, const void *data, size_t len)
{
    unsigned char n[10];
    if (strbuf_add(rec, n, put_varint(n, len)) < 0)
        return -1;
    return len ? strbuf_add(rec, data, len) : 0;
}

/* A validated row, as one record: its length, then its line, status and
 * raw field count, the phone's region, and each text field as a length
 * and its bytes. Validation leaves the answer fields (contact id, SMS
 * credits, HTTP status, time) empty: they are not kept. The record is
 * built in memory so that it costs one write and, in pass two, one read. */
static int write_row(void *ctx, struct row_result *r, struct cp_error *err)
{
    struct dedupe_pass *dp = ctx;
    struct strbuf *rec = &dp->rec;
    /* The original fields go only to the rejects file: rows rejected here,
     * and in a real run valid rows the API may refuse. A dry run's valid
     * rows leave them out (most of the file's bytes). */
    int raw = r->status == ROW_REJECTED || (dp->sending && r->status == ROW_PENDING);
    unsigned char head[3 * 10];
    size_t n = put_varint(head, (uint64_t)r->input_row);
    n += put_varint(head + n, (uint64_t)r->status);
    n += put_varint(head + n, raw ? (uint64_t)r->n_raw : 0);
    strbuf_reset(rec);
    int rc = strbuf_add(rec, head, n);
    rc |= rec_add(rec, r->phone_region, strlen(r->phone_region));
    for (int i = 0; field(r, i); i++) {
        const struct strbuf *f = field(r, i);
        rc |= rec_add(rec, f->buf, f == &r->raw && !raw ? 0 : f->len);
    }
    if (rc < 0)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    unsigned char len[10];
    size_t ln = put_varint(len, rec->len);
    errno = 0;
    if (fwrite_unlocked(len, ln, 1, dp->file) != 1 ||
        fwrite_unlocked(rec->buf, rec->len, 1, dp->file) != 1)
        return io_failed(err, "write");
    dp->rows++;
    return 0;
}

static int read_row(struct dedupe_pass *dp, struct row_result *r, struct cp_error *err)
{
    uint64_t size, line, status, n_raw, len;
    errno = 0;
    int end_rc = get_varint_fp(dp->file, &size);
    if (end_rc != 0)
        return end_rc > 0 ? 0 : io_failed(err, "read");
    if (size > dp->scratch_cap) {
        char *grown = realloc(dp->scratch, size);
        if (!grown)
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
        dp->scratch = grown;
        dp->scratch_cap = size;
    }
    if (size && fread_unlocked(dp->scratch, size, 1, dp->file) != 1)
        return io_failed(err, "read");
    const unsigned char *p = (const unsigned char *)dp->scratch, *end = p + size;
    row_result_reset(r);
    if (get_varint(&p, end, &line) < 0 || get_varint(&p, end, &status) < 0 ||
        get_varint(&p, end, &n_raw) < 0 || get_varint(&p, end, &len) < 0 ||
        len >= sizeof r->phone_region || len > (uint64_t)(end - p))
        return io_failed(err, "read");
    r->input_row = (long)line;
    r->status = (enum row_status)status;
    r->n_raw = (size_t)n_raw;
    memcpy(r->phone_region, p, len);
    r->phone_region[len] = '\0';
    p += len;
    for (int i = 0; field(r, i); i++) {
        if (get_varint(&p, end, &len) < 0 || len > (uint64_t)(end - p))
            return io_failed(err, "read");
        /* Within the field's ceiling: it held when the row was written. */
        if (len && strbuf_add(field(r, i), p, len) < 0)
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
        p += len;
    }
    return 1;
}

struct dedupe_pass *dedupe_pass_open(struct engine *e, int threads, int dedupe, int spill,
                                     int sending, long *rows, struct cp_error *err)
{
    struct dedupe_pass *dp = calloc(1, sizeof *dp);
    if (!dp) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    dp->e = e;
    dp->sending = sending;
    row_result_init(&dp->r);
    strbuf_init(&dp->rec, (size_t)1 << 30);
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

/* The next row of pass two into `r`, its duplicate marked: 1, 0 at the
 * end, -1 with err. */
static int produce(struct dedupe_pass *dp, struct row_result *r, struct cp_error *err)
{
    int rc = read_row(dp, r, err);
    if (rc <= 0)
        return rc;
    if (dp->spill && r->status == ROW_PENDING) {
        long first = dedupe_spill_first_of(dp->spill, r->input_row, err);
        if (first < 0)
            return -1;
        if (first) { /* as engine.c's in-memory dedupe words it */
            strbuf_reset(&r->reason);
            row_note(r, "duplicate of input row %ld", first);
            r->status = ROW_SKIPPED;
        }
    }
    return 1;
}

int dedupe_pass_next(struct dedupe_pass *dp, struct row_result **out, struct cp_error *err)
{
    *out = &dp->r;
    return produce(dp, &dp->r, err);
}

void dedupe_pass_close(struct dedupe_pass *dp)
{
    if (!dp)
        return;
    if (dp->spill)
        engine_defer_dedupe(dp->e, NULL); /* the engine outlives the spill */
    if (dp->file)
        fclose(dp->file);
    free(dp->iobuf);
    free(dp->scratch);
    dedupe_spill_free(dp->spill);
    row_result_release(&dp->r);
    strbuf_release(&dp->rec);
    free(dp);
}
