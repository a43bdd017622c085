/*
 * A canonical text for a JSON value, so the mirror can tell a review whose
 * content changed from one the server merely re-serialised: object keys
 * sorted (by their decoded UTF-8 bytes), strings re-escaped one way only
 * (", \ and control characters; everything else as UTF-8), numbers
 * normalised (2.50 = 2.5 = 25e-1, 1E+3 = 1000, -0.0 = 0; a 20-digit
 * integer keeps every digit, since no binary double is involved), no
 * whitespace. Two values have the same canonical text exactly when they
 * mean the same JSON.
 *
 * canon_json_diff() lists what changed between two objects, field by field:
 * nested objects are compared member by member under dotted paths
 * ("response.comment"), anything else as a whole.
 *
 * Ownership: values are spans of already validated JSON (review_page_parse
 * validated them); output is appended to the caller's strbuf. Nothing is
 * kept between calls.
 */
#ifndef CLOUTLY_CANON_JSON_H
#define CLOUTLY_CANON_JSON_H

#include <stdint.h>

#include "api/json_scan.h"
#include "core/strbuf.h"

/* Append the canonical text of `v` to `out`. -1 when out refuses the bytes
 * or memory runs out. */
int canon_json(const struct json_span *v, struct strbuf *out);

/* A 64-bit hash of a byte string: the mirror keeps it of the bytes last read
 * and of the canonical text, so an unchanged review costs one integer
 * comparison (and identical bytes no canonical form at all). */
uint64_t canon_hash(const char *p, size_t n);

/* Append to `out` one member per difference between objects `old` and
 * `new_`, comma-separated, each `"path":{"old":V,"new":V}` with the values
 * as sent (compacted); a side where the field is absent has no old/new
 * member. Returns the number of differences, or -1 on memory. */
int canon_json_diff(const struct json_span *old, const struct json_span *new_, struct strbuf *out);

#endif
