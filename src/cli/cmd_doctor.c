/*
 * `cloutly-pipe doctor PIPELINE.yaml`: is everything a run needs in place?
 * One finding per line, each with a name a script can grep for (`key`,
 * `campaign_id`, `ledger`, ...), and exit 0 only when nothing a run needs
 * is wrong.
 *
 * What it cannot know without sending: the vendor API has no endpoint that
 * lists campaigns (only GET /businesses, GET /reviews and POST
 * /send-review-invite), so a campaign id, and whether the server reads the
 * body's field names (it echoes contact.sourceContactId), can only be seen
 * in the answer to a real invite. doctor never sends one by itself: with
 * --probe-invite EMAIL it sends exactly one, by email only (no SMS credit),
 * to the address the operator names, and says so first. Without it both
 * findings are "not checked", which does not fail the exit code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "api/oneshot.h"
#include "cli/cli.h"
#include "config/pipeline.h"
#include "core/log.h"
#include "store/account.h"
#include "store/ledger.h"
#include "store/ledger_health.h"
#include "store/pg_conn.h"

enum finding_level { D_OK, D_NOTE, D_WARN, D_FAIL };

struct doctor {
    const struct pipeline *p;
    const char *probe_email; /* --probe-invite, or NULL */
    int failures, warnings;
};

static void finding(struct doctor *d, enum finding_level lvl, const char *name, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static void finding(struct doctor *d, enum finding_level lvl, const char *name, const char *fmt,
                    ...)
{
    static const char *const words[] = {"ok", "note", "warn", "FAIL"};
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (lvl == D_FAIL)
        d->failures++;
    if (lvl == D_WARN)
        d->warnings++;
    printf("%-5s %-13s %s\n", words[lvl], name, text);
}

/* ---- one request ------------------------------------------------------- */

static void exchange(const struct pipeline *p, const char *key, const char *path, const char *post,
                     struct oneshot_answer *a)
{
    struct oneshot_request r = {.base_url = p->api.base_url,
                                .api_key = key,
                                .ca_file = p->api.ca_file,
                                .timeout_ms = p->api.timeout_ms};
    oneshot_send(&r, path, post, a);
}

/* ---- the checks --------------------------------------------------------- */

static void check_clock(struct doctor *d, const struct oneshot_answer *a)
{
    time_t server = a->server_time;
    if (server < 0) {
        finding(d, D_NOTE, "clock", "the server sent no Date header to compare with");
        return;
    }
    double skew = difftime(time(NULL), server);
    if (skew > 300 || skew < -300)
        finding(d, D_WARN, "clock",
                "this machine's clock is %.0f s %s the server's: cooldowns, "
                "{date} and the ledger's times use it (fix NTP)",
                skew < 0 ? -skew : skew, skew < 0 ? "behind" : "ahead of");
    else
        finding(d, D_OK, "clock", "within %.0f s of the server's", skew < 0 ? -skew : skew);
}

static int has_id(const cJSON *list, const char *id)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, list)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, "id");
        if (cJSON_IsString(v) && strcasecmp(v->valuestring, id) == 0)
            return 1;
    }
    return 0;
}

static void check_businesses(struct doctor *d, const cJSON *list)
{
    const struct pipeline *p = d->p;
    if (p->invite.business_id) {
        if (has_id(list, p->invite.business_id))
            finding(d, D_OK, "business_id", "%s is one of the account's %d businesses",
                    p->invite.business_id, cJSON_GetArraySize(list));
        else
            finding(d, D_FAIL, "business_id",
                    "%s is not one of the account's businesses: run "
                    "'cloutly-pipe businesses' and copy the id",
                    p->invite.business_id);
    }
    for (size_t i = 0; i < p->invite.n_business_map; i++)
        if (!has_id(list, p->invite.business_map[i].business_id))
            finding(d, D_FAIL, "business_map", "\"%s\" -> %s: not one of the account's businesses",
                    p->invite.business_map[i].value, p->invite.business_map[i].business_id);
}

/* The key, TLS, base URL, ids and clock, from one GET /businesses. 0 when
 * the API answered with the list (the probe may follow). */
static int check_api(struct doctor *d, const char *key)
{
    const struct pipeline *p = d->p;
    struct oneshot_answer a;
    int rc = -1;
    exchange(p, key, "/businesses", NULL, &a);
    int https = strncmp(p->api.base_url, "https://", 8) == 0;
    if (a.tls_problem) {
        finding(d, D_FAIL, "tls", "%s: %s (a private CA goes in api.ca_file)", p->api.base_url,
                a.error);
        goto out;
    }
    if (a.failed) {
        finding(d, D_FAIL, "base_url", "%s cannot be reached: %s", p->api.base_url, a.error);
        goto out;
    }
    finding(d, D_OK, "base_url", "%s answers", p->api.base_url);
    if (https)
        finding(d, D_OK, "tls", "certificate verified%s",
                p->api.ca_file ? " (with api.ca_file)" : "");
    else
        finding(d, D_NOTE, "tls", "plain http to this machine (tests and the simulator only)");
    check_clock(d, &a);
    if (a.status == 401 || a.status == 403) {
        finding(d, D_FAIL, "key",
                "the API refused the key (HTTP %ld): copy it again from "
                "Developers -> Public API",
                a.status);
        goto out;
    }
    if (a.status != 200) {
        finding(d, D_FAIL, "key", "GET /businesses answered HTTP %ld, not 200", a.status);
        goto out;
    }
    cJSON *list = cJSON_ParseWithLength(a.body ? a.body : "", a.len);
    if (!cJSON_IsArray(list)) {
        finding(d, D_FAIL, "api_shape",
                "GET /businesses did not answer a JSON array: is "
                "base_url the API (it ends in /api/v1)?");
        cJSON_Delete(list);
        goto out;
    }
    finding(d, D_OK, "key", "accepted (GET /businesses: %d businesses)", cJSON_GetArraySize(list));
    check_businesses(d, list);
    cJSON_Delete(list);
    rc = 0;
out:
    oneshot_release(&a);
    return rc;
}

/* One real invite, by email only, to the operator's own address. */
static void probe_invite(struct doctor *d, const char *key)
{
    const struct pipeline *p = d->p;
    char marker[96], body[2048];
    struct oneshot_answer a;
    if (!p->invite.business_id || !p->invite.campaign_id) {
        finding(d, D_NOTE, "campaign_id",
                "not probed: the pipeline names no single business "
                "and campaign");
        return;
    }
    snprintf(marker, sizeof marker, "cloutly-pipe-doctor-%s", p->run_id);
    cJSON *o = cJSON_CreateObject(), *ch = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "firstName", "Doctor");
    cJSON_AddStringToObject(o, "lastName", "Probe");
    cJSON_AddStringToObject(ch, "email", d->probe_email);
    cJSON_AddItemToObject(o, "channel", ch);
    cJSON_AddStringToObject(o, "source", "cloutly-pipe-doctor");
    cJSON_AddStringToObject(o, "sourceContactId", marker);
    cJSON_AddStringToObject(o, "businessId", p->invite.business_id);
    cJSON_AddStringToObject(o, "campaignId", p->invite.campaign_id);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    snprintf(body, sizeof body, "%s", json ? json : "{}");
    free(json);
    fprintf(stderr, "doctor: sending ONE real invite, by email only, to %s (--probe-invite)\n",
            d->probe_email);
    exchange(p, key, "/send-review-invite", body, &a);
    if (a.failed) {
        finding(d, D_FAIL, "campaign_id", "the probe invite got no answer: %s", a.error);
        goto out;
    }
    char msg[300] = "";
    if (a.status != 200) {
        cJSON *j = cJSON_ParseWithLength(a.body ? a.body : "", a.len);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
        snprintf(msg, sizeof msg, "%s", cJSON_IsString(m) ? m->valuestring : "");
        cJSON_Delete(j);
    }
    if (a.status == 404) {
        finding(d, D_FAIL, "campaign_id",
                "%s: the API answered 404 (%s): copy the id from the "
                "campaign page's URL in Cloutly",
                p->invite.campaign_id, msg);
        goto out;
    }
    if (a.status != 200) {
        finding(d, D_FAIL, "campaign_id", "the probe invite was refused: HTTP %ld %s", a.status,
                msg);
        goto out;
    }
    finding(d, D_OK, "campaign_id", "%s accepted an invite (the probe to %s)",
            p->invite.campaign_id, d->probe_email);
    cJSON *j = cJSON_ParseWithLength(a.body, a.len);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "contact");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(c, "sourceContactId");
    if (!cJSON_IsObject(c))
        finding(d, D_FAIL, "api_shape",
                "the invite answer has no 'contact' object: this server "
                "does not answer as the vendor page says");
    else if (cJSON_IsString(sid) && strcmp(sid->valuestring, marker) == 0)
        finding(d, D_OK, "api_shape",
                "contact.sourceContactId came back as sent: the server "
                "reads the vendor page's field names");
    else
        finding(d, D_FAIL, "api_shape",
                "contact.sourceContactId came back %s after '%s' was "
                "sent: this server ignored the field (an older client sends "
                "'sourceCustomerId'); your rows' source ids would be lost. cloutly-pipe sends the "
                "vendor page's names only: drop input.columns.sourceContactId, or ask Cloutly "
                "which names this account's API reads",
                cJSON_IsString(sid) ? "different" : "null", marker);
    cJSON_Delete(j);
out:
    oneshot_release(&a);
}

/* state.url: the server answers and the schema is one this build knows. */
static void check_state_pg(struct doctor *d, const char *url)
{
    const struct pipeline *p = d->p;
    char shown[512];
    struct ledger_health h;
    pg_conn_redact(url, shown, sizeof shown);
    ledger_health_check_pg(url, p->state.password_file, &h);
    if (!h.readable)
        finding(d, D_FAIL, "ledger", "%s", h.problem);
    else if (!h.exists)
        finding(d, D_OK, "ledger", "%s: the server answers; no ledger yet (the first run makes it)",
                shown);
    else if (h.schema > LEDGER_SCHEMA_VERSION)
        finding(d, D_FAIL, "ledger",
                "%s has schema %d, newer than this build's %d: upgrade "
                "cloutly-pipe",
                shown, h.schema, LEDGER_SCHEMA_VERSION);
    else
        finding(d, D_OK, "ledger", "%s: the server answers, schema %d%s", shown, h.schema,
                h.schema < LEDGER_SCHEMA_VERSION ? " (the next run migrates it)" : "");
}

static void check_state(struct doctor *d)
{
    const struct pipeline *p = d->p;
    char dir[4096];
    /* state.url, or CLOUTLY_STATE_URL for a pipeline that names no ledger. */
    const char *url = p->state.path ? p->state.path : account_state_url();
    if (pg_is_url(url)) {
        check_state_pg(d, url);
        return;
    }
    snprintf(dir, sizeof dir, "%s", p->state.path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0) {
        finding(d, D_NOTE, "state_dir", "%s does not exist yet: the first run creates it (0700)",
                dir);
    } else if (access(dir, W_OK | X_OK) != 0) {
        finding(d, D_FAIL, "state_dir", "%s is not writable by this user: %s", dir,
                strerror(errno));
    } else if (st.st_mode & 0022) {
        finding(d, D_WARN, "state_dir",
                "%s is writable by group or others (mode %03o): the "
                "ledger decides who is invited; chmod go-w",
                dir, st.st_mode & 0777);
    } else {
        finding(d, D_OK, "state_dir", "%s is writable, mode %03o", dir, st.st_mode & 0777);
    }
    struct ledger_health h;
    ledger_health_check(p->state.path, &h);
    if (!h.exists)
        finding(d, D_OK, "ledger", "%s: none yet (the first run creates it)", p->state.path);
    else if (!h.readable)
        finding(d, D_FAIL, "ledger", "%s cannot be read as SQLite: %s", p->state.path, h.problem);
    else if (!h.intact)
        finding(d, D_FAIL, "ledger",
                "%s is damaged (integrity_check: %s): keep a copy, then "
                "restore it from a backup",
                p->state.path, h.problem);
    else if (h.schema > LEDGER_SCHEMA_VERSION)
        finding(d, D_FAIL, "ledger",
                "%s has schema %d, newer than this build's %d: upgrade "
                "cloutly-pipe",
                p->state.path, h.schema, LEDGER_SCHEMA_VERSION);
    else
        finding(d, D_OK, "ledger", "%s: intact, schema %d%s", p->state.path, h.schema,
                h.schema < LEDGER_SCHEMA_VERSION ? " (the next run migrates it)" : "");
    if (h.lock_held)
        finding(d, D_WARN, "lock",
                "a run holds the ledger's lock now (pid %ld): a run started "
                "now would be refused",
                h.lock_pid);
}

static const char doctor_exit_codes[] =
    "Exit codes:\n"
    "  0  everything a run needs is in place (notes and \"not checked\" do not count)\n"
    "  1  at least one finding is FAIL (each line names what)\n"
    "  2  usage or pipeline error\n";

enum { DOC_PROBE = 1 };

static const struct cli_opt doctor_opts[] = {
    {"probe-invite", 0, "EMAIL", DOC_PROBE,
     "send ONE real invite (email only) to EMAIL to check the campaign id and the API's shape"},
    {NULL, 0, NULL, 0, NULL},
};

const struct cli_spec cmd_doctor_spec = {
    .command = "doctor",
    .synopsis = "PIPELINE.yaml [--probe-invite EMAIL]",
    .about = "Check what a run needs, without sending: the key (GET /businesses), the\n"
             "business ids, TLS and the base URL, the clock, the ledger (integrity, schema,\n"
             "lock) and the state folder. The API lists no campaigns, so the campaign id and\n"
             "whether the server reads the vendor page's field names can only be seen by\n"
             "sending: --probe-invite EMAIL sends one real invite, by email only, to an\n"
             "address you own. One finding per line: ok, note, warn or FAIL and its name.",
    .opts = doctor_opts,
    .common = 0,
    .min_args = 1,
    .max_args = 1,
    .args_name = "PIPELINE.yaml",
    .exit_codes = doctor_exit_codes,
};

static int on_option(void *ctx, int id, const char *value, struct cp_error *err)
{
    struct doctor *d = ctx;
    if (id == DOC_PROBE) {
        if (!strchr(value, '@'))
            return cp_fail(err, CP_EXIT_USAGE,
                           "doctor: --probe-invite needs an email address "
                           "you own, not '%s'",
                           value);
        d->probe_email = value;
    }
    return 0;
}

int cmd_doctor(int argc, char **argv)
{
    struct doctor d = {0};
    struct cli_common c;
    struct cp_error err = {0};
    struct pipeline p = {0};
    const char *args[1], *key = NULL;
    int n, rc;

    if (cli_parse(&cmd_doctor_spec, argc, argv, on_option, &d, &c, args, &n, &err) < 0)
        return cli_report(&err);
    if (c.help) {
        cli_help(&cmd_doctor_spec, stdout);
        return 0;
    }
    if (pipeline_load(args[0], time(NULL), &p, &err) < 0) {
        finding(&d, D_FAIL, "pipeline", "%s", err.msg);
        return CP_EXIT_USAGE;
    }
    d.p = &p;
    finding(&d, D_OK, "pipeline", "%s loads (name %s, kind %s)", args[0], p.name,
            p.kind == PIPELINE_INVITE ? "invite" : "export");
    struct cp_error kerr = {0};
    if (pipeline_api_key(&p, &key, &kerr) < 0) {
        finding(&d, D_FAIL, "key", "%s", kerr.msg);
    } else {
        /* The key may live in a thread-local buffer: copy it for the calls. */
        char *k = strdup(key);
        if (check_api(&d, k) == 0 && p.kind == PIPELINE_INVITE) {
            if (d.probe_email)
                probe_invite(&d, k);
            else
                finding(&d, D_NOTE, "campaign_id",
                        "not checked: the API has no way to look a "
                        "campaign up without sending an invite (--probe-invite EMAIL sends one "
                        "to you)");
        }
        if (k)
            explicit_bzero(k, strlen(k));
        free(k);
    }
    check_state(&d);
    rc = d.failures ? 1 : 0;
    printf("%s: %d %s, %d %s\n", rc ? "not ready" : "ready", d.failures,
           d.failures == 1 ? "failure" : "failures", d.warnings,
           d.warnings == 1 ? "warning" : "warnings");
    pipeline_release(&p);
    return rc;
}
