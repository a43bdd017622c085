/*
 * How long to wait before retrying a request the server could not take
 * (429 without Retry-After, 503, a refused connection): exponential from
 * 0.5 s, capped at 30 s, with jitter so rows failing together do not retry
 * together. Shared by the send loop and the read side (fetch.c).
 */
#ifndef CLOUTLY_BACKOFF_H
#define CLOUTLY_BACKOFF_H

/* 429s in a row on one request before it is given up: the server is then
 * not just busy, and a person should look. */
#define API_MAX_429 50

/* Seconds to wait before attempt number `attempt` (1-based). */
double api_backoff(int attempt);

#endif
