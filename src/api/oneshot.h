/*
 * One blocking request to the API, for `doctor`: the answer's status,
 * body and Date (the server's clock), and how a failure happened (TLS or
 * the connection). The send loop never uses it: it has api.c's pacing and
 * at-most-once rules; doctor sends one GET and, only when asked, one POST.
 * A POST gets a fresh connection that is never reused, as in api.c.
 *
 * Ownership: the answer owns its body until oneshot_release().
 */
#ifndef CLOUTLY_ONESHOT_H
#define CLOUTLY_ONESHOT_H

#include <stddef.h>
#include <time.h>

struct oneshot_request {
    const char *base_url;
    const char *api_key; /* sent as x-api-key, never written anywhere else */
    const char *ca_file; /* NULL: the system's CAs */
    long timeout_ms;
};

struct oneshot_answer {
    long status;     /* 0 when no answer */
    int failed;      /* no answer: error says why */
    int tls_problem; /* the failure was the certificate or the TLS handshake */
    char error[256];
    time_t server_time; /* from the Date header, or -1 */
    char *body;         /* NUL-terminated, or NULL */
    size_t len;
};

/* GET (post_json NULL) or POST base_url + path. Always fills `a`. */
void oneshot_send(const struct oneshot_request *r, const char *path, const char *post_json,
                  struct oneshot_answer *a);
void oneshot_release(struct oneshot_answer *a);

#endif
