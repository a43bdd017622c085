/*
 * One answer of GET /reviews -> the reviews in it, as byte spans.
 *
 * The answer is validated whole (a truncated or malformed page is refused,
 * so the caller can fetch it again) and read tolerantly: unknown top-level
 * keys are ignored, `total` may be a number, a numeric string, null or
 * absent. Each review keeps its exact bytes for NDJSON, plus where its `id`
 * and `createdAt` are, which the page walk needs for dedupe and `since`.
 *
 * Ownership: a review_page owns its item array, reused from page to page;
 * the spans point into the answer body, valid while the caller keeps it.
 */
#ifndef CLOUTLY_REVIEW_PAGE_H
#define CLOUTLY_REVIEW_PAGE_H

#include <stddef.h>

#include "api/json_scan.h"

/* A top-level member of a review: the key token (quotes included) and the value. */
struct review_member {
    struct json_span key, value;
};

struct review_ref {
    struct json_span raw; /* the whole object, as sent */
    struct json_span id;  /* the `id` value (string or number); type JSON_NONE when absent */
    struct json_span
        created; /* the `createdAt` string; type JSON_NONE when absent or not a string */
    const struct review_member *members; /* its top-level members in order, read during the
                                            page's one validating pass so that a CSV row
                                            needs no second one */
    size_t n_members;
};

struct review_page {
    long long total;          /* -1 when the answer gives none */
    struct review_ref *items; /* the review objects, in page order */
    size_t n, cap;
    size_t not_objects;            /* elements of `reviews` that were not objects (skipped) */
    struct review_member *members; /* every item's members, item after item */
    size_t n_members, cap_members;
};

void review_page_init(struct review_page *pg);
void review_page_release(struct review_page *pg);

/* Parse `body` into `pg` (its previous items are dropped). -1 with `why`
 * ("byte 812: unterminated string", "no 'reviews' array") when the answer
 * is not a valid page. */
int review_page_parse(struct review_page *pg, const char *body, size_t len, char *why,
                      size_t whylen);

/* The id's text for dedupe: a string's content between the quotes (as sent,
 * escapes kept), or a number's digits. len 0 when the review has no id. */
const char *review_id_text(const struct review_ref *r, size_t *len);

#endif
