/* Time helpers: see clock.h. */
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CLOUTLY_NOW as epoch seconds: 1 when set and valid, 0 unset, -1 invalid. */
static int override_epoch(double *out)
{
    const char *v = getenv("CLOUTLY_NOW");
    if (!v || !*v)
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char tail[2] = {0};
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%1s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, tail) != 6 ||
        strlen(v) != 20)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (double)timegm(&tm);
    return 1;
}

const char *clock_override_error(void)
{
    double t;
    return override_epoch(&t) < 0 ? "CLOUTLY_NOW (a test-only override of the clock) must look "
                                    "like 2026-12-01T03:00:00Z"
                                  : NULL;
}

/* Under the override the wall clock stands still at CLOUTLY_NOW: every
 * decision of a run is made against one instant, and a run that waits for
 * a window sleeps on the monotonic clock for the difference. */
double clock_wall(void)
{
    double t;
    if (override_epoch(&t) == 1)
        return t;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_iso_utc(char *buf, size_t len)
{
    double now = clock_wall();
    time_t sec = (time_t)now;
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)((now - (double)sec) * 1000));
}

void clock_format_duration(double seconds, char *buf, size_t len)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, len, "%lds", s);
}
