/*
 * The valid keys of a pipeline file, one table per section, after nginx's
 * ngx_command_t: each entry names the key, the generic setter that parses
 * it and the field it fills. The same tables dispatch a key while loading,
 * find a dotted key for pipeline_override(), and give the nearest valid key
 * for a typo.
 *
 * To add a key: add a line to its section's table with one of the macros
 * below (STR_KEY for free text, INT_KEY for a number in a range, ENUM_KEY
 * with a struct enum_words, PATH_KEY for a path (STABLE_PATH_KEY for one that
 * must not change between runs), BOOL_KEY, UUID_KEY, or
 * KEY with any cfg_set_* setter), and the field to struct pipeline with its
 * default in pipeline.c's start(). Nothing else needs to change: messages,
 * did-you-mean and overrides come from the table.
 */
#include "config/load.h"

#include <string.h>

#include "core/strbuf.h"
#include "core/suggest.h"

#define OFF(field) offsetof(struct pipeline, field)
#define KEY(k, fn, field)                                                                          \
    {                                                                                              \
        k, fn, OFF(field), 0, 0, NULL, 0                                                           \
    }
#define STR_KEY(k, field)                                                                          \
    {                                                                                              \
        k, cfg_set_str, OFF(field), 0, 0, NULL, 0                                                  \
    }
#define BOOL_KEY(k, field)                                                                         \
    {                                                                                              \
        k, cfg_set_bool, OFF(field), 0, 0, NULL, 0                                                 \
    }
#define PATH_KEY(k, field, flags)                                                                  \
    {                                                                                              \
        k, cfg_set_path, OFF(field), 0, 0, NULL, flags                                             \
    }
#define STABLE_PATH_KEY(k, field, label)                                                           \
    {                                                                                              \
        k, cfg_set_path, OFF(field), 0, 0, label, KEY_STABLE_PATH                                  \
    }
#define INT_KEY(k, field, lo, hi)                                                                  \
    {                                                                                              \
        k, cfg_set_int, OFF(field), lo, hi, NULL, 0                                                \
    }
#define UUID_KEY(k, field, hint)                                                                   \
    {                                                                                              \
        k, cfg_set_uuid, OFF(field), 0, 0, hint, 0                                                 \
    }
#define ENUM_KEY(k, field, words)                                                                  \
    {                                                                                              \
        k, cfg_set_enum, OFF(field), 0, 0, &words, 0                                               \
    }
#define SECTION_KEY(k, sec)                                                                        \
    {                                                                                              \
        k, cfg_set_section, 0, 0, 0, &sec, 0                                                       \
    }
#define SECTION(name, keys, kinds)                                                                 \
    {                                                                                              \
        name, keys, CFG_ARRAY_LEN(keys), kinds                                                     \
    }
#define WORDS(names, expect, as_string)                                                            \
    {                                                                                              \
        names, CFG_ARRAY_LEN(names), expect, as_string                                             \
    }

/* ---- enum words ----------------------------------------------------------- */

static const char *const landline_names[] = {[LANDLINES_SKIP] = "skip", [LANDLINES_SEND] = "send"};
static const struct enum_words landline_words = WORDS(landline_names, "skip or send", false);

static const char *const scope_names[] = {
    [COOLDOWN_BUSINESS] = "business", [COOLDOWN_ACCOUNT] = "account"};
static const struct enum_words scope_words = WORDS(scope_names, "business or account", false);

static const char *const format_names[] = {[EXPORT_NDJSON] = "ndjson", [EXPORT_CSV] = "csv"};
static const struct enum_words format_words = WORDS(format_names, "ndjson or csv", false);

static const char *const sort_names[] = {[EXPORT_SORT_DESC] = "desc", [EXPORT_SORT_ASC] = "asc"};
static const struct enum_words sort_words = WORDS(sort_names, "asc or desc", false);

/* Stored as the canonical lower-case name. */

/* ---- the tables ----------------------------------------------------------- */

static const struct key_spec api_keys[] = {
    KEY("base_url", cfg_set_base_url, api.base_url),
    KEY("api_key", cfg_set_api_key, api),
    PATH_KEY("api_key_file", api.api_key_file, 0),
    KEY("rate_limit", cfg_set_rate, api.rate_per_sec),
    INT_KEY("max_in_flight", api.max_in_flight, 1, 64),
    KEY("timeout", cfg_set_timeout, api.timeout_ms),
    INT_KEY("retries", api.retries, 0, 20),
    BOOL_KEY("retry_in_doubt", api.retry_in_doubt),
    KEY("max_retry_wait", cfg_set_timeout, api.max_retry_wait_ms),
    PATH_KEY("ca_file", api.ca_file, 0),
};

/* In enum map_field order, the names of map_field_key[]. */
static const struct key_spec column_keys[] = {
    KEY("firstName", cfg_set_column, input.columns[MAP_FIRST_NAME]),
    KEY("lastName", cfg_set_column, input.columns[MAP_LAST_NAME]),
    KEY("fullName", cfg_set_column, input.columns[MAP_FULL_NAME]),
    KEY("email", cfg_set_column, input.columns[MAP_EMAIL]),
    KEY("phoneNumber", cfg_set_column, input.columns[MAP_PHONE]),
    KEY("sourceContactId", cfg_set_column, input.columns[MAP_SOURCE_CONTACT_ID]),
    KEY("businessId", cfg_set_column, input.columns[MAP_BUSINESS_ID]),
    KEY("country", cfg_set_column, input.columns[MAP_COUNTRY]),
    KEY("timezone", cfg_set_column, input.columns[MAP_TIMEZONE]),
};
static const struct section columns_section = SECTION("columns", column_keys, BOTH_KINDS);

/* Offsets into a struct where_rule, not the pipeline. */
static const struct key_spec where_keys[] = {
    {"column", cfg_set_str, offsetof(struct where_rule, column), 0, 0, NULL, 0},
    {"in", cfg_set_where_in, 0, 0, 0, NULL, 0},
    {"not_in", cfg_set_where_not_in, 0, 0, 0, NULL, 0},
};
const struct section cfg_where_section = SECTION("where", where_keys, BOTH_KINDS);

static const struct key_spec input_keys[] = {
    PATH_KEY("path", input.path, 0),
    KEY("encoding", cfg_set_encoding, input.encoding),
    KEY("delimiter", cfg_set_delimiter, input.delimiter),
    SECTION_KEY("columns", columns_section),
    KEY("where", cfg_set_where, input),
};

static const struct key_spec validate_keys[] = {
    KEY("default_country", cfg_set_country, validate.default_country),
    ENUM_KEY("landlines", validate.landlines, landline_words),
    BOOL_KEY("dedupe", validate.dedupe),
    INT_KEY("cooldown_days", validate.cooldown_days, 0, 3650),
    BOOL_KEY("fix_email_typos", validate.fix_email_typos),
    BOOL_KEY("honour_opt_outs", validate.honour_opt_outs),
    ENUM_KEY("cooldown_scope", validate.cooldown_scope, scope_words),
    KEY("suppress", cfg_set_path, validate.suppress),
};

static const struct key_spec invite_keys[] = {
    UUID_KEY("business_id", invite.business_id, HINT_BUSINESS),
    UUID_KEY("campaign_id", invite.campaign_id, HINT_CAMPAIGN),
    KEY("invite_delay_days", cfg_set_delay, invite.invite_delay_days),
    STR_KEY("source", invite.source),
    KEY("business_map", cfg_set_business_map, invite),
    INT_KEY("min_sms_left", invite.min_sms_left, 0, 1000000),
    INT_KEY("max_per_run", invite.max_per_run, 1, 10000000),
    BOOL_KEY("business_by_name", invite.business_by_name),
    /* issue 12: quiet hours in the recipient's time, and a daily cap */
    KEY("send_window", cfg_set_send_window, invite.send_window),
    KEY("email_window", cfg_set_send_window, invite.email_window),
    STR_KEY("timezone", invite.timezone),
    KEY("outside_window", cfg_set_outside_window, invite.outside_window),
    INT_KEY("max_per_day", invite.max_per_day, 1, 10000000),
    KEY("spread", cfg_set_spread, invite.spread_even),
    KEY("campaigns", cfg_set_campaigns, invite),
};

static const struct key_spec channel_keys[] = {
    KEY("sms", cfg_set_channel, channels.sms),
    KEY("email", cfg_set_channel, channels.email),
};

static const struct key_spec filter_keys[] = {
    STR_KEY("source", export.filters.source),
    UUID_KEY("businessId", export.filters.business_id, HINT_BUSINESS),
    KEY("showOnWidget", cfg_set_tristate, export.filters.show_on_widget),
};
static const struct section filters_section = SECTION("filters", filter_keys, BOTH_KINDS);

static const struct key_spec export_keys[] = {
    ENUM_KEY("format", export.format, format_words),
    PATH_KEY("output", export.output, 0),
    INT_KEY("page_size", export.page_size, 1, 1000),
    ENUM_KEY("sort", export.sort, sort_words),
    KEY("since", cfg_set_since, export),
    SECTION_KEY("filters", filters_section),
    KEY("fields", cfg_set_fields, export),
    BOOL_KEY("csv_formula_guard", export.csv_formula_guard),
    BOOL_KEY("excel", export.excel),
    /* issue 15: the review mirror */
    PATH_KEY("mirror", export.mirror, 0),
    PATH_KEY("changes", export.changes, 0),
    KEY("lookback", cfg_set_lookback, export),
    KEY("full_every", cfg_set_full_every, export.full_every_secs),
    PATH_KEY("metrics", ops.metrics, 0),
};

static const struct key_spec output_keys[] = {
    PATH_KEY("results", output.results, 0),
    PATH_KEY("rejects", output.rejects, 0),
    PATH_KEY("metrics", ops.metrics, 0),
    PATH_KEY("report", ops.report, 0),
};

/* The ledger, and the run lock beside it: one per pipeline, whatever the day. */
static const struct key_spec state_keys[] = {
    STABLE_PATH_KEY("path", state.path, "state.path"),
    /* issue 16: the ledger on PostgreSQL */
    KEY("url", cfg_set_state_url, state.url),
    PATH_KEY("password_file", state.password_file, 0),
};

/* What a scheduler watches: the dead-man's switch (api/ping.h). */
static const struct key_spec notify_keys[] = {
    KEY("ping_url", cfg_set_ping_url, ops.ping_url),
};
static const struct section notify_section = SECTION("notify", notify_keys, BOTH_KINDS);

static const struct section api_section = SECTION("api", api_keys, BOTH_KINDS);
static const struct section input_section = SECTION("input", input_keys, INVITE_ONLY);
static const struct section validate_section = SECTION("validate", validate_keys, INVITE_ONLY);
static const struct section invite_section = SECTION("invite", invite_keys, INVITE_ONLY);
static const struct section export_section = SECTION("export", export_keys, EXPORT_ONLY);
static const struct section output_section = SECTION("output", output_keys, INVITE_ONLY);
static const struct section state_section = SECTION("state", state_keys, BOTH_KINDS);
static const struct section channels_section = SECTION("channels", channel_keys, INVITE_ONLY);

static const struct key_spec top_keys[] = {
    {"version", cfg_set_done, 0, 0, 0, NULL, KEY_NO_OVERRIDE},
    {"kind", cfg_set_done, 0, 0, 0, NULL, KEY_NO_OVERRIDE},
    {"name", cfg_set_name, OFF(name), 0, 0, NULL, KEY_NO_OVERRIDE},
    SECTION_KEY("api", api_section),
    SECTION_KEY("input", input_section),
    SECTION_KEY("validate", validate_section),
    SECTION_KEY("channels", channels_section),
    SECTION_KEY("invite", invite_section),
    SECTION_KEY("export", export_section),
    SECTION_KEY("output", output_section),
    SECTION_KEY("state", state_section),
    SECTION_KEY("notify", notify_section),
};
const struct section cfg_top_section = SECTION(NULL, top_keys, BOTH_KINDS);

/* ---- dispatch and did-you-mean -------------------------------------------- */

const struct key_spec *cfg_find_key(const struct section *sec, const char *name, size_t len)
{
    for (size_t j = 0; j < sec->n; j++)
        if (strlen(sec->keys[j].key) == len && memcmp(sec->keys[j].key, name, len) == 0)
            return &sec->keys[j];
    return NULL;
}

const char *cfg_kind_name(enum pipeline_kind k)
{
    return k == PIPELINE_INVITE ? "invite" : "export";
}

static int unknown_key(struct loader *l, const struct ynode *k, const struct section *sec)
{
    const char *what = sec->name ? "key" : "section";
    struct suggest s;
    struct strbuf known;
    int rc;

    suggest_init(&s, k->text, SUGGEST_DEFAULT_LIMIT);
    for (size_t i = 0; i < sec->n; i++)
        suggest_offer(&s, sec->keys[i].key, strlen(sec->keys[i].key));
    if (suggest_result(&s))
        return cfg_fail(l, k, "unknown %s '%s' (did you mean '%s'?)", what, k->text,
                        suggest_result(&s));
    strbuf_init(&known, 512);
    for (size_t i = 0; i < sec->n; i++)
        strbuf_addf(&known, "%s%s", i ? ", " : "", sec->keys[i].key);
    if (sec->name)
        rc = cfg_fail(l, k, "unknown key '%s' in '%s' (valid keys: %s)", k->text, sec->name,
                      strbuf_str(&known));
    else
        rc = cfg_fail(l, k, "unknown section '%s' (valid: %s)", k->text, strbuf_str(&known));
    strbuf_release(&known);
    return rc;
}

int cfg_walk_map(struct loader *l, const struct ynode *map, const struct section *sec, void *base)
{
    if (ynode_is_null(map))
        return 0;
    if (map->type != Y_MAP)
        return cfg_fail(l, map, "'%s' must be a mapping of keys, not %s", sec->name,
                        ynode_type_name(map));
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const char *name = map->kids[i]->text;
        const struct key_spec *ks = cfg_find_key(sec, name, strlen(name));
        if (!ks)
            return unknown_key(l, map->kids[i], sec);
        l->key_at = map->kids[i];
        if (ks->fn(l, map->kids[i + 1], base, ks) < 0)
            return -1;
    }
    return 0;
}
