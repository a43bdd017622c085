/*
 * Pipeline files: YAML in, a `struct pipeline` out (see pipeline.h).
 *
 * The file reads in the order a load runs:
 *   1. read the file, refusing more than 1 MiB before libyaml sees a byte;
 *   2. parse it with libyaml's event API into a small tree of nodes, refusing
 *      anchors, aliases, tags, nesting deeper than 64, duplicate keys and a
 *      second document as the events arrive (nothing is ever expanded, so a
 *      "billion laughs" file has nothing to multiply);
 *   3. walk the tree section by section: each section is a table of its valid
 *      keys, used both to dispatch a key to its parser and to suggest the
 *      nearest valid key for a typo;
 *   4. finish: the default name, the CLOUTLY_BASE_URL override, required keys,
 *      and paths (templates expanded, resolved against the pipeline's folder).
 * Every error starts with FILE:LINE:COL (1-based, as editors count), or FILE:
 * when there is no place to point at (a key that is missing).
 */
#include "config/pipeline.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/strbuf.h"

#define MAX_FILE_BYTES (1024 * 1024) /* SPEC 5: bigger pipeline files are refused */
#define MAX_DEPTH 64                 /* SPEC 5: deeper nesting is refused */
#define MAX_NODES 100000             /* a real pipeline has a few hundred */
#define MAX_VALUE_BYTES (1024 * 1024) /* one scalar after ${VAR} expansion */
#define MAX_KEY_BYTES 1023           /* an API key, from a file or the environment */
#define MAX_PATHS 9                  /* path-valued keys in one pipeline */
#define SUGGEST_MAX_LEN 64           /* longer unknown keys get no did-you-mean */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_BASE_URL "https://app.cloutly.com/api/v1"
#define UUID_EXAMPLE "44271176-7053-4534-ad6f-b38d132d341e"
#define HINT_BUSINESS "run 'cloutly-pipe businesses' to list ids"
#define HINT_CAMPAIGN "copy it from the campaign page's URL in the Cloutly dashboard"

const char *const map_field_key[MAP_FIELD_COUNT] = {
    [MAP_FIRST_NAME] = "firstName",   [MAP_LAST_NAME] = "lastName",
    [MAP_FULL_NAME] = "fullName",     [MAP_EMAIL] = "email",
    [MAP_PHONE] = "phoneNumber",      [MAP_SOURCE_CONTACT_ID] = "sourceContactId",
    [MAP_BUSINESS_ID] = "businessId", [MAP_COUNTRY] = "country",
};

/* ---- types ---------------------------------------------------------------- */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

/* One YAML node, as parsed: no tags, no anchors, keys always scalars. */
struct ynode {
    enum ytype type;
    int line, col;        /* 1-based position of the node's first character */
    bool plain;           /* an unquoted scalar: the only kind that can mean null */
    char *text;           /* Y_SCALAR: the text, NUL-free */
    struct ynode **kids;  /* Y_SEQ: items; Y_MAP: key, value, key, value, ... */
    size_t n, cap;        /* kids used, allocated */
};

/* A path-valued field: raw after the walk, resolved by resolve_paths(). */
struct pending_path {
    char **dst;             /* the field in struct pipeline */
    const struct ynode *at; /* where it was given; NULL for a default */
    const char *key;        /* for messages */
};

/* Everything one load needs; lives on pipeline_load()'s stack. */
struct loader {
    const char *file;      /* the path as given, first in every message */
    struct pipeline *p;    /* being filled */
    struct cp_error *err;
    struct tm tm;          /* `now` in local time: {date}, {time}, run_id */
    const struct ynode *key_at; /* the key whose value is being parsed */
    struct pending_path paths[MAX_PATHS];
    size_t n_paths;
    size_t n_nodes;        /* parsed so far, against MAX_NODES */
};

/*
 * A valid key of a section: its parser, and where the parser stores the value
 * (`off` bytes into the section's base: the pipeline, or a where rule).
 */
struct key_spec;
typedef int (*key_fn)(struct loader *l, const struct ynode *val, void *base,
                      const struct key_spec *ks);

struct key_spec {
    const char *key;
    key_fn fn;
    size_t off;      /* the field, from the base */
    long min, max;   /* set_int: the accepted range */
    const void *arg; /* set_section: a struct section; set_uuid: a hint */
};

#define KIND_BIT(k) (1u << (k))
#define BOTH_KINDS (KIND_BIT(PIPELINE_INVITE) | KIND_BIT(PIPELINE_EXPORT))

struct section {
    const char *name; /* for messages; NULL for the top level */
    const struct key_spec *keys;
    size_t n;
    unsigned kinds;   /* KIND_BIT of each pipeline kind that may have it */
};

static const struct section top_section;

/* The stages of a load, in order. */
static int start(struct loader *l, const char *path);
static int read_file(struct loader *l, struct strbuf *src);
static int parse_yaml(struct loader *l, const struct strbuf *src, struct ynode **root);
static int walk_root(struct loader *l, const struct ynode *root);
static int finish(struct loader *l, const struct ynode *root);
static int apply_base_url_env(struct loader *l);
static void node_free(struct ynode *n);

/* ---- errors --------------------------------------------------------------- */

/* "FILE:LINE:COL: message" into `buf` (no place when line is 0). Cutting a
 * message at the error buffer's size is intended, so GCC's truncation
 * warning is off here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
static void vformat_at(const struct loader *l, int line, int col, char *buf, size_t n,
                       const char *fmt, va_list ap)
{
    char msg[sizeof l->err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0)
        snprintf(buf, n, "%s:%d:%d: %s", l->file, line, col, msg);
    else
        snprintf(buf, n, "%s: %s", l->file, msg);
}
#pragma GCC diagnostic pop

static int vfail(struct loader *l, int line, int col, const char *fmt, va_list ap)
{
    char msg[sizeof l->err->msg];
    vformat_at(l, line, col, msg, sizeof msg, fmt, ap);
    return cp_fail(l->err, CP_EXIT_USAGE, "%s", msg);
}

/* FILE:LINE:COL: message (FILE: message when `at` is NULL); returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail_at(struct loader *l, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(l, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 3, 4)))
static int fail_mark(struct loader *l, yaml_mark_t mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(l, (int)mark.line + 1, (int)mark.column + 1, fmt, ap);
    va_end(ap);
    return rc;
}

/* Like fail_at(), but the message goes to *dst (owned) for later: 0, or -1
 * when out of memory. */
__attribute__((format(printf, 4, 5)))
static int defer_at(struct loader *l, const struct ynode *at, char **dst, const char *fmt, ...)
{
    char msg[sizeof l->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vformat_at(l, at->line, at->col, msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(*dst);
    if (!(*dst = strdup(msg)))
        return cp_fail(l->err, CP_EXIT_USAGE, "%s: out of memory", l->file);
    return 0;
}

static int nomem(struct loader *l)
{
    return cp_fail(l->err, CP_EXIT_USAGE, "%s: out of memory", l->file);
}

/* strerror() in the messages' lower case. */
static const char *errtext(int e, char *buf, size_t n)
{
    snprintf(buf, n, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* ---- the load ------------------------------------------------------------- */

int pipeline_load(const char *path, time_t now, struct pipeline *out, struct cp_error *err)
{
    struct loader l = { .file = path, .p = out, .err = err };
    struct strbuf src;
    struct ynode *root = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    strbuf_init(&src, MAX_FILE_BYTES);
    if (!localtime_r(&now, &l.tm)) {
        cp_fail(err, CP_EXIT_USAGE, "%s: cannot convert the current time", path);
        goto out;
    }
    if (start(&l, path) < 0 || read_file(&l, &src) < 0 || parse_yaml(&l, &src, &root) < 0 ||
        walk_root(&l, root) < 0 || finish(&l, root) < 0)
        goto out;
    rc = 0;
out:
    node_free(root);
    if (src.buf)
        explicit_bzero(src.buf, src.len); /* the file may hold the API key */
    strbuf_release(&src);
    if (rc < 0)
        pipeline_release(out);
    return rc;
}

int pipeline_defaults(enum pipeline_kind kind, const char *name, time_t now, struct pipeline *out,
                      struct cp_error *err)
{
    struct loader l = { .file = "command line", .p = out, .err = err };
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!localtime_r(&now, &l.tm)) {
        cp_fail(err, CP_EXIT_USAGE, "cannot convert the current time");
        goto out;
    }
    if (start(&l, name) < 0 || apply_base_url_env(&l) < 0)
        goto out;
    /* No file: messages that would name it say "the pipeline" instead. */
    free(out->file);
    out->file = NULL;
    out->kind = kind;
    if (!(out->name = strdup(name))) {
        nomem(&l);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        pipeline_release(out);
    return rc;
}

/* run_id: local YYYYMMDDTHHMMSS, '-', 4 hex digits of randomness. */
static int make_run_id(struct loader *l)
{
    unsigned short r = 0;
    char stamp[64];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
        r = (unsigned short)((unsigned)getpid() ^ (unsigned)time(NULL));
    if (fd >= 0)
        close(fd);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &l->tm);
    size_t size = strlen(stamp) + sizeof "-ffff";
    if (!(l->p->run_id = malloc(size)))
        return nomem(l);
    snprintf(l->p->run_id, size, "%s-%04x", stamp, (unsigned)r);
    return 0;
}

/* The file name, its folder, the defaults of SPEC section 3, the run id. */
static int start(struct loader *l, const char *path)
{
    struct pipeline *p = l->p;
    const char *slash = strrchr(path, '/');

    p->file = strdup(path);
    if (!slash)
        p->dir = strdup(".");
    else
        p->dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    p->api.base_url = strdup(DEFAULT_BASE_URL);
    p->api.rate_per_sec = 100 / 60.0;
    p->api.max_in_flight = 4;
    p->api.timeout_ms = 30000;
    p->api.retries = 5;
    p->input.encoding = strdup("auto");
    p->validate.landlines = LANDLINES_SKIP;
    p->validate.dedupe = true;
    p->validate.cooldown_days = 90;
    p->invite.min_sms_left = -1;
    p->export.page_size = 100;
    p->export.filters.show_on_widget = -1;
    p->export.csv_formula_guard = true;
    if (!p->file || !p->dir || !p->api.base_url || !p->input.encoding)
        return nomem(l);
    return make_run_id(l);
}

/* ---- 1. the file ---------------------------------------------------------- */

static int too_large(struct loader *l)
{
    return cp_fail(l->err, CP_EXIT_USAGE,
                   "%s: pipeline file is larger than 1 MiB (a pipeline is a few hundred lines)",
                   l->file);
}

/* The whole file into `src`, refusing more than MAX_FILE_BYTES. */
static int read_file(struct loader *l, struct strbuf *src)
{
    char chunk[16384], why[128];
    struct stat st;
    size_t n;
    int rc = -1;
    FILE *f = fopen(l->file, "rb");

    if (!f)
        return cp_fail(l->err, CP_EXIT_INPUT, "cannot open pipeline file '%s': %s", l->file,
                       errtext(errno, why, sizeof why));
    if (fstat(fileno(f), &st) < 0)
        memset(&st, 0, sizeof st); /* no size to check up front: the read loop still does */
    if (S_ISDIR(st.st_mode)) {
        rc = cp_fail(l->err, CP_EXIT_INPUT, "cannot read pipeline file '%s': it is a directory",
                     l->file);
        goto out;
    }
    if (S_ISREG(st.st_mode) && st.st_size > MAX_FILE_BYTES) {
        rc = too_large(l);
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n > MAX_FILE_BYTES - src->len) {
            rc = too_large(l);
            goto out;
        }
        if (strbuf_add(src, chunk, n) < 0) {
            rc = nomem(l);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = cp_fail(l->err, CP_EXIT_INPUT, "cannot read pipeline file '%s': %s", l->file,
                     errtext(errno, why, sizeof why));
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(chunk, sizeof chunk);
    fclose(f);
    return rc;
}

/* ---- 2. YAML -> tree ------------------------------------------------------ */

struct builder {
    struct loader *l;
    struct ynode *root;
    struct ynode *stack[MAX_DEPTH]; /* open collections, innermost last */
    int depth;
    int docs;                       /* documents started */
};

static void node_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    if (n->text)
        explicit_bzero(n->text, strlen(n->text));
    free(n->text);
    free(n);
}

static struct ynode *node_new(struct builder *b, enum ytype type, yaml_mark_t mark)
{
    if (b->l->n_nodes >= MAX_NODES) {
        fail_mark(b->l, mark, "more than %d yaml nodes (a pipeline is a few hundred)", MAX_NODES);
        return NULL;
    }
    struct ynode *n = calloc(1, sizeof *n);
    if (!n) {
        nomem(b->l);
        return NULL;
    }
    b->l->n_nodes++;
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
        fail_at(b->l, n, "a key must be a plain string, not %s",
                n->type == Y_SEQ ? "a list" : "a mapping");
        node_free(n);
        return -1;
    }
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **kids = realloc(parent->kids, cap * sizeof *kids);
        if (!kids) {
            node_free(n);
            return nomem(b->l);
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
        return fail_mark(b->l, mark,
                         "yaml anchors and aliases are not supported ('&%s'): write the value out",
                         (const char *)anchor);
    if (tag)
        return fail_mark(b->l, mark, "yaml tags are not supported ('%s')", (const char *)tag);
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;

    if (refuse_extras(b, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag) < 0)
        return -1;
    if (memchr(value, '\0', len))
        return fail_mark(b->l, ev->start_mark, "a value holds a NUL character");
    struct ynode *n = node_new(b, Y_SCALAR, ev->start_mark);
    if (!n)
        return -1;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->text = strndup(value, len);
    if (!n->text) {
        node_free(n);
        return nomem(b->l);
    }
    return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev, enum ytype type,
                   const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (refuse_extras(b, ev->start_mark, anchor, tag) < 0)
        return -1;
    if (b->depth == MAX_DEPTH)
        return fail_mark(b->l, ev->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
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
        return nomem(b->l);
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct keyref){ map->kids[2 * i]->text, 2 * i };
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
    return fail_at(b->l, map->kids[best], "duplicate key '%s' (first given at line %d)",
                   first->text, first->line);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return fail_mark(b->l, ev->start_mark,
                             "more than one yaml document ('---'): put one pipeline in a file");
        return 0;
    case YAML_ALIAS_EVENT:
        return fail_mark(b->l, ev->start_mark,
                         "yaml anchors and aliases are not supported ('*%s'): write the value out",
                         (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, ev, Y_SEQ, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, ev, Y_MAP, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
        b->depth--;
        return 0;
    case YAML_MAPPING_END_EVENT:
        return check_duplicates(b, b->stack[--b->depth]);
    default:
        return 0;
    }
}

/* libyaml's own complaint, with its place. Reader errors (bad UTF-8) carry a
 * byte offset rather than a mark: count lines up to it. */
static int syntax_error(struct loader *l, const yaml_parser_t *y, const struct strbuf *src)
{
    yaml_mark_t mark = y->problem_mark;
    const char *problem = y->problem ? y->problem : "cannot parse";

    if (y->error == YAML_MEMORY_ERROR)
        return nomem(l);
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
        return fail_mark(l, mark, "invalid yaml: a tab where YAML wants spaces (indent with "
                         "spaces)");
    if (y->context)
        return fail_mark(l, mark, "invalid yaml: %s (%s at line %d)", problem, y->context,
                         (int)y->context_mark.line + 1);
    return fail_mark(l, mark, "invalid yaml: %s", problem);
}

static int parse_yaml(struct loader *l, const struct strbuf *src, struct ynode **root)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct builder b = { .l = l };
    bool done = false;
    int rc = -1;

    if (!yaml_parser_initialize(&parser))
        return nomem(l);
    yaml_parser_set_input_string(&parser, (const unsigned char *)strbuf_str(src), src->len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(l, &parser, src);
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
    node_free(b.root);
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- 3. the walk: tree helpers -------------------------------------------- */

static bool is_null(const struct ynode *n)
{
    if (!n || n->type != Y_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
           !strcmp(t, "NULL");
}

static const char *type_name(const struct ynode *n)
{
    if (n->type == Y_SEQ)
        return "a list";
    if (n->type == Y_MAP)
        return "a mapping";
    return is_null(n) ? "null" : "a string";
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

static const struct ynode *map_key(const struct ynode *map, const char *key)
{
    long i = map_find(map, key);
    return i < 0 ? NULL : map->kids[i];
}

static const struct ynode *map_value(const struct ynode *map, const char *key)
{
    long i = map_find(map, key);
    return i < 0 ? NULL : map->kids[i + 1];
}

/* ---- 3. the walk: ${VAR} -------------------------------------------------- */

enum expand_result { EXPAND_OK, EXPAND_UNSET, EXPAND_MALFORMED, EXPAND_NOMEM };

/* Copy `in` to `out` with each ${NAME} replaced; on EXPAND_UNSET `name` holds it. */
static enum expand_result expand_vars(const char *in, struct strbuf *out, char *name,
                                      size_t name_size)
{
    static const char name_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    const char *s = in, *d;

    while ((d = strstr(s, "${")) != NULL) {
        const char *v = d + 2;
        size_t n = strspn(v, name_chars);
        if (n == 0 || n >= name_size || v[n] != '}' || isdigit((unsigned char)v[0]))
            return EXPAND_MALFORMED;
        memcpy(name, v, n);
        name[n] = '\0';
        const char *value = getenv(name);
        if (!value)
            return EXPAND_UNSET;
        if (strbuf_add(out, s, (size_t)(d - s)) < 0 || strbuf_addstr(out, value) < 0)
            return EXPAND_NOMEM;
        s = v + n + 1;
    }
    return strbuf_addstr(out, s) < 0 ? EXPAND_NOMEM : EXPAND_OK;
}

#define UNSET_VAR_FMT                                                                      \
    "environment variable '%s' is not set (export it, or put the value in the pipeline)"

/*
 * The text of scalar `v` with ${VAR} expanded, owned by the caller. An unset
 * variable is an error, unless `deferred` is given: then *out stays NULL and
 * *deferred gets the message (for api.api_key, needed only by some commands).
 */
static int expand_env(struct loader *l, const struct ynode *v, const char *key, char **out,
                      char **deferred)
{
    struct strbuf sb;
    char name[128];
    int rc = -1;

    strbuf_init(&sb, MAX_VALUE_BYTES);
    switch (expand_vars(v->text, &sb, name, sizeof name)) {
    case EXPAND_OK:
        *out = sb.buf ? sb.buf : strdup("");
        sb.buf = NULL;
        rc = *out ? 0 : nomem(l);
        break;
    case EXPAND_UNSET:
        if (deferred)
            rc = defer_at(l, v, deferred, UNSET_VAR_FMT, name);
        else
            fail_at(l, v, UNSET_VAR_FMT, name);
        break;
    case EXPAND_MALFORMED:
        fail_at(l, v, "malformed '${' in '%s' (write ${NAME}: letters, digits and '_')", key);
        break;
    case EXPAND_NOMEM:
        fail_at(l, v, "'%s' is longer than 1 MiB once variables are expanded", key);
        break;
    }
    if (sb.buf)
        explicit_bzero(sb.buf, sb.len);
    strbuf_release(&sb);
    return rc;
}

/* A scalar's expanded text into *out (caller frees); *out = NULL for null.
 * `want` names the expected type for the wrong-type message. */
static int get_scalar(struct loader *l, const struct ynode *v, const char *key, const char *want,
                      char **out)
{
    *out = NULL;
    if (is_null(v))
        return 0;
    if (v->type != Y_SCALAR)
        return fail_at(l, v, "'%s' must be %s, not %s", key, want, type_name(v));
    return expand_env(l, v, key, out, NULL);
}

/* ---- 3. the walk: dispatch and did-you-mean -------------------------------- */

/* Edit distance; both strings at most SUGGEST_MAX_LEN bytes. */
static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[SUGGEST_MAX_LEN + 1];

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The valid key nearest `word`, when within max(2, len/3) edits; else NULL. */
static const char *nearest(const char *word, const struct section *sec)
{
    size_t len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2, best_d = (size_t)-1;
    const char *best = NULL;

    if (len > SUGGEST_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < sec->n; i++) {
        size_t d = levenshtein(word, sec->keys[i].key);
        if (d < best_d) {
            best_d = d;
            best = sec->keys[i].key;
        }
    }
    return best_d <= limit ? best : NULL;
}

static int unknown_key(struct loader *l, const struct ynode *k, const struct section *sec)
{
    const char *what = sec->name ? "key" : "section";
    const char *near = nearest(k->text, sec);
    struct strbuf known;
    int rc;

    if (near)
        return fail_at(l, k, "unknown %s '%s' (did you mean '%s'?)", what, k->text, near);
    strbuf_init(&known, 512);
    for (size_t i = 0; i < sec->n; i++)
        strbuf_addf(&known, "%s%s", i ? ", " : "", sec->keys[i].key);
    if (sec->name)
        rc = fail_at(l, k, "unknown key '%s' in '%s' (valid keys: %s)", k->text, sec->name,
                     strbuf_str(&known));
    else
        rc = fail_at(l, k, "unknown section '%s' (valid: %s)", k->text, strbuf_str(&known));
    strbuf_release(&known);
    return rc;
}

/* Each key of `map` to its parser in `sec`; a null `map` is an empty one. */
static int walk_map(struct loader *l, const struct ynode *map, const struct section *sec,
                    void *base)
{
    if (is_null(map))
        return 0;
    if (map->type != Y_MAP)
        return fail_at(l, map, "'%s' must be a mapping of keys, not %s", sec->name,
                       type_name(map));
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct key_spec *ks = NULL;
        for (size_t j = 0; j < sec->n && !ks; j++)
            if (strcmp(sec->keys[j].key, map->kids[i]->text) == 0)
                ks = &sec->keys[j];
        if (!ks)
            return unknown_key(l, map->kids[i], sec);
        l->key_at = map->kids[i];
        if (ks->fn(l, map->kids[i + 1], base, ks) < 0)
            return -1;
    }
    return 0;
}

/* ---- 3. the walk: value parsers ------------------------------------------- */

#define FIELD(base, ks, type) ((type *)(void *)((char *)(base) + (ks)->off))

static const char *kind_name(enum pipeline_kind k)
{
    return k == PIPELINE_INVITE ? "invite" : "export";
}

static int set_section(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    const struct section *sec = ks->arg;
    if (!(sec->kinds & KIND_BIT(l->p->kind)))
        return fail_at(l, l->key_at, "section '%s' is not allowed in a 'kind: %s' pipeline",
                       sec->name, kind_name(l->p->kind));
    return walk_map(l, v, sec, base);
}

/* version and kind: already read by read_header(). */
static int set_done(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    (void)l, (void)v, (void)base, (void)ks;
    return 0;
}

/* A non-empty string; null leaves the field as it was (NULL or a default). */
static int set_str(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    if (get_scalar(l, v, ks->key, "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!*text) {
        free(text);
        return fail_at(l, v, "'%s' is empty (remove the key to leave it unset)", ks->key);
    }
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = text;
    return 0;
}

/* A path: stored raw now, templates and the folder applied by resolve_paths(). */
static int set_path(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    if (set_str(l, v, base, ks) < 0)
        return -1;
    if (!*dst)
        return 0;
    if (l->n_paths == MAX_PATHS) /* cannot happen: 8 path keys, each given once */
        return nomem(l);
    l->paths[l->n_paths++] = (struct pending_path){ dst, v, ks->key };
    return 0;
}

/* A whole decimal number, optionally negative; false on anything else. */
static bool parse_long(const char *s, long *out)
{
    const char *d = s + (*s == '-');
    size_t n = strspn(d, "0123456789");
    if (n == 0 || n > 15 || d[n] != '\0')
        return false;
    *out = strtol(s, NULL, 10);
    return true;
}

/* An integer within [ks->min, ks->max], stored into an int field. */
static int set_int(struct loader *l, const struct ynode *v, void *base, const struct key_spec *ks)
{
    char *text;
    long n;
    int rc = -1;

    if (get_scalar(l, v, ks->key, "a whole number", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!parse_long(text, &n))
        fail_at(l, v, "invalid %s '%s' (expected a whole number from %ld to %ld)", ks->key, text,
                ks->min, ks->max);
    else if (n < ks->min || n > ks->max)
        fail_at(l, v, "invalid %s %ld (expected %ld to %ld)", ks->key, n, ks->min, ks->max);
    else {
        *FIELD(base, ks, int) = (int)n;
        rc = 0;
    }
    free(text);
    return rc;
}

/* true or false, and nothing else (no YAML 1.1 yes/no/on/off). -1 error, 0 null. */
static int get_bool(struct loader *l, const struct ynode *v, const char *key, int *out)
{
    char *text;
    int rc = -1;

    if (get_scalar(l, v, key, "true or false", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *out = text[0] == 't';
        rc = 0;
    } else {
        fail_at(l, v, "invalid %s '%s' (expected true or false)", key, text);
    }
    free(text);
    return rc;
}

static int set_bool(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    int b = *FIELD(base, ks, bool);
    if (get_bool(l, v, ks->key, &b) < 0)
        return -1;
    *FIELD(base, ks, bool) = b;
    return 0;
}

/* An int field: -1 (no filter, also for null), 0 or 1. */
static int set_tristate(struct loader *l, const struct ynode *v, void *base,
                        const struct key_spec *ks)
{
    return get_bool(l, v, ks->key, FIELD(base, ks, int));
}

static bool is_uuid(const char *s)
{
    static const int dash_at[] = { 8, 13, 18, 23 };
    size_t d = 0;
    for (int i = 0; i < 36; i++, s++) {
        if (d < ARRAY_LEN(dash_at) && i == dash_at[d]) {
            if (*s != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char)*s)) {
            return false;
        }
    }
    return *s == '\0';
}

static int bad_uuid(struct loader *l, const struct ynode *at, const char *what, const char *text,
                    const char *hint)
{
    return fail_at(l, at, "invalid %s '%s' (expected a UUID like " UUID_EXAMPLE "; %s)", what,
                   text, hint);
}

/* A UUID; ks->arg is the hint on where to find the right one. */
static int set_uuid(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    char *text;
    if (get_scalar(l, v, ks->key, "a UUID", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!is_uuid(text)) {
        bad_uuid(l, v, ks->key, text, ks->arg);
        free(text);
        return -1;
    }
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = text;
    return 0;
}

/* One of `names` (case-insensitive) into *idx; null leaves *idx. */
static int pick(struct loader *l, const struct ynode *v, const char *key,
                const char *const *names, size_t n, const char *expect, int *idx)
{
    char *text;
    int rc = -1;

    if (get_scalar(l, v, key, "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    for (size_t i = 0; i < n && rc < 0; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *idx = (int)i;
            rc = 0;
        }
    }
    if (rc < 0)
        fail_at(l, v, "invalid %s '%s' (expected %s)", key, text, expect);
    free(text);
    return rc;
}

static int set_landlines(struct loader *l, const struct ynode *v, void *base,
                         const struct key_spec *ks)
{
    static const char *const names[] = { [LANDLINES_SKIP] = "skip", [LANDLINES_SEND] = "send" };
    int i = (int)*FIELD(base, ks, enum landline_policy);
    if (pick(l, v, ks->key, names, ARRAY_LEN(names), "skip or send", &i) < 0)
        return -1;
    *FIELD(base, ks, enum landline_policy) = (enum landline_policy)i;
    return 0;
}

static int set_format(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    static const char *const names[] = { [EXPORT_NDJSON] = "ndjson", [EXPORT_CSV] = "csv" };
    int i = (int)*FIELD(base, ks, enum export_format);
    if (pick(l, v, ks->key, names, ARRAY_LEN(names), "ndjson or csv", &i) < 0)
        return -1;
    *FIELD(base, ks, enum export_format) = (enum export_format)i;
    return 0;
}

static int set_sort(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    static const char *const names[] = { [EXPORT_SORT_DESC] = "desc", [EXPORT_SORT_ASC] = "asc" };
    int i = (int)*FIELD(base, ks, enum export_sort);
    if (pick(l, v, ks->key, names, ARRAY_LEN(names), "asc or desc", &i) < 0)
        return -1;
    *FIELD(base, ks, enum export_sort) = (enum export_sort)i;
    return 0;
}

/* Stored as the canonical lower-case name. */
static int set_encoding(struct loader *l, const struct ynode *v, void *base,
                        const struct key_spec *ks)
{
    static const char *const names[] = { "auto", "utf-8", "utf-16", "windows-1252" };
    int i = -1;
    if (pick(l, v, ks->key, names, ARRAY_LEN(names), "auto, utf-8, utf-16 or windows-1252",
             &i) < 0)
        return -1;
    if (i < 0)
        return 0;
    char *copy = strdup(names[i]);
    if (!copy)
        return nomem(l);
    free(*FIELD(base, ks, char *));
    *FIELD(base, ks, char *) = copy;
    return 0;
}

/* Digits with at most one '.', into *out; false on anything else (no signs,
 * exponents, "inf" or "nan", which strtod would take). */
static bool parse_decimal(const char *s, size_t len, double *out)
{
    double v = 0, scale = 1;
    bool dot = false, digit = false;

    for (size_t i = 0; i < len; i++) {
        if (isdigit((unsigned char)s[i])) {
            digit = true;
            if (dot)
                v += (s[i] - '0') * (scale /= 10);
            else
                v = v * 10 + (s[i] - '0');
        } else if (s[i] == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    *out = v;
    return digit;
}

/* rate_limit: N/min or N/s, N > 0, at most 1000 a second. */
static int set_rate(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    char *text;
    double n = 0, per = 0;
    int rc = -1;

    if (get_scalar(l, v, ks->key, "a rate like 100/min", &text) < 0)
        return -1;
    if (!text)
        return 0;
    const char *slash = strchr(text, '/');
    if (slash && (strcmp(slash, "/min") == 0 || strcmp(slash, "/s") == 0))
        per = slash[1] == 'm' ? 60 : 1;
    if (!per || !parse_decimal(text, (size_t)(slash - text), &n) || n <= 0)
        fail_at(l, v, "invalid %s '%s' (expected N/min or N/s, e.g. 100/min)", ks->key, text);
    else if (n / per > 1000)
        fail_at(l, v, "invalid %s '%s' (at most 1000/s)", ks->key, text);
    else {
        *FIELD(base, ks, double) = n / per;
        rc = 0;
    }
    free(text);
    return rc;
}

/* timeout: N followed by ms, s or m; 100ms to 10m. */
static int set_timeout(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    char *text;
    double n = 0, unit = 0;
    int rc = -1;

    if (get_scalar(l, v, ks->key, "a duration like 30s", &text) < 0)
        return -1;
    if (!text)
        return 0;
    size_t len = strspn(text, "0123456789.");
    const char *suffix = text + len;
    unit = !strcmp(suffix, "ms") ? 1 : !strcmp(suffix, "s") ? 1000 : !strcmp(suffix, "m") ? 60000 : 0;
    if (!unit || !parse_decimal(text, len, &n))
        fail_at(l, v, "invalid %s '%s' (expected a duration like 30s, 500ms or 2m)", ks->key,
                text);
    else if (n * unit < 100 || n * unit > 600000)
        fail_at(l, v, "invalid %s '%s' (expected 100ms to 10m)", ks->key, text);
    else {
        *FIELD(base, ks, long) = (long)(n * unit + 0.5);
        rc = 0;
    }
    free(text);
    return rc;
}

/* invite_delay_days: absent or null = 0 (send at once), else 1 or 3. */
static int set_delay(struct loader *l, const struct ynode *v, void *base,
                     const struct key_spec *ks)
{
    char *text;
    long n = 0;
    int rc = -1;

    if (get_scalar(l, v, ks->key, "1 or 3", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (!parse_long(text, &n))
        fail_at(l, v, "invalid %s '%s' (the API allows 1 or 3, or omit it to send at once)",
                ks->key, text);
    else if (n != 1 && n != 3)
        fail_at(l, v, "invalid %s %ld (the API allows 1 or 3, or omit it to send at once)",
                ks->key, n);
    else {
        *FIELD(base, ks, int) = (int)n;
        rc = 0;
    }
    free(text);
    return rc;
}

/* delimiter: auto (stored as 0), "," ";" "|", or a tab: a real one, "\t" or tab. */
static int set_delimiter(struct loader *l, const struct ynode *v, void *base,
                         const struct key_spec *ks)
{
    char *text;
    int rc = 0;
    char *dst = FIELD(base, ks, char);

    if (get_scalar(l, v, ks->key, "a string", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strcasecmp(text, "auto") == 0)
        *dst = 0;
    else if (strcmp(text, "\t") == 0 || strcmp(text, "\\t") == 0 || strcasecmp(text, "tab") == 0)
        *dst = '\t';
    else if (strlen(text) == 1 && strchr(",;|", text[0]))
        *dst = text[0];
    else
        rc = fail_at(l, v, "invalid %s '%s' (expected auto, \",\", \";\", \"\\t\", \"|\" or tab)",
                     ks->key, text);
    free(text);
    return rc;
}

/* default_country: two ASCII letters, stored upper-case. */
static int set_country(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    char *text;
    char *dst = FIELD(base, ks, char);
    int rc = 0;

    if (get_scalar(l, v, ks->key, "a country code", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strlen(text) == 2 && isalpha((unsigned char)text[0]) && isalpha((unsigned char)text[1]) &&
        (unsigned char)text[0] < 0x80 && (unsigned char)text[1] < 0x80) {
        dst[0] = (char)toupper((unsigned char)text[0]);
        dst[1] = (char)toupper((unsigned char)text[1]);
        dst[2] = '\0';
    } else {
        rc = fail_at(l, v, "invalid %s '%s' (expected a two-letter country code like AU)",
                     ks->key, text);
    }
    free(text);
    return rc;
}

/* A name goes into file names: [A-Za-z0-9._-]+, and not "." or "..". */
static bool valid_name(const char *s)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    return *s && s[strspn(s, ok)] == '\0' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int set_name(struct loader *l, const struct ynode *v, void *base,
                    const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    if (set_str(l, v, base, ks) < 0)
        return -1;
    if (*dst && !valid_name(*dst))
        return fail_at(l, v,
                       "invalid name '%s' (letters, digits, '.', '_' and '-' only: it goes into "
                       "file names)",
                       *dst);
    return 0;
}

/*
 * A string or a list of non-empty strings into *out / *n (an owned array);
 * null leaves them NULL / 0. The array is stored before it is filled, so the
 * pipeline owns whatever was parsed when an item fails.
 */
static int get_strlist(struct loader *l, const struct ynode *v, const char *key, char ***out,
                       size_t *n)
{
    const struct ynode *const *items = (const struct ynode *const *)&v;
    size_t count = 1;

    if (is_null(v))
        return 0;
    if (v->type == Y_MAP)
        return fail_at(l, v, "'%s' must be a string or a list of strings, not a mapping", key);
    if (v->type == Y_SEQ) {
        items = (const struct ynode *const *)v->kids;
        count = v->n;
        if (count == 0)
            return fail_at(l, v, "'%s' is an empty list (remove the key to leave it unset)",
                           key);
    }
    if (!(*out = calloc(count, sizeof **out)))
        return nomem(l);
    *n = count;
    for (size_t i = 0; i < count; i++) {
        if (is_null(items[i]))
            return fail_at(l, items[i], "'%s' holds a null item", key);
        if (get_scalar(l, items[i], key, "a string", &(*out)[i]) < 0)
            return -1;
        if (!*(*out)[i])
            return fail_at(l, items[i], "'%s' holds an empty string", key);
    }
    return 0;
}

/* input.columns.<field>: a CSV column name, a list of them, or null. */
static int set_column(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    struct column_ref *ref = FIELD(base, ks, struct column_ref);
    ref->line = l->key_at->line;
    return get_strlist(l, v, ks->key, &ref->names, &ref->n);
}

/* where[i].in: base is the where_rule. */
static int set_where_in(struct loader *l, const struct ynode *v, void *base,
                        const struct key_spec *ks)
{
    struct where_rule *rule = base;
    return get_strlist(l, v, ks->key, &rule->in, &rule->n_in);
}

static int set_where_not_in(struct loader *l, const struct ynode *v, void *base,
                            const struct key_spec *ks)
{
    struct where_rule *rule = base;
    return get_strlist(l, v, ks->key, &rule->not_in, &rule->n_not_in);
}

static const struct section where_section;

/* input.where: a list of {column, in} rules. */
static int set_where(struct loader *l, const struct ynode *v, void *base,
                     const struct key_spec *ks)
{
    struct pipeline *p = base;
    (void)ks;
    if (is_null(v))
        return 0;
    if (v->type != Y_SEQ)
        return fail_at(l, v, "'where' must be a list of {column, in} rules, not %s",
                       type_name(v));
    if (v->n && !(p->input.where = calloc(v->n, sizeof *p->input.where)))
        return nomem(l);
    p->input.n_where = v->n;
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *item = v->kids[i];
        struct where_rule *rule = &p->input.where[i];
        rule->line = item->line;
        if (item->type != Y_MAP)
            return fail_at(l, item, "a 'where' rule must be a mapping {column, in}, not %s",
                           type_name(item));
        if (walk_map(l, item, &where_section, rule) < 0)
            return -1;
        if (!rule->column || (!rule->in && !rule->not_in))
            return fail_at(l, item, "a 'where' rule needs '%s'",
                           rule->column ? "in' or 'not_in" : "column");
    }
    return 0;
}

/* channels.sms / channels.email: one {column, in} consent rule. */
static int set_channel(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    struct where_rule **slot = FIELD(base, ks, struct where_rule *);
    if (is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return fail_at(l, v, "'channels.%s' must be a rule {column, in}, not %s", ks->key,
                       type_name(v));
    if (!(*slot = calloc(1, sizeof **slot)))
        return nomem(l);
    (*slot)->line = v->line;
    if (walk_map(l, v, &where_section, *slot) < 0)
        return -1;
    if (!(*slot)->column || (!(*slot)->in && !(*slot)->not_in))
        return fail_at(l, v, "'channels.%s' needs '%s'", ks->key,
                       (*slot)->column ? "in' or 'not_in" : "column");
    return 0;
}

/* ---- the account's keys (issue 11): per-location campaigns, cooldown scope,
 * suppression list. ---- */

/* One UUID-valued key of a location's {business_id, campaign_id}. */
static int location_uuid(struct loader *l, const struct ynode *v, const char *key,
                         const char *hint, char **dst)
{
    if (get_scalar(l, v, key, "an id", dst) < 0)
        return -1;
    if (!*dst || !is_uuid(*dst))
        return fail_at(l, v, "invalid %s '%s' (expected a UUID like " UUID_EXAMPLE "; %s)", key,
                       *dst ? *dst : "null", hint);
    return 0;
}

/* business_map: "Bondi": {business_id: ..., campaign_id: ...} routes a
 * location to its own campaign. */
static int set_location_target(struct loader *l, const struct ynode *v,
                               struct business_map_entry *e)
{
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
        const char *key = k->text ? k->text : "";
        if (strcmp(key, "business_id") == 0) {
            if (location_uuid(l, val, "business_id", HINT_BUSINESS, &e->business_id) < 0)
                return -1;
        } else if (strcmp(key, "campaign_id") == 0) {
            if (location_uuid(l, val, "campaign_id", HINT_CAMPAIGN, &e->campaign_id) < 0)
                return -1;
        } else {
            return fail_at(l, k, "unknown key '%s' in business_map value for '%s' (expected "
                           "business_id and campaign_id)", key, e->value);
        }
    }
    if (!e->business_id)
        return fail_at(l, v, "business_map value for '%s' needs 'business_id'", e->value);
    return 0;
}

/* invite.campaigns: location name (the businessId column's value, or the
 * business name business_by_name matches) -> campaign UUID. */
static int set_campaigns(struct loader *l, const struct ynode *v, void *base,
                         const struct key_spec *ks)
{
    struct pipeline *p = base;
    if (is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return fail_at(l, v, "'%s' must be a mapping of location names to campaign ids, not %s",
                       ks->key, type_name(v));
    size_t n = v->n / 2;
    if (n && !(p->invite.campaigns = calloc(n, sizeof *p->invite.campaigns)))
        return nomem(l);
    p->invite.n_campaigns = n;
    for (size_t i = 0; i < n; i++) {
        struct business_map_entry *e = &p->invite.campaigns[i];
        if (!(e->value = strdup(v->kids[2 * i]->text)))
            return nomem(l);
        if (location_uuid(l, v->kids[2 * i + 1], "campaign_id", HINT_CAMPAIGN, &e->campaign_id) < 0)
            return -1;
    }
    return 0;
}

static int set_cooldown_scope(struct loader *l, const struct ynode *v, void *base,
                              const struct key_spec *ks)
{
    static const char *const names[] = { [COOLDOWN_BUSINESS] = "business",
                                         [COOLDOWN_ACCOUNT] = "account" };
    int i = (int)*FIELD(base, ks, enum cooldown_scope);
    if (pick(l, v, ks->key, names, ARRAY_LEN(names), "business or account", &i) < 0)
        return -1;
    *FIELD(base, ks, enum cooldown_scope) = (enum cooldown_scope)i;
    return 0;
}

/* invite.business_map: CSV value -> business UUID. */
static int set_business_map(struct loader *l, const struct ynode *v, void *base,
                            const struct key_spec *ks)
{
    struct pipeline *p = base;
    size_t n;

    if (is_null(v))
        return 0;
    if (v->type != Y_MAP)
        return fail_at(l, v, "'%s' must be a mapping of values to business ids, not %s",
                       ks->key, type_name(v));
    n = v->n / 2;
    if (n && !(p->invite.business_map = calloc(n, sizeof *p->invite.business_map)))
        return nomem(l);
    p->invite.n_business_map = n;
    for (size_t i = 0; i < n; i++) {
        struct business_map_entry *e = &p->invite.business_map[i];
        const struct ynode *k = v->kids[2 * i], *val = v->kids[2 * i + 1];
        if (!(e->value = strdup(k->text)))
            return nomem(l);
        if (val->type == Y_MAP) {
            if (set_location_target(l, val, e) < 0)
                return -1;
            continue;
        }
        if (get_scalar(l, val, ks->key, "a business id", &e->business_id) < 0)
            return -1;
        if (!e->business_id || !is_uuid(e->business_id))
            return fail_at(l, val,
                           "invalid business_map value '%s' for '%s' (expected a UUID like "
                           UUID_EXAMPLE "; " HINT_BUSINESS ")",
                           e->business_id ? e->business_id : "null", e->value);
    }
    return 0;
}

/* A review field for CSV export: a name, or a dotted path like response.comment. */
static bool valid_field(const char *s)
{
    static const char word[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    for (;;) {
        size_t n = strspn(s, word);
        if (n == 0)
            return false;
        s += n;
        if (*s == '\0')
            return true;
        if (*s++ != '.')
            return false;
    }
}

static int set_fields(struct loader *l, const struct ynode *v, void *base,
                      const struct key_spec *ks)
{
    struct pipeline *p = base;
    if (get_strlist(l, v, ks->key, &p->export.fields, &p->export.n_fields) < 0)
        return -1;
    for (size_t i = 0; i < p->export.n_fields; i++) {
        if (!valid_field(p->export.fields[i]))
            return fail_at(l, v->type == Y_SEQ ? v->kids[i] : v,
                           "invalid field '%s' in '%s' (expected a review field or a dotted "
                           "path like response.comment)",
                           p->export.fields[i], ks->key);
    }
    return 0;
}

static bool digits(const char *s, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

/* YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and Z or +HH:MM. */
static bool is_iso_time(const char *s)
{
    if (!digits(s, 4, 0, 9999) || s[4] != '-' || !digits(s + 5, 2, 1, 12) || s[7] != '-' ||
        !digits(s + 8, 2, 1, 31))
        return false;
    s += 10;
    if (*s == '\0')
        return true;
    if (*s != 'T' || !digits(s + 1, 2, 0, 23) || s[3] != ':' || !digits(s + 4, 2, 0, 59))
        return false;
    s += 6;
    if (*s == ':') {
        if (!digits(s + 1, 2, 0, 60))
            return false;
        s += 3;
        if (*s == '.' && isdigit((unsigned char)s[1]))
            s += 1 + strspn(s + 1, "0123456789");
    }
    if (*s == 'Z')
        return s[1] == '\0';
    if (*s == '+' || *s == '-')
        return digits(s + 1, 2, 0, 23) && s[3] == ':' && digits(s + 4, 2, 0, 59) && !s[6];
    return *s == '\0';
}

/* export.since: last_run, or an ISO date or date-time. */
static int set_since(struct loader *l, const struct ynode *v, void *base,
                     const struct key_spec *ks)
{
    struct pipeline *p = base;
    char *text;

    if (get_scalar(l, v, ks->key, "a date or last_run", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (strcmp(text, "last_run") == 0) {
        p->export.since_last_run = true;
        free(text);
        return 0;
    }
    if (!is_iso_time(text)) {
        fail_at(l, v, "invalid %s '%s' (expected last_run or an ISO date like 2026-01-31)",
                ks->key, text);
        free(text);
        return -1;
    }
    p->export.since = text;
    return 0;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* api.api_key: an unset ${VAR} (or an unusable value) is remembered, not
 * raised: `check` and dry runs need no key. The value never goes into a message. */
static int set_api_key(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks)
{
    struct pipeline *p = base;
    char *text = NULL;
    const char *why = NULL;

    if (is_null(v))
        return 0;
    if (v->type != Y_SCALAR)
        return fail_at(l, v, "'%s' must be a string, not %s", ks->key, type_name(v));
    if (expand_env(l, v, ks->key, &text, &p->api.api_key_error) < 0)
        return -1;
    if (text && !*text)
        why = "'api_key' is empty (set the variable it names, or use api_key_file)";
    else if (text && has_control(text))
        why = "'api_key' holds a control character (a stray newline?)";
    if (why) {
        explicit_bzero(text, strlen(text));
        free(text);
        return defer_at(l, v, &p->api.api_key_error, "%s", why);
    }
    p->api.api_key = text;
    return 0;
}

static const char credentials[] =
    "a user name or password in the URL is not supported (the key goes in api.api_key)";
static const char loopback_only[] =
    "'http://' is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost): use https://";

/* A loopback host of an http:// URL: 127.0.0.0/8, [::1] or localhost. */
static bool is_loopback(const char *host, size_t len, bool bracketed)
{
    if (bracketed)
        return len == 3 && memcmp(host, "::1", 3) == 0;
    if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
        return true;
    int part = 0, digits_in_part = 0, value = 0, first = -1;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || host[i] == '.') {
            if (digits_in_part == 0 || value > 255)
                return false;
            if (part++ == 0)
                first = value;
            digits_in_part = value = 0;
        } else if (isdigit((unsigned char)host[i]) && digits_in_part < 3) {
            value = value * 10 + (host[i] - '0');
            digits_in_part++;
        } else {
            return false;
        }
    }
    return part == 4 && first == 127;
}

/* Host and optional :port of the authority `a` (`alen` bytes); NULL on success,
 * else what is wrong. */
static const char *check_authority(const char *a, size_t alen, bool https)
{
    const char *host = a, *end = a + alen, *port;
    bool bracketed = alen && a[0] == '[';

    if (memchr(a, '@', alen))
        return credentials;
    if (bracketed) {
        const char *close = memchr(a, ']', alen);
        if (!close)
            return "an unclosed '[' in the host";
        host = a + 1;
        port = close + 1;
    } else {
        port = memchr(a, ':', alen);
        port = port ? port : end;
    }
    size_t hlen = (size_t)((bracketed ? port - 1 : port) - host);
    if (hlen == 0)
        return "no host";
    if (port < end) {
        size_t n = (size_t)(end - port - 1);
        if (*port != ':' || n == 0 || n > 5 || strspn(port + 1, "0123456789") < n ||
            atoi(port + 1) > 65535 || atoi(port + 1) == 0)
            return "an invalid port";
    }
    if (!https && !is_loopback(host, hlen, bracketed))
        return loopback_only;
    return NULL;
}

/* base_url: https://, or http:// to a loopback host. Trailing '/' stripped in
 * place first. Fills `why` and returns -1 when it will not do. */
static int check_base_url(char *url, char *why, size_t n)
{
    size_t len = strlen(url);
    const char *rest = NULL, *problem = NULL;

    while (len && url[len - 1] == '/')
        url[--len] = '\0';
    if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    if (!rest) {
        snprintf(why, n, "invalid base_url '%s' (expected https://HOST/PATH)", url);
        return -1;
    }
    if (has_control(url) || strchr(url, ' '))
        problem = "spaces or control characters";
    else if (strpbrk(url, "?#"))
        problem = "a query or fragment (the API's paths are appended to it)";
    else
        problem = check_authority(rest, strcspn(rest, "/"), rest == url + 8);
    if (!problem)
        return 0;
    if (problem == credentials) /* the URL may hold a password: not repeated */
        snprintf(why, n, "invalid base_url: %s", problem);
    else if (problem == loopback_only)
        snprintf(why, n, "invalid base_url '%s': %s", url, problem);
    else
        snprintf(why, n, "invalid base_url '%s' (%s)", url, problem);
    return -1;
}

static int set_base_url(struct loader *l, const struct ynode *v, void *base,
                        const struct key_spec *ks)
{
    char **dst = FIELD(base, ks, char *);
    char why[sizeof l->err->msg];
    char *text;

    if (get_scalar(l, v, ks->key, "a URL", &text) < 0)
        return -1;
    if (!text)
        return 0;
    if (check_base_url(text, why, sizeof why) < 0) {
        free(text);
        return fail_at(l, v, "%s", why);
    }
    free(*dst);
    *dst = text;
    return 0;
}

/* ---- 3. the walk: the tables of valid keys -------------------------------- */

#define KEY(k, fn, field) { k, fn, offsetof(struct pipeline, field), 0, 0, NULL }
#define INT_KEY(k, field, lo, hi) { k, set_int, offsetof(struct pipeline, field), lo, hi, NULL }
#define UUID_KEY(k, field, hint) { k, set_uuid, offsetof(struct pipeline, field), 0, 0, hint }
#define SECTION_KEY(k, sec) { k, set_section, 0, 0, 0, &sec }
#define SECTION(name, keys, kinds) { name, keys, ARRAY_LEN(keys), kinds }

static const struct key_spec api_keys[] = {
    KEY("base_url", set_base_url, api.base_url),
    KEY("api_key", set_api_key, api),
    KEY("api_key_file", set_path, api.api_key_file),
    KEY("rate_limit", set_rate, api.rate_per_sec),
    INT_KEY("max_in_flight", api.max_in_flight, 1, 64),
    KEY("timeout", set_timeout, api.timeout_ms),
    INT_KEY("retries", api.retries, 0, 20),
    KEY("retry_in_doubt", set_bool, api.retry_in_doubt),
    KEY("ca_file", set_path, api.ca_file),
};

/* In enum map_field order, the names of map_field_key[]. */
static const struct key_spec column_keys[] = {
    KEY("firstName", set_column, input.columns[MAP_FIRST_NAME]),
    KEY("lastName", set_column, input.columns[MAP_LAST_NAME]),
    KEY("fullName", set_column, input.columns[MAP_FULL_NAME]),
    KEY("email", set_column, input.columns[MAP_EMAIL]),
    KEY("phoneNumber", set_column, input.columns[MAP_PHONE]),
    KEY("sourceContactId", set_column, input.columns[MAP_SOURCE_CONTACT_ID]),
    KEY("businessId", set_column, input.columns[MAP_BUSINESS_ID]),
    KEY("country", set_column, input.columns[MAP_COUNTRY]),
};
static const struct section columns_section = SECTION("columns", column_keys, BOTH_KINDS);

/* Offsets into a struct where_rule, not the pipeline. */
static const struct key_spec where_keys[] = {
    { "column", set_str, offsetof(struct where_rule, column), 0, 0, NULL },
    { "in", set_where_in, 0, 0, 0, NULL },
    { "not_in", set_where_not_in, 0, 0, 0, NULL },
};
static const struct section where_section = SECTION("where", where_keys, BOTH_KINDS);

static const struct key_spec input_keys[] = {
    KEY("path", set_path, input.path),
    KEY("encoding", set_encoding, input.encoding),
    KEY("delimiter", set_delimiter, input.delimiter),
    SECTION_KEY("columns", columns_section),
    KEY("where", set_where, input),
};

static const struct key_spec validate_keys[] = {
    KEY("default_country", set_country, validate.default_country),
    KEY("landlines", set_landlines, validate.landlines),
    KEY("dedupe", set_bool, validate.dedupe),
    INT_KEY("cooldown_days", validate.cooldown_days, 0, 3650),
    KEY("fix_email_typos", set_bool, validate.fix_email_typos),
    KEY("cooldown_scope", set_cooldown_scope, validate.cooldown_scope),
    KEY("suppress", set_path, validate.suppress),
};

static const struct key_spec invite_keys[] = {
    UUID_KEY("business_id", invite.business_id, HINT_BUSINESS),
    UUID_KEY("campaign_id", invite.campaign_id, HINT_CAMPAIGN),
    KEY("invite_delay_days", set_delay, invite.invite_delay_days),
    KEY("source", set_str, invite.source),
    KEY("business_map", set_business_map, invite),
    INT_KEY("min_sms_left", invite.min_sms_left, 0, 1000000),
    INT_KEY("max_per_run", invite.max_per_run, 1, 10000000),
    KEY("business_by_name", set_bool, invite.business_by_name),
    KEY("campaigns", set_campaigns, invite),
};

static int set_channel(struct loader *l, const struct ynode *v, void *base,
                       const struct key_spec *ks);
static const struct key_spec channel_keys[] = {
    { "sms", set_channel, offsetof(struct pipeline, channels.sms), 0, 0, NULL },
    { "email", set_channel, offsetof(struct pipeline, channels.email), 0, 0, NULL },
};

static const struct key_spec filter_keys[] = {
    KEY("source", set_str, export.filters.source),
    UUID_KEY("businessId", export.filters.business_id, HINT_BUSINESS),
    KEY("showOnWidget", set_tristate, export.filters.show_on_widget),
};
static const struct section filters_section = SECTION("filters", filter_keys, BOTH_KINDS);

static const struct key_spec export_keys[] = {
    KEY("format", set_format, export.format),
    KEY("output", set_path, export.output),
    INT_KEY("page_size", export.page_size, 1, 1000),
    KEY("sort", set_sort, export.sort),
    KEY("since", set_since, export),
    SECTION_KEY("filters", filters_section),
    KEY("fields", set_fields, export),
    KEY("csv_formula_guard", set_bool, export.csv_formula_guard),
    KEY("excel", set_bool, export.excel),
};

static const struct key_spec output_keys[] = {
    KEY("results", set_path, output.results),
    KEY("rejects", set_path, output.rejects),
};

static const struct key_spec state_keys[] = {
    KEY("path", set_path, state.path),
};

#define INVITE_ONLY KIND_BIT(PIPELINE_INVITE)
#define EXPORT_ONLY KIND_BIT(PIPELINE_EXPORT)
static const struct section api_section = SECTION("api", api_keys, BOTH_KINDS);
static const struct section input_section = SECTION("input", input_keys, INVITE_ONLY);
static const struct section validate_section = SECTION("validate", validate_keys, INVITE_ONLY);
static const struct section invite_section = SECTION("invite", invite_keys, INVITE_ONLY);
static const struct section export_section = SECTION("export", export_keys, EXPORT_ONLY);
static const struct section output_section = SECTION("output", output_keys, INVITE_ONLY);
static const struct section state_section = SECTION("state", state_keys, BOTH_KINDS);
static const struct section channels_section = SECTION("channels", channel_keys, INVITE_ONLY);

static const struct key_spec top_keys[] = {
    { "version", set_done, 0, 0, 0, NULL },
    { "kind", set_done, 0, 0, 0, NULL },
    KEY("name", set_name, name),
    SECTION_KEY("api", api_section),
    SECTION_KEY("input", input_section),
    SECTION_KEY("validate", validate_section),
    SECTION_KEY("channels", channels_section),
    SECTION_KEY("invite", invite_section),
    SECTION_KEY("export", export_section),
    SECTION_KEY("output", output_section),
    SECTION_KEY("state", state_section),
};
static const struct section top_section = SECTION(NULL, top_keys, BOTH_KINDS);

/* ---- 3. the walk: from the root ------------------------------------------- */

/* version and kind first: they decide how the rest is read. */
static int read_header(struct loader *l, const struct ynode *root)
{
    static const char *const kinds[] = { [PIPELINE_INVITE] = "invite",
                                         [PIPELINE_EXPORT] = "export" };
    const struct ynode *version = map_value(root, "version"), *kind = map_value(root, "kind");
    char *text = NULL;
    int k = -1, rc = -1;

    if (!version)
        return fail_at(l, NULL, "missing 'version: 1' (the first line of every pipeline)");
    if (get_scalar(l, version, "version", "1", &text) < 0)
        goto out;
    if (!text || strcmp(text, "1") != 0) {
        fail_at(l, version, "unsupported version '%s' (this cloutly-pipe reads version 1)",
                text ? text : "null");
        goto out;
    }
    if (!kind) {
        fail_at(l, NULL, "missing 'kind' (invite or export)");
        goto out;
    }
    if (pick(l, kind, "kind", kinds, ARRAY_LEN(kinds), "invite or export", &k) < 0)
        goto out;
    if (k < 0) {
        fail_at(l, kind, "invalid kind 'null' (expected invite or export)");
        goto out;
    }
    l->p->kind = (enum pipeline_kind)k;
    rc = 0;
out:
    free(text);
    return rc;
}

static int walk_root(struct loader *l, const struct ynode *root)
{
    if (!root || is_null(root))
        return fail_at(l, NULL, "the file holds no pipeline (it should start with 'version: 1')");
    if (root->type != Y_MAP)
        return fail_at(l, root, "expected a mapping of sections at the top level, not %s",
                       type_name(root));
    if (read_header(l, root) < 0)
        return -1;
    return walk_map(l, root, &top_section, l->p);
}

/* ---- 4. finish ------------------------------------------------------------ */

/* name: default the file name without .yaml/.yml. */
static int finish_name(struct loader *l)
{
    struct pipeline *p = l->p;
    const char *base = strrchr(p->file, '/');
    base = base ? base + 1 : p->file;
    size_t len = strlen(base);

    if (p->name)
        return 0;
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    if (!(p->name = strndup(base, len)))
        return nomem(l);
    if (!valid_name(p->name))
        return fail_at(l, NULL,
                       "pipeline name '%s' (from the file name) may only hold letters, digits, "
                       "'.', '_' and '-' (it goes into file names): rename the file or set "
                       "'name:'",
                       p->name);
    return 0;
}

/* CLOUTLY_BASE_URL, when set and not empty, wins over api.base_url. */
static int apply_base_url_env(struct loader *l)
{
    const char *env = getenv("CLOUTLY_BASE_URL");
    char why[sizeof l->err->msg];
    char *url;

    if (!env || !*env)
        return 0;
    if (!(url = strdup(env)))
        return nomem(l);
    if (check_base_url(url, why, sizeof why) < 0) {
        free(url);
        return cp_fail(l->err, CP_EXIT_USAGE, "environment variable CLOUTLY_BASE_URL: %s", why);
    }
    free(l->p->api.base_url);
    l->p->api.base_url = url;
    return 0;
}

/* What the sections cannot check alone: keys that depend on other keys. */
static int check_invite(struct loader *l, const struct ynode *root)
{
    const struct pipeline *p = l->p;
    const struct ynode *invite_at = map_key(root, "invite");
    const struct ynode *invite = map_value(root, "invite");
    bool per_row = p->input.columns[MAP_BUSINESS_ID].names &&
                   (p->invite.n_business_map || p->invite.business_by_name);

    if (p->invite.n_business_map && !p->input.columns[MAP_BUSINESS_ID].names)
        return fail_at(l, map_key(invite, "business_map"),
                       "'business_map' needs input.columns.businessId (the column whose values "
                       "it maps)");
    if (p->invite.business_by_name && !p->input.columns[MAP_BUSINESS_ID].names)
        return fail_at(l, map_key(invite, "business_by_name"),
                       "'business_by_name' needs input.columns.businessId (the column that "
                       "names each row's location)");
    if (!p->invite.business_id && !per_row)
        return fail_at(l, invite_at,
                       "missing 'business_id' in 'invite' (" HINT_BUSINESS
                       ", or map input.columns.businessId through business_map or "
                       "business_by_name)");
    bool per_location_campaigns = p->invite.n_campaigns > 0;
    for (size_t i = 0; i < p->invite.n_business_map; i++)
        per_location_campaigns |= p->invite.business_map[i].campaign_id != NULL;
    if (!p->invite.campaign_id && !per_location_campaigns)
        return fail_at(l, invite_at, "missing 'campaign_id' in 'invite' (" HINT_CAMPAIGN
                       ", or give locations their own in business_map or campaigns)");
    return 0;
}

static int check_api(struct loader *l, const struct ynode *root)
{
    const struct ynode *api = map_value(root, "api");
    if (map_key(api, "api_key") && map_key(api, "api_key_file"))
        return fail_at(l, map_key(api, "api_key_file"),
                       "give 'api_key' or 'api_key_file', not both");
    return 0;
}

static int add_default_path(struct loader *l, char **dst, const char *key, const char *value)
{
    if (*dst)
        return 0;
    if (!(*dst = strdup(value)) || l->n_paths == MAX_PATHS)
        return nomem(l);
    l->paths[l->n_paths++] = (struct pending_path){ dst, NULL, key };
    return 0;
}

/* Expand {name}, {date}, {time}, {run_id} in one path into `out`. */
static int expand_templates(struct loader *l, const struct pending_path *pp, struct strbuf *out)
{
    char date[64], time_[64];
    const char *s = *pp->dst;

    strftime(date, sizeof date, "%Y-%m-%d", &l->tm);
    strftime(time_, sizeof time_, "%H%M%S", &l->tm);
    for (; *s; s++) {
        const char *close = *s == '{' ? strchr(s, '}') : NULL, *value = NULL;
        size_t n = close ? (size_t)(close - s + 1) : 1;
        if (*s == '{' && !close)
            return fail_at(l, pp->at, "unmatched '{' in '%s' (templates are {name}, {date}, "
                           "{time} and {run_id})", pp->key);
        if (close) {
            value = n == 6 && !memcmp(s, "{name}", n)     ? l->p->name
                    : n == 6 && !memcmp(s, "{date}", n)   ? date
                    : n == 6 && !memcmp(s, "{time}", n)   ? time_
                    : n == 8 && !memcmp(s, "{run_id}", n) ? l->p->run_id
                                                          : NULL;
            if (!value)
                return fail_at(l, pp->at, "unknown template '%.*s' in '%s' (expected {name}, "
                               "{date}, {time} or {run_id})", (int)n, s, pp->key);
        }
        if (value ? strbuf_addstr(out, value) < 0 : strbuf_add(out, s, 1) < 0)
            return fail_at(l, pp->at, "'%s' is too long", pp->key);
        s += n - 1;
    }
    return 0;
}

/* Relative paths resolve against the pipeline's folder. */
static char *join_dir(const char *dir, const char *path)
{
    if (path[0] == '/' || strcmp(dir, ".") == 0)
        return strdup(path);
    size_t dl = strlen(dir), pl = strlen(path);
    bool slash = dir[dl - 1] == '/';
    char *out = malloc(dl + !slash + pl + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    if (!slash)
        out[dl++] = '/';
    memcpy(out + dl, path, pl + 1);
    return out;
}

static int resolve_paths(struct loader *l)
{
    struct strbuf sb;
    int rc = 0;

    strbuf_init(&sb, 4096);
    for (size_t i = 0; i < l->n_paths && rc == 0; i++) {
        const struct pending_path *pp = &l->paths[i];
        strbuf_reset(&sb);
        if ((rc = expand_templates(l, pp, &sb)) < 0)
            break;
        char *resolved = join_dir(l->p->dir, strbuf_str(&sb));
        if (!resolved) {
            rc = nomem(l);
            break;
        }
        free(*pp->dst);
        *pp->dst = resolved;
    }
    strbuf_release(&sb);
    return rc;
}

static int finish(struct loader *l, const struct ynode *root)
{
    struct pipeline *p = l->p;

    if (finish_name(l) < 0 || apply_base_url_env(l) < 0 || check_api(l, root) < 0)
        return -1;
    if (p->kind == PIPELINE_INVITE &&
        (check_invite(l, root) < 0 ||
         add_default_path(l, &p->output.results, "results", "out/{name}-{date}-results.csv") < 0 ||
         add_default_path(l, &p->output.rejects, "rejects", "out/{name}-{date}-rejects.csv") < 0))
        return -1;
    /* No state.path: the account's ledger, placed once the key is known
     * (store/account.h). */
    return resolve_paths(l);
}

/* ---- release -------------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void free_secret(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

void pipeline_release(struct pipeline *p)
{
    if (!p)
        return;
    free(p->file);
    free(p->dir);
    free(p->name);
    free(p->run_id);
    free(p->api.base_url);
    free_secret(p->api.api_key);
    free(p->api.api_key_error);
    free(p->api.api_key_file);
    free(p->api.ca_file);
    free(p->input.path);
    free(p->input.encoding);
    for (size_t i = 0; i < MAP_FIELD_COUNT; i++)
        free_strv(p->input.columns[i].names, p->input.columns[i].n);
    for (size_t i = 0; p->input.where && i < p->input.n_where; i++) {
        free(p->input.where[i].column);
        free_strv(p->input.where[i].in, p->input.where[i].n_in);
        free_strv(p->input.where[i].not_in, p->input.where[i].n_not_in);
    }
    free(p->input.where);
    struct where_rule *rules[] = {p->channels.sms, p->channels.email};
    for (size_t i = 0; i < ARRAY_LEN(rules); i++)
        if (rules[i]) {
            free(rules[i]->column);
            free_strv(rules[i]->in, rules[i]->n_in);
            free_strv(rules[i]->not_in, rules[i]->n_not_in);
            free(rules[i]);
        }
    free(p->invite.business_id);
    free(p->invite.campaign_id);
    free(p->invite.source);
    for (size_t i = 0; p->invite.business_map && i < p->invite.n_business_map; i++) {
        free(p->invite.business_map[i].value);
        free(p->invite.business_map[i].business_id);
        free(p->invite.business_map[i].campaign_id);
    }
    free(p->invite.business_map);
    for (size_t i = 0; p->invite.campaigns && i < p->invite.n_campaigns; i++) {
        free(p->invite.campaigns[i].value);
        free(p->invite.campaigns[i].campaign_id);
    }
    free(p->invite.campaigns);
    free(p->validate.suppress);
    free(p->export.output);
    free(p->export.since);
    free(p->export.filters.source);
    free(p->export.filters.business_id);
    free_strv(p->export.fields, p->export.n_fields);
    free(p->output.results);
    free(p->output.rejects);
    free(p->state.path);
    memset(p, 0, sizeof *p);
}

/* ---- the API key ---------------------------------------------------------- */

/* Where a key read from a file or the environment lives until the next call. */
static _Thread_local char key_buf[MAX_KEY_BYTES + 1];

/* Up to `size` - 1 bytes of `fd`, NUL-terminated; -1 on a read error. */
static ssize_t read_head(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n < size - 1) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return (ssize_t)n;
}

/* The first line of `buf`, without a UTF-8 BOM and surrounding blanks. */
static char *first_line_trimmed(char *buf)
{
    char *line = buf + (strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    line[strcspn(line, "\r\n")] = '\0';
    line += strspn(line, " \t");
    size_t len = strlen(line);
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    return line;
}

/* First line of `path`, trimmed, into key_buf; refused when group or others
 * have any access to the file, as ssh refuses such a private key. */
static int read_key_file(const char *path, const char **key, struct cp_error *err)
{
    char buf[4096], why[128];
    struct stat st;
    int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    const char *line;

    if (fd < 0)
        return cp_fail(err, CP_EXIT_USAGE, "cannot open api key file '%s': %s", path,
                       errtext(errno, why, sizeof why));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = cp_fail(err, CP_EXIT_USAGE, "api key file '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        unsigned mode = (unsigned)st.st_mode & 07777;
        rc = cp_fail(err, CP_EXIT_USAGE, "api key file '%s' is %s by others (mode %04o): run "
                     "chmod 600 '%s'", path, mode & 044 ? "readable" : "accessible", mode, path);
        goto out;
    }
    if (read_head(fd, buf, sizeof buf) < 0) {
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot read api key file '%s': %s", path,
                     errtext(errno, why, sizeof why));
        goto out;
    }
    line = first_line_trimmed(buf);
    if (!*line)
        rc = cp_fail(err, CP_EXIT_USAGE, "api key file '%s' is empty (the key goes on its first "
                     "line)", path);
    else if (strlen(line) > MAX_KEY_BYTES || has_control(line))
        rc = cp_fail(err, CP_EXIT_USAGE, "api key file '%s' does not hold a key on its first "
                     "line (too long, or control characters)", path);
    else {
        memcpy(key_buf, line, strlen(line) + 1);
        *key = key_buf;
        rc = 0;
    }
out:
    explicit_bzero(buf, sizeof buf);
    close(fd);
    return rc;
}

int pipeline_api_key(const struct pipeline *p, const char **key, struct cp_error *err)
{
    const char *env = getenv("CLOUTLY_API_KEY");

    *key = NULL;
    if (p->api.api_key) {
        *key = p->api.api_key;
        return 0;
    }
    if (p->api.api_key_error)
        return cp_fail(err, CP_EXIT_USAGE, "%s", p->api.api_key_error);
    if (p->api.api_key_file)
        return read_key_file(p->api.api_key_file, key, err);
    if (!env || !*env)
        return cp_fail(err, CP_EXIT_USAGE,
                       "no API key: set CLOUTLY_API_KEY, or api.api_key / api.api_key_file in %s",
                       p->file ? p->file : "the pipeline");
    if (strlen(env) > MAX_KEY_BYTES || has_control(env))
        return cp_fail(err, CP_EXIT_USAGE,
                       "CLOUTLY_API_KEY does not hold a key (too long, or control characters)");
    memcpy(key_buf, env, strlen(env) + 1);
    *key = key_buf;
    return 0;
}
