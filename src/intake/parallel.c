/* Validation on every core: see parallel.h. */
#include "intake/parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"

#define BATCH_ROWS 512
#define BATCHES 8
#define MAX_THREADS 16

enum batch_state { BATCH_FREE, BATCH_FILLED, BATCH_WORKING, BATCH_DONE };

/* Up to BATCH_ROWS raw rows, packed, and their results. */
struct batch {
    enum batch_state state;
    long seq;                 /* order of filling */
    size_t n;                 /* rows */
    long line[BATCH_ROWS];
    size_t nfields[BATCH_ROWS];
    size_t first[BATCH_ROWS]; /* index of the row's first field */
    struct strbuf packed;     /* every value of every row, each with its NUL */
    size_t *offs, *lens;      /* per field */
    const char **ptrs;
    size_t nf, capf;
    struct row_result res[BATCH_ROWS];
};

struct pool {
    struct engine *e;
    struct batch b[BATCHES];
    pthread_mutex_t mu;
    pthread_cond_t work;   /* a batch was filled, or the end */
    pthread_cond_t done;   /* a batch was validated */
    int stopping;
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
static int fill(struct pool *pl, struct batch *b, struct cp_error *err)
{
    struct csv_row row;
    int rc = 0;
    b->n = 0;
    b->nf = 0;
    strbuf_reset(&b->packed);
    while (b->n < BATCH_ROWS && (rc = engine_read(pl->e, &row, err)) > 0)
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

static void *worker(void *arg)
{
    struct pool *pl = arg;
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

static int drain(struct pool *pl, struct batch *b, row_sink sink, void *ctx, struct cp_error *err)
{
    for (size_t i = 0; i < b->n; i++)
        if (engine_dedupe(pl->e, &b->res[i], err) < 0 || sink(ctx, &b->res[i], err) < 0)
            return -1;
    return 0;
}

static int run_sequential(struct engine *e, row_sink sink, void *ctx, struct cp_error *err)
{
    struct row_result r;
    int rc;
    row_result_init(&r);
    while ((rc = engine_next(e, &r, err)) > 0)
        if (sink(ctx, &r, err) < 0) {
            rc = -1;
            break;
        }
    row_result_release(&r);
    return rc < 0 ? -1 : 0;
}

/* The main thread: keep batches filled, and drain them in order. */
static int conduct(struct pool *pl, row_sink sink, void *ctx, struct cp_error *err)
{
    long filled = 0, drained = 0;
    int eof = 0, rc = 0;
    while (rc == 0 && (!eof || drained < filled)) {
        struct batch *b = &pl->b[drained % BATCHES];
        pthread_mutex_lock(&pl->mu);
        int head_done = drained < filled && b->state == BATCH_DONE;
        struct batch *free_b = &pl->b[filled % BATCHES];
        int can_fill = !eof && filled - drained < BATCHES && free_b->state == BATCH_FREE;
        if (!head_done && !can_fill)
            pthread_cond_wait(&pl->done, &pl->mu);
        pthread_mutex_unlock(&pl->mu);
        if (head_done) {
            rc = drain(pl, b, sink, ctx, err);
            pthread_mutex_lock(&pl->mu);
            b->state = BATCH_FREE;
            pthread_mutex_unlock(&pl->mu);
            drained++;
        } else if (can_fill) {
            int got = fill(pl, free_b, err);
            if (got < 0)
                rc = -1;
            else if (got == 0)
                eof = 1;
            else {
                pthread_mutex_lock(&pl->mu);
                free_b->state = BATCH_FILLED;
                free_b->seq = filled++;
                pthread_cond_signal(&pl->work);
                pthread_mutex_unlock(&pl->mu);
            }
        }
    }
    return rc;
}

int validate_all(struct engine *e, int threads, row_sink sink, void *ctx, struct cp_error *err)
{
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (int)cores : 1;
    }
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads == 1)
        return run_sequential(e, sink, ctx, err);

    static struct pool pl;
    pthread_t tid[MAX_THREADS];
    int started = 0, rc;
    memset(&pl, 0, sizeof pl);
    pl.e = e;
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.work, NULL);
    pthread_cond_init(&pl.done, NULL);
    for (int i = 0; i < BATCHES; i++) {
        strbuf_init(&pl.b[i].packed, 512u * 1024 * 1024);
        for (int k = 0; k < BATCH_ROWS; k++)
            row_result_init(&pl.b[i].res[k]);
    }
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, worker, &pl) != 0)
            break;
    rc = started ? conduct(&pl, sink, ctx, err) : run_sequential(e, sink, ctx, err);
    pthread_mutex_lock(&pl.mu);
    pl.stopping = 1;
    pthread_cond_broadcast(&pl.work);
    pthread_mutex_unlock(&pl.mu);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < BATCHES; i++) {
        strbuf_release(&pl.b[i].packed);
        free(pl.b[i].offs);
        free(pl.b[i].lens);
        free(pl.b[i].ptrs);
        for (int k = 0; k < BATCH_ROWS; k++)
            row_result_release(&pl.b[i].res[k]);
    }
    pthread_mutex_destroy(&pl.mu);
    pthread_cond_destroy(&pl.work);
    pthread_cond_destroy(&pl.done);
    return rc;
}
