/* Time, in the two forms the tool needs: monotonic seconds for pacing and
 * timeouts, and UTC ISO-8601 for what is written down. */
#ifndef CLOUTLY_CLOCK_H
#define CLOUTLY_CLOCK_H

#include <stddef.h>

/* Seconds on a monotonic clock (arbitrary origin). */
double clock_now(void);
/* "2026-11-26T03:04:05.123Z" for the current wall-clock time. */
void clock_iso_utc(char *buf, size_t len);
/* "3h20m", "4m05s", "12s" for a duration. */
void clock_format_duration(double seconds, char *buf, size_t len);

#endif
