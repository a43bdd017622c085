/* The one CSV cell writer: see csv_cell.h. */
#include "core/csv_cell.h"

#include <stdint.h>
#include <string.h>

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Does any byte of `v` equal c? Exact (see json_scan.c). */
static uint64_t has_byte(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (ONES * c);
    return (x - ONES) & ~x & HIGHS;
}

static int needs_quotes(const char *s, size_t len)
{
    size_t i = 0;
    if (len && (s[0] == ' ' || s[len - 1] == ' '))
        return 1;
    /* Eight bytes a step: texts are most of a row. */
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (has_byte(v, ',') | has_byte(v, '"') | has_byte(v, '\n') | has_byte(v, '\r'))
            break;
    }
    for (; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return 1;
    return 0;
}

static int formula_like(const char *s, size_t len)
{
    if (!len)
        return 0;
    char c = s[0];
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

size_t csv_cell_put(char *out, const char *s, size_t len, int guard)
{
    /* A leading ' makes a spreadsheet take the cell as text (OWASP's advice
     * for CSV injection); the quote test below sees the final cell. */
    int prefix = guard && formula_like(s, len);
    char *o = out;
    if (!needs_quotes(s, len)) {
        if (prefix)
            *o++ = '\'';
        memcpy(o, s, len);
        return (size_t)(o - out) + len;
    }
    *o++ = '"';
    if (prefix)
        *o++ = '\'';
    const char *end = s + len;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        size_t n = q ? (size_t)(q - s) + 1 : (size_t)(end - s);
        memcpy(o, s, n);
        o += n;
        if (q)
            *o++ = '"';
        s += n;
    }
    *o++ = '"';
    return (size_t)(o - out);
}

int csv_cell_add(struct strbuf *row, const char *s, size_t len, int guard)
{
    if (strbuf_reserve(row, CSV_CELL_MAX(len)) < 0)
        return -1;
    row->len += csv_cell_put(row->buf + row->len, s, len, guard);
    row->buf[row->len] = '\0';
    return 0;
}

void csv_put_cell(FILE *fp, const char *s, size_t len, int guard)
{
    int prefix = guard && formula_like(s, len);
    if (!needs_quotes(s, len)) {
        if (prefix)
            putc('\'', fp);
        fwrite(s, 1, len, fp);
        return;
    }
    putc('"', fp);
    if (prefix)
        putc('\'', fp);
    /* Spans up to and including each '"', then the '"' doubled: a quoted
     * cell (a reason with a comma) is most of a results row's bytes. */
    const char *end = s + len;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        size_t n = q ? (size_t)(q - s) + 1 : (size_t)(end - s);
        fwrite(s, 1, n, fp);
        if (q)
            putc('"', fp);
        s += n;
    }
    putc('"', fp);
}

void csv_put_field(FILE *fp, const char *s, size_t len)
{
    csv_put_cell(fp, s, len, 0);
}
