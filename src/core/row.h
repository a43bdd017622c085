/*
 * One input row on its way to a results line: what the CSV said, what
 * validation made of it, and what the API answered. The engine fills the
 * first parts, the sender the last, results.c writes it out.
 *
 * A row_result owns its buffers and keeps their capacity between uses, so
 * the hot path of a million-row check allocates nothing per row.
 */
#ifndef CLOUTLY_ROW_H
#define CLOUTLY_ROW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strbuf.h"

enum row_status {
    ROW_PENDING, /* valid: to be sent (or counted as dry_run) */
    ROW_SENT,
    ROW_DRY_RUN,
    ROW_REJECTED, /* validation */
    ROW_SKIPPED,  /* duplicate, filtered out, not attempted */
    ROW_FAILED,   /* the API refused it */
    ROW_IN_DOUBT, /* may have reached the server; not repeated */
    ROW_DEFERRED  /* outside its send window or over the daily cap: a later run sends it */
};

/* The word written in the results CSV's status column. */
const char *row_status_name(enum row_status s);

struct row_result {
    long input_row; /* physical line the row starts on */
    enum row_status status;
    struct strbuf reason;     /* "; "-separated notes for a person */
    struct strbuf first_name; /* normalised values sent (or that would be) */
    struct strbuf last_name;
    struct strbuf email;
    struct strbuf phone;  /* E.164 */
    char phone_region[4]; /* validation's region of `phone` ("AU"), "" when not known */
    struct strbuf source_contact_id;
    struct strbuf business_id;
    struct strbuf timezone;   /* input.columns.timezone as given, "" when none */
    struct strbuf contact_id; /* from the API's answer */
    struct strbuf sms_renews;
    long sms_left;         /* -1 when unknown */
    int http_status;       /* 0 when no answer */
    char processed_at[32]; /* UTC ISO-8601, empty when not processed */
    struct strbuf raw;     /* original fields, NUL-separated, for the rejects file */
    size_t n_raw;
    int attempts; /* POSTs tried for this row */
    /* Dedupe fingerprints of the email and the phone (0: none), taken on
     * the validating thread so the thread that dedupes only files them. */
    uint64_t key_fp[2];
};

void row_result_init(struct row_result *r);
/* Empty every field, keeping the buffers' capacity. */
void row_result_reset(struct row_result *r);
void row_result_release(struct row_result *r);
/* Append a note to `reason`, separated by "; ". */
void row_note(struct row_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remove the note `note` (a whole "; "-separated part of `reason`) when
 * it is there; nothing otherwise. */
void row_drop_note(struct row_result *r, const char *note);
/* Replace r's contents with a copy of src's. */
int row_result_copy(struct row_result *dst, const struct row_result *src);

#endif
