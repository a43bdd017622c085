/* Reviews -> NDJSON or CSV: see reviews_out.h. */
#include "export/reviews_out.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_cell.h"

/* The vendor page's review, the fields a person reads first leading. */
const char *const reviews_default_fields[] = {
    "id",
    "createdAt",
    "updatedAt",
    "businessId",
    "source",
    "rating",
    "authorName",
    "name",
    "email",
    "phoneNumber",
    "text",
    "status",
    "showOnWidget",
    "isArchived",
    "shield",
    "type",
    "photo",
    "videoRef",
    "gifRef",
    "reviewUrl",
    "sourceFeedbackId",
    "response.name",
    "response.date",
    "response.comment",
};
const size_t reviews_n_default_fields =
    sizeof reviews_default_fields / sizeof *reviews_default_fields;

#define MAX_PARTS   16
#define INDEX_SLOTS 256 /* for the first path parts: at most 128 distinct */

struct column {
    const char *part[MAX_PARTS]; /* into the field name */
    size_t len[MAX_PARTS];
    int n_parts;
    int next_same_head; /* next column with the same first part, -1 at the end */
};

struct reviews_out {
    FILE *fp;
    struct reviews_out_options o;
    struct column *cols;
    size_t n_cols;
    short index[INDEX_SLOTS]; /* hash of a first part -> first column with it, -1 empty */
    struct json_span *vals;   /* this review's value per column */
    struct strbuf row, scratch, key;
};

/* ---- building blocks --------------------------------------------------- */

int ndjson_line_write(FILE *fp, const struct json_span *v, struct strbuf *scratch)
{
    const char *p = v->p;
    size_t n = v->n;
    /* A raw line break can only be whitespace between tokens: JSON strings
     * hold them escaped. */
    if (memchr(p, '\n', n) || memchr(p, '\r', n)) {
        strbuf_reset(scratch);
        if (json_compact(v, scratch) < 0)
            return -1;
        p = scratch->buf;
        n = scratch->len;
    }
    if (fwrite(p, 1, n, fp) != n || putc('\n', fp) == EOF)
        return -1;
    return 0;
}

/* ---- columns ----------------------------------------------------------- */

static unsigned head_hash(const char *s, size_t len)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* The first column whose first part is `key`, or -1. */
static int lookup_head(const struct reviews_out *w, const char *key, size_t len)
{
    for (unsigned i = head_hash(key, len) % INDEX_SLOTS;; i = (i + 1) % INDEX_SLOTS) {
        int c = w->index[i];
        if (c < 0 || same(w->cols[c].part[0], w->cols[c].len[0], key, len))
            return c;
    }
}

static int add_column(struct reviews_out *w, size_t c, const char *path, struct cp_error *err)
{
    struct column *col = &w->cols[c];
    const char *s = path;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if (len == 0 || col->n_parts == MAX_PARTS)
            return cp_fail(err, CP_EXIT_USAGE,
                           "invalid export field '%s' (expected a name or a "
                           "dotted path like response.comment, at most %d parts)",
                           path, MAX_PARTS);
        col->part[col->n_parts] = s;
        col->len[col->n_parts++] = len;
        if (!dot)
            break;
        s = dot + 1;
    }
    col->next_same_head = -1;
    int first = lookup_head(w, col->part[0], col->len[0]);
    if (first < 0) {
        unsigned i = head_hash(col->part[0], col->len[0]) % INDEX_SLOTS;
        while (w->index[i] >= 0)
            i = (i + 1) % INDEX_SLOTS;
        w->index[i] = (short)c;
        return 0;
    }
    while (w->cols[first].next_same_head >= 0)
        first = w->cols[first].next_same_head;
    w->cols[first].next_same_head = (int)c;
    return 0;
}

static int write_header(struct reviews_out *w, struct cp_error *err)
{
    strbuf_reset(&w->row);
    if (w->o.excel_bom && strbuf_add(&w->row, "\xEF\xBB\xBF", 3) < 0)
        goto oom;
    for (size_t c = 0; c < w->n_cols; c++) {
        const char *name = w->o.fields[c];
        if ((c && strbuf_add(&w->row, ",", 1) < 0) ||
            csv_cell_add(&w->row, name, strlen(name), w->o.formula_guard) < 0)
            goto oom;
    }
    if (strbuf_add(&w->row, "\r\n", 2) < 0)
        goto oom;
    if (fwrite(w->row.buf, 1, w->row.len, w->fp) != w->row.len)
        return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", w->o.name, strerror(errno));
    return 0;
oom:
    return cp_fail(err, CP_EXIT_USAGE, "out of memory");
}

struct reviews_out *reviews_out_new(FILE *fp, const struct reviews_out_options *o,
                                    struct cp_error *err)
{
    struct reviews_out *w = calloc(1, sizeof *w);
    if (!w)
        goto oom;
    w->fp = fp;
    w->o = *o;
    if (!w->o.fields) {
        w->o.fields = reviews_default_fields;
        w->o.n_fields = reviews_n_default_fields;
    }
    /* Rows and cells are bounded by the 8 MiB page they come from. */
    strbuf_init(&w->row, 64u << 20);
    strbuf_init(&w->scratch, 64u << 20);
    strbuf_init(&w->key, 4096);
    if (o->format == EXPORT_NDJSON)
        return w;
    if (w->o.n_fields == 0 || w->o.n_fields > INDEX_SLOTS / 2) {
        cp_fail(err, CP_EXIT_USAGE, "export.fields: give between 1 and %d fields", INDEX_SLOTS / 2);
        goto fail;
    }
    w->n_cols = w->o.n_fields;
    w->cols = calloc(w->n_cols, sizeof *w->cols);
    w->vals = calloc(w->n_cols, sizeof *w->vals);
    if (!w->cols || !w->vals)
        goto oom;
    memset(w->index, 0xff, sizeof w->index);
    for (size_t c = 0; c < w->n_cols; c++)
        if (add_column(w, c, w->o.fields[c], err) < 0)
            goto fail;
    if (write_header(w, err) < 0)
        goto fail;
    return w;
oom:
    cp_fail(err, CP_EXIT_USAGE, "out of memory");
fail:
    reviews_out_free(w);
    return NULL;
}

void reviews_out_free(struct reviews_out *w)
{
    if (!w)
        return;
    free(w->cols);
    free(w->vals);
    strbuf_release(&w->row);
    strbuf_release(&w->scratch);
    strbuf_release(&w->key);
    free(w);
}

/* ---- one review -------------------------------------------------------- */

/* The value at parts [from, n_parts) of `col` inside object `obj`. */
static struct json_span descend(struct json_scanner *s, struct json_span obj,
                                const struct column *col, int from)
{
    struct json_span none = {0}, key, val;
    for (int i = from; i < col->n_parts; i++) {
        struct json_iter it;
        struct json_span found = none;
        if (obj.type != JSON_OBJECT)
            return none;
        json_iter_init(&it, s, obj.p, i);
        while (json_iter_next(&it, &key, &val) > 0)
            if (json_string_equals(&key, col->part[i], col->len[i]))
                found = val; /* the last of repeated keys, as most parsers */
        obj = found;
    }
    return obj;
}

/* Fill w->vals from the review's top-level members, as the page read them. */
static int pick_values(struct reviews_out *w, const struct review_ref *r)
{
    struct json_scanner s;
    json_scanner_init(&s, r->raw.p, r->raw.n);
    memset(w->vals, 0, w->n_cols * sizeof *w->vals);
    for (size_t m = 0; m < r->n_members; m++) {
        const struct json_span *key = &r->members[m].key, *val = &r->members[m].value;
        const char *k = key->p + 1;
        size_t klen = key->n - 2;
        if (memchr(k, '\\', klen)) {
            strbuf_reset(&w->key);
            if (json_string_decode(key, &w->key) < 0)
                continue;
            k = w->key.buf;
            klen = w->key.len;
        }
        for (int c = lookup_head(w, k, klen); c >= 0; c = w->cols[c].next_same_head)
            w->vals[c] = w->cols[c].n_parts == 1 ? *val : descend(&s, *val, &w->cols[c], 1);
    }
    return 0;
}

static int add_value(struct reviews_out *w, const struct json_span *v)
{
    switch (v->type) {
    case JSON_NONE:
    case JSON_NULL: return 0;
    case JSON_STRING:
        if (!memchr(v->p + 1, '\\', v->n - 2))
            return csv_cell_add(&w->row, v->p + 1, v->n - 2, w->o.formula_guard);
        strbuf_reset(&w->scratch);
        if (json_string_decode(v, &w->scratch) < 0)
            return -1;
        return csv_cell_add(&w->row, w->scratch.buf, w->scratch.len, w->o.formula_guard);
    case JSON_OBJECT:
    case JSON_ARRAY:
        strbuf_reset(&w->scratch);
        if (json_compact(v, &w->scratch) < 0)
            return -1;
        return csv_cell_add(&w->row, w->scratch.buf, w->scratch.len, false);
    default:
        /* A number or boolean as written: -5 is data, not a formula. */
        return csv_cell_add(&w->row, v->p, v->n, false);
    }
}

static int write_csv_row(struct reviews_out *w, const struct review_ref *r)
{
    if (pick_values(w, r) < 0)
        return -1;
    strbuf_reset(&w->row);
    for (size_t c = 0; c < w->n_cols; c++)
        if ((c && strbuf_add(&w->row, ",", 1) < 0) || add_value(w, &w->vals[c]) < 0)
            return -1;
    if (strbuf_add(&w->row, "\r\n", 2) < 0)
        return -1;
    return fwrite(w->row.buf, 1, w->row.len, w->fp) == w->row.len ? 0 : -2;
}

int reviews_out_write(struct reviews_out *w, const struct review_ref *r, struct cp_error *err)
{
    int rc;
    if (w->o.format == EXPORT_NDJSON)
        rc = ndjson_line_write(w->fp, &r->raw, &w->scratch) < 0 ? (ferror(w->fp) ? -2 : -1) : 0;
    else
        rc = write_csv_row(w, r);
    if (rc == 0)
        return 0;
    if (rc == -2 || ferror(w->fp))
        return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", w->o.name, strerror(errno));
    return cp_fail(err, CP_EXIT_USAGE, "out of memory writing '%s'", w->o.name);
}

int reviews_out_finish(struct reviews_out *w, struct cp_error *err)
{
    if (fflush(w->fp) != 0 || ferror(w->fp))
        return cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", w->o.name, strerror(errno));
    return 0;
}
