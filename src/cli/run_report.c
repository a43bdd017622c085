/* run_start/run_end, metrics, pings: see run_report.h. */
#include "cli/run_report.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "api/api.h"
#include "api/ping.h"
#include "core/clock.h"
#include "export/export_job.h"

#define MAX_CODES 24

static double wall_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Pings never change the outcome: a failure is one warning. */
static void ping(const struct run_report *r, const char *suffix, const char *body)
{
    char why[256];
    if (!r->p->ops.ping_url || r->dry_run)
        return;
    if (ping_send(r->p->ops.ping_url, suffix, body, 0, why, sizeof why) < 0)
        log_msg(LOG_WARN, "notify.ping_url: the %s ping was not delivered (%s); the run goes on",
                suffix[0] ? suffix + 1 : "end", why);
}

void report_begin(struct run_report *r, const struct pipeline *p, const char *metrics_cli,
                  int dry_run, const struct log_field *fields, size_t n_fields)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->metrics = metrics_cli ? metrics_cli : p->ops.metrics;
    r->started = clock_now();
    r->started_wall = wall_now();
    r->dry_run = dry_run;
    r->begun = 1;
    log_context(p->run_id, p->name);
    log_record(LOG_INFO, "run_start", NULL, fields, n_fields);
    ping(r, "/start", "");
}

/* {"sent":3,...} from the status counts. */
static void counts_json(const struct report_end *e, char *buf, size_t len)
{
    size_t at = 0;
    buf[at++] = '{';
    buf[at] = '\0';
    for (size_t i = 0; i < e->n_rows && at + 40 < len; i++) {
        if (i)
            buf[at++] = ',';
        buf[at] = '\0';
        log_json_string(buf, len - 16, e->rows[i].label);
        at = strlen(buf);
        at += (size_t)snprintf(buf + at, len - at, ":%ld", e->rows[i].value);
    }
    snprintf(buf + at, len - at, "}");
}

void report_finish(struct run_report *r, const struct report_end *e)
{
    if (!r->begun)
        return;
    r->begun = 0;
    double duration = clock_now() - r->started;
    char counts[1024];
    counts_json(e, counts, sizeof counts);
    struct log_field f[16];
    size_t n = 0;
    f[n++] = LOG_INT("exit_code", e->exit_code);
    f[n++] = LOG_NUM("duration_s", duration);
    f[n++] = LOG_JSON("counts", counts);
    f[n++] = e->sms_left >= 0 ? LOG_INT("sms_left", e->sms_left)
                              : (struct log_field){.key = "sms_left", .type = LOG_F_NULL};
    for (size_t i = 0; i < e->n_fields && n < sizeof f / sizeof *f; i++)
        f[n++] = e->fields[i];
    log_record(e->exit_code ? LOG_WARN : LOG_INFO, "run_end", log_is_json() ? e->summary : NULL, f,
               n);

    if (r->metrics && !r->dry_run) {
        long codes[MAX_CODES], counts_by_code[MAX_CODES];
        char labels[MAX_CODES][16];
        struct metrics_count http[MAX_CODES];
        size_t n_http = e->api ? api_http_counts(e->api, codes, counts_by_code, MAX_CODES) : 0;
        for (size_t i = 0; !e->api && i < e->n_http && i < MAX_CODES; i++) {
            codes[i] = e->http_codes[i];
            counts_by_code[i] = e->http_counts[i];
            n_http = i + 1;
        }
        for (size_t i = 0; i < n_http; i++) {
            snprintf(labels[i], sizeof labels[i], "%ld", codes[i]);
            http[i] = (struct metrics_count){labels[i], counts_by_code[i]};
        }
        struct metrics_run m = {
            .pipeline = r->p->name,
            .business = e->business ? e->business : "",
            .finished_at = wall_now(),
            .exit_code = e->exit_code,
            .duration_s = duration,
            .rows = e->rows,
            .n_rows = e->n_rows,
            .http = http,
            .n_http = n_http,
            .sms_left = e->sms_left,
        };
        struct cp_error err = {0};
        if (metrics_write(r->metrics, &m, &err) < 0)
            log_msg(LOG_WARN, "metrics file not written: %s", err.msg);
    }
    char suffix[16] = "";
    if (e->exit_code)
        snprintf(suffix, sizeof suffix, "/%d", e->exit_code);
    char body[1200];
    snprintf(body, sizeof body, "%s\nexit code %d, %.1fs, run %s\n", e->summary ? e->summary : "",
             e->exit_code, duration, r->p->run_id);
    ping(r, suffix, body);
}

void report_export_end(struct run_report *r, int exit_code, const struct export_job_report *rep)
{
    const struct export_stats *st = &rep->st;
    if (!r->begun)
        return;
    struct metrics_count rows[] = {
        {"written", st->written}, {"duplicate", st->duplicates}, {"older_than_since", st->older}};
    char line[300];
    snprintf(line, sizeof line, "%s: %ld %s written in %ld %s", r->p->name, st->written,
             st->written == 1 ? "review" : "reviews", st->pages, st->pages == 1 ? "page" : "pages");
    struct log_field f[] = {LOG_INT("pages", st->pages), LOG_STR("output", r->p->export.output)};
    struct report_end e = {
        .exit_code = exit_code,
        .summary = line,
        .rows = rows,
        .n_rows = sizeof rows / sizeof *rows,
        .sms_left = -1,
        .http_codes = rep->http_codes,
        .http_counts = rep->http_counts,
        .n_http = rep->n_http,
        .business = r->p->export.filters.business_id ? r->p->export.filters.business_id : "",
        .fields = f,
        .n_fields = sizeof f / sizeof *f,
    };
    report_finish(r, &e);
}
