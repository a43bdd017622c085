/*
 * The seam between the send loop and HTTP: the five things the loop asks of
 * a client. The real one is libcurl's (api_client_transport); unit tests put
 * a fake behind it that answers from a script and records what it was
 * handed, so the at-most-once rules are tested with no process and no
 * network.
 *
 * Ownership: a transport borrows `ctx`; whoever made the context frees it.
 */
#ifndef CLOUTLY_TRANSPORT_H
#define CLOUTLY_TRANSPORT_H

#include <stdint.h>

#include "api/api.h"
#include "core/error.h"

struct api_transport {
    void *ctx;
    /* Start a POST of `json` to `path`; the answer comes back with `tag`. */
    int (*post)(void *ctx, uint64_t tag, const char *path, const char *json, struct cp_error *err);
    int (*in_flight)(void *ctx);
    /* Wait up to timeout_ms for an answer (or just wait, with nothing in flight). */
    int (*poll)(void *ctx, int timeout_ms, struct cp_error *err);
    /* 1 and a finished request in `out` (valid until the next take), or 0. */
    int (*take)(void *ctx, struct api_result *out);
    /* Give up every request in flight; each comes back from take(). */
    void (*abort_all)(void *ctx);
};

/* The libcurl client as a transport. `c` is borrowed. */
struct api_transport api_client_transport(struct api_client *c);

#endif
