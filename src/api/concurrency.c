/* The in-flight cap that follows latency: see concurrency.h. */
#include "api/concurrency.h"

#include <math.h>

#define ALPHA       0.02 /* moving average weight: about the last 50 answers */
#define WARMUP      8    /* answers before the cap may move */
#define HEADROOM    2.0  /* cap = HEADROOM x rate x mean latency */
#define FALL_BELOW  0.75 /* the cap falls only when the target drops below this share */
#define RAISE_TIMES 4    /* ceiling = RAISE_TIMES x api.max_in_flight */

void concurrency_init(struct concurrency *c, int max_in_flight, double rate_per_sec)
{
    c->base = max_in_flight < 1 ? 1 : max_in_flight;
    c->ceiling = c->base * RAISE_TIMES;
    if (c->ceiling > CONCURRENCY_HARD_MAX)
        c->ceiling = CONCURRENCY_HARD_MAX;
    if (c->ceiling < c->base)
        c->ceiling = c->base;
    c->cap = c->highest = c->base;
    c->rate = rate_per_sec;
    c->mean_latency = 0;
    c->samples = 0;
    c->short_of_need = 0;
}

double concurrency_need(const struct concurrency *c)
{
    return c->rate * c->mean_latency;
}

int concurrency_observe(struct concurrency *c, double latency_s)
{
    if (!(latency_s >= 0) || !isfinite(latency_s))
        return 0;
    c->mean_latency =
        c->samples ? c->mean_latency + ALPHA * (latency_s - c->mean_latency) : latency_s;
    c->samples++;
    if (c->samples < WARMUP)
        return 0;
    double want = ceil(HEADROOM * concurrency_need(c));
    if (want > c->ceiling)
        c->short_of_need = 1;
    int target = want > c->ceiling ? c->ceiling : want < c->base ? c->base : (int)want;
    int old = c->cap;
    if (target > c->cap || target < c->cap * FALL_BELOW || target == c->base)
        c->cap = target;
    if (c->cap > c->highest)
        c->highest = c->cap;
    return c->cap != old;
}
