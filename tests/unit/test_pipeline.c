/*
 * Unit tests for src/config/ (the loader, pipeline_check_ready and
 * pipeline_override): pipeline files are written into a fresh temporary
 * folder and loaded with a fixed `now` (2026-11-26T03:04:05, TZ=UTC).
 * Error cases compare the whole message, place included, so a wrong line,
 * column, key or hint fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/pipeline.h"

#define NOW ((time_t)1795662245) /* 2026-11-26T03:04:05Z */
#define BIZ "44271176-7053-4534-ad6f-b38d132d341e"
#define CAMP "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"
#define HEAD "version: 1\nkind: invite\n"
#define INVITE "invite:\n  business_id: " BIZ "\n  campaign_id: " CAMP "\n"
#define LOOPBACK_ONLY                                                                      \
    "'http://' is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost): use https://"

static char tmp[256]; /* this run's folder */

/* ---- helpers -------------------------------------------------------------- */

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", tmp, rel);
}

/* Write `text` to tmp/rel (one level of folder created) with `mode`. */
static void write_file(const char *rel, const char *text, size_t len, mode_t mode)
{
    char path[512], dir[512];
    path_of(path, sizeof path, rel);
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    if (strcmp(dir, tmp) != 0)
        mkdir(dir, 0700);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int load(const char *rel, const char *yaml, struct pipeline *p, struct cp_error *err)
{
    char path[512];
    write_file(rel, yaml, strlen(yaml), 0644);
    path_of(path, sizeof path, rel);
    return pipeline_load(path, NOW, p, err);
}

static void load_ok(const char *rel, const char *yaml, struct pipeline *p)
{
    struct cp_error err = { 0 };
    if (load(rel, yaml, p, &err) != 0)
        fail_msg("load of %s failed: %s", rel, err.msg);
}

static bool is_zero(const struct pipeline *p)
{
    static const struct pipeline zero;
    return memcmp(p, &zero, sizeof zero) == 0;
}

/* Loading tmp/rel fails with `want` after the "TMP/" prefix, and leaves nothing behind. */
static void expect_load_error(const char *rel, const char *want)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    char path[512];
    size_t tl = strlen(tmp);

    memset(&p, 0x5a, sizeof p);
    path_of(path, sizeof path, rel);
    assert_int_equal(pipeline_load(path, NOW, &p, &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    if (strncmp(err.msg, tmp, tl) != 0 || err.msg[tl] != '/')
        fail_msg("message does not start with the file: %s", err.msg);
    assert_string_equal(err.msg + tl + 1, want);
    assert_true(is_zero(&p));
}

static void expect_error(const char *rel, const char *yaml, const char *want)
{
    write_file(rel, yaml, strlen(yaml), 0644);
    expect_load_error(rel, want);
}

/* ---- a full pipeline ------------------------------------------------------ */

static const char full_yaml[] =
    "version: 1\n"
    "kind: invite\n"
    "name: nightly-pos\n"
    "\n"
    "api:\n"
    "  base_url: https://api.example.test/api/v1/\n"
    "  api_key: ${CP_TEST_KEY}\n"
    "  rate_limit: 2.5/s\n"
    "  max_in_flight: 8\n"
    "  timeout: 500ms\n"
    "  retries: 0\n"
    "  retry_in_doubt: true\n"
    "  ca_file: certs/ca.pem\n"
    "\n"
    "input:\n"
    "  path: ../samples/${CP_TEST_SHOP}-customers-{date}.csv\n"
    "  encoding: UTF-8\n"
    "  delimiter: \"\\t\"\n"
    "  columns:\n"
    "    firstName: [\"First Name\", \"Given Name\"]\n"
    "    lastName: \"Last Name\"\n"
    "    fullName: Customer Name\n"
    "    email: \"Email Address\"\n"
    "    phoneNumber: 'Phone Number'\n"
    "    sourceContactId: Reference ID\n"
    "    businessId: Location\n"
    "  where:\n"
    "    - column: \"Accepts SMS Marketing\"\n"
    "      in: [\"yes\", \"true\"]\n"
    "    - column: Status\n"
    "      in: active\n"
    "\n"
    "validate:\n"
    "  default_country: au\n"
    "  landlines: send\n"
    "  dedupe: false\n"
    "  cooldown_days: 0\n"
    "\n"
    "invite:\n"
    "  business_id: " BIZ "\n"
    "  campaign_id: " CAMP "\n"
    "  invite_delay_days: 3\n"
    "  source: pos\n"
    "  business_map:\n"
    "    \"Bondi\": 5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4\n"
    "    Manly: 634D8ED1-11FD-413D-A9A6-D6B8BA0C95A5\n"
    "\n"
    "output:\n"
    "  results: /var/out/{name}-{date}-{time}-results.csv\n"
    "  rejects: rejects/{run_id}.csv\n"
    "\n"
    "state:\n"
    "  path: ../state/{name}.sqlite\n";

static void assert_names(const struct column_ref *ref, size_t n, const char *a, const char *b,
                         int line)
{
    assert_int_equal(ref->n, n);
    assert_non_null(ref->names);
    assert_string_equal(ref->names[0], a);
    if (n > 1)
        assert_string_equal(ref->names[1], b);
    assert_int_equal(ref->line, line);
}

static void check_full_api(const struct pipeline *p)
{
    char want[512];
    const char *key = NULL;
    struct cp_error err = { 0 };

    assert_string_equal(p->api.base_url, "https://api.example.test/api/v1");
    assert_string_equal(p->api.api_key, "sk-test-123");
    assert_null(p->api.api_key_error);
    assert_int_equal(pipeline_api_key(p, &key, &err), 0);
    assert_string_equal(key, "sk-test-123");
    assert_true(p->api.rate_per_sec > 2.4999 && p->api.rate_per_sec < 2.5001);
    assert_int_equal(p->api.max_in_flight, 8);
    assert_int_equal(p->api.timeout_ms, 500);
    assert_int_equal(p->api.retries, 0);
    assert_true(p->api.retry_in_doubt);
    path_of(want, sizeof want, "pipes/certs/ca.pem");
    assert_string_equal(p->api.ca_file, want);
    assert_null(p->api.api_key_file);
}

static void check_full_input(const struct pipeline *p)
{
    char want[512];
    const struct column_ref *c = p->input.columns;

    path_of(want, sizeof want, "pipes/../samples/bondi-customers-2026-11-26.csv");
    assert_string_equal(p->input.path, want);
    assert_string_equal(p->input.encoding, "utf-8");
    assert_int_equal(p->input.delimiter, '\t');
    assert_names(&c[MAP_FIRST_NAME], 2, "First Name", "Given Name", 20);
    assert_names(&c[MAP_LAST_NAME], 1, "Last Name", NULL, 21);
    assert_names(&c[MAP_FULL_NAME], 1, "Customer Name", NULL, 22);
    assert_names(&c[MAP_EMAIL], 1, "Email Address", NULL, 23);
    assert_names(&c[MAP_PHONE], 1, "Phone Number", NULL, 24);
    assert_names(&c[MAP_SOURCE_CONTACT_ID], 1, "Reference ID", NULL, 25);
    assert_names(&c[MAP_BUSINESS_ID], 1, "Location", NULL, 26);
    assert_int_equal(p->input.n_where, 2);
    assert_string_equal(p->input.where[0].column, "Accepts SMS Marketing");
    assert_int_equal(p->input.where[0].n_in, 2);
    assert_string_equal(p->input.where[0].in[0], "yes");
    assert_string_equal(p->input.where[0].in[1], "true");
    assert_int_equal(p->input.where[0].line, 28);
    assert_string_equal(p->input.where[1].column, "Status");
    assert_int_equal(p->input.where[1].n_in, 1);
    assert_string_equal(p->input.where[1].in[0], "active");
    assert_int_equal(p->input.where[1].line, 30);
}

static void check_full_rest(const struct pipeline *p)
{
    char want[512];

    assert_string_equal(p->validate.default_country, "AU");
    assert_int_equal(p->validate.landlines, LANDLINES_SEND);
    assert_false(p->validate.dedupe);
    assert_int_equal(p->validate.cooldown_days, 0);
    assert_string_equal(p->invite.business_id, BIZ);
    assert_string_equal(p->invite.campaign_id, CAMP);
    assert_int_equal(p->invite.invite_delay_days, 3);
    assert_string_equal(p->invite.source, "pos");
    assert_int_equal(p->invite.n_business_map, 2);
    assert_string_equal(p->invite.business_map[0].value, "Bondi");
    assert_string_equal(p->invite.business_map[0].business_id,
                        "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4");
    assert_string_equal(p->invite.business_map[1].value, "Manly");
    assert_string_equal(p->invite.business_map[1].business_id,
                        "634D8ED1-11FD-413D-A9A6-D6B8BA0C95A5");
    assert_string_equal(p->output.results, "/var/out/nightly-pos-2026-11-26-030405-results.csv");
    snprintf(want, sizeof want, "%s/pipes/rejects/%s.csv", tmp, p->run_id);
    assert_string_equal(p->output.rejects, want);
    path_of(want, sizeof want, "pipes/../state/nightly-pos.sqlite");
    assert_string_equal(p->state.path, want);
}

static void test_full_invite(void **state)
{
    struct pipeline p;
    char want[512];
    (void)state;

    setenv("CP_TEST_KEY", "sk-test-123", 1);
    setenv("CP_TEST_SHOP", "bondi", 1);
    load_ok("pipes/full.yaml", full_yaml, &p);
    path_of(want, sizeof want, "pipes/full.yaml");
    assert_string_equal(p.file, want);
    path_of(want, sizeof want, "pipes");
    assert_string_equal(p.dir, want);
    assert_int_equal(p.kind, PIPELINE_INVITE);
    assert_string_equal(p.name, "nightly-pos");
    /* run_id: local YYYYMMDDTHHMMSS, '-', 4 lower-case hex digits */
    assert_int_equal(strlen(p.run_id), 20);
    assert_memory_equal(p.run_id, "20261126T030405-", 16);
    assert_int_equal(strspn(p.run_id + 16, "0123456789abcdef"), 4);
    check_full_api(&p);
    check_full_input(&p);
    check_full_rest(&p);
    pipeline_release(&p);
    assert_true(is_zero(&p));
    unsetenv("CP_TEST_KEY");
    unsetenv("CP_TEST_SHOP");
}

/* The column keys are map_field_key[], in enum order. */
static void test_map_field_keys(void **state)
{
    static const char *const want[MAP_FIELD_COUNT] = {
        "firstName", "lastName", "fullName", "email", "phoneNumber", "sourceContactId",
        "businessId", "country", "timezone",
    };
    (void)state;
    for (int i = 0; i < MAP_FIELD_COUNT; i++)
        assert_string_equal(map_field_key[i], want[i]);
}

static void test_defaults(void **state)
{
    struct pipeline p;
    char want[512];
    (void)state;

    load_ok("minimal.yaml", HEAD INVITE, &p);
    assert_string_equal(p.name, "minimal");
    assert_string_equal(p.dir, tmp);
    assert_string_equal(p.api.base_url, "https://app.cloutly.com/api/v1");
    assert_null(p.api.api_key);
    assert_null(p.api.api_key_error);
    assert_null(p.api.api_key_file);
    assert_null(p.api.ca_file);
    assert_true(p.api.rate_per_sec > 100 / 60.0 - 1e-9 && p.api.rate_per_sec < 100 / 60.0 + 1e-9);
    assert_int_equal(p.api.max_in_flight, 4);
    assert_int_equal(p.api.timeout_ms, 30000);
    assert_int_equal(p.api.retries, 5);
    assert_false(p.api.retry_in_doubt);
    assert_null(p.input.path);
    assert_string_equal(p.input.encoding, "auto");
    assert_int_equal(p.input.delimiter, 0);
    for (int i = 0; i < MAP_FIELD_COUNT; i++)
        assert_null(p.input.columns[i].names);
    assert_int_equal(p.input.n_where, 0);
    assert_string_equal(p.validate.default_country, "");
    assert_int_equal(p.validate.landlines, LANDLINES_SKIP);
    assert_true(p.validate.dedupe);
    assert_int_equal(p.validate.cooldown_days, 90);
    assert_int_equal(p.invite.invite_delay_days, 0);
    assert_null(p.invite.source);
    assert_int_equal(p.invite.n_business_map, 0);
    /* {run_id} by default: a second run the same day keeps the first's files. */
    char rid[128];
    snprintf(rid, sizeof rid, "out/minimal-%s-results.csv", p.run_id);
    path_of(want, sizeof want, rid);
    assert_string_equal(p.output.results, want);
    assert_non_null(strstr(p.output.results, "minimal-20261126T"));
    snprintf(rid, sizeof rid, "out/minimal-%s-rejects.csv", p.run_id);
    path_of(want, sizeof want, rid);
    assert_string_equal(p.output.rejects, want);
    /* No state.path: the account's ledger, placed once the key is known. */
    assert_null(p.state.path);
    pipeline_release(&p);
}

/* ---- errors the brief names ----------------------------------------------- */

static void test_did_you_mean(void **state)
{
    (void)state;
    expect_error("typo.yaml", HEAD INVITE "  invite_dealy_days: 1\n",
                 "typo.yaml:6:3: unknown key 'invite_dealy_days' (did you mean "
                 "'invite_delay_days'?)");
    expect_error("typo2.yaml", HEAD INVITE "input:\n  columns:\n    first_name: First\n",
                 "typo2.yaml:8:5: unknown key 'first_name' (did you mean 'firstName'?)");
    /* too far from every key: the valid keys are listed instead */
    expect_error("typo3.yaml", HEAD INVITE "validate:\n  proxy: x\n",
                 "typo3.yaml:7:3: unknown key 'proxy' in 'validate' (valid keys: "
                 "default_country, landlines, dedupe, cooldown_days, fix_email_typos, "
                 "honour_opt_outs, cooldown_scope, suppress)");
}

static void test_unknown_section(void **state)
{
    (void)state;
    expect_error("section.yaml", HEAD INVITE "inptu:\n  path: x.csv\n",
                 "section.yaml:6:1: unknown section 'inptu' (did you mean 'input'?)");
    expect_error("section2.yaml", HEAD "zzz: 1\n" INVITE,
                 "section2.yaml:3:1: unknown section 'zzz' (valid: version, kind, name, api, "
                 "input, validate, channels, invite, export, output, state, notify)");
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_error("type.yaml", HEAD INVITE "  source: [a, b]\n",
                 "type.yaml:6:11: 'source' must be a string, not a list");
    expect_error("type2.yaml", HEAD INVITE "api: [1]\n",
                 "type2.yaml:6:6: 'api' must be a mapping of keys, not a list");
    expect_error("type3.yaml", HEAD INVITE "input:\n  columns:\n    email: {a: b}\n",
                 "type3.yaml:8:12: 'email' must be a string or a list of strings, not a mapping");
}

static void test_bad_uuid(void **state)
{
    (void)state;
    expect_error("uuid.yaml", HEAD "invite:\n  business_id: xyz\n  campaign_id: " CAMP "\n",
                 "uuid.yaml:4:16: invalid business_id 'xyz' (expected a UUID like "
                 "44271176-7053-4534-ad6f-b38d132d341e; run 'cloutly-pipe businesses' to list "
                 "ids)");
    /* one hex digit short */
    expect_error("uuid2.yaml",
                 HEAD "invite:\n  business_id: " BIZ "\n  campaign_id: 2c07094a-ed58-4cf2-9595-"
                      "cf1b1d303d9\n",
                 "uuid2.yaml:5:16: invalid campaign_id '2c07094a-ed58-4cf2-9595-cf1b1d303d9' "
                 "(expected a UUID like 44271176-7053-4534-ad6f-b38d132d341e; copy it from the "
                 "campaign page's URL in the Cloutly dashboard)");
    /* the right shape, but 'g' is not hex; then a dash one place off */
    expect_error("uuid3.yaml",
                 HEAD "invite:\n  business_id: 44271176-7053-4534-ad6f-b38d132d341g\n"
                      "  campaign_id: " CAMP "\n",
                 "uuid3.yaml:4:16: invalid business_id '44271176-7053-4534-ad6f-b38d132d341g' "
                 "(expected a UUID like 44271176-7053-4534-ad6f-b38d132d341e; run 'cloutly-pipe "
                 "businesses' to list ids)");
    expect_error("uuid4.yaml",
                 HEAD "invite:\n  business_id: 4427117-67053-4534-ad6f-b38d132d341e\n"
                      "  campaign_id: " CAMP "\n",
                 "uuid4.yaml:4:16: invalid business_id '4427117-67053-4534-ad6f-b38d132d341e' "
                 "(expected a UUID like 44271176-7053-4534-ad6f-b38d132d341e; run 'cloutly-pipe "
                 "businesses' to list ids)");
}

static void test_invite_delay_days(void **state)
{
    struct pipeline p;
    (void)state;
    expect_error("delay.yaml", HEAD INVITE "  invite_delay_days: 2\n",
                 "delay.yaml:6:22: invalid invite_delay_days 2 (the API allows 1 or 3, or omit "
                 "it to send at once)");
    expect_error("delay0.yaml", HEAD INVITE "  invite_delay_days: 0\n",
                 "delay0.yaml:6:22: invalid invite_delay_days 0 (the API allows 1 or 3, or omit "
                 "it to send at once)");
    load_ok("delay1.yaml", HEAD INVITE "  invite_delay_days: 1\n", &p);
    assert_int_equal(p.invite.invite_delay_days, 1);
    pipeline_release(&p);
    load_ok("delaynull.yaml", HEAD INVITE "  invite_delay_days: null\n", &p);
    assert_int_equal(p.invite.invite_delay_days, 0);
    pipeline_release(&p);
}

static void test_rate_limit(void **state)
{
    struct pipeline p;
    (void)state;
    expect_error("rate.yaml", HEAD INVITE "api:\n  rate_limit: fast\n",
                 "rate.yaml:7:15: invalid rate_limit 'fast' (expected N/min or N/s, e.g. "
                 "100/min)");
    expect_error("rate0.yaml", HEAD INVITE "api:\n  rate_limit: 0/min\n",
                 "rate0.yaml:7:15: invalid rate_limit '0/min' (expected N/min or N/s, e.g. "
                 "100/min)");
    expect_error("rate2.yaml", HEAD INVITE "api:\n  rate_limit: 100/hour\n",
                 "rate2.yaml:7:15: invalid rate_limit '100/hour' (expected N/min or N/s, e.g. "
                 "100/min)");
    load_ok("rate3.yaml", HEAD INVITE "api:\n  rate_limit: 200/min\n", &p);
    assert_true(p.api.rate_per_sec > 200 / 60.0 - 1e-9 && p.api.rate_per_sec < 200 / 60.0 + 1e-9);
    pipeline_release(&p);
}

static void test_http_refused_for_other_hosts(void **state)
{
    static const char *const refused[] = {
        "http://example.com/api",  "http://128.0.0.1/api", "http://127.0.0.1.example.com",
        "http://127.0.0/api",      "http://[::2]:80",      "http://localhost.example.com",
        "http://0x7f.0.0.1/api",   "http://127.0.0.256",
    };
    char yaml[512], want[512];
    (void)state;

    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(yaml, sizeof yaml, HEAD INVITE "api:\n  base_url: %s\n", refused[i]);
        snprintf(want, sizeof want, "http.yaml:7:13: invalid base_url '%s': " LOOPBACK_ONLY,
                 refused[i]);
        expect_error("http.yaml", yaml, want);
    }
    expect_error("http2.yaml", HEAD INVITE "api:\n  base_url: ftp://x.test\n",
                 "http2.yaml:7:13: invalid base_url 'ftp://x.test' (expected https://HOST/PATH)");
    /* the userinfo trick: the host would be evil.test; the URL (maybe a password) is not echoed */
    expect_error("http3.yaml", HEAD INVITE "api:\n  base_url: http://u:pw@127.0.0.1/\n",
                 "http3.yaml:7:13: invalid base_url: a user name or password in the URL is not "
                 "supported (the key goes in api.api_key)");
    expect_error("http4.yaml", HEAD INVITE "api:\n  base_url: https://127.0.0.1@evil.test\n",
                 "http4.yaml:7:13: invalid base_url: a user name or password in the URL is not "
                 "supported (the key goes in api.api_key)");
}

static void test_http_loopback_accepted(void **state)
{
    static const char *const ok[][2] = {
        { "http://127.0.0.1:8080/api/v1/", "http://127.0.0.1:8080/api/v1" },
        { "http://127.9.8.7/api", "http://127.9.8.7/api" },
        { "http://localhost:9/", "http://localhost:9" },
        { "http://[::1]:8443/api", "http://[::1]:8443/api" },
        { "https://reviews.example.test:8443/v1", "https://reviews.example.test:8443/v1" },
    };
    char yaml[512];
    struct pipeline p;
    (void)state;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(yaml, sizeof yaml, HEAD INVITE "api:\n  base_url: %s\n", ok[i][0]);
        load_ok("loop.yaml", yaml, &p);
        assert_string_equal(p.api.base_url, ok[i][1]);
        pipeline_release(&p);
    }
}

static void test_base_url_env_override(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    (void)state;

    setenv("CLOUTLY_BASE_URL", "http://127.0.0.1:9999/", 1);
    load_ok("env.yaml", HEAD INVITE "api:\n  base_url: https://app.example.test/v1\n", &p);
    assert_string_equal(p.api.base_url, "http://127.0.0.1:9999");
    pipeline_release(&p);

    setenv("CLOUTLY_BASE_URL", "http://sim.example.test:9999", 1);
    assert_int_equal(load("env.yaml", HEAD INVITE, &p, &err), -1);
    assert_string_equal(err.msg, "environment variable CLOUTLY_BASE_URL: invalid base_url "
                                 "'http://sim.example.test:9999': " LOOPBACK_ONLY);
    assert_true(is_zero(&p));
    unsetenv("CLOUTLY_BASE_URL");
}

static void test_unset_variable(void **state)
{
    struct pipeline p;
    (void)state;
    unsetenv("CP_TEST_UNSET");
    expect_error("unset.yaml", HEAD INVITE "  source: pos-${CP_TEST_UNSET}\n",
                 "unset.yaml:6:11: environment variable 'CP_TEST_UNSET' is not set (export it, "
                 "or put the value in the pipeline)");
    expect_error("malformed.yaml", HEAD INVITE "  source: ${CP TEST}\n",
                 "malformed.yaml:6:11: malformed '${' in 'source' (write ${NAME}: letters, "
                 "digits and '_')");
    /* set, even to "", is not unset; two variables in one value */
    setenv("CP_TEST_A", "a", 1);
    setenv("CP_TEST_EMPTY", "", 1);
    load_ok("vars.yaml", HEAD INVITE "  source: x${CP_TEST_A}${CP_TEST_EMPTY}-$HOME-{y}\n", &p);
    assert_string_equal(p.invite.source, "xa-$HOME-{y}");
    pipeline_release(&p);
    unsetenv("CP_TEST_A");
    unsetenv("CP_TEST_EMPTY");
}

static void test_api_key_deferred(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    const char *key = "not touched";
    char want[512];
    (void)state;

    unsetenv("CP_TEST_UNSET_KEY");
    setenv("CLOUTLY_API_KEY", "from-env", 1); /* not used: the pipeline names its key */
    load_ok("key.yaml", HEAD INVITE "api:\n  api_key: ${CP_TEST_UNSET_KEY}\n", &p);
    assert_null(p.api.api_key);
    snprintf(want, sizeof want,
             "%s/key.yaml:7:12: environment variable 'CP_TEST_UNSET_KEY' is not set (export it, "
             "or put the value in the pipeline)",
             tmp);
    assert_string_equal(p.api.api_key_error, want);
    assert_int_equal(pipeline_api_key(&p, &key, &err), -1);
    assert_null(key);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);

    /* an empty key is deferred the same way, and never echoed */
    setenv("CP_TEST_EMPTY_KEY", "", 1);
    load_ok("key2.yaml", HEAD INVITE "api:\n  api_key: ${CP_TEST_EMPTY_KEY}\n", &p);
    assert_int_equal(pipeline_api_key(&p, &key, &err), -1);
    snprintf(want, sizeof want,
             "%s/key2.yaml:7:12: 'api_key' is empty (set the variable it names, or use "
             "api_key_file)",
             tmp);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);
    unsetenv("CP_TEST_EMPTY_KEY");
}

static void test_api_key_env_fallback(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    const char *key = NULL;
    char want[512];
    (void)state;

    load_ok("nokey.yaml", HEAD INVITE, &p);
    assert_int_equal(pipeline_api_key(&p, &key, &err), -1);
    snprintf(want, sizeof want,
             "no API key: set CLOUTLY_API_KEY, or api.api_key / api.api_key_file in "
             "%s/nokey.yaml",
             tmp);
    assert_string_equal(err.msg, want);
    setenv("CLOUTLY_API_KEY", "env-key-42", 1);
    assert_int_equal(pipeline_api_key(&p, &key, &err), 0);
    assert_string_equal(key, "env-key-42");
    pipeline_release(&p);
}

static void test_api_key_file(void **state)
{
    static const char secret[] = "  s3cr3t-key-value \r\nsecond line\n";
    struct pipeline p;
    struct cp_error err = { 0 };
    const char *key = NULL;
    char path[512], want[2048];
    (void)state;

    write_file("keys/cloutly.key", secret, strlen(secret), 0644);
    load_ok("kf.yaml", HEAD INVITE "api:\n  api_key_file: keys/cloutly.key\n", &p);
    path_of(path, sizeof path, "keys/cloutly.key");
    assert_string_equal(p.api.api_key_file, path);
    assert_null(p.api.api_key);

    assert_int_equal(pipeline_api_key(&p, &key, &err), -1);
    snprintf(want, sizeof want,
             "api key file '%s' is readable by others (mode 0644): run chmod 600 '%s'", path,
             path);
    assert_string_equal(err.msg, want);
    assert_null(strstr(err.msg, "s3cr3t"));

    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(pipeline_api_key(&p, &key, &err), -1);
    assert_non_null(strstr(err.msg, "(mode 0640)"));

    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(pipeline_api_key(&p, &key, &err), 0);
    assert_string_equal(key, "s3cr3t-key-value");
    pipeline_release(&p);

    expect_error("kf2.yaml", HEAD INVITE "api:\n  api_key: x\n  api_key_file: k\n",
                 "kf2.yaml:8:3: give 'api_key' or 'api_key_file', not both");
}

static void test_anchors_refused(void **state)
{
    (void)state;
    expect_error("anchor.yaml",
                 HEAD "invite:\n  business_id: &id " BIZ "\n  campaign_id: *id\n",
                 "anchor.yaml:4:16: yaml anchors and aliases are not supported ('&id'): write "
                 "the value out");
    expect_error("alias.yaml", HEAD INVITE "  source: *src\n",
                 "alias.yaml:6:11: yaml anchors and aliases are not supported ('*src'): write "
                 "the value out");
    expect_error("anchor2.yaml", HEAD INVITE "api: &a {retries: 1}\n",
                 "anchor2.yaml:6:6: yaml anchors and aliases are not supported ('&a'): write the "
                 "value out");
}

/* 64 levels are parsed (then refused for the unknown key); 65 are not. */
static void test_depth(void **state)
{
    char yaml[512];
    (void)state;

    snprintf(yaml, sizeof yaml, HEAD "x: %.*s%.*s\n", 63,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 63,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    expect_error("deep63.yaml", yaml,
                 "deep63.yaml:3:1: unknown section 'x' (valid: version, kind, name, api, input, "
                 "validate, channels, invite, export, output, state, notify)");
    snprintf(yaml, sizeof yaml, HEAD "x: %.*s%.*s\n", 64,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 64,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    expect_error("deep64.yaml", yaml, "deep64.yaml:3:67: nesting deeper than 64 levels");
}

/* Exactly 1 MiB loads; one byte more is refused before parsing. */
static void test_size_limit(void **state)
{
    const size_t mib = 1024 * 1024;
    const char *body = HEAD INVITE;
    char *big = malloc(mib + 2);
    char path[512];
    struct pipeline p;
    struct cp_error err = { 0 };
    (void)state;

    assert_non_null(big);
    memset(big, '#', mib + 1);
    memcpy(big, body, strlen(body));
    big[mib - 1] = '\n';
    write_file("big.yaml", big, mib, 0644);
    path_of(path, sizeof path, "big.yaml");
    if (pipeline_load(path, NOW, &p, &err) != 0)
        fail_msg("1 MiB exactly: %s", err.msg);
    pipeline_release(&p);

    /* one byte more, and broken YAML past the limit: refused for its size alone */
    big[mib - 1] = '#';
    big[mib] = '[';
    write_file("big.yaml", big, mib + 1, 0644);
    free(big);
    expect_load_error("big.yaml", "big.yaml: pipeline file is larger than 1 MiB (a pipeline is a "
                                 "few hundred lines)");
}

/* ---- export --------------------------------------------------------------- */

static void test_export_loads(void **state)
{
    static const char yaml[] =
        "version: 1\n"
        "kind: export\n"
        "name: archive\n"
        "api:\n"
        "  rate_limit: 100/min\n"
        "export:\n"
        "  format: csv\n"
        "  output: ../archive/reviews-{date}.csv\n"
        "  page_size: 250\n"
        "  sort: asc\n"
        "  since: last_run\n"
        "  filters: { source: google, businessId: 634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5, "
        "showOnWidget: false }\n"
        "  fields: [id, createdAt, rating, authorName, text, response.comment]\n"
        "state:\n"
        "  path: state/{name}.sqlite\n";
    struct pipeline p;
    char want[512];
    (void)state;

    load_ok("exp/export.yaml", yaml, &p);
    assert_int_equal(p.kind, PIPELINE_EXPORT);
    assert_string_equal(p.name, "archive");
    assert_int_equal(p.export.format, EXPORT_CSV);
    path_of(want, sizeof want, "exp/../archive/reviews-2026-11-26.csv");
    assert_string_equal(p.export.output, want);
    assert_int_equal(p.export.page_size, 250);
    assert_int_equal(p.export.sort, EXPORT_SORT_ASC);
    assert_true(p.export.since_last_run);
    assert_null(p.export.since);
    assert_string_equal(p.export.filters.source, "google");
    assert_string_equal(p.export.filters.business_id, "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5");
    assert_int_equal(p.export.filters.show_on_widget, 0);
    assert_int_equal(p.export.n_fields, 6);
    assert_string_equal(p.export.fields[0], "id");
    assert_string_equal(p.export.fields[5], "response.comment");
    path_of(want, sizeof want, "exp/state/archive.sqlite");
    assert_string_equal(p.state.path, want);
    assert_null(p.output.results); /* invite-only */
    assert_null(p.output.rejects);
    pipeline_release(&p);
}

/* export defaults, and since as a date-time */
static void test_export_defaults(void **state)
{
    struct pipeline p;
    (void)state;

    load_ok("exp2.yaml", "version: 1\nkind: export\nexport:\n  since: 2026-01-31T10:00:00Z\n",
            &p);
    assert_int_equal(p.export.format, EXPORT_NDJSON);
    assert_null(p.export.output);
    assert_int_equal(p.export.page_size, 100);
    assert_int_equal(p.export.sort, EXPORT_SORT_DESC);
    assert_string_equal(p.export.since, "2026-01-31T10:00:00Z");
    assert_false(p.export.since_last_run);
    assert_int_equal(p.export.filters.show_on_widget, -1);
    assert_null(p.export.fields);
    assert_null(p.state.path);
    pipeline_release(&p);
}

static void test_sections_by_kind(void **state)
{
    (void)state;
    expect_error("mix.yaml", HEAD INVITE "export:\n  format: csv\n",
                 "mix.yaml:6:1: section 'export' is not allowed in a 'kind: invite' pipeline");
    expect_error("mix2.yaml", "version: 1\nkind: export\n" INVITE,
                 "mix2.yaml:3:1: section 'invite' is not allowed in a 'kind: export' pipeline");
    expect_error("mix3.yaml", "version: 1\nkind: export\nexport:\n  page_size: 1001\n",
                 "mix3.yaml:4:14: invalid page_size 1001 (expected 1 to 1000)");
    expect_error("mix4.yaml", "version: 1\nkind: export\nexport:\n  since: yesterday\n",
                 "mix4.yaml:4:10: invalid since 'yesterday' (expected last_run or an ISO date "
                 "like 2026-01-31)");
    expect_error("mix5.yaml", "version: 1\nkind: export\nexport:\n  fields: [id, 'a b']\n",
                 "mix5.yaml:4:16: invalid field 'a b' in 'fields' (expected a review field or a "
                 "dotted path like response.comment)");
}

/* ---- everything else that must be refused ---------------------------------- */

struct error_case {
    const char *yaml;
    const char *want; /* after "TMP/case.yaml:": "L:C: ..." or " ..." when there is no place */
};

static const struct error_case error_cases[] = {
    { "kind: invite\n", " missing 'version: 1' (the first line of every pipeline)" },
    { "version: 2\nkind: invite\n",
      "1:10: unsupported version '2' (this cloutly-pipe reads version 1)" },
    { "version: 1\n", " missing 'kind' (invite or export)" },
    { "version: 1\nkind: import\n", "2:7: invalid kind 'import' (expected invite or export)" },
    { "", " the file holds no pipeline (it should start with 'version: 1')" },
    { "- a\n", "1:1: expected a mapping of sections at the top level, not a list" },
    { HEAD INVITE "kind: export\n", "6:1: duplicate key 'kind' (first given at line 2)" },
    { HEAD INVITE "---\nversion: 1\n",
      "6:1: more than one yaml document ('---'): put one pipeline in a file" },
    { HEAD INVITE "api: [1, 2\n",
      "7:1: invalid yaml: did not find expected ',' or ']' (while parsing a flow sequence at "
      "line 6)" },
    { HEAD "invite:\n\tbusiness_id: " BIZ "\n",
      "4:1: invalid yaml: a tab where YAML wants spaces (indent with spaces)" },
    { HEAD INVITE "  source: !!str pos\n",
      "6:11: yaml tags are not supported ('tag:yaml.org,2002:str')" },
    { HEAD INVITE "? [a]\n: b\n", "6:3: a key must be a plain string, not a list" },
    { HEAD INVITE "validate:\n  dedupe: yes\n",
      "7:11: invalid dedupe 'yes' (expected true or false)" },
    { HEAD INVITE "api:\n  timeout: 50ms\n", "7:12: invalid timeout '50ms' (expected 100ms "
                                             "to 10m)" },
    { HEAD INVITE "api:\n  timeout: 30\n",
      "7:12: invalid timeout '30' (expected a duration like 30s, 500ms or 2m)" },
    { HEAD INVITE "api:\n  max_in_flight: 65\n",
      "7:18: invalid max_in_flight 65 (expected 1 to 64)" },
    { HEAD INVITE "api:\n  retries: many\n",
      "7:12: invalid retries 'many' (expected a whole number from 0 to 20)" },
    { HEAD INVITE "validate:\n  cooldown_days: -1\n",
      "7:18: invalid cooldown_days -1 (expected 0 to 3650)" },
    { HEAD INVITE "validate:\n  landlines: drop\n",
      "7:14: invalid landlines 'drop' (expected skip or send)" },
    { HEAD INVITE "validate:\n  default_country: AUS\n",
      "7:20: invalid default_country 'AUS' (expected a two-letter country code like AU)" },
    { HEAD INVITE "input:\n  encoding: latin99\n",
      "7:13: invalid encoding 'latin99' (expected auto, utf-8, utf-16, utf-32, windows-1252 or "
      "another encoding name `iconv -l` lists)" },
    { HEAD INVITE "input:\n  delimiter: ':'\n",
      "7:14: invalid delimiter ':' (expected auto, \",\", \";\", \"\\t\", \"|\" or tab)" },
    { HEAD INVITE "input:\n  where:\n    - column: a\n      not: [b]\n",
      "9:7: unknown key 'not' in 'where' (valid keys: column, in, not_in)" },
    { HEAD INVITE "input:\n  where:\n    - column: a\n",
      "8:7: a 'where' rule needs 'in' or 'not_in'" },
    { HEAD INVITE "input:\n  where: {column: a}\n",
      "7:10: 'where' must be a list of {column, in} rules, not a mapping" },
    { HEAD INVITE "input:\n  columns:\n    email: []\n",
      "8:12: 'email' is an empty list (remove the key to leave it unset)" },
    { HEAD INVITE "  business_map:\n    Bondi: 5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4\n",
      "6:3: 'business_map' needs input.columns.businessId (the column whose values it "
      "maps)" },
    { HEAD INVITE "input:\n  columns:\n    businessId: Loc\n  business_map:\n    Bondi: b\n",
      "9:3: unknown key 'business_map' in 'input' (valid keys: path, encoding, delimiter, "
      "columns, where)" },
    { HEAD "input:\n  columns: {businessId: Loc}\ninvite:\n  campaign_id: " CAMP
           "\n  business_map:\n    Bondi: nope\n",
      "8:12: invalid business_map value 'nope' for 'Bondi' (expected a UUID like "
      "44271176-7053-4534-ad6f-b38d132d341e; run 'cloutly-pipe businesses' to list ids)" },
    { HEAD "invite:\n  campaign_id: " CAMP "\n",
      "3:1: missing 'business_id' in 'invite' (run 'cloutly-pipe businesses' to list ids, "
      "or map input.columns.businessId through business_map or business_by_name)" },
    { HEAD "invite:\n  business_id: " BIZ "\n",
      "3:1: missing 'campaign_id' in 'invite' (copy it from the campaign page's URL in the "
      "Cloutly dashboard, or give locations their own in business_map or campaigns)" },
    { HEAD,
      " missing 'business_id' in 'invite' (run 'cloutly-pipe businesses' to list ids, or "
      "map input.columns.businessId through business_map or business_by_name)" },
    { HEAD INVITE "output:\n  results: out/{name}-{day}.csv\n",
      "7:12: unknown template '{day}' in 'results' (expected {name}, {date}, {time} or "
      "{run_id})" },
    { HEAD INVITE "state:\n  path: out/{name.sqlite\n",
      "7:9: unmatched '{' in 'path' (templates are {name}, {date}, {time} and {run_id})" },
    { HEAD INVITE "name: ../etc\n",
      "6:7: invalid name '../etc' (letters, digits, '.', '_' and '-' only: it goes into "
      "file names)" },
    { HEAD INVITE "  source: \"\"\n",
      "6:11: 'source' is empty (remove the key to leave it unset)" },
    { HEAD INVITE "  source: \"a\\0b\"\n", "6:11: a value holds a NUL character" },
    { HEAD INVITE "api:\n  base_url: https:///v1\n",
      "7:13: invalid base_url 'https:///v1' (no host)" },
    { HEAD INVITE "api:\n  base_url: https://h.test:99999\n",
      "7:13: invalid base_url 'https://h.test:99999' (an invalid port)" },
};

static void test_more_errors(void **state)
{
    char want[1024];
    (void)state;

    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        snprintf(want, sizeof want, "case.yaml:%s", error_cases[i].want);
        expect_error("case.yaml", error_cases[i].yaml, want);
    }
}

static void test_missing_file(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    char path[512], want[1024];
    (void)state;

    path_of(path, sizeof path, "nope.yaml");
    assert_int_equal(pipeline_load(path, NOW, &p, &err), -1);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    snprintf(want, sizeof want, "cannot open pipeline file '%s': no such file or directory", path);
    assert_string_equal(err.msg, want);
    assert_true(is_zero(&p));
}

static void test_release_zeroed(void **state)
{
    struct pipeline p;
    (void)state;
    memset(&p, 0, sizeof p);
    pipeline_release(&p);
    pipeline_release(&p);
    pipeline_release(NULL);
    assert_true(is_zero(&p));
}

static void test_name_from_file(void **state)
{
    struct pipeline p;
    (void)state;
    load_ok("my.pipe.yml", HEAD INVITE, &p);
    assert_string_equal(p.name, "my.pipe");
    pipeline_release(&p);
    expect_error("bad name.yaml", HEAD INVITE,
                 "bad name.yaml: pipeline name 'bad name' (from the file name) may only hold "
                 "letters, digits, '.', '_' and '-' (it goes into file names): rename the file "
                 "or set 'name:'");
}

static void test_delimiters(void **state)
{
    static const struct {
        const char *yaml;
        char want;
    } cases[] = {
        { "auto", 0 },  { "\",\"", ',' }, { "\";\"", ';' }, { "\"|\"", '|' },
        { "\"\\t\"", '\t' }, { "'\\t'", '\t' }, { "\\t", '\t' }, { "tab", '\t' },
    };
    char yaml[512];
    struct pipeline p;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(yaml, sizeof yaml, HEAD INVITE "input:\n  delimiter: %s\n", cases[i].yaml);
        load_ok("delim.yaml", yaml, &p);
        if (p.input.delimiter != cases[i].want)
            fail_msg("delimiter %s: got %d", cases[i].yaml, p.input.delimiter);
        pipeline_release(&p);
    }
}


/* ---- one date parser, one grammar (issue 8) -------------------------------- */

#define EXPORT_HEAD "version: 1\nkind: export\n"

/* since: goes through core/isotime: an impossible date is refused with its
 * place (it used to load and fail later in run, with no place), and the
 * offset forms --since accepts are accepted here too. */
static void test_since_dates(void **state)
{
    struct pipeline p;
    (void)state;
    expect_error("feb31.yaml", EXPORT_HEAD "export:\n  since: 2026-02-31\n",
                 "feb31.yaml:4:10: invalid since '2026-02-31' (expected last_run or an ISO date "
                 "like 2026-01-31)");
    expect_error("feb29.yaml", EXPORT_HEAD "export:\n  since: 2026-02-29T10:00:00Z\n",
                 "feb29.yaml:4:10: invalid since '2026-02-29T10:00:00Z' (expected last_run or "
                 "an ISO date like 2026-01-31)");
    load_ok("basic.yaml", EXPORT_HEAD "export:\n  since: 2026-01-31T10:00:00+1000\n", &p);
    assert_string_equal(p.export.since, "2026-01-31T10:00:00+1000");
    pipeline_release(&p);
    load_ok("ext.yaml", EXPORT_HEAD "export:\n  since: 2026-01-31T10:00:00-05:30\n", &p);
    assert_string_equal(p.export.since, "2026-01-31T10:00:00-05:30");
    pipeline_release(&p);
    load_ok("leap.yaml", EXPORT_HEAD "export:\n  since: 2024-02-29\n", &p);
    assert_string_equal(p.export.since, "2024-02-29");
    pipeline_release(&p);
}

/* Enum words in any case, in the file as on the command line. */
static void test_enum_words_any_case(void **state)
{
    struct pipeline p;
    (void)state;
    load_ok("upper.yaml", EXPORT_HEAD "export:\n  format: CSV\n  sort: Asc\n", &p);
    assert_int_equal(p.export.format, EXPORT_CSV);
    assert_int_equal(p.export.sort, EXPORT_SORT_ASC);
    pipeline_release(&p);
    load_ok("upper2.yaml", HEAD INVITE "validate:\n  landlines: SEND\ninput:\n  encoding: UTF-16\n",
            &p);
    assert_int_equal(p.validate.landlines, LANDLINES_SEND);
    assert_string_equal(p.input.encoding, "utf-16");
    pipeline_release(&p);
}

/* ---- state.path is one ledger per pipeline (issue 9 item 5) ---------------- */

static void test_state_path_stable(void **state)
{
    static const char *const varying[] = { "{run_id}", "{time}", "{date}" };
    char yaml[256], want[512];
    struct pipeline p;
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(yaml, sizeof yaml, HEAD INVITE "state:\n  path: x-%s.sqlite\n", varying[i]);
        snprintf(want, sizeof want,
                 "stable.yaml:7:9: '%s' in 'state.path' changes from run to run: every run "
                 "would get a fresh ledger and lock, so a resume or a second run at the same "
                 "time would send the whole file again (use {name} or a fixed path)",
                 varying[i]);
        expect_error("stable.yaml", yaml, want);
    }
    expect_error("stable2.yaml", HEAD INVITE "state:\n  path: x-{day}.sqlite\n",
                 "stable2.yaml:7:9: unknown template '{day}' in 'path' (expected {name})");
    /* {name} is the same every run; the results file may still vary */
    load_ok("stable3.yaml",
            HEAD INVITE "output:\n  results: r-{run_id}.csv\nstate:\n  path: s/{name}.sqlite\n",
            &p);
    path_of(want, sizeof want, "s/stable3.sqlite");
    assert_string_equal(p.state.path, want);
    pipeline_release(&p);
}

/* ---- check as strict as run (issue 14 item 5) ------------------------------ */

static void test_unset_variable_hint(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    char want[512];
    (void)state;
    setenv("CLOUTLY_API_KEY", "set-key", 1);
    unsetenv("CLOUTY_API_KEY");
    expect_error("hint.yaml", HEAD INVITE "  source: ${CLOUTY_API_KEY}\n",
                 "hint.yaml:6:11: environment variable 'CLOUTY_API_KEY' is not set (did you mean "
                 "CLOUTLY_API_KEY?)");
    /* for api_key the error waits for check or run, and still names the hint */
    load_ok("hint2.yaml", HEAD INVITE "api:\n  api_key: ${CLOUTY_API_KEY}\n", &p);
    snprintf(want, sizeof want,
             "%s/hint2.yaml:7:12: environment variable 'CLOUTY_API_KEY' is not set (did you "
             "mean CLOUTLY_API_KEY?)",
             tmp);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);
    /* an empty variable is no hint: it would not help */
    setenv("CLOUTLY_API_KEY", "", 1);
    expect_error("hint3.yaml", HEAD INVITE "  source: ${CLOUTY_API_KEY}\n",
                 "hint3.yaml:6:11: environment variable 'CLOUTY_API_KEY' is not set (export it, "
                 "or put the value in the pipeline)");
}

static void test_country_codes(void **state)
{
    struct pipeline p;
    (void)state;
    expect_error("uk.yaml", HEAD INVITE "validate:\n  default_country: UK\n",
                 "uk.yaml:7:20: unknown default_country 'UK' (did you mean GB? phone numbers use "
                 "ISO 3166 codes)");
    expect_error("uk2.yaml", HEAD INVITE "validate:\n  default_country: uk\n",
                 "uk2.yaml:7:20: unknown default_country 'uk' (did you mean GB? phone numbers "
                 "use ISO 3166 codes)");
    expect_error("xx.yaml", HEAD INVITE "validate:\n  default_country: XX\n",
                 "xx.yaml:7:20: unknown default_country 'XX' (expected an ISO 3166 two-letter "
                 "code such as AU, CA, GB, IE, NZ or US: the list is at "
                 "https://www.iso.org/obp/ui/#search/code/)");
    load_ok("gb.yaml", HEAD INVITE "validate:\n  default_country: gb\n", &p);
    assert_string_equal(p.validate.default_country, "GB");
    pipeline_release(&p);
}

static void test_check_ready(void **state)
{
    struct pipeline p;
    struct cp_error err = { 0 };
    char want[512];
    (void)state;

    /* guess's placeholders load (so check can read the rows) but are not ready */
    load_ok("ph.yaml", HEAD "invite:\n  business_id: 00000000-0000-0000-0000-000000000000\n"
                       "  campaign_id: " CAMP "\n", &p);
    setenv("CLOUTLY_API_KEY", "k", 1);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    snprintf(want, sizeof want,
             "%s/ph.yaml:4:16: invite.business_id is still the placeholder 'guess' wrote: run "
             "'cloutly-pipe businesses' and put the id in", tmp);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);
    load_ok("ph2.yaml", HEAD "invite:\n  business_id: " BIZ "\n"
                        "  campaign_id: 00000000-0000-0000-0000-000000000000\n", &p);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    snprintf(want, sizeof want,
             "%s/ph2.yaml:5:16: invite.campaign_id is still the placeholder 'guess' wrote: copy "
             "the id from the campaign page's URL in Cloutly", tmp);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);

    /* no key anywhere: run would stop, so check does */
    unsetenv("CLOUTLY_API_KEY");
    load_ok("ready.yaml", HEAD INVITE, &p);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    assert_non_null(strstr(err.msg, "no API key: set CLOUTLY_API_KEY"));
    setenv("CLOUTLY_API_KEY", "k", 1);
    assert_int_equal(pipeline_check_ready(&p, &err), 0);
    pipeline_release(&p);

    /* a CA file that is not there: curl would say so only at the first request */
    load_ok("ready3.yaml", HEAD INVITE "api:\n  ca_file: certs/none.pem\n", &p);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    snprintf(want, sizeof want, "cannot read api.ca_file '%s/certs/none.pem': no such file or "
             "directory", tmp);
    assert_string_equal(err.msg, want);
    pipeline_release(&p);

    /* a key file others can read: refused before any run */
    write_file("rk/key", "k\n", 2, 0644);
    load_ok("ready2.yaml", HEAD INVITE "api:\n  api_key_file: rk/key\n", &p);
    assert_int_equal(pipeline_check_ready(&p, &err), -1);
    assert_non_null(strstr(err.msg, "is readable by others (mode 0644)"));
    pipeline_release(&p);
}

/* ---- pipeline_override: the command line through the same setters --------- */

static void expect_override_error(struct pipeline *p, const char *key, const char *value,
                                  const char *origin, const char *want)
{
    struct cp_error err = { 0 };
    assert_int_equal(pipeline_override(p, key, value, origin, &err), -1);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_string_equal(err.msg, want);
}

static void override_ok(struct pipeline *p, const char *key, const char *value)
{
    struct cp_error err = { 0 };
    if (pipeline_override(p, key, value, NULL, &err) != 0)
        fail_msg("override %s=%s: %s", key, value, err.msg);
}

static void test_override_export(void **state)
{
    struct pipeline p;
    (void)state;
    load_ok("ov.yaml", EXPORT_HEAD "export:\n  since: 2026-01-01\n  output: o-{date}.csv\n", &p);

    override_ok(&p, "export.format", "CSV");
    assert_int_equal(p.export.format, EXPORT_CSV);
    override_ok(&p, "export.format", "ndjson");
    assert_int_equal(p.export.format, EXPORT_NDJSON);
    expect_override_error(&p, "export.format", "xml", "--format",
                          "invalid --format 'xml' (expected ndjson or csv)");
    assert_int_equal(p.export.format, EXPORT_NDJSON); /* unchanged on failure */
    override_ok(&p, "export.sort", "ASC");
    assert_int_equal(p.export.sort, EXPORT_SORT_ASC);
    expect_override_error(&p, "export.sort", "up", "--sort",
                          "invalid --sort 'up' (expected asc or desc)");

    /* since: the same dates as the file, and last_run */
    expect_override_error(&p, "export.since", "2026-02-31", "--since",
                          "invalid --since '2026-02-31' (expected last_run or an ISO date like "
                          "2026-01-31)");
    assert_string_equal(p.export.since, "2026-01-01");
    override_ok(&p, "export.since", "2026-01-31T10:00:00+1000");
    assert_string_equal(p.export.since, "2026-01-31T10:00:00+1000");
    override_ok(&p, "export.since", "last_run");
    assert_null(p.export.since);
    assert_true(p.export.since_last_run);
    override_ok(&p, "export.since", "2026-03-01");
    assert_string_equal(p.export.since, "2026-03-01");
    assert_false(p.export.since_last_run);

    /* filters */
    override_ok(&p, "export.filters.source", "google");
    assert_string_equal(p.export.filters.source, "google");
    expect_override_error(&p, "export.filters.source", "", "--source",
                          "'--source' is empty (leave the option out to keep the pipeline's "
                          "value)");
    override_ok(&p, "export.filters.businessId", "634D8ED1-11FD-413D-A9A6-D6B8BA0C95A5");
    assert_string_equal(p.export.filters.business_id, "634D8ED1-11FD-413D-A9A6-D6B8BA0C95A5");
    expect_override_error(&p, "export.filters.businessId", "nope", "--business-id",
                          "invalid --business-id 'nope' (expected a UUID like "
                          "44271176-7053-4534-ad6f-b38d132d341e; run 'cloutly-pipe businesses' "
                          "to list ids)");
    override_ok(&p, "export.filters.showOnWidget", "true");
    assert_int_equal(p.export.filters.show_on_widget, 1);
    override_ok(&p, "export.filters.showOnWidget", "false");
    assert_int_equal(p.export.filters.show_on_widget, 0);
    expect_override_error(&p, "export.filters.showOnWidget", "yes", "--show-on-widget",
                          "invalid --show-on-widget 'yes' (expected true or false)");
    expect_override_error(&p, "export.page_size", "0", "--page-size",
                          "invalid --page-size 0 (expected 1 to 1000)");

    /* output: templates as in the file, relative to the caller, "-" as it is */
    override_ok(&p, "export.output", "out/{name}-{date}.csv");
    assert_string_equal(p.export.output, "out/ov-2026-11-26.csv");
    override_ok(&p, "export.output", "-");
    assert_string_equal(p.export.output, "-");
    expect_override_error(&p, "export.output", "x-{day}.csv", "--output",
                          "unknown template '{day}' in '--output' (expected {name}, {date}, "
                          "{time} or {run_id})");
    assert_string_equal(p.export.output, "-");
    /* no ${VAR}: the shell expanded what it meant to */
    override_ok(&p, "export.filters.source", "${HOME}");
    assert_string_equal(p.export.filters.source, "${HOME}");
    pipeline_release(&p);
}

static void test_override_keys(void **state)
{
    struct pipeline p;
    (void)state;
    load_ok("ovi.yaml", HEAD INVITE, &p);

    override_ok(&p, "input.path", "in/{date}.csv");
    assert_string_equal(p.input.path, "in/2026-11-26.csv");
    override_ok(&p, "validate.default_country", "nz");
    assert_string_equal(p.validate.default_country, "NZ");
    expect_override_error(&p, "validate.default_country", "UK", "--country",
                          "unknown --country 'UK' (did you mean GB? phone numbers use ISO 3166 "
                          "codes)");
    expect_override_error(&p, "state.path", "s-{run_id}.sqlite", "--state",
                          "'{run_id}' in '--state' changes from run to run: every run would get "
                          "a fresh ledger and lock, so a resume or a second run at the same time "
                          "would send the whole file again (use {name} or a fixed path)");
    /* A refused override leaves the default: the account's ledger (no state.path). */
    assert_null(p.state.path);
    override_ok(&p, "state.path", "{name}.sqlite"); /* relative to where the command runs */
    assert_string_equal(p.state.path, "ovi.sqlite");

    /* what cannot be overridden, and how it says so */
    expect_override_error(&p, "export.format", "csv", "--format",
                          "--format: 'export.format' does not apply to a 'kind: invite' pipeline");
    expect_override_error(&p, "input.pth", "x", NULL,
                          "unknown pipeline key 'input.pth' (did you mean 'input.path'?)");
    expect_override_error(&p, "nonsense.entirely.wrong", "x", NULL,
                          "unknown pipeline key 'nonsense.entirely.wrong'");
    expect_override_error(&p, "input.path.x", "x", NULL,
                          "unknown pipeline key 'input.path.x' (did you mean 'input.path'?)");
    expect_override_error(&p, "export.filters", "x", NULL,
                          "'export.filters' does not apply to a 'kind: invite' pipeline");
    expect_override_error(&p, "input.columns", "x", NULL,
                          "'input.columns' is a section of the pipeline, not a key");
    expect_override_error(&p, "name", "other", "--name",
                          "--name: 'name' can only be set in the pipeline file");
    expect_override_error(&p, "input.where", "x", NULL,
                          "'input.where' can only be set in the pipeline file");
    pipeline_release(&p);
}

/* ---- fixtures ------------------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int group_setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    snprintf(tmp, sizeof tmp, "/tmp/cp-pipeline-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The environment this code reads is the test's to set. */
static int clean_env(void **state)
{
    (void)state;
    unsetenv("CLOUTLY_BASE_URL");
    unsetenv("CLOUTLY_API_KEY");
    return 0;
}

#define TEST(f) cmocka_unit_test_setup(f, clean_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_full_invite),
        TEST(test_map_field_keys),
        TEST(test_defaults),
        TEST(test_did_you_mean),
        TEST(test_unknown_section),
        TEST(test_wrong_type),
        TEST(test_bad_uuid),
        TEST(test_invite_delay_days),
        TEST(test_rate_limit),
        TEST(test_http_refused_for_other_hosts),
        TEST(test_http_loopback_accepted),
        TEST(test_base_url_env_override),
        TEST(test_unset_variable),
        TEST(test_api_key_deferred),
        TEST(test_api_key_env_fallback),
        TEST(test_api_key_file),
        TEST(test_anchors_refused),
        TEST(test_depth),
        TEST(test_size_limit),
        TEST(test_export_loads),
        TEST(test_export_defaults),
        TEST(test_sections_by_kind),
        TEST(test_more_errors),
        TEST(test_missing_file),
        TEST(test_release_zeroed),
        TEST(test_name_from_file),
        TEST(test_delimiters),
        TEST(test_since_dates),
        TEST(test_enum_words_any_case),
        TEST(test_state_path_stable),
        TEST(test_unset_variable_hint),
        TEST(test_country_codes),
        TEST(test_check_ready),
        TEST(test_override_export),
        TEST(test_override_keys),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
