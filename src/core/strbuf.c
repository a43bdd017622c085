/* Bounded growable buffer: see strbuf.h. */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t max)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->max = max;
}

void strbuf_release(struct strbuf *sb)
{
    free(sb->buf);
    strbuf_init(sb, sb->max);
}

static int grow(struct strbuf *sb, size_t need)
{
    if (need > sb->max)
        return -1;
    if (need + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need + 1)
        cap *= 2;
    if (cap > sb->max + 1)
        cap = sb->max + 1;
    char *p = realloc(sb->buf, cap);
    if (!p)
        return -1;
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    /* The common case, room already there, without a call to grow(). */
    if (sb->len + len + 1 > sb->cap && (len > sb->max - sb->len || grow(sb, sb->len + len) < 0))
        return -1;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_add0(struct strbuf *sb, const void *data, size_t len)
{
    if (sb->len + len + 2 > sb->cap &&
        (len + 1 > sb->max - sb->len || grow(sb, sb->len + len + 1) < 0))
        return -1;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len + 1;
    sb->buf[sb->len - 1] = '\0';
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_reserve(struct strbuf *sb, size_t extra)
{
    if (extra > sb->max - sb->len)
        return -1;
    return grow(sb, sb->len + extra);
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n > sb->max - sb->len || grow(sb, sb->len + (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return 0;
}

const char *strbuf_str(const struct strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}
