/* Dedupe by fingerprint: see dedupe.h. Open addressing, linear probing. */
#include "intake/dedupe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dedupe {
    uint64_t *keys; /* 0 = empty slot */
    uint32_t *rows;
    size_t cap; /* power of two */
    size_t used;
};

uint64_t dedupe_fingerprint(char kind, const char *s, size_t len)
{
    /* Eight bytes a step with a multiply-xorshift mix, then a finaliser:
     * cheap, and a good spread for probing and partitioning. */
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(unsigned char)kind << 56) ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        h = (h ^ (v * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    memcpy(&tail, s + i, len - i);
    h = (h ^ (tail * 0xff51afd7ed558ccdull)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

struct dedupe *dedupe_new(void)
{
    return calloc(1, sizeof(struct dedupe));
}

void dedupe_free(struct dedupe *d)
{
    if (!d)
        return;
    free(d->keys);
    free(d->rows);
    free(d);
}

static size_t slot_of(const struct dedupe *d, uint64_t fp)
{
    size_t mask = d->cap - 1, i = (size_t)fp & mask;
    while (d->keys[i] && d->keys[i] != fp)
        i = (i + 1) & mask;
    return i;
}

long dedupe_find(const struct dedupe *d, char kind, const char *key, size_t len)
{
    if (!d->cap)
        return 0;
    size_t i = slot_of(d, dedupe_fingerprint(kind, key, len));
    return d->keys[i] ? (long)d->rows[i] : 0;
}

static int grow(struct dedupe *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint32_t *rows = malloc(cap * sizeof *rows);
    if (!keys || !rows) {
        free(keys);
        free(rows);
        return -1;
    }
    struct dedupe old = *d;
    d->keys = keys;
    d->rows = rows;
    d->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            size_t j = slot_of(d, old.keys[i]);
            d->keys[j] = old.keys[i];
            d->rows[j] = old.rows[i];
        }
    free(old.keys);
    free(old.rows);
    return 0;
}

int dedupe_add(struct dedupe *d, char kind, const char *key, size_t len, long row)
{
    return dedupe_check_add(d, kind, key, len, row) < 0 ? -1 : 0;
}

long dedupe_check_add(struct dedupe *d, char kind, const char *key, size_t len, long row)
{
    if ((d->used + 1) * 10 > d->cap * 7 && grow(d) < 0)
        return -1;
    uint64_t fp = dedupe_fingerprint(kind, key, len);
    size_t i = slot_of(d, fp);
    if (d->keys[i])
        return (long)d->rows[i];
    d->keys[i] = fp;
    d->rows[i] = (uint32_t)row;
    d->used++;
    return 0;
}
