/* A file's identity for the ledger: a 64-bit content hash as 16 hex digits.
 * Not cryptographic: it tells "the same export again" from "a new export",
 * which is all resume needs.
 *
 * The hash is defined over 64 KiB blocks (ledgers keep it, so it must not
 * change): the incremental form below gives the same value as file_hash()
 * however the bytes are fed to it. */
#ifndef CLOUTLY_FILEHASH_H
#define CLOUTLY_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define FILEHASH_BLOCK (64 * 1024)

struct filehash {
    uint64_t h, total;
    size_t fill; /* bytes waiting in block */
    unsigned char block[FILEHASH_BLOCK];
};

void filehash_init(struct filehash *fh);
void filehash_add(struct filehash *fh, const void *data, size_t len);
/* The hash of everything added, as 16 hex digits and a NUL. */
void filehash_final(struct filehash *fh, char out[17]);

/* The hash of the file at `path`. -1 with err when it cannot be read. */
int file_hash(const char *path, char out[17], struct cp_error *err);

#endif
