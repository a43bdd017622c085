/*
 * The report's numbers (issue 17): everything `cloutly-pipe report` shows,
 * computed once from the ledger and the review mirror and held here, so the
 * HTML (html.c) only formats and the unit tests check the same values the
 * page prints. Lists are capped (REPORT_LIST_CAP rows, with a count of the
 * rest) and series are aggregated per day or month, so the model stays
 * small however big the ledger and the mirror are.
 *
 * Both databases are opened read-only; either may be absent. Columns added
 * by later ledger schemas (attempts.not_before for deferred rows) are used
 * only when PRAGMA table_info shows them.
 *
 * Ownership: a report_model owns every array in it; report_model_free()
 * releases them. Strings inside are fixed buffers, truncated on a UTF-8
 * boundary.
 */
#ifndef CLOUTLY_REPORT_MODEL_H
#define CLOUTLY_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"

#define REPORT_LIST_CAP          50 /* rows shown of a list (in doubt, awaiting reply...) */
#define REPORT_RUNS_PER_PIPELINE 10
#define REPORT_MAX_DAYS          400 /* sends per day / SMS left: the newest days kept */
#define REPORT_MAX_MONTHS        36  /* month series: the newest months kept */
#define REPORT_MAX_KEYS          40  /* sources / businesses / campaigns shown */
#define REPORT_TEXT_CAP          280 /* bytes of a review's text shown */

/* Attempt statuses the page counts, in this order; RS_OTHER for any other. */
enum report_status {
    RS_SENT,
    RS_FAILED,
    RS_IN_DOUBT,
    RS_RETRY,
    RS_SKIPPED,
    RS_INTENT,
    RS_DEFERRED,
    RS_OTHER,
    RS_COUNT
};
const char *report_status_name(enum report_status s);

struct report_options {
    const char *ledger_path;     /* NULL or a missing file: no runs half */
    const char *mirror_path;     /* NULL: no reviews half (the page says why) */
    const char *pipeline_path;   /* shown in the `ledger` commands; NULL: "<name>.yaml" */
    const char *pipeline_name;   /* the pipeline pipeline_path names, or NULL */
    const char *default_country; /* to normalise review phones as intake does ("AU") */
    time_t since;                /* 0: everything; else runs, sends and reviews from then */
    time_t now;                  /* the report's time (a controlled clock in tests) */
    int match_days;              /* a review within this many days of an invite counts */
    long prev_seq;               /* review_changes after this seq are "new since the last
                                    report"; -1: there was no previous report */
    time_t prev_at;              /* when the previous report was made (0: none) */
};

struct report_run {
    char pipeline[128];
    char run_id[64];
    int64_t started_at, finished_at; /* unix seconds; finished 0 while running or killed */
    int has_exit;
    int exit_code;
    long n[RS_COUNT]; /* attempts of this run by status */
};

struct report_day {
    char day[11]; /* "2026-11-30" (UTC) */
    long value;   /* sends that day, or SMS credits left at the day's last answer */
};

struct report_deferred {
    char business_id[64];
    char campaign_id[64];
    long n;
    int64_t opens_at; /* the earliest not_before of the group */
};

struct report_doubt {
    char pipeline[128];
    char contact[128]; /* email, else phone: what --contact takes */
    char business_id[64];
    char file_path[256];
    long input_row;
    int64_t at;
};

struct report_month {
    char month[8];     /* "2026-11" */
    long by_rating[6]; /* [0]: no rating, [1..5] */
    long total;
    double avg;   /* of rated reviews; 0 when none */
    long replies; /* replies dated in this month */
};

/* One row of "average rating per source/business over time". */
struct report_avg_row {
    char key[128];
    long total;
    double avg;                          /* over every month */
    double month_avg[REPORT_MAX_MONTHS]; /* aligned with model.months; -1 when no review */
    long month_n[REPORT_MAX_MONTHS];
};

struct report_review {
    char id[64];
    char author[128];
    char business_id[64];
    char source[32];
    char created_at[32];
    int rating; /* 0 when none */
    char url[512];
    char text[REPORT_TEXT_CAP + 4];
    int text_cut; /* the text was longer than REPORT_TEXT_CAP bytes */
};

struct report_change {
    long seq;
    char kind[12];
    char id[64];
    char at[32];
    char author[128];
    int rating;
    char url[512];
};

/* Invites and the reviews that followed them, for one month, campaign or store. */
struct report_match {
    char key[128];
    long invited, reviewed;         /* sent invites; of them, followed by a review */
    long sms_invited, sms_reviewed; /* invites that carried a phone (an SMS went) */
    long email_invited, email_reviewed;
    long open; /* invites whose window has not closed yet */
};

struct report_model {
    time_t now, since;
    int match_days;
    int has_ledger, has_mirror, has_deferred_col;

    /* Runs half. */
    struct report_run *runs;
    size_t n_runs;           /* newest first, per pipeline */
    long pipelines;          /* distinct pipelines in runs */
    long n_status[RS_COUNT]; /* every attempt since `since` */
    struct report_day *sends;
    size_t n_sends; /* oldest first */
    long sends_total;
    struct report_day *sms;
    size_t n_sms;  /* oldest first */
    long sms_last; /* -1 unknown */
    struct report_deferred *deferred;
    size_t n_deferred;
    long deferred_total;
    struct report_doubt *doubts;
    size_t n_doubts; /* newest first, capped */
    long doubts_total;

    /* Reviews half. */
    struct report_month *months;
    size_t n_months; /* oldest first, capped */
    long reviews_total, reviews_rated, reviews_replied;
    double rating_avg;
    double median_reply_hours; /* -1 when no reply has a date */
    long replies_timed;        /* replies with both dates */
    struct report_avg_row *by_source;
    size_t n_by_source;
    struct report_avg_row *by_business;
    size_t n_by_business;
    struct report_review *awaiting;
    size_t n_awaiting; /* newest first, capped */
    long awaiting_total;
    struct report_change *changes;
    size_t n_changes;        /* newest first, capped */
    long changes_by_kind[4]; /* created, updated, deleted, restored */
    long changes_last_seq;   /* the mirror's newest seq (0: none) */

    /* Did the invites work. */
    struct report_match *match_month;
    size_t n_match_month; /* oldest first */
    struct report_match *match_campaign;
    size_t n_match_campaign;
    struct report_match *match_business;
    size_t n_match_business;
    struct report_match match_total;
    long reviews_no_contact; /* reviews with neither email nor phone: never matchable */
    long reviews_with_contact;
};

extern const char *const report_change_kinds[4];

/* Fill `m` from the databases `o` names. -1 with err when a database exists
 * but cannot be read (not SQLite, a missing table it must have). */
int report_model_build(const struct report_options *o, struct report_model *m,
                       struct cp_error *err);
void report_model_free(struct report_model *m);

#endif
