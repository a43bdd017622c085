/*
 * Base-URL policy: where the API key may be sent. https:// to any host, or
 * http:// only to a loopback host (127.0.0.0/8, [::1], localhost) so the
 * simulator and local proxies work while a typo can never send the key in
 * clear over a network. No credentials, query or fragment in the URL (the
 * API's paths are appended to it).
 *
 * It lives in config/ because the pipeline loader must refuse a bad URL with
 * the file's line and column, config/ may not include api/, and api/ may
 * include config/: both the loader and the API client can call it.
 */
#ifndef CLOUTLY_BASE_URL_H
#define CLOUTLY_BASE_URL_H

#include <stddef.h>

/* Check `url`, stripping trailing '/' in place first. 0 when it will do;
 * else -1 and `why` (`n` bytes) says what is wrong, starting "invalid
 * base_url". A URL holding a user name or password is never repeated in
 * `why`. */
int base_url_check(char *url, char *why, size_t n);

/* The part of base_url_check's message for an http:// URL to another host. */
extern const char base_url_loopback_only[];

#endif
