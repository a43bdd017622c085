/* Where the API may be reached: see base_url.h. */
#include "config/base_url.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char credentials[] =
    "a user name or password in the URL is not supported (the key goes in api.api_key)";
const char base_url_loopback_only[] =
    "'http://' is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost): use https://";

/* A loopback host of an http:// URL: 127.0.0.0/8, [::1] or localhost. */
static bool is_loopback(const char *host, size_t len, bool bracketed)
{
    if (bracketed)
        return len == 3 && memcmp(host, "::1", 3) == 0;
    if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
        return true;
    int part = 0, digits_in_part = 0, value = 0, first = -1;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || host[i] == '.') {
            if (digits_in_part == 0 || value > 255)
                return false;
            if (part++ == 0)
                first = value;
            digits_in_part = value = 0;
        } else if (isdigit((unsigned char)host[i]) && digits_in_part < 3) {
            value = value * 10 + (host[i] - '0');
            digits_in_part++;
        } else {
            return false;
        }
    }
    return part == 4 && first == 127;
}

/* 1..65535 as 1 to 5 digits. */
static bool valid_port(const char *s, size_t n)
{
    long v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* Host and optional :port of the authority `a` (`alen` bytes); NULL on success,
 * else what is wrong. */
static const char *check_authority(const char *a, size_t alen, bool https)
{
    const char *host = a, *end = a + alen, *port;
    bool bracketed = alen && a[0] == '[';

    if (memchr(a, '@', alen))
        return credentials;
    if (bracketed) {
        const char *close = memchr(a, ']', alen);
        if (!close)
            return "an unclosed '[' in the host";
        host = a + 1;
        port = close + 1;
    } else {
        port = memchr(a, ':', alen);
        port = port ? port : end;
    }
    size_t hlen = (size_t)((bracketed ? port - 1 : port) - host);
    if (hlen == 0)
        return "no host";
    if (port < end && (*port != ':' || !valid_port(port + 1, (size_t)(end - port - 1))))
        return "an invalid port";
    if (!https && !is_loopback(host, hlen, bracketed))
        return base_url_loopback_only;
    return NULL;
}

static bool has_space_or_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return true;
    return false;
}

int base_url_check(char *url, char *why, size_t n)
{
    size_t len = strlen(url);
    const char *rest = NULL, *problem = NULL;

    while (len && url[len - 1] == '/')
        url[--len] = '\0';
    if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    if (!rest) {
        snprintf(why, n, "invalid base_url '%s' (expected https://HOST/PATH)", url);
        return -1;
    }
    if (has_space_or_control(url))
        problem = "spaces or control characters";
    else if (strpbrk(url, "?#"))
        problem = "a query or fragment (the API's paths are appended to it)";
    else
        problem = check_authority(rest, strcspn(rest, "/"), rest == url + 8);
    if (!problem)
        return 0;
    if (problem == credentials) /* the URL may hold a password: not repeated */
        snprintf(why, n, "invalid base_url: %s", problem);
    else if (problem == base_url_loopback_only)
        snprintf(why, n, "invalid base_url '%s': %s", url, problem);
    else
        snprintf(why, n, "invalid base_url '%s' (%s)", url, problem);
    return -1;
}
