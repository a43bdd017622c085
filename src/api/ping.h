/*
 * The dead-man's switch (notify.ping_url), with healthchecks.io's
 * conventions: URL/start when a run begins, the bare URL when it ends with
 * exit code 0, URL/<exit code> otherwise (healthchecks.io reads any
 * non-zero code as a failure and shows it), each end ping carrying the
 * run's summary as its body. If the pings stop, the checker raises the
 * alarm: that covers the run that never started, which no exit code can.
 *
 * A ping is bounded (PING_TIMEOUT_MS, no redirects followed, no retries)
 * and never decides anything: the caller logs a failed ping as a warning
 * and the run's exit code stays what it was.
 */
#ifndef CLOUTLY_PING_H
#define CLOUTLY_PING_H

#include <stddef.h>

#define PING_TIMEOUT_MS 10000L

/*
 * POST `body` (may be NULL or "") to `url` + `suffix` ("" , "/start",
 * "/5"). 0 on any 2xx answer; -1 with a short reason in why otherwise.
 * `timeout_ms` <= 0 means PING_TIMEOUT_MS. Safe to call with libcurl
 * already initialised elsewhere.
 */
int ping_send(const char *url, const char *suffix, const char *body, long timeout_ms, char *why,
              size_t why_len);

#endif
