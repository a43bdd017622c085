/*
 * One GET at a time, at the configured pace, retried until it yields a
 * usable answer: the read side of the API (SPEC section 5), shared by the
 * export's page walk and `businesses`.
 *
 * A GET changes nothing on the server, so everything transient is retried:
 * 429 (waiting Retry-After, else backing off, and slowing the pace), 5xx,
 * connection failures and timeouts, and a 200 whose body the caller's
 * `check` refuses (truncated or malformed JSON). 401 stops at once (exit 3);
 * 400 and 404 are the request's own fault (exit 2); a body over 8 MiB and an
 * untrusted certificate are not worth repeating. Requests go out one at a
 * time, so the server answers them in the order they were asked: the page
 * walk's correctness under inserts depends on that.
 *
 * Ownership: the fetcher borrows the api client; the answer it hands out
 * lives until the next fetch_get() or api_client_free().
 */
#ifndef CLOUTLY_FETCH_H
#define CLOUTLY_FETCH_H

#include <signal.h>

#include "api/api.h"
#include "core/error.h"
#include "api/ratelimit.h"

/* What carries one GET to the server and back: the API client by default;
 * unit tests put a fake here to play a server without a process or network.
 * `get` sends GET `path` (base URL excluded) and waits for its end: 0 with
 * *res filled (any HTTP answer, or a transport failure in res->curl_code),
 * -1 with err when the request could not be set up or `stop` was raised.
 * res->body must stay valid until the next call. */
struct fetch_transport {
    int (*get)(void *ctx, const char *path, volatile sig_atomic_t *stop, struct api_result *res,
               struct cp_error *err);
    void *ctx;
};

struct fetcher {
    struct api_client *api;                  /* borrowed; NULL when transport carries the GETs */
    const struct fetch_transport *transport; /* borrowed; NULL: api */
    struct ratelimit rl;
    int retries;                 /* api.retries: failures in a row per request */
    volatile sig_atomic_t *stop; /* set by a signal: give up with CP_EXIT_INTERRUPTED */
    long requests;               /* sent, retries included */
    long retried;                /* of which were retries of a failure */
    long rate_limited;           /* answers that were 429 */
    double max_wait;             /* the longest Retry-After waited, seconds */
};

void fetcher_init(struct fetcher *f, struct api_client *api, double rate_per_sec, int retries,
                  volatile sig_atomic_t *stop);
/* Take every request's slot from the account's shared budget (borrowed, may
 * be NULL: pace alone). Call after fetcher_init. */
void fetcher_share_budget(struct fetcher *f, const struct rate_shared *shared);

/* api.max_retry_wait for this fetcher (fetcher_init sets the default). */
void fetcher_set_max_wait(struct fetcher *f, long max_wait_ms);

/* The same, with GETs carried by `t` (borrowed) instead of an API client. */
void fetcher_init_transport(struct fetcher *f, const struct fetch_transport *t, double rate_per_sec,
                            int retries, volatile sig_atomic_t *stop);

/* Judges a 200 answer: 0 when usable, else -1 with why (it is fetched again). */
typedef int (*fetch_check_fn)(void *ctx, const struct api_result *res, char *why, size_t whylen);

/* GET base_url + path until `check` accepts the answer (NULL: any 200).
 * 0 and *out, or -1 with err: its code is CP_EXIT_AUTH (401),
 * CP_EXIT_USAGE (400, 404, TLS refused), CP_EXIT_INPUT (retries exhausted,
 * body too large, unexpected status) or CP_EXIT_INTERRUPTED. */
int fetch_get(struct fetcher *f, const char *path, fetch_check_fn check, void *ctx,
              struct api_result *out, struct cp_error *err);

#endif
