/*
 * The set of review ids an export has already written, for dedupe.
 *
 * Memory is what bounds an export of a large account, so the set keeps a
 * 64-bit fingerprint of each id, never the id or the review: 8 bytes a
 * review at a load of at most 4/5, 10 bytes a review when sized up front
 * with idset_reserve() (the export does, from the first page's total), so
 * that no rehash doubles the memory on the way. Two different ids share a
 * fingerprint with odds of about n^2 / 2^65: for a million reviews, 3 in
 * 100 million.
 *
 * Ownership: the set owns its table; idset_free() releases it.
 */
#ifndef CLOUTLY_IDSET_H
#define CLOUTLY_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset;

/* NULL when out of memory. */
struct idset *idset_new(void);
void idset_free(struct idset *set);

/* Make room for `n` ids in all without growing. -1 when out of memory (the
 * set is unchanged and still usable). */
int idset_reserve(struct idset *set, size_t n);

/* 1 when `id` was new (now added), 0 when already there, -1 when out of memory. */
int idset_add(struct idset *set, const char *id, size_t len);
/* 1 when `id` is in the set. */
int idset_contains(const struct idset *set, const char *id, size_t len);
size_t idset_count(const struct idset *set);

/* The fingerprint: a 64-bit hash of the bytes, never 0. */
uint64_t idset_fingerprint(const char *id, size_t len);

#endif
