/*
 * What a full sweep of the mirror needs to know of every stored review, in
 * memory: its id's fingerprint (idset.h), the hash of the bytes last read,
 * whether it is marked deleted, and whether this sweep has seen it. Loaded
 * in one pass over the mirror before the sweep, it turns the sweep's
 * question for an unchanged review ("same bytes as last time?") into a
 * table lookup instead of an SQL statement: about 20 bytes a review.
 *
 * Ownership: the index owns its table; mirror_index_free() releases it.
 */
#ifndef CLOUTLY_MIRROR_INDEX_H
#define CLOUTLY_MIRROR_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct mirror_index;

struct mirror_entry {
    uint64_t fp;      /* the id's fingerprint; 0 = empty slot */
    int64_t raw_hash; /* canon_hash of the bytes last read */
};

#define MIRROR_DELETED 1u /* marked deleted in the mirror */
#define MIRROR_SEEN    2u /* read by this sweep */

/* Room for `n` entries without growing. NULL when out of memory. */
struct mirror_index *mirror_index_new(size_t n);
void mirror_index_free(struct mirror_index *ix);

/* Add (or overwrite) the review `fp`. -1 when out of memory. */
int mirror_index_put(struct mirror_index *ix, uint64_t fp, int64_t raw_hash, unsigned flags);
/* The entry of `fp` and its flags (through *flags, which the caller may
 * change), or NULL when the index has none. Valid until the next put. */
struct mirror_entry *mirror_index_get(struct mirror_index *ix, uint64_t fp, unsigned char **flags);

#endif
