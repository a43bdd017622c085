/*
 * YAML -> a bounded tree (see yaml_tree.h): read the file with a ceiling,
 * then turn libyaml's events into nodes, refusing what a pipeline never
 * needs as each event arrives.
 */
#include "config/yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "config/diag.h"
#include "core/strbuf.h"

/* ---- the file ------------------------------------------------------------- */

static int nomem(const char *file, struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_USAGE, "%s: out of memory", file);
}

static int too_large(const char *file, struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_USAGE,
                   "%s: pipeline file is larger than 1 MiB (a pipeline is a few hundred lines)",
                   file);
}

/* The whole file into `src`, refusing more than YTREE_MAX_FILE_BYTES. */
static int read_file(const char *file, struct strbuf *src, struct cp_error *err)
{
    char chunk[16384], why[128];
    struct stat st;
    size_t n;
    int rc = -1;
    FILE *f = fopen(file, "rb");

    if (!f)
        return cp_fail(err, CP_EXIT_INPUT, "cannot open pipeline file '%s': %s", file,
                       diag_errtext(errno, why, sizeof why));
    if (fstat(fileno(f), &st) < 0)
        memset(&st, 0, sizeof st); /* no size to check up front: the read loop still does */
    if (S_ISDIR(st.st_mode)) {
        rc = cp_fail(err, CP_EXIT_INPUT, "cannot read pipeline file '%s': it is a directory", file);
        goto out;
    }
    if (S_ISREG(st.st_mode) && st.st_size > YTREE_MAX_FILE_BYTES) {
        rc = too_large(file, err);
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n > YTREE_MAX_FILE_BYTES - src->len) {
            rc = too_large(file, err);
            goto out;
        }
        if (strbuf_add(src, chunk, n) < 0) {
            rc = nomem(file, err);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = cp_fail(err, CP_EXIT_INPUT, "cannot read pipeline file '%s': %s", file,
                     diag_errtext(errno, why, sizeof why));
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(chunk, sizeof chunk);
    fclose(f);
    return rc;
}

/* ---- events -> tree ------------------------------------------------------- */

struct builder {
    const char *file;
    struct cp_error *err;
    struct ynode *root;
    struct ynode *stack[YTREE_MAX_DEPTH]; /* open collections, innermost last */
    int depth;
    int docs;       /* documents started */
    size_t n_nodes; /* made so far, against YTREE_MAX_NODES */
};

__attribute__((format(printf, 3, 4))) static int fail_mark(struct builder *b, yaml_mark_t mark,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_vfail(b->err, b->file, (int)mark.line + 1, (int)mark.column + 1, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 3, 4))) static int
fail_node(struct builder *b, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_vfail(b->err, b->file, at->line, at->col, fmt, ap);
    va_end(ap);
    return rc;
}

void ytree_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        ytree_free(n->kids[i]);
    free(n->kids);
    if (n->text)
        explicit_bzero(n->text, strlen(n->text));
    free(n->text);
    free(n);
}

static struct ynode *node_new(struct builder *b, enum ytype type, yaml_mark_t mark)
{
    if (b->n_nodes >= YTREE_MAX_NODES) {
        fail_mark(b, mark, "more than %d yaml nodes (a pipeline is a few hundred)",
                  YTREE_MAX_NODES);
        return NULL;
    }
    struct ynode *n = calloc(1, sizeof *n);
    if (!n) {
        nomem(b->file, b->err);
        return NULL;
    }
    b->n_nodes++;
    n->type = type;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    return n;
}

/* Hang `n` under the open collection (or make it the root); frees it on failure. */
static int attach(struct builder *b, struct ynode *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    struct ynode *parent = b->stack[b->depth - 1];
    if (parent->type == Y_MAP && parent->n % 2 == 0 && n->type != Y_SCALAR) {
        fail_node(b, n, "a key must be a plain string, not %s",
                  n->type == Y_SEQ ? "a list" : "a mapping");
        ytree_free(n);
        return -1;
    }
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **kids = realloc(parent->kids, cap * sizeof *kids);
        if (!kids) {
            ytree_free(n);
            return nomem(b->file, b->err);
        }
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = n;
    return 0;
}

/* Anchors and tags are refused: a pipeline means what it says, literally. */
static int refuse_extras(struct builder *b, yaml_mark_t mark, const yaml_char_t *anchor,
                         const yaml_char_t *tag)
{
    if (anchor)
        return fail_mark(b, mark,
                         "yaml anchors and aliases are not supported ('&%s'): write the value out",
                         (const char *)anchor);
    if (tag)
        return fail_mark(b, mark, "yaml tags are not supported ('%s')", (const char *)tag);
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;

    if (refuse_extras(b, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag) < 0)
        return -1;
    if (memchr(value, '\0', len))
        return fail_mark(b, ev->start_mark, "a value holds a NUL character");
    struct ynode *n = node_new(b, Y_SCALAR, ev->start_mark);
    if (!n)
        return -1;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->text = strndup(value, len);
    if (!n->text) {
        ytree_free(n);
        return nomem(b->file, b->err);
    }
    return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev, enum ytype type,
                   const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (refuse_extras(b, ev->start_mark, anchor, tag) < 0)
        return -1;
    if (b->depth == YTREE_MAX_DEPTH)
        return fail_mark(b, ev->start_mark, "nesting deeper than %d levels", YTREE_MAX_DEPTH);
    struct ynode *n = node_new(b, type, ev->start_mark);
    if (!n || attach(b, n) < 0)
        return -1;
    b->stack[b->depth++] = n;
    return 0;
}

struct keyref {
    const char *text;
    size_t idx; /* in kids */
};

static int keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* A key given twice: report the repeat nearest the top of the file. Sorted,
 * so a 50,000-key business_map costs n log n, not n squared. */
static int check_duplicates(struct builder *b, const struct ynode *map)
{
    size_t n = map->n / 2, best = 0;
    if (n < 2)
        return 0;
    struct keyref *refs = malloc(n * sizeof *refs);
    if (!refs)
        return nomem(b->file, b->err);
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct keyref){map->kids[2 * i]->text, 2 * i};
    qsort(refs, n, sizeof *refs, keyref_cmp);
    const struct ynode *first = NULL;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(refs[i].text, refs[i - 1].text) == 0 && (!first || refs[i].idx < best)) {
            best = refs[i].idx;
            first = map->kids[refs[i - 1].idx];
        }
    }
    free(refs);
    if (!first)
        return 0;
    return fail_node(b, map->kids[best], "duplicate key '%s' (first given at line %d)", first->text,
                     first->line);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return fail_mark(b, ev->start_mark,
                             "more than one yaml document ('---'): put one pipeline in a file");
        return 0;
    case YAML_ALIAS_EVENT:
        return fail_mark(b, ev->start_mark,
                         "yaml anchors and aliases are not supported ('*%s'): write the value out",
                         (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, ev, Y_SEQ, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, ev, Y_MAP, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT: b->depth--; return 0;
    case YAML_MAPPING_END_EVENT: return check_duplicates(b, b->stack[--b->depth]);
    default: return 0;
    }
}

/* libyaml's own complaint, with its place. Reader errors (bad UTF-8) carry a
 * byte offset rather than a mark: count lines up to it. */
static int syntax_error(struct builder *b, const yaml_parser_t *y, const struct strbuf *src)
{
    yaml_mark_t mark = y->problem_mark;
    const char *problem = y->problem ? y->problem : "cannot parse";

    if (y->error == YAML_MEMORY_ERROR)
        return nomem(b->file, b->err);
    if (y->error == YAML_READER_ERROR) {
        memset(&mark, 0, sizeof mark);
        mark.index = y->problem_offset;
        for (size_t i = 0; i < y->problem_offset && i < src->len; i++) {
            if (src->buf[i] == '\n') {
                mark.line++;
                mark.column = 0;
            } else {
                mark.column++;
            }
        }
    }
    if (mark.index < src->len && src->buf[mark.index] == '\t')
        return fail_mark(b, mark,
                         "invalid yaml: a tab where YAML wants spaces (indent with "
                         "spaces)");
    if (y->context)
        return fail_mark(b, mark, "invalid yaml: %s (%s at line %d)", problem, y->context,
                         (int)y->context_mark.line + 1);
    return fail_mark(b, mark, "invalid yaml: %s", problem);
}

static int parse_yaml(const char *file, const struct strbuf *src, struct ynode **root,
                      struct cp_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct builder b = {.file = file, .err = err};
    bool done = false;
    int rc = -1;

    if (!yaml_parser_initialize(&parser))
        return nomem(file, err);
    yaml_parser_set_input_string(&parser, (const unsigned char *)strbuf_str(src), src->len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(&b, &parser, src);
            goto out;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        int r = on_event(&b, &ev);
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
    }
    *root = b.root;
    b.root = NULL;
    rc = 0;
out:
    ytree_free(b.root);
    yaml_parser_delete(&parser);
    return rc;
}

int ytree_load(const char *file, struct ynode **root, struct cp_error *err)
{
    struct strbuf src;
    int rc;

    *root = NULL;
    strbuf_init(&src, YTREE_MAX_FILE_BYTES);
    rc = read_file(file, &src, err) < 0 || parse_yaml(file, &src, root, err) < 0 ? -1 : 0;
    if (src.buf)
        explicit_bzero(src.buf, src.len); /* the file may hold the API key */
    strbuf_release(&src);
    return rc;
}

/* ---- reading the tree ----------------------------------------------------- */

bool ynode_is_null(const struct ynode *n)
{
    if (!n || n->type != Y_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

const char *ynode_type_name(const struct ynode *n)
{
    if (n->type == Y_SEQ)
        return "a list";
    if (n->type == Y_MAP)
        return "a mapping";
    return ynode_is_null(n) ? "null" : "a string";
}

/* Index of `key` among the keys of `map`, or -1. */
static long map_find(const struct ynode *map, const char *key)
{
    if (!map || map->type != Y_MAP)
        return -1;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->kids[i]->text, key) == 0)
            return (long)i;
    return -1;
}

const struct ynode *ynode_map_key(const struct ynode *map, const char *key)
{
    long i = map_find(map, key);
    return i < 0 ? NULL : map->kids[i];
}

const struct ynode *ynode_map_value(const struct ynode *map, const char *key)
{
    long i = map_find(map, key);
    return i < 0 ? NULL : map->kids[i + 1];
}
