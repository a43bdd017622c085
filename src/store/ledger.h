/*
 * The ledger (SPEC section 6): an SQLite database at state.path, or a
 * PostgreSQL database at state.url (issue 16), that makes sending twice
 * impossible by accident. Both backends run the same statements
 * (store/sql.h) and give the same answers.
 *
 * Every POST is an `attempt` row. Its intent is committed before the request
 * is handed to libcurl and its outcome after the answer, so a run killed at
 * any instant leaves at most the requests that were in flight as intents
 * with no outcome; the next run reports those as in_doubt instead of
 * sending them again. The ledger also answers the cooldown question across
 * runs and files, and keeps the export watermark.
 *
 * Ownership: the ledger handle owns its connection and statements.
 * Strings passed in are copied; strings handed out live in the caller's
 * structs.
 */
#ifndef CLOUTLY_LEDGER_H
#define CLOUTLY_LEDGER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/error.h"
#include "core/row.h"

#define LEDGER_SCHEMA_VERSION 5

struct ledger;

/* Open (creating and migrating as needed) the ledger at `path`. With
 * `readonly` a missing file is not an error: *out is NULL. */
int ledger_open(const char *path, int readonly, struct ledger **out, struct cp_error *err);
/*
 * The same for a state location: a file path (SQLite) or a postgresql://
 * URL (PostgreSQL: the database must exist; its tables are made and
 * migrated here, under a lock). `password_file` (NULL: libpq's own
 * sources) is state.password_file. With `readonly`, a database where no
 * ledger was made yet gives *out NULL. Messages name the URL without its
 * password.
 */
int ledger_open_at(const char *location, const char *password_file, int readonly,
                   struct ledger **out, struct cp_error *err);
void ledger_close(struct ledger *l);
/* 1 when the ledger is on PostgreSQL. */
int ledger_is_pg(const struct ledger *l);
/* The ledger's name for messages: its file, or its URL without the password. */
const char *ledger_name(const struct ledger *l);

/* What an earlier attempt left behind. */
struct ledger_prior {
    int64_t id;
    char status[16]; /* intent | sent | failed | in_doubt | retry | skipped */
    char contact_id[64];
    char file_path[256];
    int http_status;
    long sms_left; /* -1 unknown */
    char sms_renews[40];
    char reason[256];
    time_t at;          /* when the attempt was made */
    char body_hash[65]; /* fingerprint of the request sent, "" when unknown (schema < 3) */
};

/* The latest attempt for row `input_row` of the file with content hash
 * `file_hash`: 1 and *out, 0 when there is none, -1 with err. */
int ledger_file_row(struct ledger *l, const char *file_hash, long input_row,
                    struct ledger_prior *out, struct cp_error *err);

/* The latest attempt that may have reached this contact for `business_id`
 * since `since` (sent, intent or in_doubt), by email or phone, excluding
 * attempts for `file_hash` (the same file is the resume question).
 * `business_id` NULL: any business of the account. */
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

/* ---- the account's ledger (issue 11) ---------------------------------- */

/* The ledger's name for an email or phone on the suppression list: SHA-256
 * over a tag for `kind` ("email" or "phone") and the normalised value. */
void ledger_key_hash(const char *kind, const char *value, char out[65]);

/* What ledger_claim checks and records, in one transaction. */
struct ledger_claim {
    const char *run_id, *file_path, *file_hash;
    const char *campaign_id;    /* the row's campaign (per location or the pipeline's) */
    const char *body_hash;      /* fingerprint of the request about to be sent */
    const struct row_result *r; /* email, phone, business, input row */
    time_t cooldown_since;      /* an earlier invite at or after this blocks; 0: no cooldown */
    int cooldown_account;       /* 1: any business of the account counts (cooldown_scope) */
    int allow_in_doubt;         /* this row's own earlier in_doubt attempt may be repeated */
};

enum ledger_conflict {
    LEDGER_CLAIMED = 0, /* the intent is committed: send */
    LEDGER_SUPPRESSED,  /* on the suppression list: prior.at is since when, reason its source */
    LEDGER_COOLDOWN,    /* invited within the cooldown: prior is that attempt */
    LEDGER_TAKEN        /* this file's row was taken by another run meanwhile */
};

/*
 * The cooldown check and the intent as ONE step: BEGIN IMMEDIATE, the
 * suppression list, the cooldown (other files, every pipeline of the account,
 * sent/intent/in_doubt), this file row's attempts by other runs, then the
 * intent, COMMIT. Two processes claiming the same contact at the same moment
 * are serialised by SQLite's write lock, so only one of them may send.
 * Returns an enum ledger_conflict (with *prior filled for a conflict and
 * *attempt_id for a claim), or -1 with err.
 */
int ledger_claim(struct ledger *l, const struct ledger_claim *c, struct ledger_prior *prior,
                 int64_t *attempt_id, struct cp_error *err);

/* Is the email or phone on the suppression list? 1 and *prior (at: since when,
 * reason: its source), 0, or -1 with err. */
int ledger_suppressed(struct ledger *l, const char *email, const char *phone,
                      struct ledger_prior *prior, struct cp_error *err);

/* Transactions around a batch of ledger_suppress_add calls. */
int ledger_begin(struct ledger *l, struct cp_error *err);
int ledger_commit(struct ledger *l, struct cp_error *err);
void ledger_rollback(struct ledger *l);

/* Put a normalised email or E.164 phone on the suppression list, from
 * `source` (a file name, "forget"). 1 when added, 0 when already there. */
int ledger_suppress_add(struct ledger *l, const char *kind, const char *value, const char *source,
                        struct cp_error *err);

/*
 * GDPR erasure: the person's email, phone, name, contact id and the API's
 * message are cleared from every attempt matching `email`/`phone` (either may
 * be NULL), or from every attempt made before `before` when both are NULL.
 * The attempts themselves stay (without personal data), so a rerun of a file
 * still knows its rows were sent. A tombstone records the erasure (what and
 * how many, not who). With `suppress`, the hashes of the erased emails and
 * phones go on the suppression list first, so no pipeline invites them again.
 * *n: attempts erased.
 */
int ledger_forget(struct ledger *l, const char *email, const char *phone, time_t before,
                  int suppress, long *n, struct cp_error *err);

/*
 * Merge another ledger (a pipeline's own, from before the account ledger)
 * into this one: every run, attempt, watermark and suppression it has that
 * this one lacks. Idempotent (an attempt is the same when run, file, row and
 * creation time agree); `from` is first brought to the current schema.
 * *added: attempts copied. Recorded in the merges table.
 */
int ledger_merge(struct ledger *l, const char *from, long *added, struct cp_error *err);
/* How many rows of each table: added by a copy, or held (ledger_counts). */
struct ledger_copy_counts {
    long runs, attempts, watermarks, suppressions, erasures, merges;
};

/*
 * Copy the whole history of `from` into `to` (`ledger copy`: SQLite to
 * PostgreSQL and back): every row `to` lacks, in one transaction on `to`,
 * attempts with their statuses and times, so cooldowns and resumes hold as
 * before. Idempotent: a second copy adds nothing. *added: rows per table.
 */
int ledger_copy(struct ledger *from, struct ledger *to, struct ledger_copy_counts *added,
                struct cp_error *err);
/* The rows each table of `l` holds. */
int ledger_counts(struct ledger *l, struct ledger_copy_counts *n, struct cp_error *err);

/* 1 when `from` was merged before, 0 when not, -1 with err. */
int ledger_was_merged(struct ledger *l, const char *from, struct cp_error *err);

enum ledger_format { LEDGER_TABLE, LEDGER_CSV, LEDGER_NDJSON };

/* What `cloutly-pipe ledger` lists: every filter may be NULL (any). */
struct ledger_query {
    const char *contact; /* an email or E.164 phone */
    time_t since;
    const char *pipeline; /* the name of the pipeline whose run made the attempt */
    const char *status;   /* sent | failed | in_doubt (intents left by killed runs count) | ... */
    const char *business; /* business id */
    enum ledger_format format;
};

/* For `cloutly-pipe ledger`: every attempt of every pipeline of the account
 * that matches `q`, oldest first. *n: how many were listed. */
int ledger_report(struct ledger *l, const struct ledger_query *q, FILE *out, long *n,
                  struct cp_error *err);

/* Record that row `r` was not sent now (outside its send window, or over
 * the daily cap) and may go from `not_before` (epoch seconds): an attempt
 * with status `deferred`, which a later run of the file sends again. */
int ledger_defer(struct ledger *l, const char *run_id, const char *file_path, const char *file_hash,
                 const char *campaign_id, const struct row_result *r, time_t not_before,
                 struct cp_error *err);
/* Deferrals are batched (a lost one only means the next run decides the
 * row afresh); any other write, ledger_close() and this commit them. Call
 * it before a pause, so the batch never holds the ledger's write lock
 * while the run waits. */
int ledger_flush_deferrals(struct ledger *l, struct cp_error *err);

/* How many invites for `business_id` were sent or may have been (sent,
 * intent, in_doubt) in [from, to), by any run of any pipeline sharing this
 * ledger: 0 and *n, or -1 with err. */
int ledger_count_sends(struct ledger *l, const char *business_id, time_t from, time_t to, long *n,
                       struct cp_error *err);

/* What earlier runs did with one input file: rows by the status of their
 * latest attempt, and how many runs that was. */
struct ledger_file_summary {
    long runs; /* earlier runs that attempted rows of this file */
    long sent;
    long failed;
    long in_doubt; /* in_doubt, or an intent a killed run left */
};

/* For the file with content hash `file_hash`, leaving out run `run_id`
 * (the current one). Zeroes when the file is new. -1 with err. */
int ledger_file_summary(struct ledger *l, const char *file_hash, const char *run_id,
                        struct ledger_file_summary *out, struct cp_error *err);
/* The runs of every pipeline (newest first), with pid, host, times and exit code. */
int ledger_runs_report(struct ledger *l, const struct ledger_query *q, FILE *out, long *n,
                       struct cp_error *err);

/* ---- deferred rows carried to a later run of another file (issue 12) ----
 * Queries in ledger_deferred.c. A deferred row keeps what its request needs
 * (names, email, phone, source contact id, business, timezone), so that a
 * later run of the same pipeline sends it first, whatever file it reads. */

/* ledger_defer, plus the columns only a carried row needs. */
int ledger_defer_row(struct ledger *l, const char *run_id, const char *file_path,
                     const char *file_hash, const char *campaign_id, const struct row_result *r,
                     time_t not_before, struct cp_error *err);

/* Where a carried row came from: the deferral's attempt and its file. */
struct ledger_carried {
    int64_t id;          /* the deferral's attempt id (ledger_deferred_due's cursor) */
    char file_hash[17];  /* the file the row was read from */
    char file_path[256]; /* as recorded */
    char pipeline[128];  /* the pipeline whose run deferred it */
    time_t deferred_at;  /* when it was deferred */
};

/*
 * Up to `max` rows of pipeline `pipeline` deferred by earlier runs of other
 * files (not `file_hash`), still deferred (the row's latest attempt) and due
 * (not_before <= now), with attempt id > `after`, oldest first. A person
 * deferred again later by this pipeline (another file's row) is left to that
 * later row, so each person is carried once. Each fills rows[i] (a
 * row_result_init'ed row: input_row, names, email, phone, source contact
 * id, business id, timezone; status ROW_PENDING) and from[i]. Rows whose
 * contact was erased (ledger forget) are not returned. 0 and *n, or -1.
 */
int ledger_deferred_due(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                        int64_t after, struct row_result *rows, struct ledger_carried *from,
                        int max, int *n, struct cp_error *err);
/* How many rows ledger_deferred_due would give a run of `pipeline` reading
 * `file_hash` at `now` (for the dry run's plan): 0 and *n, or -1. */
int ledger_deferred_count(struct ledger *l, const char *pipeline, const char *file_hash, time_t now,
                          long *n, struct cp_error *err);
/* A carried row that will not be sent (the person was invited since, or
 * suppressed): a `skipped` attempt under its own file and row, without
 * personal data, so later runs stop carrying it. */
int ledger_carry_close(struct ledger *l, const char *run_id, const struct ledger_carried *from,
                       const struct row_result *r, struct cp_error *err);
/* ---- end of the carried-rows block ---- */

/* Tests: bring a fresh database at `path` to schema `version` exactly. */
int ledger_create_at_version(const char *path, int version, struct cp_error *err);

#endif
