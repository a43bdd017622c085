/*
 * A growable byte buffer with a ceiling, after curl's dynbuf: a hostile
 * response or field is an error when it passes `max`, never an allocation
 * storm. The buffer is always NUL-terminated. The strbuf owns `buf`.
 */
#ifndef CLOUTLY_STRBUF_H
#define CLOUTLY_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *buf;  /* NUL-terminated contents, NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* appends that would pass this many bytes fail */
};

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_release(struct strbuf *sb);
/* 0 on success, -1 when the result would pass `max` or memory ran out. */
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
/* Room for `extra` more bytes (and the NUL) without another allocation:
 * for a writer that fills buf + len itself and then sets len. 0, or -1
 * past `max` or out of memory. */
int strbuf_reserve(struct strbuf *sb, size_t extra);
/* Append `len` bytes and then a NUL that counts as content (for packing
 * NUL-separated values). */
int strbuf_add0(struct strbuf *sb, const void *data, size_t len);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty the buffer, keeping its memory (inline: it runs for every field of
 * every row). */
static inline void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}
/* A stable empty string when nothing was appended yet. */
const char *strbuf_str(const struct strbuf *sb);

#endif
