/*
 * Pipeline files: YAML in, a `struct pipeline` out (see pipeline.h). This
 * file runs a load in order and owns what no single key does:
 *   1. yaml_tree.c reads the file (at most 1 MiB) into a bounded tree;
 *   2. the header (version, kind) decides how the rest is read;
 *   3. keys.c walks the tree through the key tables, setters.c parses each
 *      value (expand.c replaces ${VAR});
 *   4. finish: the default name, the CLOUTLY_BASE_URL override, keys that
 *      depend on other keys, and paths (templates expanded by expand.c,
 *      resolved against the pipeline's folder).
 * Every error starts with FILE:LINE:COL (1-based, as editors count), or FILE:
 * when there is no place to point at (a key that is missing).
 */
#include "config/pipeline.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/base_url.h"
#include "config/diag.h"
#include "config/load.h"
#include "core/strbuf.h"
#include "core/uuid.h"

#define DEFAULT_BASE_URL "https://app.cloutly.com/api/v1"
#define MAX_KEY_BYTES    1023 /* an API key, from a file or the environment */

const char *const map_field_key[MAP_FIELD_COUNT] = {
    [MAP_FIRST_NAME] = "firstName",   [MAP_LAST_NAME] = "lastName",
    [MAP_FULL_NAME] = "fullName",     [MAP_EMAIL] = "email",
    [MAP_PHONE] = "phoneNumber",      [MAP_SOURCE_CONTACT_ID] = "sourceContactId",
    [MAP_BUSINESS_ID] = "businessId", [MAP_COUNTRY] = "country",
    [MAP_TIMEZONE] = "timezone",
};

/* ---- errors --------------------------------------------------------------- */

int cfg_fail(struct loader *l, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_vfail(l->err, l->file, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    return rc;
}

int cfg_defer(struct loader *l, const struct ynode *at, char **dst, const char *fmt, ...)
{
    char msg[sizeof l->err->msg];
    va_list ap;
    va_start(ap, fmt);
    diag_vformat(msg, sizeof msg, l->file, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
    free(*dst);
    if (!(*dst = strdup(msg)))
        return cfg_nomem(l);
    return 0;
}

int cfg_nomem(struct loader *l)
{
    if (!l->file)
        return cp_fail(l->err, CP_EXIT_USAGE, "out of memory");
    return cp_fail(l->err, CP_EXIT_USAGE, "%s: out of memory", l->file);
}

/* ---- the start: defaults -------------------------------------------------- */

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
        return cfg_nomem(l);
    snprintf(l->p->run_id, size, "%s-%04x", stamp, (unsigned)r);
    return 0;
}

/* The file name, its folder, the defaults of SPEC section 3, the run id. */
static int start(struct loader *l, const char *path, time_t now)
{
    struct pipeline *p = l->p;
    const char *slash = strrchr(path, '/');

    memset(p, 0, sizeof *p);
    if (!localtime_r(&now, &l->tm))
        return cp_fail(l->err, CP_EXIT_USAGE, "%s: cannot convert the current time", path);
    p->now = now;
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
    p->api.max_retry_wait_ms = 300000;
    p->api.key_buf = calloc(1, MAX_KEY_BYTES + 1);
    p->api.key_buf_size = MAX_KEY_BYTES + 1;
    p->input.encoding = strdup("auto");
    p->validate.landlines = LANDLINES_SKIP;
    p->validate.dedupe = true;
    p->validate.honour_opt_outs = true;
    p->validate.cooldown_days = 90;
    p->invite.min_sms_left = -1;
    p->export.page_size = 100;
    p->export.filters.show_on_widget = -1;
    p->export.csv_formula_guard = true;
    p->export.lookback_secs = 14 * 86400;
    p->export.full_every_secs = 7 * 86400;
    if (!p->file || !p->dir || !p->api.base_url || !p->input.encoding || !p->api.key_buf)
        return cfg_nomem(l);
    return make_run_id(l);
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
        return cfg_nomem(l);
    if (base_url_check(url, why, sizeof why) < 0) {
        free(url);
        return cp_fail(l->err, CP_EXIT_USAGE, "environment variable CLOUTLY_BASE_URL: %s", why);
    }
    free(l->p->api.base_url);
    l->p->api.base_url = url;
    return 0;
}

/* ---- the walk, from the root ---------------------------------------------- */

/* version and kind first: they decide how the rest is read. */
static int read_header(struct loader *l, const struct ynode *root)
{
    static const char *const kinds[] = {[PIPELINE_INVITE] = "invite", [PIPELINE_EXPORT] = "export"};
    static const struct enum_words kind_words = {kinds, CFG_ARRAY_LEN(kinds), "invite or export",
                                                 false};
    const struct ynode *version = ynode_map_value(root, "version");
    const struct ynode *kind = ynode_map_value(root, "kind");
    char *text = NULL;
    int k = -1, rc = -1;

    if (!version)
        return cfg_fail(l, NULL, "missing 'version: 1' (the first line of every pipeline)");
    if (cfg_get_scalar(l, version, "version", "1", &text) < 0)
        goto out;
    if (!text || strcmp(text, "1") != 0) {
        cfg_fail(l, version, "unsupported version '%s' (this cloutly-pipe reads version 1)",
                 text ? text : "null");
        goto out;
    }
    if (!kind) {
        cfg_fail(l, NULL, "missing 'kind' (invite or export)");
        goto out;
    }
    if (cfg_pick(l, kind, "kind", &kind_words, &k) < 0)
        goto out;
    if (k < 0) {
        cfg_fail(l, kind, "invalid kind 'null' (expected invite or export)");
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
    if (!root || ynode_is_null(root))
        return cfg_fail(l, NULL, "the file holds no pipeline (it should start with 'version: 1')");
    if (root->type != Y_MAP)
        return cfg_fail(l, root, "expected a mapping of sections at the top level, not %s",
                        ynode_type_name(root));
    if (read_header(l, root) < 0)
        return -1;
    return cfg_walk_map(l, root, &cfg_top_section, l->p);
}

/* ---- the finish ----------------------------------------------------------- */

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
        return cfg_nomem(l);
    if (!cfg_valid_name(p->name))
        return cfg_fail(l, NULL,
                        "pipeline name '%s' (from the file name) may only hold letters, digits, "
                        "'.', '_' and '-' (it goes into file names): rename the file or set "
                        "'name:'",
                        p->name);
    return 0;
}

/* guess writes all-zero ids where it could not learn the real ones, so its
 * pipeline loads and checks; sending with them would only collect 404s.
 * Remembered with its place for check and run (a dry run goes on). */
static int find_placeholders(struct loader *l, const struct ynode *invite)
{
    const struct pipeline *p = l->p;
    if (uuid_is_nil(p->invite.business_id))
        return cfg_defer(l, ynode_map_value(invite, "business_id"), &l->p->not_ready,
                         "invite.business_id is still the placeholder 'guess' wrote: run "
                         "'cloutly-pipe businesses' and put the id in");
    if (uuid_is_nil(p->invite.campaign_id))
        return cfg_defer(l, ynode_map_value(invite, "campaign_id"), &l->p->not_ready,
                         "invite.campaign_id is still the placeholder 'guess' wrote: copy the "
                         "id from the campaign page's URL in Cloutly");
    const struct ynode *map = ynode_map_value(invite, "business_map");
    for (size_t i = 0; i < p->invite.n_business_map; i++)
        if (uuid_is_nil(p->invite.business_map[i].business_id))
            return cfg_defer(l, ynode_map_value(map, p->invite.business_map[i].value),
                             &l->p->not_ready,
                             "invite.business_map '%s' is still the placeholder 'guess' wrote: "
                             "run 'cloutly-pipe businesses' and put the store's id in",
                             p->invite.business_map[i].value);
    return 0;
}

/* What the sections cannot check alone: keys that depend on other keys. */
static int check_invite(struct loader *l, const struct ynode *root)
{
    const struct pipeline *p = l->p;
    const struct ynode *invite_at = ynode_map_key(root, "invite");
    const struct ynode *invite = ynode_map_value(root, "invite");
    bool per_row = p->input.columns[MAP_BUSINESS_ID].names &&
                   (p->invite.n_business_map || p->invite.business_by_name);

    if (p->invite.n_business_map && !p->input.columns[MAP_BUSINESS_ID].names)
        return cfg_fail(l, ynode_map_key(invite, "business_map"),
                        "'business_map' needs input.columns.businessId (the column whose values "
                        "it maps)");
    if (p->invite.business_by_name && !p->input.columns[MAP_BUSINESS_ID].names)
        return cfg_fail(l, ynode_map_key(invite, "business_by_name"),
                        "'business_by_name' needs input.columns.businessId (the column that "
                        "names each row's location)");
    if (!p->invite.business_id && !per_row)
        return cfg_fail(l, invite_at,
                        "missing 'business_id' in 'invite' (" HINT_BUSINESS
                        ", or map input.columns.businessId through business_map or "
                        "business_by_name)");
    bool per_location_campaigns = p->invite.n_campaigns > 0;
    for (size_t i = 0; i < p->invite.n_business_map; i++)
        per_location_campaigns |= p->invite.business_map[i].campaign_id != NULL;
    if (!p->invite.campaign_id && !per_location_campaigns)
        return cfg_fail(l, invite_at,
                        "missing 'campaign_id' in 'invite' (" HINT_CAMPAIGN
                        ", or give locations their own in business_map or campaigns)");
    return find_placeholders(l, invite);
}

static int check_api(struct loader *l, const struct ynode *root)
{
    const struct ynode *api = ynode_map_value(root, "api");
    if (ynode_map_key(api, "api_key") && ynode_map_key(api, "api_key_file"))
        return cfg_fail(l, ynode_map_key(api, "api_key_file"),
                        "give 'api_key' or 'api_key_file', not both");
    return 0;
}

static int add_default_path(struct loader *l, char **dst, const char *key, const char *value)
{
    if (*dst)
        return 0;
    if (l->n_paths == CFG_MAX_PATHS)
        return cfg_fail(l, NULL, "internal limit: more than %d paths in one pipeline",
                        CFG_MAX_PATHS);
    if (!(*dst = strdup(value)))
        return cfg_nomem(l);
    l->paths[l->n_paths++] = (struct pending_path){dst, NULL, key, key, 0};
    return 0;
}

static int resolve_paths(struct loader *l)
{
    struct strbuf sb;
    int rc = 0;

    strbuf_init(&sb, 4096);
    for (size_t i = 0; i < l->n_paths && rc == 0; i++) {
        const struct pending_path *pp = &l->paths[i];
        strbuf_reset(&sb);
        if ((rc = cfg_expand_templates(l, pp, &sb)) < 0)
            break;
        char *resolved = cfg_join_dir(l->p->dir, strbuf_str(&sb));
        if (!resolved) {
            rc = cfg_nomem(l);
            break;
        }
        free(*pp->dst);
        *pp->dst = resolved;
    }
    strbuf_release(&sb);
    return rc;
}

/* state.url is the ledger's location: state.path carries it to every
 * command that opens the ledger (store/ledger.h takes either). */
static int finish_state_url(struct loader *l, const struct ynode *root)
{
    struct pipeline *p = l->p;
    (void)root;
    if (!p->state.url)
        return 0;
    if (p->state.path)
        return cfg_fail(l, NULL,
                        "state.path and state.url are both set: the ledger is one or the other "
                        "(remove one)");
    if (!(p->state.path = strdup(p->state.url)))
        return cfg_nomem(l);
    return 0;
}

static int finish(struct loader *l, const struct ynode *root)
{
    struct pipeline *p = l->p;

    if (finish_name(l) < 0 || apply_base_url_env(l) < 0 || check_api(l, root) < 0)
        return -1;
    if (p->kind == PIPELINE_INVITE &&
        (check_invite(l, root) < 0 ||
         add_default_path(l, &p->output.results, "results", "out/{name}-{run_id}-results.csv") <
             0 ||
         add_default_path(l, &p->output.rejects, "rejects", "out/{name}-{run_id}-rejects.csv") < 0))
        return -1;
    /* No state.path: the account's ledger, placed once the key is known
     * (store/account.h). */
    if (resolve_paths(l) < 0)
        return -1;
    return finish_state_url(l, root);
}

/* ---- the public functions ------------------------------------------------- */

int pipeline_load(const char *path, time_t now, struct pipeline *out, struct cp_error *err)
{
    struct loader l = {.file = path, .p = out, .err = err};
    struct ynode *root = NULL;
    int rc = -1;

    if (start(&l, path, now) < 0 || ytree_load(path, &root, err) < 0 || walk_root(&l, root) < 0 ||
        finish(&l, root) < 0)
        goto out;
    rc = 0;
out:
    ytree_free(root);
    if (rc < 0)
        pipeline_release(out);
    return rc;
}

int pipeline_defaults(enum pipeline_kind kind, const char *name, time_t now, struct pipeline *out,
                      struct cp_error *err)
{
    struct loader l = {.file = "command line", .p = out, .err = err};
    int rc = -1;

    if (start(&l, name, now) < 0 || apply_base_url_env(&l) < 0)
        goto out;
    /* No file: messages that would name it say "the pipeline" instead. */
    free(out->file);
    out->file = NULL;
    out->kind = kind;
    if (!(out->name = strdup(name))) {
        cfg_nomem(&l);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        pipeline_release(out);
    return rc;
}

/* ---- release -------------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void free_secret(char *s, size_t n)
{
    if (s)
        explicit_bzero(s, n);
    free(s);
}

static void free_rule(struct where_rule *r)
{
    free(r->column);
    free_strv(r->in, r->n_in);
    free_strv(r->not_in, r->n_not_in);
}

void pipeline_release(struct pipeline *p)
{
    if (!p)
        return;
    free(p->file);
    free(p->dir);
    free(p->name);
    free(p->run_id);
    free(p->not_ready);
    free(p->api.base_url);
    free_secret(p->api.api_key, p->api.api_key ? strlen(p->api.api_key) : 0);
    free_secret(p->api.key_buf, p->api.key_buf_size);
    free(p->api.api_key_error);
    free(p->api.api_key_file);
    free(p->api.ca_file);
    free(p->input.path);
    free(p->input.encoding);
    for (size_t i = 0; i < MAP_FIELD_COUNT; i++)
        free_strv(p->input.columns[i].names, p->input.columns[i].n);
    for (size_t i = 0; p->input.where && i < p->input.n_where; i++)
        free_rule(&p->input.where[i]);
    free(p->input.where);
    struct where_rule *rules[] = {p->channels.sms, p->channels.email};
    for (size_t i = 0; i < CFG_ARRAY_LEN(rules); i++)
        if (rules[i]) {
            free_rule(rules[i]);
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
    free(p->invite.timezone);
    for (size_t i = 0; p->invite.campaigns && i < p->invite.n_campaigns; i++) {
        free(p->invite.campaigns[i].value);
        free(p->invite.campaigns[i].campaign_id);
    }
    free(p->invite.campaigns);
    free(p->validate.suppress);
    free(p->export.output);
    free(p->export.mirror);
    free(p->export.changes);
    free(p->export.since);
    free(p->export.filters.source);
    free(p->export.filters.business_id);
    free_strv(p->export.fields, p->export.n_fields);
    free(p->output.results);
    free(p->output.rejects);
    free(p->ops.metrics);
    free(p->ops.report);
    free(p->ops.ping_url);
    free(p->state.path);
    free(p->state.url);
    free(p->state.password_file);
    memset(p, 0, sizeof *p);
}
