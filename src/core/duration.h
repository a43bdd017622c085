/*
 * Durations as pipelines and the command line write them: a number and a
 * unit from one table ("500ms", "30s", "2m", "1.5h", "14d"), for every key
 * and option that takes one (api.timeout, api.max_retry_wait,
 * export.lookback, export.full_every, --wait-lock), so they all accept the
 * same words. Each caller keeps its own range and message.
 */
#ifndef CLOUTLY_DURATION_H
#define CLOUTLY_DURATION_H

#include <stdbool.h>
#include <stddef.h>

/* `len` bytes of digits with at most one '.' into *out; false on anything
 * else (no sign, exponent, "inf" or "nan", which strtod would take). */
bool decimal_parse(const char *s, size_t len, double *out);

/* "30s" into *seconds (0.03 for "30ms"); units ms, s, m, min, h, d. False
 * when the number or the unit is missing or unknown ("30", "2 weeks"). */
bool duration_parse(const char *text, double *seconds);

#endif
