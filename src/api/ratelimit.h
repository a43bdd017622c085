/*
 * Pacing: requests spaced evenly just under the configured rate.
 *
 * The server counts requests in a sliding window; a burst that fits the
 * average can still overflow it. So instead of a token bucket, each request
 * gets the next slot on an even grid, 1% wider than the rate asks, so that
 * network jitter never puts one request too many in the server's window.
 * A 429 pauses the grid (Retry-After) and slows it down; successes bring it
 * back to the configured rate gradually.
 */
#ifndef CLOUTLY_RATELIMIT_H
#define CLOUTLY_RATELIMIT_H

struct ratelimit {
    double interval;      /* seconds between requests at the configured rate, with margin */
    double slowdown;      /* >= 1: multiplier on interval after 429s */
    double next;          /* monotonic time the next request may start */
};

/* `rate_per_sec` > 0. `now` is clock_now(). */
void ratelimit_init(struct ratelimit *rl, double rate_per_sec, double now);
/* Seconds until a request may start (0 when it may start now). */
double ratelimit_wait(const struct ratelimit *rl, double now);
/* A request starts now: book its slot. */
void ratelimit_take(struct ratelimit *rl, double now);
/* The server said 429: nothing before now + pause, and slow down 10%. */
void ratelimit_backoff(struct ratelimit *rl, double now, double pause);
/* A request succeeded: recover a little of the speed lost to 429s. */
void ratelimit_success(struct ratelimit *rl);

#define RATELIMIT_MARGIN 1.01

#endif
