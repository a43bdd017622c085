/* One blocking request: see oneshot.h. */
#include "api/oneshot.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define MAX_BODY (4u << 20)

struct got {
    struct oneshot_answer *a;
    char date[128];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct oneshot_answer *a = ((struct got *)data)->a;
    size_t n = size * nmemb;
    if (a->len + n > MAX_BODY)
        return 0;
    char *b = realloc(a->body, a->len + n + 1);
    if (!b)
        return 0;
    memcpy(b + a->len, ptr, n);
    a->body = b;
    a->len += n;
    b[a->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct got *g = data;
    size_t n = size * nmemb;
    if (n > 5 && strncasecmp(ptr, "date:", 5) == 0) {
        size_t len = n - 5;
        const char *v = ptr + 5;
        while (len && (*v == ' ' || *v == '\t')) {
            v++;
            len--;
        }
        while (len && (v[len - 1] == '\r' || v[len - 1] == '\n'))
            len--;
        if (len >= sizeof g->date)
            len = sizeof g->date - 1;
        memcpy(g->date, v, len);
        g->date[len] = '\0';
    }
    return n;
}

void oneshot_send(const struct oneshot_request *r, const char *path, const char *post_json,
                  struct oneshot_answer *a)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct got g = {.a = a};
    memset(a, 0, sizeof *a);
    a->server_time = -1;
    size_t n = strlen(r->base_url) + strlen(path) + 1;
    size_t kn = strlen(r->api_key ? r->api_key : "") + 16;
    char *url = malloc(n), *key = malloc(kn);
    CURL *e = curl_easy_init();
    struct curl_slist *h = NULL;
    if (!url || !key || !e) {
        a->failed = 1;
        snprintf(a->error, sizeof a->error, "out of memory");
        goto out;
    }
    snprintf(url, n, "%s%s", r->base_url, path);
    snprintf(key, kn, "x-api-key: %s", r->api_key ? r->api_key : "");
    h = curl_slist_append(h, key);
    h = curl_slist_append(h, "Accept: application/json");
    if (post_json)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &g);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cloutly-pipe/" CLOUTLY_VERSION " (doctor)");
    if (r->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    if (post_json) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, post_json);
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    CURLcode cc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a->status);
    if (cc != CURLE_OK) {
        a->failed = 1;
        a->tls_problem = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
                         cc == CURLE_SSL_CONNECT_ERROR;
        snprintf(a->error, sizeof a->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    if (g.date[0])
        a->server_time = curl_getdate(g.date, NULL);
out:
    curl_slist_free_all(h);
    if (e)
        curl_easy_cleanup(e);
    if (key) {
        memset(key, 0, kn);
        free(key);
    }
    free(url);
}

void oneshot_release(struct oneshot_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->len = 0;
}
