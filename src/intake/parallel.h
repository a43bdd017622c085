/*
 * Validating on every core. libphonenumber costs ~13-30 microseconds a
 * number, which makes phone validation most of the work of a big `check`;
 * reading and dedupe are cheap and must stay in input order. So the main
 * thread reads rows into batches, worker threads validate whole batches,
 * and the main thread takes the batches back in order for dedupe and the
 * caller's sink. A few batches are in flight at once, so memory stays flat.
 */
#ifndef CLOUTLY_PARALLEL_H
#define CLOUTLY_PARALLEL_H

#include "intake/engine.h"
#include "core/error.h"
#include "core/row.h"

/*
 * The same as a stream the caller pulls from (the send loop reads rows one
 * at a time, at the pace of the sends). The pool owns its threads and
 * batches; vpool_close() joins the threads and frees everything.
 */
struct vpool;
/* `threads` workers (0: one per core; 1: no threads at all). NULL with err. */
struct vpool *vpool_open(struct engine *e, int threads, struct cp_error *err);
/* The next row in input order, validated and deduped: 1 with *out borrowed
 * until the next call (the caller may swap its contents out), 0 at the end,
 * -1 with err when the input cannot be read. */
int vpool_next(struct vpool *pl, struct row_result **out, struct cp_error *err);
/* Safe on NULL. */
void vpool_close(struct vpool *pl);

/* Called on the main thread for every row, in input order, after dedupe.
 * Return -1 (with err) to stop. */
typedef int (*row_sink)(void *ctx, struct row_result *r, struct cp_error *err);

/* Read, validate and dedupe every row of `e`, handing each to `sink`.
 * `threads` workers (0: one per core; 1: no threads at all). */
int validate_all(struct engine *e, int threads, row_sink sink, void *ctx, struct cp_error *err);

#endif
