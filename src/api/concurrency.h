/*
 * How many requests may be in flight: api.max_in_flight, raised when the
 * server's latency would otherwise hold the rate down.
 *
 * By Little's law a rate of R requests a second with a mean latency of L
 * seconds keeps R x L requests in flight on average; with latencies that
 * vary (an exponential spread, a slow tail) the sends wait on the slowest
 * ones whenever the cap is near that mean, and the rate falls (0.93 of
 * 300/min at a mean of 1.5 s with 8 in flight). So the cap follows twice
 * the measured R x L, never below api.max_in_flight and never above the
 * ceiling: 4 x api.max_in_flight, at most 64 (the most the key allows).
 * The pacing still spaces every request (ratelimit.h, and the account's
 * shared budget), so a higher cap never sends more a minute than
 * api.rate_limit: it only keeps the grid's slots from going unused.
 *
 * The mean is a moving average over about the last 50 answers, and the cap
 * moves only after 8 answers, rises at once, and falls back only when the
 * need drops below three quarters of it: it does not hunt.
 *
 * Pure logic, no clock: the caller measures each latency. One per sender;
 * no allocation, nothing to free.
 */
#ifndef CLOUTLY_CONCURRENCY_H
#define CLOUTLY_CONCURRENCY_H

#define CONCURRENCY_HARD_MAX 64

struct concurrency {
    int base;            /* api.max_in_flight */
    int ceiling;         /* min(4 x base, CONCURRENCY_HARD_MAX), never below base */
    int cap;             /* in flight allowed now, base..ceiling */
    int highest;         /* the highest cap reached, for the summary */
    double rate;         /* configured requests a second */
    double mean_latency; /* seconds, moving average; 0 before the first answer */
    long samples;        /* answers measured */
    int short_of_need;   /* 1 once the need passed the ceiling: the rate may fall */
};

/* `max_in_flight` >= 1, `rate_per_sec` > 0. */
void concurrency_init(struct concurrency *c, int max_in_flight, double rate_per_sec);

/* One answer, `latency_s` after its request went out. Returns 1 when the cap
 * changed (the caller may say so), 0 when not. */
int concurrency_observe(struct concurrency *c, double latency_s);

/* The requests in flight the measured latency needs at the configured rate
 * (rate x mean latency), for messages. */
double concurrency_need(const struct concurrency *c);

#endif
