/*
 * Flat-memory dedupe by partitioned spill: see dedupe_spill.h.
 *
 * Memory does not grow with the file, nor with how often one key repeats:
 * records go to disk in 4 KiB chunks as they come; each partition is then
 * read back one chunk at a time against a table of its distinct keys only
 * (a million rows of one placeholder contact is one entry); the duplicates
 * found go to a second temporary file, partition after partition, each
 * partition's in row order; and the verdicts come out of a 256-way merge of
 * those runs that holds one small buffer per run.
 */
#include "intake/dedupe_spill.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/dedupe.h"

#define PARTS    256
#define BUF_RECS 256 /* records buffered per partition before a write */
#define MARK_BUF 256 /* duplicates buffered for a write, and per run in the merge */

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

/* A duplicate: `row` has a key first seen on row `first`. A row may get one
 * per key; the email's comes first. */
struct mark {
    uint32_t row, first, kind, pad;
};

/* One partition's duplicates in the marks file, as the merge reads them. */
struct run {
    long pos;    /* next unread byte */
    size_t left; /* marks not yet read */
    struct mark *buf;
    unsigned i, n; /* buf[i..n) not yet merged */
};

/* The distinct keys of one partition and their first row. */
struct slot {
    uint64_t fp; /* 0 = empty */
    uint32_t row;
};

struct dedupe_spill {
    FILE *file;
    long end; /* bytes written */
    struct chunks part[PARTS];
    struct rec *buf; /* PARTS * BUF_RECS */
    unsigned fill[PARTS];

    /* resolving */
    int resolving;
    FILE *marks;
    long marks_end;
    struct mark *mbuf; /* MARK_BUF, waiting to be written */
    unsigned mfill;
    struct run run[PARTS];
    int heap[PARTS]; /* runs with marks left, by their next mark */
    int heap_n;
    uint32_t last_row;           /* the row of the last verdict given */
    long ahead_row, ahead_first; /* dedupe_spill_first_of()'s next verdict; row -1 at the end */
    struct slot *table;
    size_t table_cap, table_used;
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
    for (int i = 0; i < PARTS; i++) {
        free(s->part[i].off);
        free(s->run[i].buf);
    }
    if (s->file)
        fclose(s->file);
    if (s->marks)
        fclose(s->marks);
    free(s->buf);
    free(s->mbuf);
    free(s->table);
    free(s);
}

static int no_tmp(struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_INPUT,
                   "cannot create a temporary file for dedupe: %s "
                   "(set TMPDIR to a writable folder)",
                   strerror(errno));
}

static int oom(struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_INPUT, "out of memory while deduplicating");
}

/* Write partition p's buffer as one chunk (a short one only at the end). */
static int flush_part(struct dedupe_spill *s, int p, struct cp_error *err)
{
    struct chunks *c = &s->part[p];
    if (!s->fill[p])
        return 0;
    if (!s->file && !(s->file = tmpfile()))
        return no_tmp(err);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        long *off = realloc(c->off, cap * sizeof *off);
        if (!off)
            return oom(err);
        c->off = off;
        c->cap = cap;
    }
    /* Pad every chunk to BUF_RECS records: a record with row 0 is padding. */
    struct rec *b = s->buf + (size_t)p * BUF_RECS;
    memset(b + s->fill[p], 0, (BUF_RECS - s->fill[p]) * sizeof *b);
    if (fseek(s->file, s->end, SEEK_SET) != 0 ||
        fwrite(b, sizeof(struct rec), BUF_RECS, s->file) != BUF_RECS)
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
    return dedupe_spill_add_fp(s, kind, dedupe_fingerprint(kind, key, len), row, err);
}

int dedupe_spill_add_fp(struct dedupe_spill *s, char kind, uint64_t fp, long row,
                        struct cp_error *err)
{
    if (s->resolving)
        return cp_fail(err, CP_EXIT_INPUT, "internal error: a dedupe key added after resolving");
    if (!fp)
        return cp_fail(err, CP_EXIT_INPUT, "internal error: a dedupe key without its fingerprint");
    int p = (int)(fp >> 56);
    struct rec *r = s->buf + (size_t)p * BUF_RECS + s->fill[p]++;
    r->fp = fp;
    r->row = (uint32_t)row;
    r->kind = kind == 'e' ? 0 : 1;
    return s->fill[p] == BUF_RECS ? flush_part(s, p, err) : 0;
}

static int flush_marks(struct dedupe_spill *s, struct cp_error *err)
{
    if (!s->mfill)
        return 0;
    if (!s->marks && !(s->marks = tmpfile()))
        return no_tmp(err);
    if (fseek(s->marks, s->marks_end, SEEK_SET) != 0 ||
        fwrite(s->mbuf, sizeof *s->mbuf, s->mfill, s->marks) != s->mfill)
        return cp_fail(err, CP_EXIT_INPUT, "cannot write a temporary file for dedupe: %s",
                       strerror(errno));
    s->marks_end += (long)(sizeof *s->mbuf * s->mfill);
    s->mfill = 0;
    return 0;
}

static int push_mark(struct dedupe_spill *s, const struct rec *r, uint32_t first,
                     struct cp_error *err)
{
    s->mbuf[s->mfill++] = (struct mark){r->row, first, r->kind, 0};
    return s->mfill == MARK_BUF ? flush_marks(s, err) : 0;
}

static struct slot *table_find(struct slot *t, size_t cap, uint64_t fp)
{
    size_t j = (size_t)fp & (cap - 1);
    while (t[j].fp && t[j].fp != fp)
        j = (j + 1) & (cap - 1);
    return &t[j];
}

/* Room for one more distinct key, at most 70% full. */
static int table_room(struct dedupe_spill *s, struct cp_error *err)
{
    if ((s->table_used + 1) * 10 <= s->table_cap * 7)
        return 0;
    size_t cap = s->table_cap ? s->table_cap * 2 : 1024;
    struct slot *t = calloc(cap, sizeof *t);
    if (!t)
        return oom(err);
    for (size_t i = 0; i < s->table_cap; i++)
        if (s->table[i].fp)
            *table_find(t, cap, s->table[i].fp) = s->table[i];
    free(s->table);
    s->table = t;
    s->table_cap = cap;
    return 0;
}

/* Read partition p back a chunk at a time and write a mark for every record
 * whose key an earlier record had. Records were appended in row order, so
 * the first seen is the first row, and the marks come out in row order. */
static int scan_part(struct dedupe_spill *s, int p, struct cp_error *err)
{
    const struct chunks *c = &s->part[p];
    struct rec *v = s->buf; /* free once every partition is flushed */
    if (!c->n)
        return 0;
    if (!s->table_cap && table_room(s, err) < 0)
        return -1;
    if (s->table_used) {
        memset(s->table, 0, s->table_cap * sizeof *s->table);
        s->table_used = 0;
    }
    long start = s->marks_end + (long)(sizeof(struct mark) * s->mfill);
    for (size_t k = 0; k < c->n; k++) {
        if (fseek(s->file, c->off[k], SEEK_SET) != 0 ||
            fread(v, sizeof *v, BUF_RECS, s->file) != BUF_RECS)
            return cp_fail(err, CP_EXIT_INPUT, "cannot read a temporary file for dedupe");
        for (size_t i = 0; i < BUF_RECS; i++) {
            if (!v[i].row)
                continue; /* padding */
            struct slot *t = table_find(s->table, s->table_cap, v[i].fp);
            if (!t->fp) {
                if (table_room(s, err) < 0)
                    return -1;
                t = table_find(s->table, s->table_cap, v[i].fp);
                *t = (struct slot){v[i].fp, v[i].row};
                s->table_used++;
            } else if (t->row != v[i].row && push_mark(s, &v[i], t->row, err) < 0) {
                return -1;
            }
        }
    }
    long end = s->marks_end + (long)(sizeof(struct mark) * s->mfill);
    s->run[p].pos = start;
    s->run[p].left = (size_t)(end - start) / sizeof(struct mark);
    return 0;
}

/* Next unmerged mark of run p into its buffer; 0 when the run is done. */
static int run_fill(struct dedupe_spill *s, int p, struct cp_error *err)
{
    struct run *r = &s->run[p];
    if (r->i < r->n)
        return 1;
    if (!r->left)
        return 0;
    if (!r->buf && !(r->buf = malloc(sizeof *r->buf * MARK_BUF)))
        return oom(err);
    size_t n = r->left < MARK_BUF ? r->left : MARK_BUF;
    if (fseek(s->marks, r->pos, SEEK_SET) != 0 || fread(r->buf, sizeof *r->buf, n, s->marks) != n)
        return cp_fail(err, CP_EXIT_INPUT, "cannot read a temporary file for dedupe");
    r->pos += (long)(n * sizeof *r->buf);
    r->left -= n;
    r->i = 0;
    r->n = (unsigned)n;
    return 1;
}

static const struct mark *run_head(const struct dedupe_spill *s, int p)
{
    return &s->run[p].buf[s->run[p].i];
}

static int mark_before(const struct mark *a, const struct mark *b)
{
    return a->row != b->row ? a->row < b->row : a->kind < b->kind;
}

static void heap_down(struct dedupe_spill *s, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_n && mark_before(run_head(s, s->heap[l]), run_head(s, s->heap[m])))
            m = l;
        if (r < s->heap_n && mark_before(run_head(s, s->heap[r]), run_head(s, s->heap[m])))
            m = r;
        if (m == i)
            return;
        int t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

int dedupe_spill_begin(struct dedupe_spill *s, struct cp_error *err)
{
    if (s->resolving)
        return 0;
    s->resolving = 1;
    for (int p = 0; p < PARTS; p++)
        if (flush_part(s, p, err) < 0)
            return -1;
    if (!(s->mbuf = malloc(sizeof *s->mbuf * MARK_BUF)))
        return oom(err);
    for (int p = 0; p < PARTS; p++)
        if (scan_part(s, p, err) < 0)
            return -1;
    if (flush_marks(s, err) < 0)
        return -1;
    free(s->table);
    s->table = NULL;
    s->table_cap = s->table_used = 0;
    for (int p = 0; p < PARTS; p++) {
        int rc = run_fill(s, p, err);
        if (rc < 0)
            return -1;
        if (rc)
            s->heap[s->heap_n++] = p;
    }
    for (int i = s->heap_n / 2 - 1; i >= 0; i--)
        heap_down(s, i);
    return 0;
}

int dedupe_spill_next(struct dedupe_spill *s, long *row, long *first, struct cp_error *err)
{
    if (!s->resolving && dedupe_spill_begin(s, err) < 0)
        return -1;
    while (s->heap_n) {
        int p = s->heap[0];
        struct mark m = *run_head(s, p);
        s->run[p].i++;
        int rc = run_fill(s, p, err);
        if (rc < 0)
            return -1;
        if (!rc)
            s->heap[0] = s->heap[--s->heap_n];
        heap_down(s, 0);
        if (m.row == s->last_row)
            continue; /* the row's second key: its first verdict stands */
        s->last_row = m.row;
        *row = (long)m.row;
        *first = (long)m.first;
        return 1;
    }
    return 0;
}

int dedupe_spill_resolve(struct dedupe_spill *s, void (*dup)(void *ctx, long row, long first),
                         void *ctx, struct cp_error *err)
{
    long row, first;
    int rc;
    while ((rc = dedupe_spill_next(s, &row, &first, err)) > 0)
        dup(ctx, row, first);
    return rc;
}

long dedupe_spill_first_of(struct dedupe_spill *s, long row, struct cp_error *err)
{
    while (s->ahead_row >= 0 && s->ahead_row < row) {
        int rc = dedupe_spill_next(s, &s->ahead_row, &s->ahead_first, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            s->ahead_row = -1;
    }
    return s->ahead_row == row ? s->ahead_first : 0;
}
