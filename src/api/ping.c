/* healthchecks-style pings: see ping.h. */
#include "api/ping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* The answer is not read: healthchecks answers "OK". */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *data)
{
    (void)ptr;
    (void)data;
    return size * nmemb;
}

int ping_send(const char *url, const char *suffix, const char *body, long timeout_ms, char *why,
              size_t why_len)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    size_t n = strlen(url) + strlen(suffix) + 1;
    char *full = malloc(n);
    CURL *e = curl_easy_init();
    int rc = -1;
    if (!full || !e) {
        snprintf(why, why_len, "out of memory");
        goto out;
    }
    snprintf(full, n, "%s%s", url, suffix);
    if (timeout_ms <= 0)
        timeout_ms = PING_TIMEOUT_MS;
    curl_easy_setopt(e, CURLOPT_URL, full);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cloutly-pipe/" CLOUTLY_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    CURLcode cc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (cc != CURLE_OK)
        snprintf(why, why_len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (status < 200 || status > 299)
        snprintf(why, why_len, "HTTP %ld", status);
    else
        rc = 0;
out:
    if (e)
        curl_easy_cleanup(e);
    free(full);
    return rc;
}
