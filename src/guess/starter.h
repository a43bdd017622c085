/*
 * The starter pipeline `guess` prints: what to do with an export, decided
 * once from a struct guess, then written two ways from the same decisions:
 * as commented YAML for the person, and as an in-memory struct pipeline so
 * the sample rows `guess` shows are validated exactly as the printed file
 * will be by `check` and `run`.
 *
 * The columns are written out explicitly (not left to auto-mapping): a
 * nightly job should not change its mapping because the POS added a column.
 * Consent columns become a channels: policy, so the safe choice is the one a
 * new user starts from. Ids the tool cannot know are the nil UUID with a
 * REPLACE comment: the file loads and `check` runs, and a run against the
 * API would be refused, not misdirected.
 *
 * A store column (guess/locations.h) becomes input.columns.businessId and an
 * invite.business_map entry per store that is one business of the account;
 * a store that matches none, or several, is a TODO comment, never a guess.
 *
 * Ownership: a struct starter borrows its guess and owns everything else;
 * starter_release() frees it.
 */
#ifndef CLOUTLY_STARTER_H
#define CLOUTLY_STARTER_H

#include <stdio.h>
#include <time.h>

#include "guess/guess.h"
#include "config/pipeline.h"

#define STARTER_PLACEHOLDER_ID "00000000-0000-0000-0000-000000000000"
#define STARTER_MAX_BUSINESSES 50

struct starter_business {
    char *id;   /* owned */
    char *name; /* owned */
};

struct starter {
    const struct guess *g;                      /* borrowed */
    char *input_path;                           /* absolute, owned */
    char name[48];                              /* pipeline name, from the file name */
    int cols[MAP_FIELD_COUNT][PRESET_MAX_COLS]; /* header indexes per field */
    size_t n[MAP_FIELD_COUNT];
    const struct preset_consent *consent[PRESET_CHANNELS]; /* NULL: no rule */
    struct starter_business biz[STARTER_MAX_BUSINESSES];   /* from GET /businesses */
    size_t n_biz;
    char biz_note[400]; /* why there are no real ids, for a comment; "" when there are */
};

/* Which business the export's store `i` (of s->g->location) is, among the
 * businesses added: LOCATION_NONE for all when there are none. */
void starter_store_match(const struct starter *s, size_t i, struct location_match *m);

/* Whether the pipeline maps the export's store column to businesses. */
int starter_maps_stores(const struct starter *s);

/* Decide from `g` (read from `path`). -1 with err when out of memory or the
 * path cannot be made absolute. */
int starter_init(struct starter *s, const struct guess *g, const char *path, struct cp_error *err);
void starter_release(struct starter *s);

/* Remember one business of the account (copied); past the maximum it is
 * dropped. -1 when out of memory. */
int starter_add_business(struct starter *s, const char *id, const char *name);

/* The same pipeline in memory, as pipeline_load would make it of the YAML
 * (defaults included). Same contract as pipeline_defaults. */
int starter_pipeline(const struct starter *s, time_t now, struct pipeline *p, struct cp_error *err);

/* The YAML, comments and all. -1 when `out` reports a write error. */
int starter_write(const struct starter *s, FILE *out);

#endif
