/* A file written on its own thread: see bg_writer.h. */
#include "core/bg_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define CHUNK (512u * 1024) /* two of them: the one filled, the one written */

struct chunk {
    char *buf;
    size_t len, cap;
};

struct bg_writer {
    FILE *fp;
    bg_format_fn format;
    void *ctx;
    struct strbuf made; /* the thread's: what `format` made of a chunk */
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct chunk fill; /* the caller's */
    struct chunk out;  /* the thread's, while `pending` */
    int pending;
    int stopping;
    atomic_int error; /* errno of the first write that failed, 0 when none */
};

static void *writer_main(void *arg)
{
    struct bg_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->pending && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->pending)
            break;
        int failed = w->error;
        pthread_mutex_unlock(&w->mu);
        int e = 0;
        const char *bytes = w->out.buf;
        size_t n = w->out.len;
        if (!failed && w->format) {
            if (w->format(w->ctx, w->out.buf, w->out.len, &w->made) < 0)
                e = ENOMEM;
            bytes = w->made.buf;
            n = w->made.len;
        }
        if (!failed && !e && n) {
            errno = 0;
            if (fwrite(bytes, 1, n, w->fp) != n)
                e = errno ? errno : EIO;
        }
        pthread_mutex_lock(&w->mu);
        if (e && !w->error)
            w->error = e;
        w->out.len = 0;
        w->pending = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct bg_writer *bg_writer_open(FILE *fp, bg_format_fn format, void *ctx)
{
    struct bg_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->fp = fp;
    w->format = format;
    w->ctx = ctx;
    strbuf_init(&w->made, (size_t)1 << 30);
    w->fill.buf = malloc(CHUNK);
    w->out.buf = malloc(CHUNK);
    w->fill.cap = w->out.cap = CHUNK;
    if (!w->fill.buf || !w->out.buf)
        goto fail;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    if (pthread_create(&w->tid, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    return w;
fail:
    free(w->fill.buf);
    free(w->out.buf);
    strbuf_release(&w->made);
    free(w);
    return NULL;
}

/* Give the filled chunk to the thread once it is done with the last one,
 * and take that one back empty: the first write error, or 0. */
static int hand_off(struct bg_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->pending)
        pthread_cond_wait(&w->cv, &w->mu);
    struct chunk t = w->out;
    w->out = w->fill;
    w->fill = t;
    w->pending = w->out.len > 0;
    pthread_cond_broadcast(&w->cv);
    int e = w->error;
    pthread_mutex_unlock(&w->mu);
    return e;
}

char *bg_writer_reserve(struct bg_writer *w, size_t need)
{
    if (w->fill.len + need <= w->fill.cap)
        return w->fill.buf + w->fill.len;
    if (hand_off(w) != 0)
        return NULL;
    if (need > w->fill.cap) { /* one line longer than a chunk */
        char *grown = realloc(w->fill.buf, need);
        if (!grown)
            return NULL;
        w->fill.buf = grown;
        w->fill.cap = need;
    }
    return w->fill.buf;
}

void bg_writer_commit(struct bg_writer *w, size_t used)
{
    w->fill.len += used;
}

int bg_writer_failed(struct bg_writer *w)
{
    return atomic_load(&w->error); /* asked for every line: no lock */
}

int bg_writer_finish(struct bg_writer *w)
{
    if (!w)
        return 0;
    if (w->fill.len)
        hand_off(w);
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->tid, NULL);
    int e = w->error;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->fill.buf);
    free(w->out.buf);
    strbuf_release(&w->made);
    free(w);
    return e;
}
