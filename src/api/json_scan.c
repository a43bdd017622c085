/* JSON spans without a tree: see json_scan.h. */
#include "api/json_scan.h"

#include <stdint.h>
#include <string.h>

void json_scanner_init(struct json_scanner *s, const char *text, size_t len)
{
    s->start = text;
    s->end = text + len;
    s->err_at = NULL;
    s->err_what = NULL;
}

static const char *fail(struct json_scanner *s, const char *at, const char *what)
{
    if (!s->err_at) {
        s->err_at = at;
        s->err_what = what;
    }
    return NULL;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

const char *json_skip_ws(const struct json_scanner *s, const char *p)
{
    while (p < s->end && is_ws(*p))
        p++;
    return p;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Is any of the 8 bytes of `v` a '"', a '\\' or below 0x20? Exact: the
 * classic zero-byte test has no false positive when nothing matches. */
static uint64_t string_stop(uint64_t v)
{
    uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((v - ONES * 0x20) & ~v)) & HIGHS;
}

/* The first byte at or after p that ends a run of plain string bytes. */
static const char *string_run(const char *p, const char *end)
{
    /* Most bytes of a review are string bytes: 8 at a time. */
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        if (string_stop(v))
            break;
        p += 8;
    }
    while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
        p++;
    return p;
}

/* p at the opening quote. The hot loop of a page scan. */
static const char *scan_string(struct json_scanner *s, const char *p)
{
    const char *end = s->end;
    const char *open = p++;
    for (;;) {
        p = string_run(p, end);
        if (p >= end)
            return fail(s, open, "unterminated string");
        if (*p == '"')
            return p + 1;
        if (*p != '\\')
            return fail(s, p, "control character in a string");
        if (p + 1 >= end)
            return fail(s, open, "unterminated string");
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': p += 2; break;
        case 'u':
            if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5]))
                return fail(s, p, "invalid \\u escape");
            p += 6;
            break;
        default: return fail(s, p, "invalid escape in a string");
        }
    }
}

static const char *scan_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

static const char *scan_number(struct json_scanner *s, const char *p)
{
    const char *start = p, *end = s->end, *q;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if ((q = scan_digits(p, end)) == p)
        return fail(s, start, "invalid number");
    else
        p = q;
    if (p < end && *p == '.') {
        if ((q = scan_digits(p + 1, end)) == p + 1)
            return fail(s, start, "invalid number");
        p = q;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((q = scan_digits(p, end)) == p)
            return fail(s, start, "invalid number");
        p = q;
    }
    return p;
}

static const char *scan_word(struct json_scanner *s, const char *p, const char *word, size_t n)
{
    if ((size_t)(s->end - p) < n || memcmp(p, word, n) != 0)
        return fail(s, p, "unexpected character");
    return p + n;
}

/* p at '{' or '[', with `depth` levels open outside it. */
static const char *scan_container(struct json_scanner *s, const char *p, int depth)
{
    struct json_iter it;
    struct json_span key, v;
    int rc;
    json_iter_init(&it, s, p, depth);
    while ((rc = json_iter_next(&it, &key, &v)) > 0)
        ;
    return rc < 0 ? NULL : it.p;
}

const char *json_value(struct json_scanner *s, const char *p, int depth, struct json_span *v)
{
    const char *q = NULL;
    v->p = p;
    v->n = 0;
    v->type = JSON_NONE;
    if (p >= s->end)
        return fail(s, p, "unexpected end of text");
    switch (*p) {
    case '{':
    case '[':
        if (depth >= JSON_MAX_DEPTH)
            return fail(s, p, "nested deeper than 64 levels");
        v->type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
        q = scan_container(s, p, depth);
        break;
    case '"':
        v->type = JSON_STRING;
        q = scan_string(s, p);
        break;
    case 't':
        v->type = JSON_TRUE;
        q = scan_word(s, p, "true", 4);
        break;
    case 'f':
        v->type = JSON_FALSE;
        q = scan_word(s, p, "false", 5);
        break;
    case 'n':
        v->type = JSON_NULL;
        q = scan_word(s, p, "null", 4);
        break;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            v->type = JSON_NUMBER;
            q = scan_number(s, p);
        } else {
            return fail(s, p, "unexpected character");
        }
    }
    if (!q) {
        v->type = JSON_NONE;
        return NULL;
    }
    v->n = (size_t)(q - p);
    return q;
}

void json_iter_init(struct json_iter *it, struct json_scanner *s, const char *open, int depth)
{
    it->s = s;
    it->p = open + 1;
    it->depth = depth + 1;
    it->first = 1;
    it->close = *open == '{' ? '}' : ']';
}

int json_iter_key(struct json_iter *it, struct json_span *key)
{
    struct json_scanner *s = it->s;
    const char *p = json_skip_ws(s, it->p);
    key->p = NULL;
    key->n = 0;
    key->type = JSON_NONE;
    if (it->depth > JSON_MAX_DEPTH)
        return fail(s, p, "nested deeper than 64 levels"), -1;
    if (p >= s->end)
        return fail(s, p, it->close == '}' ? "unterminated object" : "unterminated array"), -1;
    if (*p == it->close && it->first) {
        it->p = p + 1;
        return 0;
    }
    if (!it->first) {
        if (*p == it->close) {
            it->p = p + 1;
            return 0;
        }
        if (*p != ',')
            return fail(s, p, it->close == '}' ? "expected ',' or '}'" : "expected ',' or ']'"), -1;
        p = json_skip_ws(s, p + 1);
    }
    it->first = 0;
    if (it->close == '}') {
        if (p >= s->end || *p != '"')
            return fail(s, p, "expected a key"), -1;
        const char *k = p;
        if (!(p = scan_string(s, p)))
            return -1;
        key->p = k;
        key->n = (size_t)(p - k);
        key->type = JSON_STRING;
        p = json_skip_ws(s, p);
        if (p >= s->end || *p != ':')
            return fail(s, p, "expected ':'"), -1;
        p = json_skip_ws(s, p + 1);
    }
    /* The text may end right after a ',' or ':': callers look at *it->p. */
    if (p >= s->end)
        return fail(s, p, it->close == '}' ? "unterminated object" : "unterminated array"), -1;
    it->p = p;
    return 1;
}

int json_iter_next(struct json_iter *it, struct json_span *key, struct json_span *value)
{
    int rc = json_iter_key(it, key);
    if (rc <= 0)
        return rc;
    if (!(it->p = json_value(it->s, it->p, it->depth, value)))
        return -1;
    return 1;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape whose backslash is at p (validated by scan_string): its code
 * point, and in *used how many bytes it took. */
static unsigned decode_escape(const char *p, const char *end, size_t *used)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (p[1] != 'u') {
        *used = 2;
        return (unsigned char)to[strchr(from, p[1]) - from];
    }
    unsigned cp = hex4(p + 2);
    *used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
            unsigned lo = hex4(p + 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                *used = 12;
                return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
        }
        return 0xFFFD;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return 0xFFFD;
    return cp;
}

int json_string_decode(const struct json_span *tok, struct strbuf *out)
{
    const char *p = tok->p + 1, *end = tok->p + tok->n - 1;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs)
            return strbuf_add(out, p, (size_t)(end - p));
        if (bs > p && strbuf_add(out, p, (size_t)(bs - p)) < 0)
            return -1;
        size_t used;
        char utf8[4];
        unsigned cp = decode_escape(bs, end, &used);
        if (strbuf_add(out, utf8, put_utf8(utf8, cp)) < 0)
            return -1;
        p = bs + used;
    }
    return 0;
}

int json_string_equals(const struct json_span *tok, const char *text, size_t len)
{
    const char *p = tok->p + 1;
    size_t n = tok->n - 2;
    if (!memchr(p, '\\', n))
        return n == len && memcmp(p, text, len) == 0;
    /* Rare (a key written with escapes): decode it, bounded. */
    struct strbuf sb;
    strbuf_init(&sb, 4096);
    int eq = json_string_decode(tok, &sb) == 0 && sb.len == len && memcmp(sb.buf, text, len) == 0;
    strbuf_release(&sb);
    return eq;
}

int json_compact(const struct json_span *v, struct strbuf *out)
{
    const char *p = v->p, *end = v->p + v->n;
    while (p < end) {
        const char *q = p;
        /* Copy up to the next whitespace outside a string. */
        while (q < end && !is_ws(*q)) {
            if (*q == '"') {
                q++;
                while (q < end && *q != '"')
                    q += *q == '\\' ? 2 : 1;
            }
            q++;
        }
        if (q > end)
            q = end;
        if (q > p && strbuf_add(out, p, (size_t)(q - p)) < 0)
            return -1;
        while (q < end && is_ws(*q))
            q++;
        p = q;
    }
    return 0;
}
