/* Review ids seen, as fingerprints in an open-addressing table: see idset.h. */
#include "export/idset.h"

#include <stdlib.h>
#include <string.h>

struct idset {
    uint64_t *slots; /* 0 = empty */
    size_t cap;      /* slots; any size, not a power of two, so a set sized for a
                        total wastes nothing to rounding */
    size_t count;
};

/* Fuller than 4/5 and linear probing slows down; emptier wastes memory. */
#define MAX_LOAD_NUM 4
#define MAX_LOAD_DEN 5

static uint64_t mix(uint64_t h)
{
    /* The finaliser of MurmurHash3: every input bit reaches every output bit. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t idset_fingerprint(const char *id, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, id, 8);
        h = mix(h ^ w) * 0x9e3779b97f4a7c15ULL;
        id += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, id, len);
    h = mix(h ^ w ^ 0x5bd1e995ULL);
    return h ? h : 1;
}

struct idset *idset_new(void)
{
    struct idset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->slots = calloc(1024, sizeof *set->slots);
    if (!set->slots) {
        free(set);
        return NULL;
    }
    set->cap = 1024;
    return set;
}

void idset_free(struct idset *set)
{
    if (!set)
        return;
    free(set->slots);
    free(set);
}

static size_t find(const uint64_t *slots, size_t cap, uint64_t fp)
{
    size_t i = (size_t)(fp % cap);
    while (slots[i] && slots[i] != fp)
        i = i + 1 == cap ? 0 : i + 1;
    return i;
}

static int resize(struct idset *set, size_t cap)
{
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i])
            slots[find(slots, cap, set->slots[i])] = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return 0;
}

static int full(size_t count, size_t cap)
{
    return count * MAX_LOAD_DEN > cap * MAX_LOAD_NUM;
}

int idset_reserve(struct idset *set, size_t n)
{
    size_t cap = n / MAX_LOAD_NUM * MAX_LOAD_DEN + MAX_LOAD_DEN;
    if (cap <= set->cap || n < set->count)
        return 0;
    return resize(set, cap);
}

int idset_add(struct idset *set, const char *id, size_t len)
{
    uint64_t fp = idset_fingerprint(id, len);
    if (full(set->count + 1, set->cap) && resize(set, set->cap + set->cap / 2) < 0)
        return -1;
    size_t i = find(set->slots, set->cap, fp);
    if (set->slots[i])
        return 0;
    set->slots[i] = fp;
    set->count++;
    return 1;
}

int idset_contains(const struct idset *set, const char *id, size_t len)
{
    uint64_t fp = idset_fingerprint(id, len);
    return set->slots[find(set->slots, set->cap, fp)] == fp;
}

size_t idset_count(const struct idset *set)
{
    return set->count;
}
