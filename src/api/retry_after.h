/*
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds (decimal digits) or
 * an HTTP date. Anything else (hex, signs, exponents, "inf") is not a
 * Retry-After at all and is ignored, so the caller backs off on its own.
 * A wait longer than the caller's ceiling (api.max_retry_wait) is never
 * waited: a server that asks for a day is down, and a cron job that sleeps
 * holding its lock blocks the next night's run.
 */
#ifndef CLOUTLY_RETRY_AFTER_H
#define CLOUTLY_RETRY_AFTER_H

#include <stddef.h>
#include <time.h>

/* Ceiling when the pipeline does not set api.max_retry_wait. */
#define RETRY_AFTER_DEFAULT_MAX 300.0

/* Seconds from now that `v` (the header's value, `len` bytes, spaces
 * trimmed) asks for: >= 0, capped at 1e9 so huge values stay finite; -1
 * when it is not a valid Retry-After. `now` is the wall clock. */
double retry_after_parse(const char *v, size_t len, time_t now);

#endif
