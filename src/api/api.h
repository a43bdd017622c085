/*
 * The HTTP client for the Cloutly API: libcurl's multi interface, so that
 * up to `max_in_flight` requests overlap and a slow server does not lower
 * the rate.
 *
 * Two rules keep an invite from going out twice by the client's own doing:
 * a POST always gets a fresh connection that is closed after it (libcurl
 * silently re-sends a request on a reused connection the server closed
 * unanswered: for /send-review-invite that is a second SMS), and redirects
 * are never followed. Certificates are always verified; `ca_file` only adds
 * trust. The API key goes in a header and nowhere else: the verbose trace
 * prints it as [redacted].
 *
 * Ownership: the client owns its transfers; a finished transfer's body,
 * handed out by api_take(), stays valid until the next api_take() or
 * api_client_free().
 */
#ifndef CLOUTLY_API_H
#define CLOUTLY_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

struct api_options {
    const char *base_url; /* "https://app.cloutly.com/api/v1" */
    const char *api_key;
    long timeout_ms;     /* whole-request timeout */
    const char *ca_file; /* NULL: the system's CAs only */
    FILE *trace;         /* NULL, or where the redacted HTTP trace goes (-v) */
};

/* How a request ended. */
struct api_result {
    uint64_t tag;       /* the caller's, from api_post/api_get */
    int curl_code;      /* CURLcode; 0 when an HTTP answer arrived */
    long http_status;   /* 0 when no answer */
    int request_sent;   /* 1 when request bytes reached the wire: the server may have acted */
    int cert_problem;   /* 1 when TLS verification failed */
    int body_too_large; /* the answer passed API_MAX_BODY and was cut off */
    double retry_after; /* seconds from Retry-After, or -1 */
    const char *body;   /* NUL-terminated answer body (maybe empty) */
    size_t body_len;
    char error[256]; /* libcurl's message when curl_code != 0 */
};

#define API_MAX_BODY (8u * 1024 * 1024)

struct api_client;

struct api_client *api_client_new(const struct api_options *o, struct cp_error *err);
void api_client_free(struct api_client *c);

/* Start a POST of `json` to base_url + path. -1 with err when it cannot be set up. */
int api_post(struct api_client *c, uint64_t tag, const char *path, const char *json,
             struct cp_error *err);
/* Start a GET of base_url + path_and_query (connection reuse allowed: GETs are safe). */
int api_get(struct api_client *c, uint64_t tag, const char *path_and_query, struct cp_error *err);

int api_in_flight(const struct api_client *c);
/* Drive the transfers, waiting up to timeout_ms for something to happen. */
int api_poll(struct api_client *c, int timeout_ms, struct cp_error *err);
/* 1 and a finished transfer in `out`, or 0 when none is finished. */
int api_take(struct api_client *c, struct api_result *out);
/* Stop every transfer in flight; each comes back from api_take() with
 * curl_code CURLE_ABORTED_BY_CALLBACK and request_sent set as it stood. */
void api_abort_all(struct api_client *c);

/* The answers so far by HTTP status (0: no answer), for the metrics file:
 * up to `max` pairs into codes[]/counts[], their number returned. Safe on
 * NULL (0). */
size_t api_http_counts(const struct api_client *c, long *codes, long *counts, size_t max);

/* The `message` (or `error`) string of a JSON error body, else the body
 * itself cut short, into buf. */
void api_error_message(const char *body, size_t len, char *buf, size_t buflen);

#endif
