/* One invite's request and the rules for its answer: see invite.h. */
#include "invite/invite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "api/backoff.h"
#include "api/retry_after.h"

const char *invite_campaign(const struct pipeline *p, const char *business_id)
{
    for (size_t i = 0; business_id && i < p->invite.n_business_map; i++) {
        const struct business_map_entry *e = &p->invite.business_map[i];
        if (!e->business_id || strcmp(e->business_id, business_id) != 0)
            continue;
        if (e->campaign_id)
            return e->campaign_id;
        for (size_t j = 0; j < p->invite.n_campaigns; j++)
            if (strcasecmp(p->invite.campaigns[j].value, e->value) == 0)
                return p->invite.campaigns[j].campaign_id;
    }
    return p->invite.campaign_id;
}

char *invite_body(const struct pipeline *p, const struct row_result *r)
{
    const char *campaign = invite_campaign(p, strbuf_str(&r->business_id));
    cJSON *o = cJSON_CreateObject(), *ch = cJSON_CreateObject();
    char *out = NULL;
    if (!o || !ch)
        goto out;
    cJSON_AddStringToObject(o, "firstName", strbuf_str(&r->first_name));
    if (r->last_name.len)
        cJSON_AddStringToObject(o, "lastName", strbuf_str(&r->last_name));
    if (r->email.len)
        cJSON_AddStringToObject(ch, "email", strbuf_str(&r->email));
    if (r->phone.len)
        cJSON_AddStringToObject(ch, "phoneNumber", strbuf_str(&r->phone));
    cJSON_AddItemToObject(o, "channel", ch);
    ch = NULL;
    if (p->invite.source)
        cJSON_AddStringToObject(o, "source", p->invite.source);
    if (r->source_contact_id.len)
        cJSON_AddStringToObject(o, "sourceContactId", strbuf_str(&r->source_contact_id));
    cJSON_AddStringToObject(o, "businessId", strbuf_str(&r->business_id));
    cJSON_AddStringToObject(o, "campaignId", campaign ? campaign : "");
    if (p->invite.invite_delay_days)
        cJSON_AddNumberToObject(o, "inviteDelayDays", p->invite.invite_delay_days);
    out = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    cJSON_Delete(ch);
    return out;
}

/* Take what the tool needs from a 2xx answer; unknown fields, nulls and
 * numbers written as strings are all fine. */
static void read_accepted(const struct api_result *res, struct row_result *r)
{
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *contact = cJSON_GetObjectItemCaseSensitive(j, "contact");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(contact, "id");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
    const cJSON *left = cJSON_GetObjectItemCaseSensitive(usage, "smsLimitsLeft");
    const cJSON *renews = cJSON_GetObjectItemCaseSensitive(usage, "renews");
    if (cJSON_IsString(id) && strlen(id->valuestring) < 200)
        strbuf_addstr(&r->contact_id, id->valuestring);
    else if (cJSON_IsNumber(id) && id->valuedouble > -1e15 && id->valuedouble < 1e15)
        strbuf_addf(&r->contact_id, "%.0f", id->valuedouble);
    /* A balance past 1e15 is no balance: converting it to long would overflow. */
    if (cJSON_IsNumber(left) && left->valuedouble >= 0 && left->valuedouble < 1e15)
        r->sms_left = (long)left->valuedouble;
    else if (cJSON_IsString(left) && left->valuestring[0]) {
        char *end;
        long v = strtol(left->valuestring, &end, 10);
        if (!*end && v >= 0)
            r->sms_left = v; /* "19" is a number; "unlimited" stays unknown */
    }
    if (cJSON_IsString(renews) && strlen(renews->valuestring) < 100)
        strbuf_addstr(&r->sms_renews, renews->valuestring);
    if (!r->contact_id.len)
        row_note(r, "accepted (HTTP %ld) but the answer had no contact id%s", res->http_status,
                 res->body_too_large ? " (answer over 8 MiB)"
                 : j                 ? ""
                                     : " (unreadable JSON)");
    cJSON_Delete(j);
}

static struct invite_decision done(struct row_result *r, enum row_status st)
{
    struct invite_decision d = {.verdict = INVITE_DONE};
    r->status = st;
    return d;
}

static struct invite_decision retry_or_give_up(const struct pipeline *p, struct row_result *r,
                                               double wait, const char *what)
{
    if (r->attempts <= p->api.retries) {
        struct invite_decision d = {.verdict = INVITE_RETRY, .wait = wait};
        return d;
    }
    row_note(r, "%s (gave up after %d attempts)", what, r->attempts);
    return done(r, ROW_FAILED);
}

static struct invite_decision in_doubt(const struct pipeline *p, struct row_result *r,
                                       const char *what)
{
    if (p->api.retry_in_doubt)
        return retry_or_give_up(p, r, api_backoff(r->attempts), what);
    row_note(r,
             "%s: the invite may have been sent; not repeated (check the contact in Cloutly, "
             "or set api.retry_in_doubt: true)",
             what);
    return done(r, ROW_IN_DOUBT);
}

static struct invite_decision no_answer(const struct pipeline *p, const struct api_result *res,
                                        struct row_result *r)
{
    char what[400];
    if (res->cert_problem) {
        struct invite_decision d = {.verdict = INVITE_STOP_PIPELINE};
        snprintf(d.message, sizeof d.message,
                 "the server's TLS certificate is not trusted: %s (for a private CA set "
                 "api.ca_file in the pipeline)",
                 res->error);
        row_note(r, "not sent: TLS certificate not trusted");
        r->status = ROW_SKIPPED;
        return d;
    }
    if (res->curl_code == CURLE_ABORTED_BY_CALLBACK) {
        if (!res->request_sent) {
            row_note(r, "not attempted: the run was interrupted");
            return done(r, ROW_SKIPPED);
        }
        row_note(r, "the run was interrupted while the request was in flight: the invite may "
                    "have been sent; not repeated");
        return done(r, ROW_IN_DOUBT);
    }
    if (!res->request_sent) {
        snprintf(what, sizeof what, "could not reach the API: %s", res->error);
        return retry_or_give_up(p, r, api_backoff(r->attempts), what);
    }
    snprintf(what, sizeof what, "no answer after the request was sent (%s)", res->error);
    return in_doubt(p, r, what);
}

/* Did the server ask for a pause longer than the pipeline will wait? */
static double max_wait_ms(const struct pipeline *p)
{
    return p->api.max_retry_wait_ms > 0 ? (double)p->api.max_retry_wait_ms
                                        : RETRY_AFTER_DEFAULT_MAX * 1000.0;
}

static int too_long(const struct pipeline *p, const struct api_result *res)
{
    return res->retry_after >= 0 && res->retry_after * 1000.0 > max_wait_ms(p);
}

static void say_duration(double secs, char *buf, size_t n)
{
    if (secs >= 86400 * 365.0)
        snprintf(buf, n, "more than a year");
    else if (secs >= 86400)
        snprintf(buf, n, "%.0f days", secs / 86400);
    else if (secs >= 3600)
        snprintf(buf, n, "%.1f hours", secs / 3600);
    else if (secs >= 60)
        snprintf(buf, n, "%.0f minutes", secs / 60);
    else
        snprintf(buf, n, "%.0f s", secs);
}

/* The row was not acted on (429/503 say so): a later run sends it. */
static struct invite_decision stop_waiting(const struct pipeline *p, const struct api_result *res,
                                           struct row_result *r, const char *what)
{
    char asked[64], most[64];
    say_duration(res->retry_after, asked, sizeof asked);
    say_duration(max_wait_ms(p) / 1000.0, most, sizeof most);
    struct invite_decision d = {.verdict = INVITE_STOP_WAIT};
    snprintf(d.message, sizeof d.message,
             "the API asked to wait %s before the next request (%s, Retry-After), longer than "
             "api.max_retry_wait (%s): stopped sending; the rows not sent go out with the next "
             "run",
             asked, what, most);
    row_note(r, "not sent: the API asked to wait %s (%s); a later run sends it", asked, what);
    r->status = ROW_SKIPPED;
    return d;
}

struct invite_decision invite_decide(const struct pipeline *p, const struct api_result *res,
                                     struct row_result *r, int single_target)
{
    char msg[300], what[400];
    long st = res->http_status;
    if (!st)
        return no_answer(p, res, r);
    r->http_status = (int)st;
    if (st >= 200 && st < 300) {
        read_accepted(res, r);
        return done(r, ROW_SENT);
    }
    api_error_message(res->body, res->body_len, msg, sizeof msg);
    if (st == 429) {
        if (r->attempts >= API_MAX_429) {
            row_note(r, "rate limited (HTTP 429) %d times in a row: gave up", r->attempts);
            return done(r, ROW_FAILED);
        }
        if (too_long(p, res))
            return stop_waiting(p, res, r, "HTTP 429");
        struct invite_decision d = {.verdict = INVITE_RATE_LIMITED,
                                    .wait = res->retry_after >= 0 ? res->retry_after
                                                                  : api_backoff(r->attempts)};
        return d;
    }
    if (st == 401) {
        struct invite_decision d = {.verdict = INVITE_STOP_AUTH};
        snprintf(d.message, sizeof d.message,
                 "the API refused the key (HTTP 401: %s): check CLOUTLY_API_KEY or "
                 "api.api_key / api.api_key_file",
                 msg);
        row_note(r, "not sent: the API refused the key (HTTP 401)");
        r->status = ROW_SKIPPED;
        return d;
    }
    if (st == 503) {
        if (too_long(p, res))
            return stop_waiting(p, res, r, "HTTP 503");
        snprintf(what, sizeof what, "HTTP 503: %s", msg);
        return retry_or_give_up(
            p, r, res->retry_after >= 0 ? res->retry_after : api_backoff(r->attempts), what);
    }
    if (st >= 500) {
        snprintf(what, sizeof what, "HTTP %ld: %s", st, msg);
        return in_doubt(p, r, what);
    }
    row_note(r, "HTTP %ld: %s", st, msg);
    if (st == 404 && single_target) {
        struct invite_decision d = {.verdict = INVITE_STOP_PIPELINE};
        snprintf(d.message, sizeof d.message,
                 "the API does not know this business or campaign (HTTP 404: %s): check "
                 "invite.business_id and invite.campaign_id (run 'cloutly-pipe businesses' to "
                 "list business ids)",
                 msg);
        r->status = ROW_FAILED;
        return d;
    }
    return done(r, ROW_FAILED);
}
