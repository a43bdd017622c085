/*
 * Dedupe within one input file: "the same contact twice in one file is sent
 * once". A contact is the same when its normalised email or its E.164 phone
 * was seen on an earlier row that was going to be sent.
 *
 * Keys are kept as 64-bit fingerprints, not strings, so a million contacts
 * cost ~24 MB at most rather than the strings' size. Two different keys
 * sharing a fingerprint (odds ~1e-8 at a million keys) would make the later
 * one look like a duplicate: it is skipped, never sent twice.
 */
#ifndef CLOUTLY_DEDUPE_H
#define CLOUTLY_DEDUPE_H

#include <stddef.h>

#include <stdint.h>

struct dedupe;

/* The 64-bit fingerprint of a key of `kind`, never 0. */
uint64_t dedupe_fingerprint(char kind, const char *key, size_t len);

struct dedupe *dedupe_new(void);
void dedupe_free(struct dedupe *d);

/* The input row where `key` was first added, or 0 when it is new. */
long dedupe_find(const struct dedupe *d, char kind, const char *key, size_t len);
/* Remember `key` for `row` (the first row wins). -1 when memory ran out. */
int dedupe_add(struct dedupe *d, char kind, const char *key, size_t len, long row);

/* Both at once, hashing and probing once: the row where `key` was first
 * seen (0 when new, and now remembered for `row`), or -1 out of memory. */
long dedupe_check_add(struct dedupe *d, char kind, const char *key, size_t len, long row);

#endif
