/*
 * The one UUID check of the tree: the pipeline's ids, the export's
 * --business-id and a CSV's per-row businessId all go through it, so what one
 * place accepts no other place refuses. The API wants the 8-4-4-4-12 hex
 * form; case is not significant and no version or variant is required.
 */
#ifndef CLOUTLY_UUID_H
#define CLOUTLY_UUID_H

#include <stdbool.h>
#include <stddef.h>

/* An id of the right shape, for messages. */
#define UUID_EXAMPLE "44271176-7053-4534-ad6f-b38d132d341e"
/* The all-zero id `guess` writes where it could not learn the real one. */
#define UUID_NIL "00000000-0000-0000-0000-000000000000"

/* 1 when the `len` bytes at `s` (no NUL needed) are exactly one UUID, else 0. */
int uuid_valid(const char *s, size_t len);

/* uuid_valid() for a NUL-terminated string; false for NULL. */
bool uuid_valid_str(const char *s);

/* True when `s` is the all-zero UUID (any case): a placeholder, never a real id. */
bool uuid_is_nil(const char *s);

#endif
