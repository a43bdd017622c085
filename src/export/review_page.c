/* A GET /reviews answer -> review spans: see review_page.h. */
#include "export/review_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void review_page_init(struct review_page *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->total = -1;
}

void review_page_release(struct review_page *pg)
{
    free(pg->items);
    free(pg->members);
    review_page_init(pg);
}

static int add_member(struct review_page *pg, const struct json_span *key,
                      const struct json_span *value)
{
    if (pg->n_members == pg->cap_members) {
        size_t cap = pg->cap_members ? pg->cap_members * 2 : 1024;
        struct review_member *m = realloc(pg->members, cap * sizeof *m);
        if (!m)
            return -1;
        pg->members = m;
        pg->cap_members = cap;
    }
    pg->members[pg->n_members++] = (struct review_member){*key, *value};
    return 0;
}

static int grow(struct review_page *pg)
{
    if (pg->n < pg->cap)
        return 0;
    size_t cap = pg->cap ? pg->cap * 2 : 128;
    struct review_ref *items = realloc(pg->items, cap * sizeof *items);
    if (!items)
        return -1;
    pg->items = items;
    pg->cap = cap;
    return 0;
}

/* `total` as a count: a number or a numeric string; anything else is unknown. */
static long long read_total(const struct json_span *v)
{
    const char *p = v->p, *end = v->p + v->n;
    if (v->type == JSON_STRING) {
        p++;
        end--;
    } else if (v->type != JSON_NUMBER) {
        return -1;
    }
    long long t = 0;
    if (p == end)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || t > 1000000000000LL)
            return -1; /* negative, fractional or absurd: not a count */
        t = t * 10 + (*p - '0');
    }
    return t;
}

/* One review object at it->p (depth: levels open outside it), in one pass:
 * its members are validated as they are read, and the two the walk needs
 * are noted; the rest stays as bytes. it->p ends just past the object. */
static int read_review(struct review_page *pg, struct json_scanner *s, const char *open, int depth,
                       struct review_ref *r, const char **after)
{
    struct json_iter it;
    struct json_span key, val;
    int rc;
    r->id.type = JSON_NONE;
    r->created.type = JSON_NONE;
    /* An index for now: pg->members may move while the page is read. */
    r->members = NULL;
    r->n_members = pg->n_members;
    json_iter_init(&it, s, open, depth);
    while ((rc = json_iter_next(&it, &key, &val)) > 0) {
        if (add_member(pg, &key, &val) < 0)
            return -2;
        if (key.n == 4 && json_string_equals(&key, "id", 2))
            r->id =
                val.type == JSON_STRING || val.type == JSON_NUMBER ? val : (struct json_span){0};
        else if (key.n == 11 && json_string_equals(&key, "createdAt", 9))
            r->created = val.type == JSON_STRING ? val : (struct json_span){0};
    }
    if (rc < 0)
        return -1;
    r->n_members = pg->n_members - r->n_members;
    r->raw = (struct json_span){open, (size_t)(it.p - open), JSON_OBJECT};
    *after = it.p;
    return 0;
}

/* The `reviews` array at it->p; it->p ends just past it. */
static int read_reviews(struct review_page *pg, struct json_scanner *s, struct json_iter *outer,
                        char *why, size_t whylen)
{
    struct json_iter it;
    struct json_span none, val;
    int rc;
    pg->n = 0; /* a repeated key: the last one counts, as in most parsers */
    pg->not_objects = 0;
    pg->n_members = 0;
    json_iter_init(&it, s, outer->p, outer->depth);
    while ((rc = json_iter_key(&it, &none)) > 0) {
        if (*it.p != '{') {
            if (!(it.p = json_value(s, it.p, it.depth, &val)))
                return -1;
            pg->not_objects++;
            continue;
        }
        if (grow(pg) < 0) {
            snprintf(why, whylen, "out of memory");
            return -2;
        }
        int r = read_review(pg, s, it.p, it.depth, &pg->items[pg->n], &it.p);
        if (r == -2) {
            snprintf(why, whylen, "out of memory");
            return -2;
        }
        if (r < 0)
            return -1;
        pg->n++;
    }
    outer->p = it.p;
    return rc;
}

static int bad(struct json_scanner *s, const char *body, char *why, size_t whylen)
{
    snprintf(why, whylen, "byte %zu: %s", (size_t)(s->err_at - body), s->err_what);
    return -1;
}

int review_page_parse(struct review_page *pg, const char *body, size_t len, char *why,
                      size_t whylen)
{
    struct json_scanner s;
    struct json_span key, val;
    struct json_iter it;
    int rc, have_reviews = 0;

    pg->n = 0;
    pg->n_members = 0;
    pg->total = -1;
    pg->not_objects = 0;
    json_scanner_init(&s, body, len);
    const char *p = json_skip_ws(&s, body);
    if (p >= s.end || *p != '{') {
        snprintf(why, whylen, p >= s.end ? "empty answer" : "the answer is not a JSON object");
        return -1;
    }
    json_iter_init(&it, &s, p, 0);
    while ((rc = json_iter_key(&it, &key)) > 0) {
        if (it.p < s.end && *it.p == '[' && json_string_equals(&key, "reviews", 7)) {
            int r = read_reviews(pg, &s, &it, why, whylen);
            if (r == -2)
                return -1;
            if (r < 0)
                break;
            have_reviews = 1;
            continue;
        }
        if (!(it.p = json_value(&s, it.p, it.depth, &val))) {
            rc = -1;
            break;
        }
        if (json_string_equals(&key, "total", 5))
            pg->total = read_total(&val);
    }
    if (rc < 0 || s.err_at)
        return bad(&s, body, why, whylen);
    if (json_skip_ws(&s, it.p) != s.end) {
        snprintf(why, whylen, "byte %zu: text after the answer", (size_t)(it.p - body));
        return -1;
    }
    if (!have_reviews) {
        snprintf(why, whylen, "no 'reviews' array in the answer");
        return -1;
    }
    /* The member array is final: indices become pointers. */
    for (size_t i = 0, at = 0; i < pg->n; i++) {
        pg->items[i].members = pg->members ? pg->members + at : NULL; /* no members at all */
        at += pg->items[i].n_members;
    }
    return 0;
}

const char *review_id_text(const struct review_ref *r, size_t *len)
{
    if (r->id.type == JSON_STRING) {
        *len = r->id.n - 2;
        return r->id.p + 1;
    }
    *len = r->id.type == JSON_NUMBER ? r->id.n : 0;
    return r->id.p;
}
