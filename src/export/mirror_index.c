/* The full sweep's in-memory index of stored reviews: see mirror_index.h. */
#include "export/mirror_index.h"

#include <stdlib.h>

struct mirror_index {
    struct mirror_entry *slots;
    unsigned char *flags; /* beside the slots, so an entry stays 16 bytes */
    size_t cap, count;
};

/* Linear probing at a load of at most 4/5. */
static size_t slot_of(const struct mirror_index *ix, uint64_t fp)
{
    size_t i = (size_t)(fp % ix->cap);
    while (ix->slots[i].fp && ix->slots[i].fp != fp)
        i = i + 1 == ix->cap ? 0 : i + 1;
    return i;
}

static int grow(struct mirror_index *ix, size_t cap)
{
    struct mirror_entry *slots = calloc(cap, sizeof *slots);
    unsigned char *flags = calloc(cap, 1);
    if (!slots || !flags) {
        free(slots);
        free(flags);
        return -1;
    }
    struct mirror_index old = *ix;
    ix->slots = slots;
    ix->flags = flags;
    ix->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].fp) {
            size_t j = slot_of(ix, old.slots[i].fp);
            ix->slots[j] = old.slots[i];
            ix->flags[j] = old.flags[i];
        }
    free(old.slots);
    free(old.flags);
    return 0;
}

struct mirror_index *mirror_index_new(size_t n)
{
    struct mirror_index *ix = calloc(1, sizeof *ix);
    if (!ix || grow(ix, n + n / 4 + 1024) < 0) {
        free(ix);
        return NULL;
    }
    return ix;
}

void mirror_index_free(struct mirror_index *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    free(ix->flags);
    free(ix);
}

int mirror_index_put(struct mirror_index *ix, uint64_t fp, int64_t raw_hash, unsigned flags)
{
    if ((ix->count + 1) * 5 > ix->cap * 4 && grow(ix, ix->cap * 2) < 0)
        return -1;
    size_t i = slot_of(ix, fp);
    if (!ix->slots[i].fp)
        ix->count++;
    ix->slots[i].fp = fp;
    ix->slots[i].raw_hash = raw_hash;
    ix->flags[i] = (unsigned char)flags;
    return 0;
}

struct mirror_entry *mirror_index_get(struct mirror_index *ix, uint64_t fp, unsigned char **flags)
{
    size_t i = slot_of(ix, fp);
    if (!ix->slots[i].fp)
        return NULL;
    *flags = &ix->flags[i];
    return &ix->slots[i];
}
