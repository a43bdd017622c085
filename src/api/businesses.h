/*
 * The account's businesses from GET /businesses: ids, names and review
 * sources, read tolerantly (numbers for ids, unknown fields, nulls). Shared
 * by `businesses`, `guess` and invite.business_by_name.
 *
 * Ownership: a business_list owns its decoded strings; `raw` points into
 * the answer's body and is valid only until the next fetch.
 */
#ifndef CLOUTLY_BUSINESSES_H
#define CLOUTLY_BUSINESSES_H

#include <stddef.h>

#include "api/api.h"
#include "api/json_scan.h"
#include "core/strbuf.h"

/* One business, its fields decoded. */
struct business {
    struct json_span raw;            /* as the API sent it, in the answer's body */
    struct strbuf id, name, sources; /* sources joined with ',' */
};

struct business_list {
    struct business *items;
    size_t n;
};

void business_list_release(struct business_list *l);

/* A fetch_check_fn: 0 when res holds a JSON array of businesses, read into
 * the business_list `ctx` (emptied first, so a retried answer starts
 * over); else -1 and why. */
int business_list_read(void *ctx, const struct api_result *res, char *why, size_t whylen);

#endif
