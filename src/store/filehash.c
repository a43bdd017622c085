/* Content hash of a file: see filehash.h. */
#include "store/filehash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Eight bytes at a time with a multiply-xorshift mix: fast enough that
 * hashing a 100 MB export costs a fraction of reading it. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ull;
    h = (h << 27) | (h >> 37);
    return h * 0xff51afd7ed558ccdull + 0x165667b19e3779f9ull;
}

static void hash_block(struct filehash *fh, const unsigned char *buf, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, buf + i, 8);
        fh->h = mix(fh->h, v);
    }
    uint64_t tail = 0;
    memcpy(&tail, buf + i, n - i);
    fh->h = mix(fh->h, tail ^ ((uint64_t)(n - i) << 56));
    fh->total += n;
}

void filehash_init(struct filehash *fh)
{
    fh->h = 0x6a09e667f3bcc908ull;
    fh->total = 0;
    fh->fill = 0;
}

void filehash_add(struct filehash *fh, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len) {
        if (fh->fill == 0 && len >= FILEHASH_BLOCK) {
            hash_block(fh, p, FILEHASH_BLOCK);
            p += FILEHASH_BLOCK;
            len -= FILEHASH_BLOCK;
            continue;
        }
        size_t n = FILEHASH_BLOCK - fh->fill;
        if (n > len)
            n = len;
        memcpy(fh->block + fh->fill, p, n);
        fh->fill += n;
        p += n;
        len -= n;
        if (fh->fill == FILEHASH_BLOCK) {
            hash_block(fh, fh->block, FILEHASH_BLOCK);
            fh->fill = 0;
        }
    }
}

void filehash_final(struct filehash *fh, char out[17])
{
    if (fh->fill)
        hash_block(fh, fh->block, fh->fill);
    fh->fill = 0;
    snprintf(out, 17, "%016llx", (unsigned long long)mix(fh->h, fh->total));
}

int file_hash(const char *path, char out[17], struct cp_error *err)
{
    struct filehash *fh = malloc(sizeof *fh);
    unsigned char *buf = malloc(FILEHASH_BLOCK);
    FILE *f = NULL;
    int rc = -1;
    if (!fh || !buf) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto out;
    }
    if (!(f = fopen(path, "rb"))) {
        cp_fail(err, CP_EXIT_INPUT, "cannot open input '%s': %s", path, strerror(errno));
        goto out;
    }
    filehash_init(fh);
    size_t n;
    while ((n = fread(buf, 1, FILEHASH_BLOCK, f)) > 0)
        filehash_add(fh, buf, n);
    if (ferror(f)) {
        cp_fail(err, CP_EXIT_INPUT, "cannot read input '%s'", path);
        goto out;
    }
    filehash_final(fh, out);
    rc = 0;
out:
    if (f)
        fclose(f);
    free(buf);
    free(fh);
    return rc;
}
