/*
 * Pipeline files (SPEC section 3, version 1): YAML in, a `struct pipeline` out.
 *
 * Loading is strict because a cron job nobody watches must not run a
 * half-understood file: an unknown key, a wrong type or a bad value is an
 * error that names the file, the line, the column and the key, with the
 * nearest known key for a typo. `${VAR}` is replaced from the environment
 * (unset is an error naming the nearest variable that is set; for
 * api.api_key the error waits, see api_key_error),
 * relative paths resolve against the pipeline's folder and `{name}`, `{date}`,
 * `{time}`, `{run_id}` are expanded in every path (an unknown `{x}` is an
 * error, so a path cannot hold a literal '{').
 *
 * Ownership: a loaded `struct pipeline` owns every string and array in it;
 * pipeline_release() frees them all. Nothing here touches the network.
 */
#ifndef CLOUTLY_PIPELINE_H
#define CLOUTLY_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/send_window.h"
#include "core/error.h"

enum pipeline_kind { PIPELINE_INVITE, PIPELINE_EXPORT };

/* The API fields a CSV column can feed (input.columns). */
enum map_field {
    MAP_FIRST_NAME,        /* firstName */
    MAP_LAST_NAME,         /* lastName */
    MAP_FULL_NAME,         /* fullName: split when firstName has no column */
    MAP_EMAIL,             /* email */
    MAP_PHONE,             /* phoneNumber */
    MAP_SOURCE_CONTACT_ID, /* sourceContactId */
    MAP_BUSINESS_ID,       /* businessId: per-row location column */
    MAP_COUNTRY,           /* country: per-row country (name or ISO code) for phones */
    MAP_TIMEZONE,          /* timezone: per-row IANA zone for the send window */
    MAP_FIELD_COUNT
};

/* The YAML key of each map_field, e.g. "firstName". */
extern const char *const map_field_key[MAP_FIELD_COUNT];

/* One API field's source: CSV column names, the first non-empty wins per row. */
struct column_ref {
    char **names; /* owned; NULL when the field is not mapped */
    size_t n;     /* number of names */
    int line;     /* where it was given in the pipeline file, for errors */
};

/* input.where and channels: the rule holds when `column`'s trimmed value
 * matches one of `in` (when given) and none of `not_in` (when given), case-
 * insensitively. `not_in` suits opt-out columns, whose blank cells mean yes. */
struct where_rule {
    char *column;
    char **in;
    size_t n_in;
    char **not_in;
    size_t n_not_in;
    int line;
};

struct business_map_entry {
    char *value;       /* the CSV cell, e.g. "Bondi" */
    char *business_id; /* the Cloutly business id it means (NULL in invite.campaigns) */
    char *campaign_id; /* that location's own campaign, or NULL: invite.campaign_id */
};

/* validate.cooldown_scope: a cooldown per business (default), or across every
 * location of the account. */
enum cooldown_scope { COOLDOWN_BUSINESS, COOLDOWN_ACCOUNT };

enum landline_policy { LANDLINES_SKIP, LANDLINES_SEND };

/* invite.outside_window: what happens to a contact outside its send window. */
enum outside_window { OUTSIDE_DEFER, OUTSIDE_WAIT, OUTSIDE_EMAIL_ONLY };

enum export_format { EXPORT_NDJSON, EXPORT_CSV };
enum export_sort { EXPORT_SORT_DESC, EXPORT_SORT_ASC };

struct pipeline {
    char *file; /* path as given on the command line */
    char *dir;  /* folder relative paths resolve against */
    enum pipeline_kind kind;
    char *name;      /* default: the file name without .yaml/.yml */
    char *run_id;    /* e.g. 20261126T030000-4f2a: one per load, used by {run_id} */
    time_t now;      /* the load's `now`: {date} and {time} of later overrides agree */
    char *not_ready; /* NULL, or why this pipeline loads but cannot send (guess's
                        placeholder ids), with FILE:LINE:COL; see pipeline_check_ready */

    struct {
        char *base_url;         /* default https://app.cloutly.com/api/v1, no trailing '/' */
        char *api_key;          /* NULL when not resolved (see api_key_error) */
        char *api_key_error;    /* why api_key is NULL, e.g. an unset ${VAR}, with its place;
                                 raised by run and check (pipeline_check_ready), not by
                                 a dry run */
        char *api_key_file;     /* NULL or a resolved path; read by pipeline_api_key(),
                                 never at load time */
        double rate_per_sec;    /* rate_limit: "100/min" -> 100/60.0; default 100/min */
        int max_in_flight;      /* default 4, 1..64 */
        long timeout_ms;        /* timeout: "30s", "500ms", "2m"; default 30000 */
        int retries;            /* default 5, 0..20 */
        bool retry_in_doubt;    /* default false */
        long max_retry_wait_ms; /* max_retry_wait: the longest Retry-After waited; default 5m */
        char *ca_file;          /* NULL or a resolved path */
        char *key_buf;          /* owned: where pipeline_api_key() copies a key read from
                                 api_key_file or CLOUTLY_API_KEY; wiped on release */
        size_t key_buf_size;    /* bytes of key_buf */
    } api;

    struct {
        char *path;     /* resolved; NULL when absent (the command line's --input gives it) */
        char *encoding; /* "auto" (default) | "utf-8" | "utf-16" | "windows-1252" */
        char delimiter; /* 0 = auto (default), else ',', ';', '\t', '|' */
        struct column_ref columns[MAP_FIELD_COUNT];
        struct where_rule *where;
        size_t n_where;
    } input;

    /* Consent per channel: a contact whose row fails a rule is not reached
     * on that channel (the other still works). NULL = no rule. */
    struct {
        struct where_rule *sms;
        struct where_rule *email;
    } channels;

    struct {
        char default_country[3];        /* ISO 3166 alpha-2, upper case; default "" means
                                    only international numbers (+61...) parse */
        enum landline_policy landlines; /* default skip */
        bool dedupe;                    /* default true */
        int cooldown_days;              /* default 90; 0 = off */
        bool fix_email_typos;           /* gmial.com -> gmail.com; default false (reported only) */
        bool honour_opt_outs;           /* default true: the export's own unsubscribed,
                                           bounced and opted-out marks are obeyed */
        enum cooldown_scope cooldown_scope; /* default business */
        char *suppress;                     /* resolved path of an opt-out list, or NULL */
    } validate;

    struct {
        char *business_id;     /* UUID, required for invite unless business_map covers rows */
        char *campaign_id;     /* UUID, required for invite */
        int invite_delay_days; /* 0 = omit, 1 or 3 */
        int min_sms_left;      /* at or below this SMS balance, email only; -1 = off (default) */
        int max_per_run;       /* stop sending after this many; 0 = no limit (default) */
        bool business_by_name; /* match input.columns.businessId values to business names
                                  from GET /businesses; default false */
        char *source;          /* NULL = omit */
        struct business_map_entry *business_map;
        size_t n_business_map;
        /* Quiet hours (invite/window.h): when, in the recipient's zone. */
        struct send_window send_window;  /* contacts with a phone; default 09:00-20:00 */
        struct send_window email_window; /* email-only contacts; default any */
        char *timezone;                  /* IANA zone of the business, for email-only contacts and
                                 the daily cap's day; NULL = UTC unless GET /businesses says */
        enum outside_window outside_window; /* default defer (wait on a terminal: cmd_run) */
        bool outside_window_set;            /* given in the pipeline, not the default */
        int max_per_day;  /* per business per local day, across runs; 0 = no cap */
        bool spread_even; /* spread: even: each run takes its share of the day's cap */
        struct business_map_entry *campaigns; /* invite.campaigns: location name -> campaign
                                                 (value, campaign_id; business_id NULL) */
        size_t n_campaigns;
    } invite;

    /* kind: export only (a pipeline of the other kind refuses the section). */
    struct {
        enum export_format format; /* default ndjson */
        char *output;              /* resolved, templates expanded; NULL = not given */
        int page_size;             /* 1..1000, default 100 */
        enum export_sort sort;     /* default desc */
        char *since;               /* NULL = everything; else an ISO date or date-time as given,
                                      valid for isotime_parse() */
        bool since_last_run;       /* since: last_run (the ledger's watermark); since is NULL */
        struct {
            char *source;       /* NULL = every source */
            char *business_id;  /* NULL = every business; else a UUID */
            int show_on_widget; /* -1 = no filter (default), 0 = false, 1 = true */
        } filters;
        char **fields; /* CSV columns as dotted paths, e.g. "response.comment";
                          NULL = the exporter's default set */
        size_t n_fields;
        bool csv_formula_guard; /* default true: CSV cells a spreadsheet would run get a ' */
        bool excel;             /* default false: CSV starts with a UTF-8 BOM for Excel */
        /* The review mirror (issue 15): see export/mirror.h. */
        char *mirror;         /* export.mirror: SQLite path, resolved; NULL = no mirror */
        char *changes;        /* export.changes: this run's change feed (NDJSON); NULL = none */
        long lookback_secs;   /* export.lookback: "14d" (default 14 days); 0 when in pages */
        int lookback_pages;   /* export.lookback: "5 pages"; 0 when a duration */
        long full_every_secs; /* export.full_every: "7d" (default); 0 = only with --full */
    } export;

    /* kind: invite only; NULL for an export pipeline. */
    struct {
        char *results; /* resolved, templates expanded; default
                          out/{name}-{run_id}-results.csv beside the pipeline, so a
                          second run the same day never overwrites the first's */
        char *rejects; /* default out/{name}-{run_id}-rejects.csv */
    } output;

    struct {
        char *path; /* resolved ledger path, or NULL: the account's ledger in the state folder
                       (store/account.h places it once the key is known); never holds {date},
                       {time} or {run_id}: one ledger, not one per run. With state.url set,
                       a copy of that URL: the ledger's location either way */
        char *url;  /* state.url: a postgresql:// URL (issue 16), or NULL; may hold a
                       password: never print it (store/pg_conn.h redacts) */
        char *password_file; /* state.password_file: resolved path, or NULL */
    } state;

    /* What a scheduler watches (both kinds; README "Running it unattended"). */
    struct {
        char *metrics;  /* output.metrics (invite) or export.metrics: resolved path of the
                           Prometheus text file; NULL = none */
        char *ping_url; /* notify.ping_url: a healthchecks.io-style check URL; NULL = none */
        char *report;   /* output.report: the HTML report written after every run; NULL = none */
    } ops;
};

/*
 * Load and validate `path`. `now` fills {date} and {time} (local time).
 * On success returns 0 and `out` owns everything; on failure returns -1,
 * `err` says where and why (code CP_EXIT_USAGE, or CP_EXIT_INPUT when the
 * file cannot be read), and `out` holds nothing to release.
 */
int pipeline_load(const char *path, time_t now, struct pipeline *out, struct cp_error *err);

/*
 * A pipeline with no file, for commands that work without one (`export`,
 * `businesses`): the defaults of SPEC section 3 with `kind`, `name`, and the
 * CLOUTLY_BASE_URL override. Same ownership and failure contract as
 * pipeline_load; p->file is NULL.
 */
int pipeline_defaults(enum pipeline_kind kind, const char *name, time_t now, struct pipeline *out,
                      struct cp_error *err);

/* Free everything `p` owns; safe on a zeroed struct. */
void pipeline_release(struct pipeline *p);

/* The API key, or -1 with the reason (unset variable, unreadable or
 * group/other-readable api_key_file, no key anywhere) and what to do.
 * The key never appears in `err`.
 *
 * Ownership: `*key` is borrowed, never freed by the caller. It points into
 * `p`: api.api_key, or p->api.key_buf for a key read from api_key_file or
 * CLOUTLY_API_KEY (valid until the next call on the same pipeline or
 * pipeline_release). Copy it if it must outlive either. Not thread-safe on
 * one pipeline; different pipelines are independent. */
int pipeline_api_key(const struct pipeline *p, const char **key, struct cp_error *err);

/*
 * Everything `run` needs from the pipeline that can be known without
 * sending, so `check` refuses what `run` would: no placeholder ids left by
 * `guess` (p->not_ready, with FILE:LINE:COL), a readable api.ca_file when the
 * base URL is https, and an API key that resolves (pipeline_api_key: an unset
 * ${VAR} is named with the nearest set variable, an api_key_file must be
 * readable by its owner only). 0, or -1 with `err` (CP_EXIT_USAGE). Reads the
 * key file, never the network.
 */
int pipeline_check_ready(const struct pipeline *p, struct cp_error *err);

/*
 * Set one pipeline key of `p` (made by pipeline_load or pipeline_defaults)
 * from a string, as the YAML loader would set it from the file: the same
 * table entry, parser, validation and message words. This is how a
 * command-line option overrides the pipeline, so `--format CSV` and
 * `format: CSV` agree, and `--since` accepts exactly what `since:` does.
 *
 *   key     the dotted key as the file nests it: "export.format",
 *           "export.filters.businessId", "input.path", "state.path"...
 *   value   the text as typed, taken literally: no ${VAR} (the shell has
 *           expanded it already) and no YAML null ("null" and "" are text:
 *           "" is refused as empty where the key refuses it)
 *   origin  what the message calls the value, e.g. "--format"; NULL uses
 *           the dotted key
 *
 * Enum words are case-insensitive, as in the file. A path gets the file's
 * templates ({name}, {date}, {time} and {run_id} with the load's time and
 * run id; state.path refuses the ones that change between runs) but is not
 * joined to the pipeline's folder: a relative path from the command line is
 * the caller's, relative to the working directory; "-" stays "-".
 * `export.since` also clears `since_last_run` ("last_run" sets it).
 *
 * Refused, with CP_EXIT_USAGE and a message naming `origin` (or the key)
 * and no file place: an unknown key (with the nearest valid dotted key as a hint), a
 * section ("export.filters"), a key of the other kind of pipeline, a key
 * that is read from the file only (version, kind, name), and any value the
 * file would refuse. On failure the pipeline keeps its previous value.
 * Keys of the file this does not reach: list-, map- and rule-valued ones
 * (input.columns.*, input.where, channels.*, invite.business_map,
 * export.fields) and api.api_key.
 *
 * The command-line options that override keys today: export's --format
 * (export.format), --sort, --since, --output (export.output), --source
 * (export.filters.source), --business-id (export.filters.businessId),
 * --show-on-widget (export.filters.showOnWidget); run's and check's --input
 * (input.path). ledger's --since filters the report and is no key (parse it
 * with isotime_parse); run's --limit is no key either.
 */
int pipeline_override(struct pipeline *p, const char *key, const char *value, const char *origin,
                      struct cp_error *err);

#endif
