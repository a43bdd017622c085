/* Validation on every core: see parallel.h. */
#include "intake/parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"

#define BATCH_ROWS  512
#define BATCHES     8
#define MAX_THREADS 16

enum batch_state { BATCH_FREE, BATCH_FILLED, BATCH_WORKING, BATCH_DONE };

/* Up to BATCH_ROWS raw rows, packed, and their results. */
struct batch {
    enum batch_state state;
    long seq; /* order of filling */
    size_t n; /* rows */
    long line[BATCH_ROWS];
    size_t nfields[BATCH_ROWS];
    size_t first[BATCH_ROWS]; /* index of the row's first field */
    struct strbuf packed;     /* every value of every row, each with its NUL */
    size_t *offs, *lens;      /* per field */
    const char **ptrs;
    size_t nf, capf;
    struct row_result res[BATCH_ROWS];
};

static int add_fields(struct batch *b, const struct csv_row *row)
{
    if (b->nf + row->n > b->capf) {
        size_t cap = b->capf ? b->capf : 4096;
        while (cap < b->nf + row->n)
            cap *= 2;
        size_t *offs = realloc(b->offs, cap * sizeof *offs);
        if (offs)
            b->offs = offs;
        size_t *lens = realloc(b->lens, cap * sizeof *lens);
        if (lens)
            b->lens = lens;
        const char **ptrs = realloc(b->ptrs, cap * sizeof *ptrs);
        if (ptrs)
            b->ptrs = ptrs;
        if (!offs || !lens || !ptrs)
            return -1;
        b->capf = cap;
    }
    size_t base = b->packed.len;
    if (strbuf_add(&b->packed, row->packed, row->packed_len) < 0)
        return -1;
    b->first[b->n] = b->nf;
    b->nfields[b->n] = row->n;
    b->line[b->n] = row->line;
    for (size_t i = 0; i < row->n; i++) {
        b->offs[b->nf + i] = base + (size_t)(row->fields[i] - row->packed);
        b->lens[b->nf + i] = row->lens[i];
    }
    b->nf += row->n;
    b->n++;
    return 0;
}

/* Fill `b` from the reader: 1 when it holds rows, 0 at the end, -1. */
static int fill(struct engine *e, struct batch *b, struct cp_error *err)
{
    struct csv_row row;
    int rc = 0;
    b->n = 0;
    b->nf = 0;
    strbuf_reset(&b->packed);
    while (b->n < BATCH_ROWS && (rc = engine_read(e, &row, err)) > 0)
        if (add_fields(b, &row) < 0)
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < b->nf; i++)
        b->ptrs[i] = b->packed.buf + b->offs[i];
    return b->n > 0;
}

static void validate_batch(const struct engine *e, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        size_t f = b->first[i];
        size_t end = i + 1 < b->n ? b->offs[b->first[i + 1]] : b->packed.len;
        size_t start = b->nfields[i] ? b->offs[f] : end;
        struct csv_row row = {
            .n = b->nfields[i],
            .fields = b->ptrs + f,
            .lens = b->lens + f,
            .line = b->line[i],
            .packed = b->packed.buf + start,
            .packed_len = end - start,
        };
        engine_validate(e, &row, &b->res[i]);
    }
}

struct vpool {
    struct engine *e;
    int threads; /* workers started; 0: validate on the caller's thread */
    pthread_t tid[MAX_THREADS];
    struct batch b[BATCHES];
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch was filled, or the end */
    pthread_cond_t done; /* a batch was validated */
    int stopping;
    long filled, drained; /* batches handed to workers / taken back, in order */
    size_t pos;           /* next row of the head batch to hand out */
    int eof;
    struct row_result one; /* the sequential mode's row */
};

static void *worker(void *arg)
{
    struct vpool *pl = arg;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        struct batch *next = NULL;
        for (int i = 0; i < BATCHES; i++)
            if (pl->b[i].state == BATCH_FILLED && (!next || pl->b[i].seq < next->seq))
                next = &pl->b[i];
        if (!next) {
            if (pl->stopping)
                break;
            pthread_cond_wait(&pl->work, &pl->mu);
            continue;
        }
        next->state = BATCH_WORKING;
        pthread_mutex_unlock(&pl->mu);
        validate_batch(pl->e, next);
        pthread_mutex_lock(&pl->mu);
        next->state = BATCH_DONE;
        pthread_cond_broadcast(&pl->done);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* Hand every free batch to the workers while the reader has rows. */
static int refill(struct vpool *pl, struct cp_error *err)
{
    while (!pl->eof && pl->filled - pl->drained < BATCHES) {
        struct batch *b = &pl->b[pl->filled % BATCHES];
        pthread_mutex_lock(&pl->mu);
        int is_free = b->state == BATCH_FREE;
        pthread_mutex_unlock(&pl->mu);
        if (!is_free)
            break;
        int got = fill(pl->e, b, err);
        if (got < 0)
            return -1;
        if (got == 0) {
            pl->eof = 1;
            break;
        }
        pthread_mutex_lock(&pl->mu);
        b->state = BATCH_FILLED;
        b->seq = pl->filled++;
        pthread_cond_signal(&pl->work);
        pthread_mutex_unlock(&pl->mu);
    }
    return 0;
}

struct vpool *vpool_open(struct engine *e, int threads, struct cp_error *err)
{
    struct vpool *pl = calloc(1, sizeof *pl);
    if (!pl) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    pl->e = e;
    row_result_init(&pl->one);
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (int)cores : 1;
    }
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads == 1)
        return pl;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->work, NULL);
    pthread_cond_init(&pl->done, NULL);
    for (int i = 0; i < BATCHES; i++) {
        strbuf_init(&pl->b[i].packed, 512u * 1024 * 1024);
        for (int k = 0; k < BATCH_ROWS; k++)
            row_result_init(&pl->b[i].res[k]);
    }
    for (; pl->threads < threads; pl->threads++)
        if (pthread_create(&pl->tid[pl->threads], NULL, worker, pl) != 0)
            break;
    if (pl->threads == 0) { /* no thread would start: validate in line */
        vpool_close(pl);
        pl = calloc(1, sizeof *pl);
        if (!pl) {
            cp_fail(err, CP_EXIT_INPUT, "out of memory");
            return NULL;
        }
        pl->e = e;
        row_result_init(&pl->one);
    }
    return pl;
}

int vpool_next(struct vpool *pl, struct row_result **out, struct cp_error *err)
{
    if (!pl->threads) {
        int rc = engine_next(pl->e, &pl->one, err);
        *out = rc > 0 ? &pl->one : NULL;
        return rc;
    }
    for (;;) {
        if (refill(pl, err) < 0)
            return -1;
        if (pl->drained == pl->filled)
            return 0; /* eof, and every batch handed out */
        struct batch *b = &pl->b[pl->drained % BATCHES];
        pthread_mutex_lock(&pl->mu);
        while (b->state != BATCH_DONE)
            pthread_cond_wait(&pl->done, &pl->mu);
        pthread_mutex_unlock(&pl->mu);
        if (pl->pos < b->n) {
            struct row_result *r = &b->res[pl->pos++];
            if (engine_dedupe(pl->e, r, err) < 0)
                return -1;
            *out = r;
            return 1;
        }
        pthread_mutex_lock(&pl->mu);
        b->state = BATCH_FREE;
        pthread_mutex_unlock(&pl->mu);
        pl->drained++;
        pl->pos = 0;
    }
}

void vpool_close(struct vpool *pl)
{
    if (!pl)
        return;
    if (pl->threads) {
        pthread_mutex_lock(&pl->mu);
        pl->stopping = 1;
        pthread_cond_broadcast(&pl->work);
        pthread_mutex_unlock(&pl->mu);
        for (int i = 0; i < pl->threads; i++)
            pthread_join(pl->tid[i], NULL);
        for (int i = 0; i < BATCHES; i++) {
            strbuf_release(&pl->b[i].packed);
            free(pl->b[i].offs);
            free(pl->b[i].lens);
            free(pl->b[i].ptrs);
            for (int k = 0; k < BATCH_ROWS; k++)
                row_result_release(&pl->b[i].res[k]);
        }
        pthread_mutex_destroy(&pl->mu);
        pthread_cond_destroy(&pl->work);
        pthread_cond_destroy(&pl->done);
    }
    row_result_release(&pl->one);
    free(pl);
}

int validate_all(struct engine *e, int threads, row_sink sink, void *ctx, struct cp_error *err)
{
    struct vpool *pl = vpool_open(e, threads, err);
    struct row_result *r;
    int rc;
    if (!pl)
        return -1;
    while ((rc = vpool_next(pl, &r, err)) > 0)
        if (sink(ctx, r, err) < 0) {
            rc = -1;
            break;
        }
    vpool_close(pl);
    return rc < 0 ? -1 : 0;
}
