/*
 * Validation and normalisation: a mapped row -> a contact the API will take,
 * or a reason a person understands.
 *
 * Emails are trimmed and lower-cased and checked as the API checks them (one
 * '@', no spaces, a dot in the domain). Phones go through libphonenumber
 * (phone.h). A contact keeps every channel that is good: a bad email with a
 * good phone is sent by phone alone, with a note. A landline is dropped from
 * SMS unless validate.landlines is `send`.
 */
#ifndef CLOUTLY_VALIDATE_H
#define CLOUTLY_VALIDATE_H

#include "intake/csv_in.h"
#include "intake/email.h"
#include "intake/mapping.h"
#include "config/pipeline.h"
#include "core/row.h"
#include "core/uuid.h"

/* The longest value a field may hold; longer is a rejected row. */
#define VALIDATE_MAX_FIELD (64 * 1024)

/* Where the channels: consent rules read, as header indexes (-1: no rule). */
struct consent {
    int sms_col;
    int email_col;
};

/*
 * Fill r's contact fields from `row` and set r->status to ROW_PENDING (good
 * to send), ROW_REJECTED, or ROW_SKIPPED (filtered out by input.where, or
 * no consent for any channel), with notes in r->reason. `c` may be NULL
 * when the pipeline has no channels: rules.
 */
void validate_row(const struct pipeline *p, const struct mapping *m, const struct consent *c,
                  const struct csv_row *row, struct row_result *r);

/* uuid_valid(): the tree's one UUID check, core/uuid.h. */

#endif
