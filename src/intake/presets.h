/*
 * Header presets: what the POS and CRM exports people really have call their
 * columns, so that a pipeline needs no input.columns for them.
 *
 * Two kinds of knowledge live here, both as tables in presets.c:
 *
 *  - Spellings per API field, in tiers of preference. A header is compared
 *    with case, spaces and punctuation removed ("E-mail" is "email",
 *    "Default Address Phone" is "defaultaddressphone"). Two columns in the
 *    same strict tier are ambiguous (an "Email" and an "Email Address"): the
 *    caller must say which, the presets never pick one silently. Lower tiers
 *    follow as per-row fallbacks: the mobile column first, then "Phone",
 *    then home, work and address phones, which are all used, in header order.
 *  - Systems: the telltale columns of each known export (Shopify, Square,
 *    HubSpot...), to say "looks like a Shopify customers export", and the
 *    consent columns, for `guess` to write a channels: policy.
 *
 * The tables are static and every pointer handed out points into them.
 */
#ifndef CLOUTLY_PRESETS_H
#define CLOUTLY_PRESETS_H

#include <stddef.h>

#include "config/pipeline.h"

/* The most columns one field takes (the same bound as the mapping's). */
#define PRESET_MAX_COLS 8
/* Longest squashed header compared; longer headers match nothing. */
#define PRESET_KEY_MAX 64

/* A system whose customer export we know by its header. */
struct preset {
    const char *key;          /* "shopify": sample file names and tests */
    const char *title;        /* "Shopify customers": "looks like a %s export" */
    const char *const *marks; /* squashed telltale headers, NULL-terminated */
    int need;                 /* marks the header must have to be recognised */
};

enum preset_channel { PRESET_SMS, PRESET_EMAIL, PRESET_CHANNELS };

/* A column that says whether the person agreed to be contacted on a channel. */
struct preset_consent {
    int col;                   /* header index; -1 when the export has none */
    const char *const *values; /* the cell values that allow contact, NULL-terminated;
                                  for an opt-out column these are its "no"s */
    int opt_out;               /* 1 when the column names who refused ("Email Opt Out"):
                                  an empty cell then means no consent too */
};

/*
 * A column by which the export itself marks people not to contact: a
 * Mailchimp unsubscribed or cleaned export (every row refused, known by its
 * UNSUB_TIME / CLEAN_TIME columns), a status column ("Email Status:
 * bounced", "Status: unsubscribed"), or a flag ("Email Opt Out: true",
 * "Do Not Contact: yes"). They are obeyed whatever the pipeline's channels:
 * say (validate.honour_opt_outs: false turns that off).
 */
enum preset_optout_kind {
    OPTOUT_LIST,   /* the file is a list of refusals: every row refused */
    OPTOUT_STATUS, /* the cell names a state: "unsubscribed", "bounced", "cleaned"... */
    OPTOUT_FLAG    /* the cell is a yes/no flag of refusal: "true", "yes", "1", "x" */
};

#define PRESET_MAX_OPTOUTS 8
#define PRESET_MAX_UNKNOWN 8

struct preset_optout {
    int col; /* header index */
    enum preset_optout_kind kind;
    unsigned channels; /* 1 << PRESET_SMS | 1 << PRESET_EMAIL: what a refusal drops */
    const char *what;  /* a list: the export, "a Mailchimp unsubscribed export";
                                     a flag: its refusal, "opted out"; a status: NULL */
};

/* What a header says, field by field. Column numbers are header indexes. */
struct preset_match {
    const struct preset *system; /* the export recognised, or NULL */
    int marks_found;             /* of system->marks */
    int marks_total;
    int cols[MAP_FIELD_COUNT][PRESET_MAX_COLS]; /* candidates, in preference order */
    size_t n[MAP_FIELD_COUNT];
    int clash[MAP_FIELD_COUNT][PRESET_MAX_COLS]; /* columns equally good for the field */
    size_t n_clash[MAP_FIELD_COUNT];             /* 0, or 2 and more: ambiguous */
    struct preset_consent consent[PRESET_CHANNELS];
    struct preset_optout optout[PRESET_MAX_OPTOUTS]; /* in header order */
    size_t n_optout;
    int unknown_consent[PRESET_MAX_UNKNOWN]; /* columns that look like consent but are
                                                 neither a consent nor an opt-out column */
    size_t n_unknown_consent;
};

/* The channels (bits as in preset_optout.channels) that the row's cell
 * `cell` refuses under `o`; 0 when it refuses none. *why is then a short
 * word for the refusal ("unsubscribed", "bounced", "opted out"). */
unsigned preset_optout_refuses(const struct preset_optout *o, const char *cell, size_t len,
                               const char **why);

/*
 * Read a header (`n` trimmed names) against the presets. An unknown header
 * simply yields empty fields and no system; -1 only when out of memory.
 * businessId is never guessed (a location column means nothing without a
 * business map).
 */
int presets_match(const char *const *header, size_t n, struct preset_match *out);

/* "looks like a Shopify customers export (11 of 13 telltale columns)", or,
 * with `system` NULL, "not a known export: columns matched by their names". */
void presets_describe(const struct preset *system, int found, int total, char *buf, size_t cap);

/* How a person names column `col` of `header`: its name, or for the k-th
 * column of a name the header repeats (HubSpot writes two "Phone Number"),
 * "Phone Number#k" with k from 2. input.columns takes these back. */
void presets_column_label(const char *const *header, size_t n, size_t col, char *buf, size_t cap);

/* The known systems, for `guess --help` and tests: NULL past the end. */
const struct preset *presets_at(size_t i);

/* `s` lower-cased with everything but letters and digits removed (bytes of
 * non-ASCII letters are kept, so "Prénom" stays distinct); "" when the
 * result would not fit in `cap`. */
void presets_squash(const char *s, char *out, size_t cap);

#endif
