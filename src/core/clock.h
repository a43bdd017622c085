/* Time, in the forms the tool needs: monotonic seconds for pacing and
 * timeouts, the wall clock for decisions about the calendar (send windows,
 * daily caps, cooldowns), and UTC ISO-8601 for what is written down.
 *
 * The wall clock has one test-only override, read here and nowhere else:
 * CLOUTLY_NOW=2026-12-01T03:00:00Z holds the wall clock at that instant
 * for the whole process. Pacing and timeouts never use it. */
#ifndef CLOUTLY_CLOCK_H
#define CLOUTLY_CLOCK_H

#include <stddef.h>

/* Seconds on a monotonic clock (arbitrary origin). */
double clock_now(void);
/* Seconds since the epoch on the wall clock (CLOUTLY_NOW when set). */
double clock_wall(void);
/* Whether CLOUTLY_NOW is set but not "YYYY-MM-DDTHH:MM:SSZ": the text for
 * an error, or NULL when all is well. */
const char *clock_override_error(void);
/* "2026-11-26T03:04:05.123Z" for the current wall-clock time. */
void clock_iso_utc(char *buf, size_t len);
/* "3h20m", "4m05s", "12s" for a duration. */
void clock_format_duration(double seconds, char *buf, size_t len);

#endif
