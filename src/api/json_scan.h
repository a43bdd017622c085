/*
 * A JSON scanner that finds where values are without building a tree.
 *
 * The export must hand every review on exactly as the API sent it (key
 * order, numbers, unknown fields), so it never re-serialises: it validates
 * a page once (RFC 8259 grammar, nesting at most JSON_MAX_DEPTH) and keeps
 * byte spans into the answer. Iterating the members of an object or the
 * elements of an array yields spans too; json_string_decode() turns a
 * string token into UTF-8 only where a cell needs the text.
 *
 * Ownership: nothing here allocates except json_string_decode(), which
 * appends to the caller's strbuf. Spans point into the caller's buffer.
 */
#ifndef CLOUTLY_JSON_SCAN_H
#define CLOUTLY_JSON_SCAN_H

#include <stddef.h>

#include "core/strbuf.h"

#define JSON_MAX_DEPTH 64

enum json_type {
    JSON_NONE = 0, /* absent, or not valid */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL
};

/* A value as it appears in the text: strings keep their quotes. */
struct json_span {
    const char *p;
    size_t n;
    enum json_type type;
};

/* Where a scan stopped and why, for messages like "byte 1234: unterminated string". */
struct json_scanner {
    const char *start, *end; /* the whole text */
    const char *err_at;      /* NULL while all is well */
    const char *err_what;
};

void json_scanner_init(struct json_scanner *s, const char *text, size_t len);

/* The first byte at or after p that is not JSON whitespace (or end). */
const char *json_skip_ws(const struct json_scanner *s, const char *p);

/* Validate the value starting at p (no leading whitespace) with `depth`
 * levels already open. Returns the byte after it and fills *v, or NULL with
 * the scanner's error set. */
const char *json_value(struct json_scanner *s, const char *p, int depth, struct json_span *v);

/* Members of an object or elements of an array, in one pass: nothing is
 * scanned twice. json_iter_init() at the '{' or '[' (with `depth` levels
 * open outside it), then json_iter_next() until it returns 0 (the closing
 * bracket: `p` is then just past it) or -1 (invalid text: the scanner says
 * why). For an object `key` is the key token with its quotes; for an array
 * it is left empty.
 *
 * A caller that walks a value itself (a nested container, with its own
 * iterator) uses json_iter_key(), which stops with `p` at the value, walks
 * it, and sets `p` to the byte after it. */
struct json_iter {
    struct json_scanner *s;
    const char *p; /* the next byte to read */
    int depth;     /* levels open, this container included */
    int first;
    char close; /* '}' or ']' */
};

void json_iter_init(struct json_iter *it, struct json_scanner *s, const char *open, int depth);
int json_iter_next(struct json_iter *it, struct json_span *key, struct json_span *value);
int json_iter_key(struct json_iter *it, struct json_span *key);

/* Does string token `tok` (quotes included) spell `text` (`len` bytes)?
 * Escapes are decoded, so "\u0069d" equals "id". */
int json_string_equals(const struct json_span *tok, const char *text, size_t len);

/* Append the UTF-8 text of string token `tok` (quotes included, already
 * validated) to `out`. A lone surrogate escape becomes U+FFFD. -1 when
 * `out` refuses the bytes (its maximum, or memory). */
int json_string_decode(const struct json_span *tok, struct strbuf *out);

/* Append `v` to `out` with the whitespace between tokens removed, so that a
 * pretty-printed object fits on one line; strings and numbers are copied as
 * they are. -1 when `out` refuses the bytes. */
int json_compact(const struct json_span *v, struct strbuf *out);

#endif
