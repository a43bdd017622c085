/* Review ids seen, as fingerprints: see idset.h. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

struct idset {
    uint64_t *slots; /* 0 = empty */
    size_t mask;     /* slots - 1, a power of two minus one */
    size_t count;
};

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
    set->mask = 1023;
    return set;
}

void idset_free(struct idset *set)
{
    if (!set)
        return;
    free(set->slots);
    free(set);
}

static size_t find(const uint64_t *slots, size_t mask, uint64_t fp)
{
    size_t i = (size_t)fp & mask;
    while (slots[i] && slots[i] != fp)
        i = (i + 1) & mask;
    return i;
}

static int grow(struct idset *set)
{
    size_t cap = (set->mask + 1) * 2;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i <= set->mask; i++)
        if (set->slots[i])
            slots[find(slots, cap - 1, set->slots[i])] = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->mask = cap - 1;
    return 0;
}

int idset_add(struct idset *set, const char *id, size_t len)
{
    uint64_t fp = idset_fingerprint(id, len);
    if ((set->count + 1) * 4 > (set->mask + 1) * 3 && grow(set) < 0)
        return -1;
    size_t i = find(set->slots, set->mask, fp);
    if (set->slots[i])
        return 0;
    set->slots[i] = fp;
    set->count++;
    return 1;
}

int idset_contains(const struct idset *set, const char *id, size_t len)
{
    uint64_t fp = idset_fingerprint(id, len);
    return set->slots[find(set->slots, set->mask, fp)] == fp;
}

size_t idset_count(const struct idset *set)
{
    return set->count;
}
