/* Even pacing under the configured rate: see ratelimit.h. */
#include "api/ratelimit.h"

#include <stddef.h>

void ratelimit_init(struct ratelimit *rl, double rate_per_sec, double now)
{
    rl->interval = RATELIMIT_MARGIN / rate_per_sec;
    rl->slowdown = 1.0;
    rl->next = now;
    rl->shared = NULL;
    rl->reserved = 0;
}

double ratelimit_wait(const struct ratelimit *rl, double now)
{
    return rl->next > now ? rl->next - now : 0.0;
}

void ratelimit_take(struct ratelimit *rl, double now)
{
    /* Keep to the grid when a wake-up is a little late, so small delays
     * do not add up to a lower rate, but only as late as the 1% margin
     * absorbs in the server's 60 s window; later than that, or after an idle
     * spell, restart at now: idle time is not credit for a burst. */
    double slack = (RATELIMIT_MARGIN - 1.0) * 60.0;
    if (slack > rl->interval)
        slack = rl->interval;
    double start = now - rl->next >= slack ? now : rl->next;
    rl->next = start + rl->interval * rl->slowdown;
}

double ratelimit_acquire(struct ratelimit *rl, double now)
{
    if (rl->shared) {
        /* A slot booked earlier is ours: wait for it, then go, without asking again. */
        if (rl->reserved > 0) {
            if (now < rl->reserved)
                return rl->reserved - now;
            rl->reserved = 0;
            return 0;
        }
        double w = rl->shared->acquire(rl->shared->ctx, now, rl->interval);
        if (w >= 0) {
            if (w > 0)
                rl->reserved = now + w;
            /* A hint for when to wake up (ratelimit_wait). */
            rl->next = now + (w > 0 ? w : rl->interval);
            return w;
        }
    }
    double w = ratelimit_wait(rl, now);
    if (w > 0)
        return w;
    ratelimit_take(rl, now);
    return 0;
}

void ratelimit_backoff(struct ratelimit *rl, double now, double pause)
{
    if (rl->shared) {
        rl->shared->backoff(rl->shared->ctx, now, pause);
        rl->reserved = 0; /* booked before the 429: the pause comes first */
    }
    if (rl->next < now + pause)
        rl->next = now + pause;
    rl->slowdown *= 1.1;
    if (rl->slowdown > 4.0)
        rl->slowdown = 4.0;
}

void ratelimit_success(struct ratelimit *rl)
{
    if (rl->shared)
        rl->shared->success(rl->shared->ctx);
    rl->slowdown -= 0.01;
    if (rl->slowdown < 1.0)
        rl->slowdown = 1.0;
}
