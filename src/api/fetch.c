/* Paced, retried GETs: see fetch.h. */
#include "api/fetch.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "api/backoff.h"
#include "api/retry_after.h"
#include "core/log.h"

enum verdict { V_OK, V_RETRY, V_RATE_LIMITED, V_FAIL };

void fetcher_init(struct fetcher *f, struct api_client *api, double rate_per_sec, int retries,
                  volatile sig_atomic_t *stop)
{
    memset(f, 0, sizeof *f);
    f->api = api;
    f->retries = retries;
    f->stop = stop;
    f->max_wait = RETRY_AFTER_DEFAULT_MAX;
    ratelimit_init(&f->rl, rate_per_sec, clock_now());
}

void fetcher_share_budget(struct fetcher *f, const struct rate_shared *shared)
{
    f->rl.shared = shared;
}

void fetcher_set_max_wait(struct fetcher *f, long max_wait_ms)
{
    f->max_wait = max_wait_ms / 1000.0;
}

/* A server that asks for longer than we wait is down for now: say so
 * instead of sleeping with the lock held. */
static int too_long(const struct fetcher *f, const char *path, const struct api_result *res,
                    struct cp_error *err)
{
    if (res->retry_after < 0 || res->retry_after <= f->max_wait)
        return 0;
    return cp_fail(err, CP_EXIT_INPUT,
                   "'GET %s': the API asked to wait %.0f s (HTTP %ld, "
                   "Retry-After), longer than api.max_retry_wait (%.0f s): run again later",
                   path, res->retry_after, res->http_status, f->max_wait);
}

void fetcher_init_transport(struct fetcher *f, const struct fetch_transport *t, double rate_per_sec,
                            int retries, volatile sig_atomic_t *stop)
{
    fetcher_init(f, NULL, rate_per_sec, retries, stop);
    f->transport = t;
}

static int interrupted(const struct fetcher *f, struct cp_error *err)
{
    if (f->stop && *f->stop)
        return cp_fail(err, CP_EXIT_INTERRUPTED, "interrupted");
    return 0;
}

/* Sleep until `until` (monotonic), in short steps so a signal is seen. */
static int sleep_until(const struct fetcher *f, double until, struct cp_error *err)
{
    for (;;) {
        if (interrupted(f, err) < 0)
            return -1;
        double left = until - clock_now();
        if (left <= 0)
            return 0;
        usleep((useconds_t)((left > 0.1 ? 0.1 : left) * 1e6));
    }
}

/* Send one GET and wait for its end. */
static int one_request(struct fetcher *f, const char *path, struct api_result *res,
                       struct cp_error *err)
{
    /* A stop asked for between pages ends the walk here, whether or not the
     * pace makes this request wait. */
    if (interrupted(f, err) < 0)
        return -1;
    /* Book the request's slot (the account's, when the budget is shared)
     * before it goes out; wait and ask again until there is one. */
    double wait;
    while ((wait = ratelimit_acquire(&f->rl, clock_now())) > 0)
        if (sleep_until(f, clock_now() + wait, err) < 0)
            return -1;
    if (f->transport) {
        f->requests++;
        return f->transport->get(f->transport->ctx, path, f->stop, res, err);
    }
    if (api_get(f->api, 0, path, err) < 0)
        return -1;
    f->requests++;
    for (;;) {
        if (api_poll(f->api, 100, err) < 0)
            return -1;
        if (api_take(f->api, res))
            return 0;
        if (f->stop && *f->stop) {
            api_abort_all(f->api);
            api_take(f->api, res);
            return cp_fail(err, CP_EXIT_INTERRUPTED, "interrupted");
        }
    }
}

static enum verdict judge(struct fetcher *f, const char *path, const struct api_result *res,
                          fetch_check_fn check, void *ctx, char *why, size_t n, int *code)
{
    char msg[300];
    long st = res->http_status;
    *code = CP_EXIT_INPUT;
    if (res->cert_problem) {
        *code = CP_EXIT_USAGE;
        snprintf(why, n,
                 "the server's TLS certificate is not trusted: %s (for a private CA set "
                 "api.ca_file in the pipeline)",
                 res->error);
        return V_FAIL;
    }
    if (res->body_too_large) {
        snprintf(why, n, "the answer to 'GET %s' is larger than 8 MiB: lower export.page_size",
                 path);
        return V_FAIL;
    }
    if (res->curl_code != 0 && (st == 0 || st == 200)) {
        snprintf(why, n, "%s", res->error);
        return V_RETRY;
    }
    if (st == 200) {
        if (!check || check(ctx, res, msg, sizeof msg) == 0)
            return V_OK;
        snprintf(why, n, "unreadable answer (%s)", msg);
        return V_RETRY;
    }
    if (st == 429) {
        f->rate_limited++;
        snprintf(why, n, "rate limited (HTTP 429)");
        return V_RATE_LIMITED;
    }
    if (st >= 500 || st == 408) {
        snprintf(why, n, "HTTP %ld", st);
        return V_RETRY;
    }
    api_error_message(res->body, res->body_len, msg, sizeof msg);
    if (st == 401) {
        *code = CP_EXIT_AUTH;
        snprintf(why, n,
                 "the API refused the key (HTTP 401: %s): check CLOUTLY_API_KEY or "
                 "api.api_key",
                 msg);
    } else if (st == 400 || st == 404) {
        *code = CP_EXIT_USAGE;
        snprintf(why, n,
                 "the API refused 'GET %s' (HTTP %ld: %s): check the filters and "
                 "api.base_url",
                 path, st, msg);
    } else {
        snprintf(why, n, "unexpected answer to 'GET %s' (HTTP %ld: %s)", path, st, msg);
    }
    return V_FAIL;
}

int fetch_get(struct fetcher *f, const char *path, fetch_check_fn check, void *ctx,
              struct api_result *out, struct cp_error *err)
{
    int failures = 0, limited = 0, code;
    char why[700];
    for (;;) {
        if (one_request(f, path, out, err) < 0)
            return -1;
        enum verdict v = judge(f, path, out, check, ctx, why, sizeof why, &code);
        double wait;
        switch (v) {
        case V_OK: ratelimit_success(&f->rl); return 0;
        case V_FAIL: return cp_fail(err, (enum cp_exit)code, "%s", why);
        case V_RATE_LIMITED:
            if (++limited > API_MAX_429)
                return cp_fail(err, CP_EXIT_INPUT,
                               "'GET %s' was rate limited %d times in a row: "
                               "lower api.rate_limit, or run again later",
                               path, API_MAX_429);
            if (too_long(f, path, out, err) < 0)
                return -1;
            wait = out->retry_after >= 0 ? out->retry_after : api_backoff(limited);
            ratelimit_backoff(&f->rl, clock_now(), wait);
            log_msg(LOG_DEBUG, "GET %s: rate limited (HTTP 429): pausing %.1fs and slowing down",
                    path, wait);
            break;
        case V_RETRY:
            if (++failures > f->retries)
                return cp_fail(err, CP_EXIT_INPUT,
                               "'GET %s' failed %d times in a row (last: %s): "
                               "check the network and the API's status, then run again",
                               path, failures, why);
            wait = api_backoff(failures);
            log_msg(LOG_DEBUG, "GET %s: %s: retry %d of %d in %.1fs", path, why, failures,
                    f->retries, wait);
            if (sleep_until(f, clock_now() + wait, err) < 0)
                return -1;
            break;
        }
        f->retried++;
    }
}
