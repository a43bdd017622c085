/* GET /businesses answers: see businesses.h. */
#include "api/businesses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void business_list_release(struct business_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        strbuf_release(&l->items[i].id);
        strbuf_release(&l->items[i].name);
        strbuf_release(&l->items[i].sources);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* A string member as text; a number as written; anything else empty. */
static int add_text(struct strbuf *sb, const struct json_span *v)
{
    if (v->type == JSON_STRING)
        return json_string_decode(v, sb);
    if (v->type == JSON_NUMBER)
        return strbuf_add(sb, v->p, v->n);
    return 0;
}

static int read_business(struct json_scanner *s, const struct json_span *obj, struct business *b)
{
    struct json_iter it, arr;
    struct json_span key, val, none, src;
    int rc = 0;
    b->raw = *obj;
    strbuf_init(&b->id, 4096);
    strbuf_init(&b->name, 4096);
    strbuf_init(&b->sources, 4096);
    json_iter_init(&it, s, obj->p, 1);
    while (rc == 0 && json_iter_next(&it, &key, &val) > 0) {
        if (json_string_equals(&key, "id", 2)) {
            rc = add_text(&b->id, &val);
        } else if (json_string_equals(&key, "name", 4)) {
            rc = add_text(&b->name, &val);
        } else if (json_string_equals(&key, "sources", 7) && val.type == JSON_ARRAY) {
            json_iter_init(&arr, s, val.p, 2);
            while (rc == 0 && json_iter_next(&arr, &none, &src) > 0)
                rc = (b->sources.len && strbuf_add(&b->sources, ",", 1) < 0) ||
                             add_text(&b->sources, &src) < 0
                         ? -1
                         : 0;
        }
    }
    return rc;
}

/* Validates the answer and reads it into the listing (the fetcher's check). */
int business_list_read(void *ctx, const struct api_result *res, char *why, size_t whylen)
{
    struct business_list *l = ctx;
    struct json_scanner s;
    struct json_span root, none, v;
    struct json_iter it;
    int rc;

    business_list_release(l);
    json_scanner_init(&s, res->body, res->body_len);
    const char *p = json_value(&s, json_skip_ws(&s, res->body), 0, &root);
    if (!p || json_skip_ws(&s, p) != s.end) {
        snprintf(why, whylen, "byte %zu: %s", (size_t)((s.err_at ? s.err_at : p) - res->body),
                 s.err_at ? s.err_what : "text after the answer");
        return -1;
    }
    if (root.type != JSON_ARRAY) {
        snprintf(why, whylen, "the answer is not a JSON array of businesses");
        return -1;
    }
    json_iter_init(&it, &s, root.p, 0);
    while ((rc = json_iter_next(&it, &none, &v)) > 0) {
        if (v.type != JSON_OBJECT)
            continue;
        struct business *items = realloc(l->items, (l->n + 1) * sizeof *items);
        if (!items)
            goto oom;
        l->items = items;
        l->n++;
        if (read_business(&s, &v, &l->items[l->n - 1]) < 0) {
            /* Each field is capped (4 KiB) so a hostile answer cannot grow
             * memory: a business with a longer one is refused by name. */
            snprintf(why, whylen,
                     "business number %zu has an id, name or source list longer "
                     "than 4 KiB: the answer is not a listing of businesses",
                     l->n);
            return -1;
        }
    }
    return 0;
oom:
    snprintf(why, whylen, "out of memory");
    return -1;
}
