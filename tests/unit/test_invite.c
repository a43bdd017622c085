/*
 * One invite (invite.h): a validated row -> the JSON body of
 * POST /send-review-invite, and the API's answer -> what happens to the row.
 *
 * Proves, with hand-made rows and api_results (no network): the body holds
 * exactly the fields the API takes, optional ones omitted when empty; every
 * answer of SPEC section 5 gets its verdict and final status: 2xx sent (read
 * tolerantly: unknown fields, nulls, numbers as strings, unreadable JSON),
 * 400 failed with the API's message, 401 stops the run, 404 stops a
 * single-target run, 429 waits Retry-After or backs off (and gives up after
 * API_MAX_429), 503 and failures before sending are retried up to
 * api.retries, 500/502/504 and failures after sending are in_doubt unless
 * api.retry_in_doubt, an untrusted certificate stops the run, an
 * interrupted transfer is skipped or in_doubt by whether it was sent; and
 * api_backoff stays within 0.5 s doubling to 30 s, halved by jitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "api/backoff.h"
#include "invite/invite.h"

#define BIZ "44271176-7053-4534-ad6f-b38d132d341e"
#define CAMPAIGN "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"

static void base_pipeline(struct pipeline *p)
{
    memset(p, 0, sizeof *p);
    p->invite.business_id = BIZ;
    p->invite.campaign_id = CAMPAIGN;
    p->api.retries = 3;
    p->api.retry_in_doubt = false;
}

static void set(struct strbuf *sb, const char *s)
{
    strbuf_reset(sb);
    strbuf_addstr(sb, s);
}

/* ---- the request body ---- */

struct body_case {
    const char *name;
    const char *first, *last, *email, *phone, *scid;
    const char *source;
    int delay;
};

static const struct body_case body_cases[] = {
    {"everything", "Jane", "Doe", "jane@example.com", "+61412345678", "R-1", "pos", 1},
    {"email only, nothing optional", "Jane", "", "jane@example.com", "", "", NULL, 0},
    {"phone only, delay 3", "Bob", "Smith", "", "+61412345679", "", "square", 3},
    {"quotes, backslash, unicode", "Zo\xC3\xAB \"Z\"", "O'Brien\\x", "z@example.com", "", "id,\n1",
     "p\"os", 0},
};

static void expect_json_string(const cJSON *o, const char *key, const char *want, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!want || !*want) {
        if (v)
            fail_msg("%s: '%s' present, want it omitted", name, key);
        return;
    }
    if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0)
        fail_msg("%s: '%s' = %s, want \"%s\"", name, key,
                 cJSON_IsString(v) ? v->valuestring : "(absent or not a string)", want);
}

static void test_body(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof *body_cases; i++) {
        const struct body_case *c = &body_cases[i];
        struct pipeline p;
        base_pipeline(&p);
        p.invite.source = (char *)c->source;
        p.invite.invite_delay_days = c->delay;
        struct row_result r;
        row_result_init(&r);
        set(&r.first_name, c->first);
        set(&r.last_name, c->last);
        set(&r.email, c->email);
        set(&r.phone, c->phone);
        set(&r.source_contact_id, c->scid);
        set(&r.business_id, BIZ);

        char *body = invite_body(&p, &r);
        assert_non_null(body);
        cJSON *o = cJSON_Parse(body);
        if (!cJSON_IsObject(o))
            fail_msg("%s: not a JSON object: %s", c->name, body);
        expect_json_string(o, "firstName", c->first, c->name);
        expect_json_string(o, "lastName", c->last, c->name);
        expect_json_string(o, "source", c->source, c->name);
        expect_json_string(o, "sourceContactId", c->scid, c->name);
        expect_json_string(o, "businessId", BIZ, c->name);
        expect_json_string(o, "campaignId", CAMPAIGN, c->name);
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
        if (!cJSON_IsObject(ch))
            fail_msg("%s: no channel object in %s", c->name, body);
        expect_json_string(ch, "email", c->email, c->name);
        expect_json_string(ch, "phoneNumber", c->phone, c->name);
        assert_int_equal(cJSON_GetArraySize(ch), (*c->email != 0) + (*c->phone != 0));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "inviteDelayDays");
        if (c->delay) {
            assert_true(cJSON_IsNumber(d));
            assert_int_equal(d->valueint, c->delay);
        } else {
            assert_null(d);
        }
        /* Nothing else: the API is strict about unknown fields. */
        int want_keys = 4 /* firstName, channel, businessId, campaignId */ + (*c->last != 0) +
                        (c->source != NULL) + (*c->scid != 0) + (c->delay != 0);
        if (cJSON_GetArraySize(o) != want_keys)
            fail_msg("%s: %d keys, want %d: %s", c->name, cJSON_GetArraySize(o), want_keys, body);
        cJSON_Delete(o);
        free(body);
        row_result_release(&r);
    }
}

/* ---- the answer ---- */

static struct api_result answer(long status, const char *body)
{
    struct api_result res;
    memset(&res, 0, sizeof res);
    res.http_status = status;
    res.body = body ? body : "";
    res.body_len = strlen(res.body);
    res.retry_after = -1;
    res.request_sent = 1;
    return res;
}

static struct api_result no_reply(int curl_code, int sent, const char *error)
{
    struct api_result res = answer(0, "");
    res.curl_code = curl_code;
    res.request_sent = sent;
    snprintf(res.error, sizeof res.error, "%s", error);
    return res;
}

/* Decide for a fresh row on its `attempts`-th try. */
static struct invite_decision decide(const struct pipeline *p, const struct api_result *res,
                                     struct row_result *r, int attempts, int single)
{
    row_result_reset(r);
    r->attempts = attempts;
    return invite_decide(p, res, r, single);
}

static void expect_reason(const struct row_result *r, const char *want)
{
    const char *got = strbuf_str(&r->reason);
    if (*want ? !strstr(got, want) : *got != '\0')
        fail_msg("reason [%s], want [%s]", got, want);
}

struct ok_case {
    const char *name;
    long status;
    const char *body;
    const char *contact_id;
    long sms_left;
    const char *renews;
    const char *reason; /* "" = none */
};

static const struct ok_case ok_cases[] = {
    {"full body", 200,
     "{\"contact\":{\"id\":\"c_123\",\"firstName\":\"Jane\"},"
     "\"usage\":{\"smsLimitsLeft\":42,\"renews\":\"2026-12-01T00:00:00Z\"}}",
     "c_123", 42, "2026-12-01T00:00:00Z", ""},
    {"smsLimitsLeft as a string", 200,
     "{\"contact\":{\"id\":\"c_1\"},\"usage\":{\"smsLimitsLeft\":\"17\",\"renews\":\"soon\"}}",
     "c_1", 17, "soon", ""},
    {"unknown fields everywhere", 201,
     "{\"requestId\":\"x\",\"contact\":{\"id\":\"c_2\",\"tags\":[1,{\"a\":null}]},"
     "\"usage\":{\"smsLimitsLeft\":0,\"plan\":{\"name\":\"pro\"}},\"new\":true}",
     "c_2", 0, "", ""},
    {"nulls", 200, "{\"contact\":{\"id\":\"c_3\"},\"usage\":{\"smsLimitsLeft\":null,\"renews\":null}}",
     "c_3", -1, "", ""},
    {"usage null", 200, "{\"contact\":{\"id\":\"c_4\"},\"usage\":null}", "c_4", -1, "", ""},
    {"numeric contact id", 200, "{\"contact\":{\"id\":12345}}", "12345", -1, "", ""},
    {"renews a number: ignored", 200, "{\"contact\":{\"id\":\"c_5\"},\"usage\":{\"renews\":7}}",
     "c_5", -1, "", ""},
    {"contact null", 200, "{\"contact\":null,\"usage\":{\"smsLimitsLeft\":5}}", "", 5, "",
     "accepted (HTTP 200) but the answer had no contact id"},
    {"id null", 200, "{\"contact\":{\"id\":null}}", "", -1, "",
     "accepted (HTTP 200) but the answer had no contact id"},
    {"unreadable JSON", 200, "<html>OK</html>", "", -1, "",
     "accepted (HTTP 200) but the answer had no contact id (unreadable JSON)"},
    {"empty body", 202, "", "", -1, "",
     "accepted (HTTP 202) but the answer had no contact id (unreadable JSON)"},
    {"a JSON array", 200, "[1,2,3]", "", -1, "", "no contact id"},
};

static void test_accepted(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
        const struct ok_case *c = &ok_cases[i];
        struct api_result res = answer(c->status, c->body);
        struct invite_decision d = decide(&p, &res, &r, 1, 1);
        if (d.verdict != INVITE_DONE || r.status != ROW_SENT)
            fail_msg("%s: verdict %d status %s", c->name, d.verdict, row_status_name(r.status));
        assert_int_equal(r.http_status, c->status);
        if (strcmp(strbuf_str(&r.contact_id), c->contact_id) != 0)
            fail_msg("%s: contact_id [%s], want [%s]", c->name, strbuf_str(&r.contact_id),
                     c->contact_id);
        if (r.sms_left != c->sms_left)
            fail_msg("%s: sms_left %ld, want %ld", c->name, r.sms_left, c->sms_left);
        assert_string_equal(strbuf_str(&r.sms_renews), c->renews);
        expect_reason(&r, c->reason);
    }
    /* An answer cut off at 8 MiB says so. */
    struct api_result res = answer(200, "{\"contact\":");
    res.body_too_large = 1;
    decide(&p, &res, &r, 1, 1);
    assert_int_equal(r.status, ROW_SENT);
    expect_reason(&r, "no contact id (answer over 8 MiB)");
    row_result_release(&r);
}

static void test_400_failed_with_message(void **state)
{
    (void)state;
    static const struct {
        const char *body, *reason;
    } cases[] = {
        {"{\"message\":\"Invalid phone number format\",\"code\":\"E_PHONE\"}",
         "HTTP 400: Invalid phone number format"},
        {"{\"error\":\"campaignId is required\"}", "HTTP 400: campaignId is required"},
        {"{\"message\":\"two\\nlines\"}", "HTTP 400: two lines"},
        {"Bad Request", "HTTP 400: Bad Request"},
        {"", "HTTP 400: "},
    };
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct api_result res = answer(400, cases[i].body);
        struct invite_decision d = decide(&p, &res, &r, 1, 1);
        assert_int_equal(d.verdict, INVITE_DONE);
        assert_int_equal(r.status, ROW_FAILED);
        assert_int_equal(r.http_status, 400);
        assert_string_equal(strbuf_str(&r.reason), cases[i].reason);
    }
    /* Other 4xx fail the same way, never retried. */
    struct api_result res = answer(422, "{\"message\":\"Unprocessable\"}");
    struct invite_decision d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    assert_string_equal(strbuf_str(&r.reason), "HTTP 422: Unprocessable");
    row_result_release(&r);
}

static void test_401_stops_the_run(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    struct api_result res = answer(401, "{\"message\":\"Invalid API key\"}");
    struct invite_decision d = decide(&p, &res, &r, 1, 0);
    assert_int_equal(d.verdict, INVITE_STOP_AUTH);
    assert_int_equal(r.status, ROW_SKIPPED);
    assert_int_equal(r.http_status, 401);
    assert_non_null(strstr(d.message, "HTTP 401: Invalid API key"));
    assert_non_null(strstr(d.message, "CLOUTLY_API_KEY"));
    expect_reason(&r, "not sent: the API refused the key (HTTP 401)");
    row_result_release(&r);
}

static void test_404(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    struct api_result res = answer(404, "{\"message\":\"Campaign not found\"}");

    struct invite_decision d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_STOP_PIPELINE);
    assert_int_equal(r.status, ROW_FAILED);
    assert_non_null(strstr(d.message, "HTTP 404: Campaign not found"));
    assert_non_null(strstr(d.message, "invite.business_id and invite.campaign_id"));
    expect_reason(&r, "HTTP 404: Campaign not found");

    /* Many locations: one row's 404 is that row's problem. */
    d = decide(&p, &res, &r, 1, 0);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    assert_int_equal(r.http_status, 404);
    assert_string_equal(strbuf_str(&r.reason), "HTTP 404: Campaign not found");
    row_result_release(&r);
}

static void test_429(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    struct api_result res = answer(429, "{\"message\":\"Too many requests\"}");

    res.retry_after = 2;
    struct invite_decision d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_RATE_LIMITED);
    assert_true(d.wait == 2.0);
    assert_int_equal(r.status, ROW_PENDING); /* not final: sent again */
    assert_int_equal(r.http_status, 429);
    expect_reason(&r, "");

    res.retry_after = 0; /* "Retry-After: 0" is an answer too */
    d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_RATE_LIMITED);
    assert_true(d.wait == 0.0);

    /* No Retry-After: exponential backoff with jitter, by attempt. */
    res.retry_after = -1;
    for (int i = 0; i < 50; i++) {
        d = decide(&p, &res, &r, 1, 1);
        assert_int_equal(d.verdict, INVITE_RATE_LIMITED);
        assert_true(d.wait >= 0.25 && d.wait <= 0.5);
        d = decide(&p, &res, &r, 4, 1);
        assert_true(d.wait >= 2.0 && d.wait <= 4.0);
    }

    /* 429s do not count against api.retries... */
    res.retry_after = 1;
    d = decide(&p, &res, &r, API_MAX_429 - 1, 1);
    assert_int_equal(d.verdict, INVITE_RATE_LIMITED);
    assert_int_equal(r.status, ROW_PENDING);
    /* ... but there is an end. */
    d = decide(&p, &res, &r, API_MAX_429, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    expect_reason(&r, "rate limited (HTTP 429) 50 times in a row: gave up");
    row_result_release(&r);
}

static void test_503_retried_then_failed(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p); /* retries: 3 */
    struct row_result r;
    row_result_init(&r);
    struct api_result res = answer(503, "{\"message\":\"Maintenance\"}");
    for (int attempt = 1; attempt <= 3; attempt++) {
        struct invite_decision d = decide(&p, &res, &r, attempt, 1);
        if (d.verdict != INVITE_RETRY)
            fail_msg("attempt %d: verdict %d, want RETRY", attempt, d.verdict);
        assert_int_equal(r.status, ROW_PENDING);
        double lo = 0.25 * (1 << (attempt - 1)), hi = 0.5 * (1 << (attempt - 1));
        if (d.wait < lo || d.wait > hi)
            fail_msg("attempt %d: wait %g outside [%g, %g]", attempt, d.wait, lo, hi);
    }
    struct invite_decision d = decide(&p, &res, &r, 4, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    assert_int_equal(r.http_status, 503);
    assert_string_equal(strbuf_str(&r.reason), "HTTP 503: Maintenance (gave up after 4 attempts)");

    /* Retry-After on a 503 is honoured. */
    res.retry_after = 7;
    d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_RETRY);
    assert_true(d.wait == 7.0);

    /* retries: 0 gives up at once. */
    p.api.retries = 0;
    d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    row_result_release(&r);
}

static void test_5xx_in_doubt(void **state)
{
    (void)state;
    static const long codes[] = {500, 502, 504};
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    char want[64];
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        struct api_result res = answer(codes[i], "{\"message\":\"upstream\"}");
        p.api.retry_in_doubt = false;
        struct invite_decision d = decide(&p, &res, &r, 1, 1);
        assert_int_equal(d.verdict, INVITE_DONE);
        if (r.status != ROW_IN_DOUBT)
            fail_msg("HTTP %ld: %s, want in_doubt", codes[i], row_status_name(r.status));
        assert_int_equal(r.http_status, codes[i]);
        snprintf(want, sizeof want, "HTTP %ld: upstream: the invite may have been sent", codes[i]);
        expect_reason(&r, want);
        expect_reason(&r, "api.retry_in_doubt");

        /* With retry_in_doubt: retried like a 503, then failed. */
        p.api.retry_in_doubt = true;
        for (int attempt = 1; attempt <= p.api.retries; attempt++) {
            d = decide(&p, &res, &r, attempt, 1);
            assert_int_equal(d.verdict, INVITE_RETRY);
            assert_true(d.wait > 0 && d.wait <= 30);
        }
        d = decide(&p, &res, &r, p.api.retries + 1, 1);
        assert_int_equal(d.verdict, INVITE_DONE);
        assert_int_equal(r.status, ROW_FAILED);
        expect_reason(&r, "(gave up after 4 attempts)");
    }
    row_result_release(&r);
}

static void test_no_answer(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);

    /* Never sent (connection refused, DNS): retried, then failed. */
    struct api_result res = no_reply(CURLE_COULDNT_CONNECT, 0, "Connection refused");
    for (int attempt = 1; attempt <= 3; attempt++) {
        struct invite_decision d = decide(&p, &res, &r, attempt, 1);
        assert_int_equal(d.verdict, INVITE_RETRY);
        assert_true(d.wait >= 0.25 * (1 << (attempt - 1)) && d.wait <= 0.5 * (1 << (attempt - 1)));
        assert_int_equal(r.http_status, 0);
    }
    struct invite_decision d = decide(&p, &res, &r, 4, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    assert_string_equal(strbuf_str(&r.reason),
                        "could not reach the API: Connection refused (gave up after 4 attempts)");

    /* Sent, then a timeout or reset: in doubt, not repeated. */
    res = no_reply(CURLE_OPERATION_TIMEDOUT, 1, "Operation timed out");
    d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_IN_DOUBT);
    assert_int_equal(r.http_status, 0);
    expect_reason(&r, "no answer after the request was sent (Operation timed out)");
    expect_reason(&r, "not repeated");

    p.api.retry_in_doubt = true;
    d = decide(&p, &res, &r, 1, 1);
    assert_int_equal(d.verdict, INVITE_RETRY);
    d = decide(&p, &res, &r, 4, 1);
    assert_int_equal(d.verdict, INVITE_DONE);
    assert_int_equal(r.status, ROW_FAILED);
    row_result_release(&r);
}

static void test_cert_problem_stops(void **state)
{
    (void)state;
    struct pipeline p;
    base_pipeline(&p);
    p.api.retry_in_doubt = true; /* changes nothing here */
    struct row_result r;
    row_result_init(&r);
    struct api_result res = no_reply(CURLE_PEER_FAILED_VERIFICATION, 0,
                                     "SSL certificate problem: self-signed certificate");
    res.cert_problem = 1;
    struct invite_decision d = decide(&p, &res, &r, 1, 0);
    assert_int_equal(d.verdict, INVITE_STOP_PIPELINE);
    assert_int_equal(r.status, ROW_SKIPPED);
    assert_non_null(strstr(d.message, "self-signed certificate"));
    assert_non_null(strstr(d.message, "api.ca_file"));
    expect_reason(&r, "not sent: TLS certificate not trusted");
    row_result_release(&r);
}

static void test_aborted(void **state)
{
    (void)state;
    assert_int_equal(CURLE_ABORTED_BY_CALLBACK, 42);
    struct pipeline p;
    base_pipeline(&p);
    struct row_result r;
    row_result_init(&r);
    for (int rid = 0; rid <= 1; rid++) {
        p.api.retry_in_doubt = rid; /* a second Ctrl-C never resends, either way */
        struct api_result res = no_reply(42, 0, "Callback aborted");
        struct invite_decision d = decide(&p, &res, &r, 1, 1);
        assert_int_equal(d.verdict, INVITE_DONE);
        assert_int_equal(r.status, ROW_SKIPPED);
        expect_reason(&r, "not attempted: the run was interrupted");

        res.request_sent = 1;
        d = decide(&p, &res, &r, 1, 1);
        assert_int_equal(d.verdict, INVITE_DONE);
        assert_int_equal(r.status, ROW_IN_DOUBT);
        expect_reason(&r, "interrupted while the request was in flight");
    }
    row_result_release(&r);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    static const struct {
        int attempt;
        double lo, hi;
    } cases[] = {
        {-3, 0.25, 0.5}, {0, 0.25, 0.5}, {1, 0.25, 0.5}, {2, 0.5, 1.0}, {3, 1.0, 2.0},
        {4, 2.0, 4.0},   {6, 8.0, 16.0}, {7, 15.0, 30.0}, {8, 15.0, 30.0}, {50, 15.0, 30.0},
        {2000, 15.0, 30.0}, {0x7fffffff, 15.0, 30.0},
    };
    srand(12345);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double min = 1e9, max = 0;
        for (int k = 0; k < 2000; k++) {
            double w = api_backoff(cases[i].attempt);
            if (w < cases[i].lo || w > cases[i].hi)
                fail_msg("api_backoff(%d) = %g outside [%g, %g]", cases[i].attempt, w,
                         cases[i].lo, cases[i].hi);
            if (w < min)
                min = w;
            if (w > max)
                max = w;
        }
        /* Jitter: the spread covers most of the range, not one value. */
        double range = cases[i].hi - cases[i].lo;
        if (max - min < 0.8 * range)
            fail_msg("api_backoff(%d): spread %g..%g, too little jitter", cases[i].attempt,
                     min, max);
    }
}

/* smsLimitsLeft as a string that is not a number stays unknown (-1), so
 * the SMS guard does not mistake it for an empty balance. */
static void test_sms_left_unreadable_string_is_unknown(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"contact\":{\"id\":\"c_1\"},\"usage\":{\"smsLimitsLeft\":\"unlimited\"}}",
        "{\"contact\":{\"id\":\"c_1\"},\"usage\":{\"smsLimitsLeft\":\"\"}}",
        /* found by fuzzing: a balance too big for a long (UBSan) */
        "{\"contact\":{\"id\":\"c_1\"},\"usage\":{\"smsLimitsLeft\":1e30}}",
    };
    struct pipeline p;
    memset(&p, 0, sizeof p);
    struct row_result r;
    row_result_init(&r);
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct api_result res;
        memset(&res, 0, sizeof res);
        res.http_status = 200;
        res.body = bodies[i];
        res.body_len = strlen(bodies[i]);
        res.retry_after = -1;
        res.request_sent = 1;
        row_result_reset(&r);
        r.attempts = 1;
        invite_decide(&p, &res, &r, 1);
        assert_int_equal(r.status, ROW_SENT);
        if (r.sms_left != -1)
            fail_msg("%s: sms_left %ld, want -1 (unknown)", bodies[i], r.sms_left);
    }
    row_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sms_left_unreadable_string_is_unknown),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_400_failed_with_message),
        cmocka_unit_test(test_401_stops_the_run),
        cmocka_unit_test(test_404),
        cmocka_unit_test(test_429),
        cmocka_unit_test(test_503_retried_then_failed),
        cmocka_unit_test(test_5xx_in_doubt),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_cert_problem_stops),
        cmocka_unit_test(test_aborted),
        cmocka_unit_test(test_backoff_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
