/*
 * Writing a big output file on a thread of its own: the caller fills one
 * chunk in memory while the thread hands the previous one to the kernel.
 * A dry run's results file of a million rows is a few hundred megabytes,
 * and copying them into the page cache was a fifth of the run's second
 * pass; on a thread it overlaps with making the next rows.
 *
 * The bytes reach `fp` in the order they were committed, and nothing else
 * may write to `fp` until bg_writer_finish(). A write error is kept and
 * returned by every later call.
 *
 * Ownership: the bg_writer borrows `fp` and owns its thread and chunks.
 * One caller thread.
 */
#ifndef CLOUTLY_BG_WRITER_H
#define CLOUTLY_BG_WRITER_H

#include <stddef.h>
#include <stdio.h>

struct bg_writer;

/* NULL when memory or a thread cannot be had: write to `fp` in line then. */
struct bg_writer *bg_writer_open(FILE *fp);

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
