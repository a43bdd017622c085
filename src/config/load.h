/*
 * The pipeline loader's insides, shared by the files of config/ and by no
 * other folder: the state of one load (or one override), the key tables'
 * types, and the setters the tables point at.
 *
 * A load runs: yaml_tree.c (file -> tree), keys.c (each key of the tree to
 * its setter through the section tables), setters.c (one value -> one
 * field, with the checks), expand.c (${VAR} in values, {name}/{date}/...
 * in paths), pipeline.c (defaults, cross-key checks, the finish). override.c
 * runs one setter on a value from the command line.
 *
 * Ownership: a setter stores what it parsed into the pipeline at once, so
 * pipeline_release() frees everything whether the load ends well or not.
 */
#ifndef CLOUTLY_CONFIG_LOAD_H
#define CLOUTLY_CONFIG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/pipeline.h"
#include "config/yaml_tree.h"
#include "core/strbuf.h"

#define CFG_MAX_VALUE_BYTES (1024 * 1024) /* one scalar after ${VAR} expansion */
#define CFG_MAX_PATHS                                                                              \
    32 /* path-valued keys in one pipeline: each key is
                                             given once, so this bounds the tables' path
                                             keys plus the defaults */
#define CFG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define HINT_BUSINESS "run 'cloutly-pipe businesses' to list ids"
#define HINT_CAMPAIGN "copy it from the campaign page's URL in the Cloutly dashboard"

struct key_spec;

/* A path-valued field: raw after the walk, resolved by pipeline.c (or at once
 * by an override). */
struct pending_path {
    char **dst;             /* the field in struct pipeline */
    const struct ynode *at; /* where it was given; NULL for a default */
    const char *key;        /* for messages */
    const char *label;      /* the full name, e.g. "state.path", for the
                                    run-to-run message */
    unsigned flags;         /* the key's KEY_* flags */
};

/* Everything one load (or one override) needs; lives on the caller's stack. */
struct loader {
    const char *file;   /* first in every message; NULL for an override */
    const char *origin; /* an override's option (e.g. "--format"): the subject
                                   of its messages; NULL when reading a file */
    struct pipeline *p; /* being filled */
    struct cp_error *err;
    struct tm tm;               /* the load's `now`, local: {date}, {time}, run_id */
    const struct ynode *key_at; /* the key whose value is being parsed */
    bool literal;               /* an override: no ${VAR} (the shell expanded it already) */
    struct pending_path paths[CFG_MAX_PATHS];
    size_t n_paths;
};

/* A setter: parse `val` and store it `ks->off` bytes into `base` (the
 * pipeline, or a where rule). 0, or -1 with l->err set. */
typedef int (*key_fn)(struct loader *l, const struct ynode *val, void *base,
                      const struct key_spec *ks);

/* What a key allows beyond its setter. */
enum key_flags {
    KEY_STABLE_PATH = 1u << 0, /* a path that must be the same every run: no {date},
                                  {time} or {run_id} (the ledger and its lock) */
    KEY_NO_OVERRIDE = 1u << 1, /* read from the file only (version, kind, name) */
};

/* One valid key of a section (nginx's ngx_command_t: name, setter, offset). */
struct key_spec {
    const char *key;
    key_fn fn;
    size_t off;      /* the field, from the base */
    long min, max;   /* cfg_set_int: the accepted range */
    const void *arg; /* cfg_set_section: a struct section; cfg_set_uuid: a hint;
                        cfg_set_enum: a struct enum_words */
    unsigned flags;  /* enum key_flags */
};

#define KIND_BIT(k) (1u << (k))
#define BOTH_KINDS  (KIND_BIT(PIPELINE_INVITE) | KIND_BIT(PIPELINE_EXPORT))
#define INVITE_ONLY KIND_BIT(PIPELINE_INVITE)
#define EXPORT_ONLY KIND_BIT(PIPELINE_EXPORT)

struct section {
    const char *name; /* for messages; NULL for the top level */
    const struct key_spec *keys;
    size_t n;
    unsigned kinds; /* KIND_BIT of each pipeline kind that may have it */
};

/* The words of an enum key, in enum order; matched case-insensitively. */
struct enum_words {
    const char *const *names;
    size_t n;
    const char *expect; /* "ndjson or csv", for the message */
    bool as_string;     /* store the canonical word (a char * field), not the index */
};

/* The top of the key tables (keys.c). */
extern const struct section cfg_top_section;
/* The keys of one {column, in, not_in} rule (input.where, channels). */
extern const struct section cfg_where_section;

/* ---- errors (pipeline.c) -------------------------------------------------- */

/* FILE:LINE:COL: message (FILE: message when `at` is NULL or has no place;
 * the message alone for an override); returns -1. */
int cfg_fail(struct loader *l, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like cfg_fail(), but the message goes to *dst (owned) for later: 0, or -1
 * when out of memory. */
int cfg_defer(struct loader *l, const struct ynode *at, char **dst, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cfg_nomem(struct loader *l);

/* The name a message gives the value being set: the override's option, or
 * the key. */
static inline const char *cfg_subject(const struct loader *l, const struct key_spec *ks)
{
    return l->origin ? l->origin : ks->key;
}

/* ---- keys (keys.c) -------------------------------------------------------- */

/* Each key of `map` to its setter in `sec`; a null `map` is an empty one. */
int cfg_walk_map(struct loader *l, const struct ynode *map, const struct section *sec, void *base);
/* The key named `len` bytes at `name` in `sec`, or NULL. */
const struct key_spec *cfg_find_key(const struct section *sec, const char *name, size_t len);
const char *cfg_kind_name(enum pipeline_kind k);

/* ---- values (expand.c) ---------------------------------------------------- */

/* A scalar's text with ${VAR} expanded into *out (caller frees); *out = NULL
 * for null. `want` names the expected type for the wrong-type message. */
int cfg_get_scalar(struct loader *l, const struct ynode *v, const char *key, const char *want,
                   char **out);
/* ${VAR} expansion of scalar `v`; an unset variable is an error, unless
 * `deferred` is given: then *out stays NULL and *deferred gets the message. */
int cfg_expand_env(struct loader *l, const struct ynode *v, const char *key, char **out,
                   char **deferred);
/* {name}, {date}, {time}, {run_id} of one path into `out`; a KEY_STABLE_PATH
 * path refuses the ones that change from run to run. */
int cfg_expand_templates(struct loader *l, const struct pending_path *pp, struct strbuf *out);
/* `path` against folder `dir` (absolute paths, "-" and dir "." as they are);
 * NULL when out of memory. */
char *cfg_join_dir(const char *dir, const char *path);

/* ---- setters (setters.c), for the tables ---------------------------------- */

int cfg_set_section(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_done(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_str(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_encoding(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_lookback(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_send_window(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_outside_window(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_spread(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_full_every(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_path(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_int(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_bool(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_tristate(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_uuid(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_enum(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_rate(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_timeout(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_delay(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_delimiter(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_country(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_name(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_column(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_where_in(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_where_not_in(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_where(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_channel(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_business_map(struct loader *, const struct ynode *, void *, const struct key_spec *);
/* The account's keys (account_keys.c): a location's {business_id, campaign_id}
 * in business_map, and invite.campaigns by location name. */
int cfg_set_location_target(struct loader *, const struct ynode *, struct business_map_entry *);
int cfg_set_campaigns(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_fields(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_since(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_api_key(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_base_url(struct loader *, const struct ynode *, void *, const struct key_spec *);
/* notify.ping_url: base_url's rules (https, or http to loopback). */
int cfg_set_ping_url(struct loader *, const struct ynode *, void *, const struct key_spec *);
int cfg_set_state_url(struct loader *, const struct ynode *, void *, const struct key_spec *);

/* One of `words` (case-insensitive) into *idx; null leaves *idx. `subject`
 * names the value in the message. */
int cfg_pick(struct loader *l, const struct ynode *v, const char *subject,
             const struct enum_words *words, int *idx);

/* A name goes into file names: [A-Za-z0-9._-]+, and not "." or "..". */
bool cfg_valid_name(const char *s);
/* Any byte below 0x20, or DEL. */
bool cfg_has_control(const char *s);

#endif
