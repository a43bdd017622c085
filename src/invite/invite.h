/*
 * One invite: a validated row -> the JSON body of POST /send-review-invite,
 * and the API's answer -> what happens to the row (SPEC section 5). Pure
 * functions, no I/O, so every rule is unit-tested.
 */
#ifndef CLOUTLY_INVITE_H
#define CLOUTLY_INVITE_H

#include "api/api.h"
#include "config/pipeline.h"
#include "core/row.h"

/* The campaign a row of `business_id` goes to: its location's own
 * (business_map {business_id, campaign_id}, or invite.campaigns by the name
 * business_by_name matched), else invite.campaign_id; NULL when none. */
const char *invite_campaign(const struct pipeline *p, const char *business_id);

/* The request body, malloc'd (caller frees), or NULL when out of memory. */
char *invite_body(const struct pipeline *p, const struct row_result *r);

enum invite_verdict {
    INVITE_DONE,          /* the row has its final status */
    INVITE_RETRY,         /* send the same row again after `wait` seconds */
    INVITE_RATE_LIMITED,  /* 429: pause everything for `wait` seconds, then resend */
    INVITE_STOP_AUTH,     /* 401: stop the run, exit 3 */
    INVITE_STOP_PIPELINE, /* 404 on a single-target run, or TLS refused: stop, exit 2 */
    INVITE_STOP_WAIT      /* the server asked to wait past api.max_retry_wait: stop, exit 1 */
};

struct invite_decision {
    enum invite_verdict verdict;
    double wait;       /* for RETRY and RATE_LIMITED */
    char message[512]; /* for a STOP: what went wrong and what to do */
};

/*
 * Apply the answer `res` to row `r` (whose `attempts` counts this try).
 * Sets r's status, http_status, contact_id, SMS usage and reason when the
 * row is done. `single_target`: the run posts to one business and campaign.
 */
struct invite_decision invite_decide(const struct pipeline *p, const struct api_result *res,
                                     struct row_result *r, int single_target);

#endif
