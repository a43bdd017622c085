/*
 * invite.business_by_name: a multi-location export names each row's store
 * ("Bondi"); GET /businesses knows those names and their ids. The names are
 * added to invite.business_map (after the pipeline's own entries, which win)
 * so validation resolves them like any mapped value.
 */
#ifndef CLOUTLY_BUSINESS_NAMES_H
#define CLOUTLY_BUSINESS_NAMES_H

#include "api/ratelimit.h"
#include "core/error.h"
#include "config/pipeline.h"

/* Fetch the account's businesses with `key` and extend p->invite.business_map
 * (with each name's campaign from invite.campaigns). The GET takes its slot
 * from `shared` (the account's rate budget; NULL: paced alone).
 * -1 with err (the API's refusal, or an unreadable answer). */
int business_names_load(struct pipeline *p, const char *key, const struct rate_shared *shared,
                        struct cp_error *err);

#endif
