/*
 * Mapping: a CSV row -> the values of the API fields, by the header.
 *
 * input.columns names, for each API field, one CSV column or a list of them
 * (per row the first non-empty wins). A field the pipeline leaves out is
 * found by the header presets (presets.h): the names Shopify, Square,
 * HubSpot... write, and generic ones. Two equally good candidates for a
 * field are an input error that names them, never a silent pick. A column
 * the pipeline names that the header lacks is an input error that lists the
 * columns the file has.
 *
 * Phones and ids lose the leading ' that Shopify (and Excel) put before
 * digits to keep them text: no phone or id starts with one. Names keep it
 * ('t Hooft).
 */
#ifndef CLOUTLY_MAPPING_H
#define CLOUTLY_MAPPING_H

#include <stddef.h>

#include "intake/csv_in.h"
#include "core/error.h"
#include "config/pipeline.h"
#include "intake/presets.h"

#define MAPPING_MAX_ALTS PRESET_MAX_COLS

struct mapping_where {
    int col;                       /* header index */
    const struct where_rule *rule; /* borrowed from the pipeline */
};

struct mapping {
    int cols[MAP_FIELD_COUNT][MAPPING_MAX_ALTS]; /* header indexes, in preference order */
    size_t n[MAP_FIELD_COUNT];                   /* how many of cols[f] are set */
    int guessed[MAP_FIELD_COUNT];                /* 1 when found by header spelling */
    struct mapping_where *where;                 /* owned */
    size_t n_where;
    size_t header_n;                                 /* fields in the header */
    char **header;                                   /* owned copies of the header names */
    const struct preset *system;                     /* the export the header looks like, or NULL */
    int system_marks[2];                             /* its telltale columns: found, known */
    struct preset_optout optout[PRESET_MAX_OPTOUTS]; /* the export's own refusal marks */
    size_t n_optout;
    int unknown_consent[PRESET_MAX_UNKNOWN]; /* consent-like columns not understood */
    size_t n_unknown_consent;
};

/* Resolve the pipeline's columns against `header`. -1 with err (CP_EXIT_INPUT
 * for a missing column, CP_EXIT_USAGE for an impossible mapping). */
int mapping_init(struct mapping *m, const struct pipeline *p, const struct csv_row *header,
                 const char *input_path, struct cp_error *err);
void mapping_release(struct mapping *m);

/* The trimmed value of field `f` in `row`: the first non-empty of its
 * columns. Returns NULL (and *len = 0) when all are empty or unmapped. */
const char *mapping_value(const struct mapping *m, enum map_field f, const struct csv_row *row,
                          size_t *len);

/* 1 when the trimmed value `v` satisfies rule `w` (in / not_in). */
int where_rule_holds(const struct where_rule *w, const char *v, size_t len);

/* 1 when the row passes every input.where rule; else 0 and a reason in `why`. */
int mapping_where_ok(const struct mapping *m, const struct csv_row *row, char *why, size_t whylen);

/* The system line for a person: "looks like a Shopify customers export
 * (...)", or how columns were found when no system was recognised; NULL
 * when every column came from the pipeline and no system was recognised. */
const char *mapping_system(const struct mapping *m, char *buf, size_t cap);

/* The opt-out columns obeyed and the consent-like ones not understood, for
 * a person, one per line ("opt-out  'Email Status': bounced, unsubscribed...
 * drop the email"); nothing when there are none. `honoured` is
 * validate.honour_opt_outs. */
void mapping_describe_optouts(const struct mapping *m, int honoured,
                              void (*line)(void *ctx, const char *s), void *ctx);

/* Describe the mapping for a person ("firstName <- 'First Name'"), one per line. */
void mapping_describe(const struct mapping *m, void (*line)(void *ctx, const char *s), void *ctx);

/* Trim ASCII whitespace: returns the start, sets *len. */
const char *trim_span(const char *s, size_t len, size_t *out_len);

#endif
