/*
 * Writing a big output file on a thread of its own: the caller fills one
 * chunk in memory while the thread makes the previous one into its final
 * bytes (a callback: the results file's lines are quoted there) and hands
 * them to the kernel. A dry run's results file of a million rows is a few
 * hundred megabytes; quoting and copying them was most of its second pass,
 * and on a thread it overlaps with deciding the next rows.
 *
 * The bytes reach `fp` in the order they were committed, and nothing else
 * may write to `fp` until bg_writer_finish(). A write error is kept and
 * returned by every later call.
 *
 * Ownership: the bg_writer borrows `fp` (and the callback's context) and
 * owns its thread and chunks. One caller thread.
 */
#ifndef CLOUTLY_BG_WRITER_H
#define CLOUTLY_BG_WRITER_H

#include <stddef.h>
#include <stdio.h>

#include "core/strbuf.h"

struct bg_writer;

/* What the thread makes of a chunk before writing it: `out` (emptied by
 * the callee) gets the bytes for `fp`. 0, or -1 when out of memory. */
typedef int (*bg_format_fn)(void *ctx, const char *in, size_t len, struct strbuf *out);

/* NULL when memory or a thread cannot be had: write to `fp` in line then.
 * `format` NULL: the committed bytes go to `fp` as they are; else what it
 * makes of them, called on the thread with `ctx` (which the thread alone
 * may then touch until bg_writer_finish). */
struct bg_writer *bg_writer_open(FILE *fp, bg_format_fn format, void *ctx);

/* Room for `need` bytes at the end of the current chunk, to be filled and
 * then committed: NULL when out of memory or after a write error. */
char *bg_writer_reserve(struct bg_writer *w, size_t need);
/* The first `used` bytes of the last reservation are output. */
void bg_writer_commit(struct bg_writer *w, size_t used);

/* The errno of the first write that failed, 0 when none yet. */
int bg_writer_failed(struct bg_writer *w);

/* Every committed byte handed to `fp` and the thread stopped: 0, or the
 * errno of the first write that failed. `w` is freed. Safe on NULL. */
int bg_writer_finish(struct bg_writer *w);

#endif
