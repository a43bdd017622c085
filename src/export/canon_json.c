/* Canonical JSON text and field-by-field differences: see canon_json.h. */
#include "export/canon_json.h"

#include <stdlib.h>
#include <string.h>

/* An object's members, sorted by decoded key. */
struct member {
    size_t key_off, key_len; /* the decoded key, in the list's `keys` buffer */
    struct json_span key, value;
};

struct members {
    struct member *m;
    size_t n;
    struct strbuf keys;
};

static int cmp_member(const void *a, const void *b, void *keys)
{
    const struct member *x = a, *y = b;
    const char *k = keys;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(k + x->key_off, k + y->key_off, n);
    if (c)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static int collect(const struct json_span *obj, struct members *ms)
{
    struct json_scanner s;
    struct json_iter it;
    struct json_span k, v;
    size_t cap = 0;
    int rc;

    ms->m = NULL;
    ms->n = 0;
    strbuf_init(&ms->keys, obj->n + 1);
    json_scanner_init(&s, obj->p, obj->n);
    json_iter_init(&it, &s, obj->p, 0);
    while ((rc = json_iter_next(&it, &k, &v)) > 0) {
        if (ms->n == cap) {
            size_t nc = cap ? 2 * cap : 32;
            struct member *nm = realloc(ms->m, nc * sizeof *nm);
            if (!nm)
                return -1;
            ms->m = nm;
            cap = nc;
        }
        struct member *m = &ms->m[ms->n++];
        m->key = k;
        m->value = v;
        m->key_off = ms->keys.len;
        if (json_string_decode(&k, &ms->keys) < 0)
            return -1;
        m->key_len = ms->keys.len - m->key_off;
    }
    if (rc < 0)
        return -1;
    if (ms->n > 1)
        qsort_r(ms->m, ms->n, sizeof *ms->m, cmp_member, ms->keys.buf);
    return 0;
}

static void members_release(struct members *ms)
{
    free(ms->m);
    strbuf_release(&ms->keys);
}

static int put_string(const char *p, size_t n, struct strbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    if (strbuf_add(out, "\"", 1) < 0)
        return -1;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (strbuf_add(out, p + run, i - run) < 0)
            return -1;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t len = 2;
        if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (strbuf_add(out, esc, len) < 0)
            return -1;
        run = i + 1;
    }
    if (strbuf_add(out, p + run, n - run) < 0)
        return -1;
    return strbuf_add(out, "\"", 1);
}

static int canon_string(const struct json_span *v, struct strbuf *out)
{
    /* Fast path: nothing escaped, so the bytes are the text already. */
    if (!memchr(v->p, '\\', v->n)) {
        int plain = 1;
        for (size_t i = 1; i + 1 < v->n; i++)
            plain &= (unsigned char)v->p[i] >= 0x20;
        if (plain)
            return strbuf_add(out, v->p, v->n);
    }
    struct strbuf text;
    strbuf_init(&text, v->n + 1);
    int rc = json_string_decode(v, &text) < 0 ? -1 : put_string(strbuf_str(&text), text.len, out);
    strbuf_release(&text);
    return rc;
}

/* Digits without leading or trailing zeros and a decimal exponent:
 * -12.340e1 -> "-1234e-1". Zero in any spelling is "0". */
static int canon_number(const struct json_span *v, struct strbuf *out)
{
    const char *p = v->p, *end = v->p + v->n;
    char digits[64];
    size_t nd = 0, dropped = 0;
    long exp = 0;
    int neg = 0;

    if (p < end && *p == '-')
        neg = 1, p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (nd == 0 && *p == '0')
            continue;
        if (nd < sizeof digits)
            digits[nd++] = *p;
        else
            dropped++;
    }
    exp += (long)dropped;
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (nd == 0 && *p == '0') {
                exp--;
                continue;
            }
            if (nd < sizeof digits) {
                digits[nd++] = *p;
                exp--;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        long e = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            e = e < 100000000 ? e * 10 + (*p - '0') : e;
        exp += eneg ? -e : e;
    }
    while (nd > 0 && digits[nd - 1] == '0')
        nd--, exp++;
    if (nd == 0)
        return strbuf_add(out, "0", 1);
    if ((neg && strbuf_add(out, "-", 1) < 0) || strbuf_add(out, digits, nd) < 0)
        return -1;
    return exp ? strbuf_addf(out, "e%ld", exp) : 0;
}

static int canon_container(const struct json_span *v, struct strbuf *out);

int canon_json(const struct json_span *v, struct strbuf *out)
{
    switch (v->type) {
    case JSON_OBJECT:
    case JSON_ARRAY: return canon_container(v, out);
    case JSON_STRING: return canon_string(v, out);
    case JSON_NUMBER: return canon_number(v, out);
    case JSON_TRUE: return strbuf_add(out, "true", 4);
    case JSON_FALSE: return strbuf_add(out, "false", 5);
    case JSON_NULL:
    case JSON_NONE: break;
    }
    return strbuf_add(out, "null", 4);
}

static int canon_container(const struct json_span *v, struct strbuf *out)
{
    if (v->type == JSON_ARRAY) {
        struct json_scanner s;
        struct json_iter it;
        struct json_span k, e;
        int rc, first = 1;
        json_scanner_init(&s, v->p, v->n);
        json_iter_init(&it, &s, v->p, 0);
        if (strbuf_add(out, "[", 1) < 0)
            return -1;
        while ((rc = json_iter_next(&it, &k, &e)) > 0) {
            if ((!first && strbuf_add(out, ",", 1) < 0) || canon_json(&e, out) < 0)
                return -1;
            first = 0;
        }
        return rc < 0 ? -1 : strbuf_add(out, "]", 1);
    }
    struct members ms;
    int rc = collect(v, &ms);
    if (rc == 0)
        rc = strbuf_add(out, "{", 1);
    for (size_t i = 0; rc == 0 && i < ms.n; i++) {
        if ((i && strbuf_add(out, ",", 1) < 0) ||
            put_string(ms.keys.buf + ms.m[i].key_off, ms.m[i].key_len, out) < 0 ||
            strbuf_add(out, ":", 1) < 0 || canon_json(&ms.m[i].value, out) < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = strbuf_add(out, "}", 1);
    members_release(&ms);
    return rc;
}

uint64_t canon_hash(const char *p, size_t n)
{
    /* Eight bytes a step (read little-endian whatever the machine, so a
     * mirror moved between machines keeps its hashes), each mixed in by a
     * multiply; the tail byte by byte. Not cryptographic: it tells changed
     * from unchanged, and a collision would only hide one edit. */
    const unsigned char *u = (const unsigned char *)p;
    uint64_t h = 0x243F6A8885A308D3ULL ^ (uint64_t)n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = (uint64_t)u[i] | (uint64_t)u[i + 1] << 8 | (uint64_t)u[i + 2] << 16 |
                     (uint64_t)u[i + 3] << 24 | (uint64_t)u[i + 4] << 32 |
                     (uint64_t)u[i + 5] << 40 | (uint64_t)u[i + 6] << 48 | (uint64_t)u[i + 7] << 56;
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 31;
    }
    for (; i < n; i++) {
        h = (h ^ u[i]) * 0x100000001B3ULL;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 33);
}

/* ---- differences ----------------------------------------------------------- */

static int same(const struct json_span *a, const struct json_span *b, struct strbuf *sa,
                struct strbuf *sb)
{
    strbuf_reset(sa);
    strbuf_reset(sb);
    if (canon_json(a, sa) < 0 || canon_json(b, sb) < 0)
        return -1;
    return sa->len == sb->len && memcmp(strbuf_str(sa), strbuf_str(sb), sa->len) == 0;
}

static int put_change(const char *prefix, const char *key, size_t key_len,
                      const struct json_span *old, const struct json_span *new_, int *count,
                      struct strbuf *out)
{
    struct strbuf path;
    int rc = -1;
    strbuf_init(&path, 1u << 20);
    if ((prefix[0] && (strbuf_addstr(&path, prefix) < 0 || strbuf_add(&path, ".", 1) < 0)) ||
        strbuf_add(&path, key, key_len) < 0)
        goto out;
    if ((*count && strbuf_add(out, ",", 1) < 0) || put_string(path.buf, path.len, out) < 0 ||
        strbuf_add(out, ":{", 2) < 0)
        goto out;
    if (old && (strbuf_add(out, "\"old\":", 6) < 0 || json_compact(old, out) < 0))
        goto out;
    if (new_ && ((old && strbuf_add(out, ",", 1) < 0) || strbuf_add(out, "\"new\":", 6) < 0 ||
                 json_compact(new_, out) < 0))
        goto out;
    rc = strbuf_add(out, "}", 1);
    (*count)++;
out:
    strbuf_release(&path);
    return rc;
}

static int diff_objects(const char *prefix, const struct json_span *a, const struct json_span *b,
                        int *count, struct strbuf *out, struct strbuf *sa, struct strbuf *sb);

static int diff_member(const char *prefix, const struct members *ma, const struct member *x,
                       const struct members *mb, const struct member *y, int *count,
                       struct strbuf *out, struct strbuf *sa, struct strbuf *sb)
{
    const struct member *k = x ? x : y;
    const char *key = (x ? ma : mb)->keys.buf + k->key_off;
    if (x && y && x->value.type == JSON_OBJECT && y->value.type == JSON_OBJECT) {
        struct strbuf sub;
        strbuf_init(&sub, 1u << 20);
        int rc = (prefix[0] && (strbuf_addstr(&sub, prefix) < 0 || strbuf_add(&sub, ".", 1) < 0)) ||
                         strbuf_add(&sub, key, k->key_len) < 0
                     ? -1
                     : diff_objects(sub.buf, &x->value, &y->value, count, out, sa, sb);
        strbuf_release(&sub);
        return rc;
    }
    if (x && y) {
        int eq = same(&x->value, &y->value, sa, sb);
        if (eq != 0)
            return eq < 0 ? -1 : 0;
    }
    return put_change(prefix, key, k->key_len, x ? &x->value : NULL, y ? &y->value : NULL, count,
                      out);
}

static int diff_objects(const char *prefix, const struct json_span *a, const struct json_span *b,
                        int *count, struct strbuf *out, struct strbuf *sa, struct strbuf *sb)
{
    struct members ma, mb;
    int rc = 0;
    if (collect(a, &ma) < 0) {
        members_release(&ma);
        return -1;
    }
    if (collect(b, &mb) < 0) {
        members_release(&ma);
        members_release(&mb);
        return -1;
    }
    size_t i = 0, j = 0;
    while (rc == 0 && (i < ma.n || j < mb.n)) {
        int c = i == ma.n ? 1 : j == mb.n ? -1 : 0;
        if (!c) {
            struct member x = ma.m[i], y = mb.m[j];
            size_t n = x.key_len < y.key_len ? x.key_len : y.key_len;
            c = memcmp(ma.keys.buf + x.key_off, mb.keys.buf + y.key_off, n);
            if (!c)
                c = x.key_len < y.key_len ? -1 : x.key_len > y.key_len;
        }
        if (c < 0)
            rc = diff_member(prefix, &ma, &ma.m[i++], &mb, NULL, count, out, sa, sb);
        else if (c > 0)
            rc = diff_member(prefix, &ma, NULL, &mb, &mb.m[j++], count, out, sa, sb);
        else
            rc = diff_member(prefix, &ma, &ma.m[i++], &mb, &mb.m[j++], count, out, sa, sb);
    }
    members_release(&ma);
    members_release(&mb);
    return rc;
}

int canon_json_diff(const struct json_span *old, const struct json_span *new_, struct strbuf *out)
{
    struct strbuf sa, sb;
    int count = 0, rc;
    strbuf_init(&sa, 1u << 26);
    strbuf_init(&sb, 1u << 26);
    rc = diff_objects("", old, new_, &count, out, &sa, &sb);
    strbuf_release(&sa);
    strbuf_release(&sb);
    return rc < 0 ? -1 : count;
}
