/* A file's identity for the ledger: a 64-bit content hash as 16 hex digits.
 * Not cryptographic: it tells "the same export again" from "a new export",
 * which is all resume needs. */
#ifndef CLOUTLY_FILEHASH_H
#define CLOUTLY_FILEHASH_H

#include "core/error.h"

int file_hash(const char *path, char out[17], struct cp_error *err);

#endif
