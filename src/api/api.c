/* The HTTP client over libcurl multi: see api.h. */
#include "api/api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "api/retry_after.h"
#include "core/log.h"
#include "core/strbuf.h"

#define MAX_HTTP_CODES 24 /* distinct status codes counted per client */

struct xfer {
    CURL *easy;
    struct curl_slist *headers;
    struct strbuf body;
    char *post; /* owned copy of the POST body */
    uint64_t tag;
    const char *method; /* "GET" | "POST", for the http event */
    char path[160];     /* what follows base_url, for the http event (no key in it) */
    double retry_after;
    int code; /* CURLcode once finished */
    char errbuf[CURL_ERROR_SIZE];
    struct xfer *next; /* in `active` or `done` */
};

struct api_client {
    struct api_options o;
    char *base_url, *key_header, *ca_file;
    CURLM *multi;
    struct xfer *active; /* in flight */
    struct xfer *done;   /* finished, not yet taken (FIFO by finish order) */
    struct xfer *taken;  /* the last one handed out: freed on the next take */
    int in_flight;
    long http_code[MAX_HTTP_CODES], http_count[MAX_HTTP_CODES]; /* answers by status */
    size_t n_http;
};

static int global_refs;

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    strbuf_release(&x->body);
    free(x->post);
    free(x);
}

struct api_client *api_client_new(const struct api_options *o, struct cp_error *err)
{
    if (global_refs++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        global_refs--;
        cp_fail(err, CP_EXIT_USAGE, "cannot initialise libcurl");
        return NULL;
    }
    struct api_client *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->o = *o;
    c->base_url = strdup(o->base_url);
    size_t n = strlen(o->api_key ? o->api_key : "") + 16;
    c->key_header = malloc(n);
    c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
    c->multi = curl_multi_init();
    if (!c->base_url || !c->key_header || (o->ca_file && !c->ca_file) || !c->multi)
        goto oom;
    snprintf(c->key_header, n, "x-api-key: %s", o->api_key ? o->api_key : "");
    return c;
oom:
    api_client_free(c);
    if (!c)
        global_refs--;
    cp_fail(err, CP_EXIT_USAGE, "out of memory");
    return NULL;
}

static void free_list(struct xfer *x)
{
    while (x) {
        struct xfer *next = x->next;
        xfer_free(x);
        x = next;
    }
}

void api_client_free(struct api_client *c)
{
    if (!c)
        return;
    for (struct xfer *x = c->active; x; x = x->next)
        curl_multi_remove_handle(c->multi, x->easy);
    free_list(c->active);
    free_list(c->done);
    xfer_free(c->taken);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->key_header) {
        /* The key does not outlive the client in freed memory. */
        memset(c->key_header, 0, strlen(c->key_header));
        free(c->key_header);
    }
    free(c->base_url);
    free(c->ca_file);
    free(c);
    if (--global_refs == 0)
        curl_global_cleanup();
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct xfer *x = data;
    size_t n = size * nmemb;
    if (strbuf_add(&x->body, ptr, n) < 0)
        return 0; /* past API_MAX_BODY: libcurl stops with CURLE_WRITE_ERROR */
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct xfer *x = data;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name && strncasecmp(ptr, name, sizeof name - 1) == 0) {
        size_t len;
        const char *v = ptr + sizeof name - 1;
        len = n - (sizeof name - 1);
        while (len && isspace((unsigned char)*v)) {
            v++;
            len--;
        }
        while (len && isspace((unsigned char)v[len - 1]))
            len--;
        x->retry_after = retry_after_parse(v, len, time(NULL));
    }
    return n;
}

/* The key as the client sends it (after "x-api-key: "). */
static const char *client_key(const struct api_client *c, size_t *len)
{
    const char *k = c->key_header + sizeof "x-api-key: " - 1;
    *len = strlen(k);
    return k;
}

/* A server that echoes the key back (in an error message, say) must not
 * get it into results, rejects, the ledger or a log: every occurrence in
 * what it says is blotted out, same length, so JSON stays JSON. Keys too
 * short to be real are left alone (they would blot out ordinary text). */
static void scrub_key(const struct api_client *c, char *buf, size_t len)
{
    size_t klen;
    const char *k = client_key(c, &klen);
    if (klen < 6 || len < klen)
        return;
    for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), k, klen)); p += klen)
        memset(p, '*', klen);
}

/* At most `max` bytes of `p`, cut back to a whole UTF-8 character. */
static size_t utf8_cut(const char *p, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The verbose trace: headers and bodies of requests, with the key hidden. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
    const struct api_client *c = ctx;
    FILE *out = c->o.trace;
    char line[301];
    (void)h;
    const char *prefix = type == CURLINFO_HEADER_OUT  ? "> "
                         : type == CURLINFO_HEADER_IN ? "< "
                         : type == CURLINFO_DATA_OUT  ? "> "
                         : type == CURLINFO_DATA_IN   ? "< "
                         : type == CURLINFO_TEXT      ? "* "
                                                      : NULL;
    if (!prefix)
        return 0;
    const char *p = data, *end = data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len >= 10 && strncasecmp(p, "x-api-key:", 10) == 0)
            fprintf(out, "%sx-api-key: [redacted]\n", prefix);
        else if (len) {
            size_t n = utf8_cut(p, len, 300);
            memcpy(line, p, n);
            line[n] = '\0';
            scrub_key(c, line, n);
            fprintf(out, "%s%s\n", prefix, line);
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static struct xfer *xfer_new(struct api_client *c, uint64_t tag, const char *path,
                             struct cp_error *err)
{
    struct xfer *x = calloc(1, sizeof *x);
    if (!x) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    x->tag = tag;
    x->retry_after = -1;
    strbuf_init(&x->body, API_MAX_BODY);
    x->easy = curl_easy_init();
    size_t n = strlen(c->base_url) + strlen(path) + 1;
    char *url = malloc(n);
    if (!x->easy || !url) {
        free(url);
        xfer_free(x);
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    snprintf(url, n, "%s%s", c->base_url, path);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     c->o.timeout_ms < 10000 ? c->o.timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cloutly-pipe/" CLOUTLY_VERSION);
    if (c->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    snprintf(x->path, sizeof x->path, "%s", path);
    x->method = "GET";
    /* In JSON mode the trace is one `http` event per request (see note_done),
     * never raw lines: nothing but JSON may reach that stream. */
    if (c->o.trace && !log_is_json()) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, c);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    }
    x->headers = curl_slist_append(NULL, c->key_header);
    x->headers = curl_slist_append(x->headers, "Accept: application/json");
    return x;
}

static int start(struct api_client *c, struct xfer *x, struct cp_error *err)
{
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return cp_fail(err, CP_EXIT_USAGE, "cannot start a request");
    }
    x->next = c->active;
    c->active = x;
    c->in_flight++;
    return 0;
}

int api_post(struct api_client *c, uint64_t tag, const char *path, const char *json,
             struct cp_error *err)
{
    struct xfer *x = xfer_new(c, tag, path, err);
    if (!x)
        return -1;
    x->post = strdup(json);
    x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip for small bodies. */
    x->headers = curl_slist_append(x->headers, "Expect:");
    if (!x->post || !x->headers) {
        xfer_free(x);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    x->method = "POST";
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->post));
    /* Never a reused connection for a POST, and never keep it: libcurl
     * re-sends a request by itself when a reused connection dies before
     * the answer, and a POST here is an SMS. */
    curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
    return start(c, x, err);
}

int api_get(struct api_client *c, uint64_t tag, const char *path_and_query, struct cp_error *err)
{
    struct xfer *x = xfer_new(c, tag, path_and_query, err);
    if (!x)
        return -1;
    if (!x->headers) {
        xfer_free(x);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    return start(c, x, err);
}

int api_in_flight(const struct api_client *c)
{
    return c->in_flight;
}

static void unlink_active(struct api_client *c, struct xfer *x)
{
    for (struct xfer **pp = &c->active; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    x->next = NULL;
    c->in_flight--;
}

static void append_done(struct api_client *c, struct xfer *x)
{
    struct xfer **pp = &c->done;
    while (*pp)
        pp = &(*pp)->next;
    *pp = x;
}

/* Count the answer by status, and at -v in JSON mode write its http event
 * (method, path, status, time; headers and bodies are left out, so neither
 * the key nor a customer's details reach a log shipper). */
static void note_done(struct api_client *c, struct xfer *x)
{
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    size_t i = 0;
    while (i < c->n_http && c->http_code[i] != status)
        i++;
    if (i == c->n_http && i < MAX_HTTP_CODES) {
        c->http_code[i] = status;
        c->http_count[i] = 0;
        c->n_http++;
    }
    if (i < c->n_http)
        c->http_count[i]++;
    if (!c->o.trace || !log_is_json())
        return;
    double secs = 0;
    curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &secs);
    const char *why = x->code == CURLE_OK ? NULL
                      : x->errbuf[0]      ? x->errbuf
                                          : curl_easy_strerror((CURLcode)x->code);
    struct log_field f[] = {
        LOG_STR("method", x->method),
        LOG_STR("path", x->path),
        LOG_INT("status", status),
        LOG_NUM("duration_ms", secs * 1000.0),
        LOG_INT("response_bytes", (long long)x->body.len),
        LOG_STR("error", why),
    };
    log_event(LOG_DEBUG, "http", NULL, f, sizeof f / sizeof *f);
}

size_t api_http_counts(const struct api_client *c, long *codes, long *counts, size_t max)
{
    size_t n = 0;
    for (; c && n < c->n_http && n < max; n++) {
        codes[n] = c->http_code[n];
        counts[n] = c->http_count[n];
    }
    return n;
}

int api_poll(struct api_client *c, int timeout_ms, struct cp_error *err)
{
    int running = 0;
    if (c->in_flight && curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
        return cp_fail(err, CP_EXIT_USAGE, "libcurl poll failed");
    if (curl_multi_perform(c->multi, &running) != CURLM_OK)
        return cp_fail(err, CP_EXIT_USAGE, "libcurl transfer failed");
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        x->code = (int)m->data.result;
        note_done(c, x);
        curl_multi_remove_handle(c->multi, x->easy);
        unlink_active(c, x);
        append_done(c, x);
    }
    return 0;
}

static int was_sent(CURL *e)
{
    long request_size = 0;
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &request_size);
    return request_size > 0;
}

int api_take(struct api_client *c, struct api_result *out)
{
    xfer_free(c->taken);
    c->taken = NULL;
    struct xfer *x = c->done;
    if (!x)
        return 0;
    c->done = x->next;
    x->next = NULL;
    c->taken = x;
    memset(out, 0, sizeof *out);
    out->tag = x->tag;
    out->curl_code = x->code;
    out->retry_after = x->retry_after;
    out->request_sent = was_sent(x->easy);
    if (x->body.buf)
        scrub_key(c, x->body.buf, x->body.len);
    out->body = strbuf_str(&x->body);
    out->body_len = x->body.len;
    /* A status line can arrive before a transfer fails (a truncated body):
     * the server's verdict still stands. */
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &out->http_status);
    out->body_too_large =
        x->code == CURLE_WRITE_ERROR && x->body.len + CURL_MAX_WRITE_SIZE > API_MAX_BODY;
    out->cert_problem =
        x->code == CURLE_PEER_FAILED_VERIFICATION || x->code == CURLE_SSL_CACERT_BADFILE;
    if (x->code != CURLE_OK)
        snprintf(out->error, sizeof out->error, "%s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror((CURLcode)x->code));
    return 1;
}

void api_abort_all(struct api_client *c)
{
    while (c->active) {
        struct xfer *x = c->active;
        curl_multi_remove_handle(c->multi, x->easy);
        unlink_active(c, x);
        x->code = CURLE_ABORTED_BY_CALLBACK;
        snprintf(x->errbuf, sizeof x->errbuf, "abandoned: the run was interrupted");
        append_done(c, x);
    }
}

void api_error_message(const char *body, size_t len, char *buf, size_t buflen)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *m = NULL;
    if (cJSON_IsObject(j)) {
        m = cJSON_GetObjectItemCaseSensitive(j, "message");
        if (!cJSON_IsString(m))
            m = cJSON_GetObjectItemCaseSensitive(j, "error");
    }
    if (cJSON_IsString(m))
        snprintf(buf, buflen, "%s", m->valuestring);
    else
        snprintf(buf, buflen, "%.*s", (int)(len > 200 ? 200 : len), body);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    cJSON_Delete(j);
}
