/*
 * Dedupe for `check`, in flat memory. `check` reads a whole export and only
 * reports at the end, so instead of a table in memory that grows with the
 * file (24 MB at a million contacts), each key's fingerprint and row go to
 * one of 256 partitions of a temporary file by the fingerprint's top byte,
 * and the duplicates are found at the end one small partition at a time.
 *
 * The answer is the same as the engine's in-memory dedupe (dedupe.h): a row
 * is a duplicate of the first row that had one of its keys, the email's
 * first row winning over the phone's.
 */
#ifndef CLOUTLY_DEDUPE_SPILL_H
#define CLOUTLY_DEDUPE_SPILL_H

#include <stddef.h>

#include "core/error.h"

struct dedupe_spill;

struct dedupe_spill *dedupe_spill_new(struct cp_error *err);
void dedupe_spill_free(struct dedupe_spill *s);

/* Record that `row` has `key` of `kind` ('e' email, 'p' phone). */
int dedupe_spill_add(struct dedupe_spill *s, char kind, const char *key, size_t len, long row,
                     struct cp_error *err);

/* Call `dup(ctx, row, first_row)` once for every duplicate row, in row
 * order. -1 with err when the temporary files cannot be read. */
int dedupe_spill_resolve(struct dedupe_spill *s, void (*dup)(void *ctx, long row, long first),
                         void *ctx, struct cp_error *err);

#endif
