/*
 * The last word before a valid row is sent: has it been sent already (an
 * earlier run of the same file), was it left in flight by a killed run, was
 * the same request refused before, is the person on the account's
 * suppression list, were they invited within the cooldown (by any pipeline of
 * the account), are SMS credits low, has the run reached invite.max_per_run?
 * The answers come from the ledger and from what the API reported during
 * the run. The final cooldown check and the intent are one ledger step
 * (gate_claim), so pipelines running side by side never both send.
 */
#ifndef CLOUTLY_GATE_H
#define CLOUTLY_GATE_H

#include <stdint.h>
#include <time.h>

#include "store/ledger.h"
#include "config/pipeline.h"
#include "core/row.h"

struct gate {
    const struct pipeline *p;
    struct ledger *ledger; /* borrowed; NULL: no history (first run of a dry run) */
    const char *file_hash; /* this input's identity */
    time_t now;
    long sms_left;      /* the latest balance the API reported, -1 unknown */
    int sms_fresh;      /* sms_left came from an answer in this run */
    long sends;         /* rows let through so far */
    int writable;       /* the ledger may be written (not a dry run) */
    int retry_failed;   /* run --retry-failed: rows the API refused are sent again */
    int retry_in_doubt; /* run --retry-in-doubt, or api.retry_in_doubt */
    long retried;       /* rows let through again by one of the two */
};

void gate_init(struct gate *g, const struct pipeline *p, struct ledger *l, const char *file_hash,
               int writable);

/*
 * What the ledger says about a ROW_PENDING row, as it is read. It stays
 * PENDING or becomes SKIPPED, IN_DOUBT or FAILED with a reason, and with
 * the earlier contact id and SMS figures filled in when an earlier run sent
 * it. -1 with err when the ledger cannot be read.
 */
int gate_row(struct gate *g, struct row_result *r, struct cp_error *err);

/*
 * Just before a row's first request: the SMS guard (the balance the API
 * reported by now) and invite.max_per_run. 1 to send (maybe without its
 * phone), 0 when the row became SKIPPED.
 */
int gate_send(struct gate *g, struct row_result *r);

/*
 * The row's claim, as one ledger transaction: suppression list, cooldown
 * across the account, and the intent for the request `body`. 1 when the
 * intent is committed (*attempt_id: send now), 0 when another pipeline got
 * there first and the row became SKIPPED with why, -1 with err.
 */
int gate_claim(struct gate *g, struct row_result *r, const char *run_id, const char *file_path,
               const char *body, int64_t *attempt_id, struct cp_error *err);

/* The API reported a balance (r->sms_left >= 0). */
void gate_note_sms(struct gate *g, long sms_left);

#endif
