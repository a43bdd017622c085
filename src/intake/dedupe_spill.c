/* Flat-memory dedupe by partitioned spill: see dedupe_spill.h. */
#include "intake/dedupe_spill.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/dedupe.h"

#define PARTS 256
#define BUF_RECS 256 /* records buffered per partition before a write */

struct rec {
    uint64_t fp;
    uint32_t row;
    uint32_t kind; /* 0 email, 1 phone: email wins a tie for "first" */
};

/* All partitions share one temporary file (creating 256 files costs more
 * than the whole dedupe); each full buffer goes out as a chunk, and each
 * partition keeps the list of its chunks' offsets. */
struct chunks {
    long *off;
    size_t n, cap;
};

struct dedupe_spill {
    FILE *file;
    long end;              /* bytes written */
    struct chunks part[PARTS];
    struct rec *buf;       /* PARTS * BUF_RECS */
    unsigned fill[PARTS];
};

struct dedupe_spill *dedupe_spill_new(struct cp_error *err)
{
    struct dedupe_spill *s = calloc(1, sizeof *s);
    if (s)
        s->buf = malloc(sizeof(struct rec) * PARTS * BUF_RECS);
    if (!s || !s->buf) {
        dedupe_spill_free(s);
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    return s;
}

void dedupe_spill_free(struct dedupe_spill *s)
{
    if (!s)
        return;
    for (int i = 0; i < PARTS; i++)
        free(s->part[i].off);
    if (s->file)
        fclose(s->file);
    free(s->buf);
    free(s);
}

/* Write partition p's buffer as one chunk (a short one only at the end). */
static int flush_part(struct dedupe_spill *s, int p, struct cp_error *err)
{
    struct chunks *c = &s->part[p];
    if (!s->fill[p])
        return 0;
    if (!s->file && !(s->file = tmpfile()))
        return cp_fail(err, CP_EXIT_INPUT, "cannot create a temporary file for dedupe: %s "
                                           "(set TMPDIR to a writable folder)", strerror(errno));
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        long *off = realloc(c->off, cap * sizeof *off);
        if (!off)
            return cp_fail(err, CP_EXIT_INPUT, "out of memory while deduplicating");
        c->off = off;
        c->cap = cap;
    }
    /* Pad every chunk to BUF_RECS records: a record with row 0 is padding. */
    struct rec *b = s->buf + (size_t)p * BUF_RECS;
    memset(b + s->fill[p], 0, (BUF_RECS - s->fill[p]) * sizeof *b);
    if (fwrite(b, sizeof(struct rec), BUF_RECS, s->file) != BUF_RECS)
        return cp_fail(err, CP_EXIT_INPUT, "cannot write a temporary file for dedupe: %s",
                       strerror(errno));
    c->off[c->n++] = s->end;
    s->end += (long)(sizeof(struct rec) * BUF_RECS);
    s->fill[p] = 0;
    return 0;
}

int dedupe_spill_add(struct dedupe_spill *s, char kind, const char *key, size_t len, long row,
                     struct cp_error *err)
{
    uint64_t fp = dedupe_fingerprint(kind, key, len);
    int p = (int)(fp >> 56);
    struct rec *r = s->buf + (size_t)p * BUF_RECS + s->fill[p]++;
    r->fp = fp;
    r->row = (uint32_t)row;
    r->kind = kind == 'e' ? 0 : 1;
    return s->fill[p] == BUF_RECS ? flush_part(s, p, err) : 0;
}

/* A duplicate found in one partition; a row may get one per key. */
struct mark {
    uint32_t row, first, kind, pad;
};

static int by_row_kind(const void *a, const void *b)
{
    const struct mark *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->kind < y->kind ? -1 : x->kind > y->kind;
}

struct marks {
    struct mark *v;
    size_t n, cap;
};

static int push_mark(struct marks *m, uint32_t row, uint32_t first, uint32_t kind)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        struct mark *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return -1;
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n++] = (struct mark){row, first, kind, 0};
    return 0;
}

/* Load partition p and mark every record whose key an earlier record had.
 * Records were appended in row order, so the first seen is the first row;
 * a small hash table per partition finds them without sorting. */
static int scan_part(struct dedupe_spill *s, int p, struct marks *m, struct cp_error *err)
{
    const struct chunks *c = &s->part[p];
    size_t n = c->n * BUF_RECS, cap = 16;
    if (!n)
        return 0;
    while (cap < n * 2)
        cap *= 2;
    struct rec *v = malloc(n * sizeof *v);
    struct rec *table = calloc(cap, sizeof *table);
    int rc = 0;
    if (!v || !table) {
        rc = cp_fail(err, CP_EXIT_INPUT, "out of memory while deduplicating");
        goto out;
    }
    for (size_t k = 0; k < c->n; k++)
        if (fseek(s->file, c->off[k], SEEK_SET) != 0 ||
            fread(v + k * BUF_RECS, sizeof *v, BUF_RECS, s->file) != BUF_RECS) {
            rc = cp_fail(err, CP_EXIT_INPUT, "cannot read a temporary file for dedupe");
            goto out;
        }
    for (size_t i = 0; i < n; i++) {
        if (!v[i].row)
            continue; /* padding */
        size_t j = (size_t)v[i].fp & (cap - 1);
        while (table[j].fp && table[j].fp != v[i].fp)
            j = (j + 1) & (cap - 1);
        if (!table[j].fp) {
            table[j] = v[i];
        } else if (table[j].row != v[i].row &&
                   push_mark(m, v[i].row, table[j].row, v[i].kind) < 0) {
            rc = cp_fail(err, CP_EXIT_INPUT, "out of memory while deduplicating");
            goto out;
        }
    }
out:
    free(v);
    free(table);
    return rc;
}

int dedupe_spill_resolve(struct dedupe_spill *s, void (*dup)(void *ctx, long row, long first),
                         void *ctx, struct cp_error *err)
{
    struct marks m = {0};
    int rc = 0;
    for (int p = 0; p < PARTS && rc == 0; p++)
        rc = flush_part(s, p, err);
    for (int p = 0; p < PARTS && rc == 0; p++)
        rc = scan_part(s, p, &m, err);
    if (rc == 0) {
        /* One verdict per row: its email's first row if the email repeats, else the phone's. */
        if (m.n)
            qsort(m.v, m.n, sizeof *m.v, by_row_kind);
        for (size_t i = 0; i < m.n; i++)
            if (i == 0 || m.v[i].row != m.v[i - 1].row)
                dup(ctx, (long)m.v[i].row, (long)m.v[i].first);
    }
    free(m.v);
    return rc;
}
