/*
 * SHA-256 (FIPS 180-4), for identities that must not be reversible: the
 * account a ledger belongs to is named by a hash of its API key, and the
 * suppression list and erasure tombstones keep hashes of emails and phones,
 * never the values. Not used for anything that needs speed.
 */
#ifndef CLOUTLY_SHA256_H
#define CLOUTLY_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of `len` bytes at `data` as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* The digest of `prefix` followed by `value`, so that one value hashed for two
 * purposes (an email as a key, an email as an opt-out) gives two unrelated names. */
void sha256_hex2(const char *prefix, const char *value, char out[65]);

#endif
