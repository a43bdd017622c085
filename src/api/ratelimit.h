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

/*
 * A budget shared with other processes of the account (store/budget.c, wired
 * in by cli/): the same pacing, with its state held where every process
 * sees it. `acquire` books the account's next slot, `interval` wide, and
 * returns how far ahead of `now` it lies (0: go now), or < 0 when the shared
 * state failed (the limiter then paces on its own). Slots are handed out in
 * the order they are asked for, so no process starves another.
 * Borrowed by the limiter; NULL for a process of its own.
 */
struct rate_shared {
    void *ctx;
    double (*acquire)(void *ctx, double now, double interval);
    void (*backoff)(void *ctx, double now, double pause);
    void (*success)(void *ctx);
};

struct ratelimit {
    double interval; /* seconds between requests at the configured rate, with margin */
    double slowdown; /* >= 1: multiplier on interval after 429s */
    double next;     /* monotonic time the next request may start (a hint when shared) */
    const struct rate_shared *shared; /* borrowed; NULL: this process alone */
    double reserved; /* a shared slot booked for this time and not yet used; 0: none */
};

/* `rate_per_sec` > 0. `now` is clock_now(). */
void ratelimit_init(struct ratelimit *rl, double rate_per_sec, double now);
/* Seconds until a request may start (0 when it may start now). */
double ratelimit_wait(const struct ratelimit *rl, double now);
/* A request starts now: book its slot. */
void ratelimit_take(struct ratelimit *rl, double now);
/* The one call a request makes before it starts: 0 when its slot is booked
 * (start now), else the seconds to wait before asking again. With a shared
 * budget the slot is the account's, taken atomically across processes. */
double ratelimit_acquire(struct ratelimit *rl, double now);
/* The server said 429: nothing before now + pause, and slow down 10%. */
void ratelimit_backoff(struct ratelimit *rl, double now, double pause);
/* A request succeeded: recover a little of the speed lost to 429s. */
void ratelimit_success(struct ratelimit *rl);

#define RATELIMIT_MARGIN 1.01

#endif
