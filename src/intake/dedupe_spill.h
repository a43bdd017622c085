/*
 * Dedupe in flat memory, for a caller that has every key before it needs
 * the first verdict (`check`, which reports at the end; `run`, once it
 * validates the whole file before sending). Instead of a table in memory
 * that grows with the file (24 MB at a million contacts), each key's
 * fingerprint and row go to one of 256 partitions of a temporary file by
 * the fingerprint's top byte, and the duplicates are found at the end one
 * partition at a time.
 *
 * The answer is the same as the engine's in-memory dedupe (dedupe.h): a row
 * is a duplicate of the first row that had one of its keys, the email's
 * first row winning over the phone's.
 */
#ifndef CLOUTLY_DEDUPE_SPILL_H
#define CLOUTLY_DEDUPE_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct dedupe_spill;

struct dedupe_spill *dedupe_spill_new(struct cp_error *err);
void dedupe_spill_free(struct dedupe_spill *s);

/* Record that `row` has `key` of `kind` ('e' email, 'p' phone). */
int dedupe_spill_add(struct dedupe_spill *s, char kind, const char *key, size_t len, long row,
                     struct cp_error *err);
/* The same with the key's dedupe_fingerprint() taken already (0: taken
 * here cannot be, so 0 is refused as a bug). */
int dedupe_spill_add_fp(struct dedupe_spill *s, char kind, uint64_t fp, long row,
                        struct cp_error *err);

/*
 * The verdicts, one per duplicate row, in row order: a row is a duplicate of
 * the first row that had its email, else of the first that had its phone.
 * After the first of these calls no key may be added.
 *
 * dedupe_spill_resolve() calls `dup(ctx, row, first_row)` for each, for
 * `check`, which reports at the end. dedupe_spill_next() hands them out one
 * at a time (1 and *row, *first; 0 when there are no more), for a caller
 * that walks its rows in order after spilling all their keys, as `run` can
 * once it has read and validated the whole file: a row is a duplicate
 * exactly when it is the next verdict's row. dedupe_spill_begin() does the
 * work up front (the next call does it otherwise). Memory stays flat
 * (about 2 MB) whatever the rows and however often a key repeats; the
 * temporary files hold 16 bytes per key and 16 per duplicate.
 * -1 with err when the temporary files cannot be written or read.
 */
int dedupe_spill_begin(struct dedupe_spill *s, struct cp_error *err);
int dedupe_spill_next(struct dedupe_spill *s, long *row, long *first, struct cp_error *err);
int dedupe_spill_resolve(struct dedupe_spill *s, void (*dup)(void *ctx, long row, long first),
                         void *ctx, struct cp_error *err);

/* The same verdicts asked row by row, for rows asked in increasing order
 * (rows skipped over are fine): the first row when `row` is a duplicate,
 * 0 when it is not, -1 with err. What a second pass over the rows calls in
 * place of dedupe_check_add(). */
long dedupe_spill_first_of(struct dedupe_spill *s, long row, struct cp_error *err);

#endif
