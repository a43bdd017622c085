/* Before sending: see gate.h. */
#include "invite/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/sha256.h"
#include "invite/invite.h"

void gate_init(struct gate *g, const struct pipeline *p, struct ledger *l, const char *file_hash,
               int writable)
{
    memset(g, 0, sizeof *g);
    g->p = p;
    g->ledger = l;
    g->file_hash = file_hash;
    g->now = (time_t)clock_wall();
    g->writable = writable;
    g->sms_left = l ? ledger_last_sms_left(l) : -1;
    g->retry_in_doubt = p->api.retry_in_doubt;
}

/* The fingerprint of the request this row would send now. */
static int body_fingerprint(const struct gate *g, const struct row_result *r, char out[65])
{
    char *body = invite_body(g->p, r);
    if (!body)
        return -1;
    sha256_hex(body, strlen(body), out);
    free(body);
    return 0;
}

/* Answers settle out of order when several are in flight: the lowest
 * balance this run was told is the latest. The first answer of the run
 * replaces what the ledger remembered (credits may have renewed since). */
void gate_note_sms(struct gate *g, long sms_left)
{
    if (sms_left < 0)
        return;
    if (!g->sms_fresh || sms_left < g->sms_left)
        g->sms_left = sms_left;
    g->sms_fresh = 1;
}

static void when_text(time_t at, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* A row that will not be sent: validation's "sent by email only" would
 * read as if it had been ("sent by email only; invited today"). */
static void not_sending(struct row_result *r)
{
    row_drop_note(r, "sent by email only");
    row_drop_note(r, "sent by phone only");
}

static void fill_from_prior(struct row_result *r, const struct ledger_prior *pr)
{
    strbuf_reset(&r->contact_id);
    strbuf_addstr(&r->contact_id, pr->contact_id);
    r->http_status = pr->http_status;
    r->sms_left = pr->sms_left;
    strbuf_reset(&r->sms_renews);
    strbuf_addstr(&r->sms_renews, pr->sms_renews);
}

/* An earlier run of this same file already dealt with this row. 1 when it
 * decides the row, 0 when the row should go out (again), -1 on error. */
static int resume(struct gate *g, struct row_result *r, struct cp_error *err)
{
    struct ledger_prior pr;
    char when[40];
    int found = ledger_file_row(g->ledger, g->file_hash, r->input_row, &pr, err);
    if (found <= 0)
        return found;
    when_text(pr.at, when, sizeof when);
    if (strcmp(pr.status, "sent") == 0) {
        fill_from_prior(r, &pr);
        row_note(r, "already sent by an earlier run of this file at %s", when);
        r->status = ROW_SKIPPED;
        return 1;
    }
    if (strcmp(pr.status, "intent") == 0 || strcmp(pr.status, "in_doubt") == 0) {
        int killed = strcmp(pr.status, "intent") == 0;
        if (g->writable && killed && ledger_mark_in_doubt(g->ledger, pr.id, err) < 0)
            return -1;
        if (g->retry_in_doubt) {
            g->retried++;
            return 0;
        }
        if (!killed && strstr(pr.reason, "not repeated"))
            row_note(r, "in doubt since an earlier run (%s): %s", when, pr.reason);
        else if (killed || !pr.reason[0])
            row_note(r,
                     "an earlier run (%s) stopped while this invite was in flight: it may "
                     "have been sent; not repeated (check the contact in Cloutly, or set "
                     "api.retry_in_doubt: true)",
                     when);
        else
            row_note(r,
                     "in doubt since an earlier run (%s): %s; not repeated (check the "
                     "contact in Cloutly, or set api.retry_in_doubt: true)",
                     when, pr.reason);
        r->status = ROW_IN_DOUBT;
        return 1;
    }
    if (strcmp(pr.status, "failed") == 0 && pr.http_status >= 400 && pr.http_status < 500) {
        /* The API refused this row. The same bytes would be refused again; a
         * changed request (a corrected name, another campaign) is a new
         * question and gets a fresh answer. An attempt recorded before
         * fingerprints existed counts as changed: it is asked once more. */
        char now_hash[65];
        if (g->retry_failed) {
            g->retried++;
            return 0;
        }
        if (body_fingerprint(g, r, now_hash) < 0)
            return cp_fail(err, CP_EXIT_USAGE, "out of memory");
        if (!pr.body_hash[0] || strcmp(pr.body_hash, now_hash) != 0)
            return 0;
        fill_from_prior(r, &pr);
        row_note(r,
                 "refused by the API in an earlier run (%s): %s (the request is unchanged: "
                 "fix the row or the pipeline, or run with --retry-failed)",
                 when, pr.reason);
        r->status = ROW_FAILED;
        return 1;
    }
    if (strcmp(pr.status, "failed") == 0 || strcmp(pr.status, "retry") == 0 ||
        strcmp(pr.status, "skipped") == 0 || strcmp(pr.status, "deferred") == 0 ||
        strcmp(pr.status, "pipeline_error") == 0)
        return 0; /* retries exhausted, not attempted, 401, outside its window, a 404 of the
                   * pipeline: try again */
    /* A status this version never writes (a cell edited by hand, a newer
     * version's word): the one safe reading is that it may have been sent. */
    row_note(r,
             "the ledger holds an unknown status '%s' for this row (%s): treated as in "
             "doubt; not repeated",
             pr.status, when);
    r->status = ROW_IN_DOUBT;
    return 1;
}

/* Resume beyond the file's bytes: a row appended to (or reordered in) an
 * export that was already sent is a new file to the hash, but its people
 * were invited by this pipeline minutes or hours ago. Within a day, that is
 * a resume, never a new invite, whatever cooldown_days says (0 included);
 * after that, the cooldown is the rule. */
#define RESUME_WINDOW (24 * 3600)
static int resent_by_pipeline(struct gate *g, struct row_result *r, struct cp_error *err)
{
    struct ledger_prior pr;
    char when[40];
    int found = ledger_pipeline_contact(g->ledger, g->p->name, strbuf_str(&r->email),
                                        strbuf_str(&r->phone), strbuf_str(&r->business_id),
                                        g->now - RESUME_WINDOW, g->file_hash, &pr, err);
    if (found <= 0)
        return found;
    when_text(pr.at, when, sizeof when);
    if (strcmp(pr.status, "sent") == 0) {
        fill_from_prior(r, &pr);
        row_note(r, "already sent by an earlier run of this pipeline at %s (from '%s')", when,
                 pr.file_path);
        r->status = ROW_SKIPPED;
    } else {
        row_note(r,
                 "an earlier run of this pipeline (%s, '%s') may have sent it (in doubt); "
                 "not repeated",
                 when, pr.file_path);
        r->status = ROW_IN_DOUBT;
    }
    return 1;
}

static void note_suppressed(struct row_result *r, const struct ledger_prior *pr)
{
    char when[40];
    when_text(pr->at, when, sizeof when);
    row_note(r, "on the suppression list since %s (%s)", when,
             strcmp(pr->reason, "forget") == 0 ? "erased on request" : pr->reason);
    r->status = ROW_SKIPPED;
}

static void note_cooldown(struct gate *g, struct row_result *r, const struct ledger_prior *pr)
{
    int days = g->p->validate.cooldown_days;
    time_t now = clock_wall();
    long ago = (long)((now - pr->at) / 86400);
    char ago_text[32];
    if (ago <= 0)
        snprintf(ago_text, sizeof ago_text, "today");
    else
        snprintf(ago_text, sizeof ago_text, "%ld day%s ago", ago, ago == 1 ? "" : "s");
    if (strcmp(pr->status, "sent") == 0)
        row_note(r, "invited %s (cooldown %d days)", ago_text, days);
    else
        row_note(r, "may have been invited %s (in doubt; cooldown %d days)", ago_text, days);
    r->status = ROW_SKIPPED;
}

static const char *cooldown_business(const struct gate *g, const struct row_result *r)
{
    return g->p->validate.cooldown_scope == COOLDOWN_ACCOUNT ? NULL : strbuf_str(&r->business_id);
}

static int suppressed(struct gate *g, struct row_result *r, struct cp_error *err)
{
    struct ledger_prior pr;
    int found =
        ledger_suppressed(g->ledger, strbuf_str(&r->email), strbuf_str(&r->phone), &pr, err);
    if (found > 0)
        note_suppressed(r, &pr);
    return found;
}

static int cooldown(struct gate *g, struct row_result *r, struct cp_error *err)
{
    int days = g->p->validate.cooldown_days;
    if (days <= 0)
        return 0;
    struct ledger_prior pr;
    time_t since = g->now - (time_t)days * 86400;
    int found = ledger_recent_contact(g->ledger, strbuf_str(&r->email), strbuf_str(&r->phone),
                                      cooldown_business(g, r), since, g->file_hash, &pr, err);
    if (found <= 0)
        return found;
    note_cooldown(g, r, &pr);
    return 1;
}

int gate_claim(struct gate *g, struct row_result *r, const char *run_id, const char *file_path,
               const char *body, int64_t *attempt_id, struct cp_error *err)
{
    char fingerprint[65];
    struct ledger_prior pr;
    int days = g->p->validate.cooldown_days;
    sha256_hex(body, strlen(body), fingerprint);
    struct ledger_claim c = {
        .run_id = run_id,
        .file_path = file_path,
        .file_hash = g->file_hash,
        .campaign_id = invite_campaign(g->p, strbuf_str(&r->business_id)),
        .body_hash = fingerprint,
        .r = r,
        /* The window counts from now, not from the start of a long run. */
        .cooldown_since = days > 0 ? clock_wall() - (time_t)days * 86400 : 0,
        .cooldown_account = g->p->validate.cooldown_scope == COOLDOWN_ACCOUNT,
        .allow_in_doubt = g->retry_in_doubt,
    };
    int rc = ledger_claim(g->ledger, &c, &pr, attempt_id, err);
    switch (rc) {
    case LEDGER_CLAIMED: return 1;
    case LEDGER_SUPPRESSED: note_suppressed(r, &pr); return 0;
    case LEDGER_COOLDOWN: note_cooldown(g, r, &pr); return 0;
    case LEDGER_TAKEN:
        row_note(r, "sent meanwhile by another run of this file (%s)", pr.file_path);
        r->status = ROW_SKIPPED;
        return 0;
    default: return -1;
    }
}

static void sms_guard(struct gate *g, struct row_result *r)
{
    long floor = g->p->invite.min_sms_left;
    if (floor < 0 || g->sms_left < 0 || g->sms_left > floor || !r->phone.len)
        return;
    if (r->email.len) {
        strbuf_reset(&r->phone);
        row_note(r, "SMS credits low: %ld left (invite.min_sms_left %ld); sent by email only",
                 g->sms_left, floor);
    } else {
        row_note(r, "SMS credits low: %ld left (invite.min_sms_left %ld)", g->sms_left, floor);
        r->status = ROW_SKIPPED;
    }
}

int gate_row(struct gate *g, struct row_result *r, struct cp_error *err)
{
    if (!g->ledger)
        return 0;
    int rc = resume(g, r, err);
    if (rc == 0)
        rc = resent_by_pipeline(g, r, err);
    if (rc == 0)
        rc = suppressed(g, r, err);
    if (rc == 0)
        rc = cooldown(g, r, err);
    if (rc > 0)
        not_sending(r);
    return rc < 0 ? -1 : 0;
}

int gate_send(struct gate *g, struct row_result *r)
{
    if (r->attempts > 0)
        return 1; /* a retry of a row already let through */
    sms_guard(g, r);
    if (r->status != ROW_PENDING)
        return 0;
    if (g->p->invite.max_per_run > 0 && g->sends >= g->p->invite.max_per_run) {
        not_sending(r);
        row_note(r, "not sent: invite.max_per_run (%d) reached; a later run sends it",
                 g->p->invite.max_per_run);
        r->status = ROW_SKIPPED;
        return 0;
    }
    g->sends++;
    return 1;
}
