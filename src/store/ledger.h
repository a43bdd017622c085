/*
 * The ledger (SPEC section 6): an SQLite database at state.path that makes
 * sending twice impossible by accident.
 *
 * Every POST is an `attempt` row. Its intent is committed before the request
 * is handed to libcurl and its outcome after the answer, so a run killed at
 * any instant leaves at most the requests that were in flight as intents
 * with no outcome; the next run reports those as in_doubt instead of
 * sending them again. The ledger also answers the cooldown question across
 * runs and files, and keeps the export watermark.
 *
 * Ownership: the ledger handle owns its SQLite connection and statements.
 * Strings passed in are copied by SQLite; strings handed out live in the
 * caller's structs.
 */
#ifndef CLOUTLY_LEDGER_H
#define CLOUTLY_LEDGER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/error.h"
#include "core/row.h"

#define LEDGER_SCHEMA_VERSION 3

struct ledger;

/* Open (creating and migrating as needed) the ledger at `path`. With
 * `readonly` a missing file is not an error: *out is NULL. */
int ledger_open(const char *path, int readonly, struct ledger **out, struct cp_error *err);
void ledger_close(struct ledger *l);

/* What an earlier attempt left behind. */
struct ledger_prior {
    int64_t id;
    char status[16];     /* intent | sent | failed | in_doubt | retry | skipped */
    char contact_id[64];
    char file_path[256];
    int http_status;
    long sms_left;       /* -1 unknown */
    char sms_renews[40];
    char reason[256];
    time_t at;           /* when the attempt was made */
};

/* The latest attempt for row `input_row` of the file with content hash
 * `file_hash`: 1 and *out, 0 when there is none, -1 with err. */
int ledger_file_row(struct ledger *l, const char *file_hash, long input_row,
                    struct ledger_prior *out, struct cp_error *err);

/* The latest attempt that may have reached this contact for `business_id`
 * since `since` (sent, intent or in_doubt), by email or phone, excluding
 * attempts for `file_hash` (the same file is the resume question). */
int ledger_recent_contact(struct ledger *l, const char *email, const char *phone,
                          const char *business_id, time_t since, const char *file_hash,
                          struct ledger_prior *out, struct cp_error *err);

/* The same question for one pipeline (by name, through its runs): an
 * attempt for this contact and business since `since` from another file. */
int ledger_pipeline_contact(struct ledger *l, const char *pipeline, const char *email,
                            const char *phone, const char *business_id, time_t since,
                            const char *file_hash, struct ledger_prior *out, struct cp_error *err);

/* The most recent SMS balance the API reported, or -1. */
long ledger_last_sms_left(struct ledger *l);

/* Record a run starting and ending. */
int ledger_run_begin(struct ledger *l, const char *run_id, const char *pipeline,
                     const char *file_path, const char *file_hash, struct cp_error *err);
int ledger_run_end(struct ledger *l, const char *run_id, int exit_code, struct cp_error *err);

/* Commit the intent to POST row `r` (durably) and return its attempt id. */
int ledger_intent(struct ledger *l, const char *run_id, const char *file_path,
                  const char *file_hash, const char *campaign_id, const struct row_result *r,
                  int64_t *attempt_id, struct cp_error *err);
/* Commit the outcome of an attempt: `status` one of the prior statuses. */
int ledger_outcome(struct ledger *l, int64_t attempt_id, const char *status,
                   const struct row_result *r, struct cp_error *err);

/* An intent left without outcome by a killed run, now known to be in doubt. */
int ledger_mark_in_doubt(struct ledger *l, int64_t attempt_id, struct cp_error *err);

/* The export watermark named `name` (e.g. the pipeline name): 1 and value,
 * 0 when unset. */
int ledger_watermark_get(struct ledger *l, const char *name, char *value, size_t len,
                         struct cp_error *err);
int ledger_watermark_set(struct ledger *l, const char *name, const char *value,
                         struct cp_error *err);

/* For `cloutly-pipe ledger`: every attempt matching `contact` (an email or
 * E.164 phone, or NULL for all) since `since`, oldest first. */
int ledger_report(struct ledger *l, const char *contact, time_t since, int csv, FILE *out,
                  struct cp_error *err);

/* Record that row `r` was not sent now (outside its send window, or over
 * the daily cap) and may go from `not_before` (epoch seconds): an attempt
 * with status `deferred`, which a later run of the file sends again. */
int ledger_defer(struct ledger *l, const char *run_id, const char *file_path,
                 const char *file_hash, const char *campaign_id, const struct row_result *r,
                 time_t not_before, struct cp_error *err);
/* Deferrals are batched (a lost one only means the next run decides the
 * row afresh); any other write, ledger_close() and this commit them. Call
 * it before a pause, so the batch never holds the ledger's write lock
 * while the run waits. */
int ledger_flush_deferrals(struct ledger *l, struct cp_error *err);

/* How many invites for `business_id` were sent or may have been (sent,
 * intent, in_doubt) in [from, to), by any run of any pipeline sharing this
 * ledger: 0 and *n, or -1 with err. */
int ledger_count_sends(struct ledger *l, const char *business_id, time_t from, time_t to,
                       long *n, struct cp_error *err);

/* What earlier runs did with one input file: rows by the status of their
 * latest attempt, and how many runs that was. */
struct ledger_file_summary {
    long runs;     /* earlier runs that attempted rows of this file */
    long sent;
    long failed;
    long in_doubt; /* in_doubt, or an intent a killed run left */
};

/* For the file with content hash `file_hash`, leaving out run `run_id`
 * (the current one). Zeroes when the file is new. -1 with err. */
int ledger_file_summary(struct ledger *l, const char *file_hash, const char *run_id,
                        struct ledger_file_summary *out, struct cp_error *err);

/* Tests: bring a fresh database at `path` to schema `version` exactly. */
int ledger_create_at_version(const char *path, int version, struct cp_error *err);

#endif
