/*
 * ISO 8601 timestamps -> microseconds since 1970 (UTC), so that `since` and
 * the export watermark compare by the instant, not by how it is written:
 * "2026-01-31T10:00:00+10:00" and "2026-01-31T00:00:00.000Z" are equal.
 *
 * Accepted: YYYY-MM-DD, then optionally THH:MM[:SS[.fraction]] and Z or
 * +HH:MM / -HH:MM (or +HHMM). A date alone is midnight UTC; a time with no
 * zone is UTC. Fractions past microseconds are cut.
 */
#ifndef CLOUTLY_ISOTIME_H
#define CLOUTLY_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

/* 0 and *us, or -1 when `s` (`len` bytes, no NUL needed) is not such a time. */
int isotime_parse(const char *s, size_t len, int64_t *us);

#endif
