/* The Prometheus text file: see metrics.h. */
#include "store/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/atomic_file.h"

#define LAST_SUCCESS "cloutly_pipe_last_success_timestamp_seconds"

double metrics_last_success(const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    double v = -1;
    if (!fp)
        return -1;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, LAST_SUCCESS "{", sizeof LAST_SUCCESS) != 0)
            continue;
        const char *end = strrchr(line, '}');
        if (end)
            v = strtod(end + 1, NULL);
        break;
    }
    fclose(fp);
    return v;
}

/* A label value with \, " and newline escaped as the format asks. */
static void label_value(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(out, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static void labels(FILE *out, const struct metrics_run *m, const char *extra, const char *value)
{
    fputs("{pipeline=", out);
    label_value(out, m->pipeline);
    fputs(",business=", out);
    label_value(out, m->business);
    if (extra) {
        fprintf(out, ",%s=", extra);
        label_value(out, value);
    }
    fputc('}', out);
}

static void header(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *out, const struct metrics_run *m, const char *name, const char *extra,
                   const char *value, double v)
{
    fputs(name, out);
    labels(out, m, extra, value);
    fprintf(out, " %.17g\n", v);
}

int metrics_write(const char *path, const struct metrics_run *m, struct cp_error *err)
{
    struct atomic_file af;
    double last_success = m->exit_code == 0 ? m->finished_at : metrics_last_success(path);
    if (atomic_open(&af, path, err) < 0)
        return -1;
    FILE *out = af.fp;
    header(out, "cloutly_pipe_last_run_timestamp_seconds", "gauge",
           "When the last run ended, in Unix seconds.");
    sample(out, m, "cloutly_pipe_last_run_timestamp_seconds", NULL, NULL, m->finished_at);
    if (last_success >= 0) {
        header(out, LAST_SUCCESS, "gauge", "When the last run that exited 0 ended.");
        sample(out, m, LAST_SUCCESS, NULL, NULL, last_success);
    }
    header(out, "cloutly_pipe_last_exit_code", "gauge", "The last run's exit code.");
    sample(out, m, "cloutly_pipe_last_exit_code", NULL, NULL, m->exit_code);
    header(out, "cloutly_pipe_rows", "gauge", "Rows of the last run by status.");
    for (size_t i = 0; i < m->n_rows; i++)
        sample(out, m, "cloutly_pipe_rows", "status", m->rows[i].label, (double)m->rows[i].value);
    if (m->sms_left >= 0) {
        header(out, "cloutly_pipe_sms_limits_left", "gauge",
               "SMS credits left, as the API last reported.");
        sample(out, m, "cloutly_pipe_sms_limits_left", NULL, NULL, (double)m->sms_left);
    }
    header(out, "cloutly_pipe_http_requests_total", "counter",
           "HTTP requests of the last run by status code (0: no answer).");
    for (size_t i = 0; i < m->n_http; i++)
        sample(out, m, "cloutly_pipe_http_requests_total", "code", m->http[i].label,
               (double)m->http[i].value);
    header(out, "cloutly_pipe_run_duration_seconds", "gauge", "How long the last run took.");
    sample(out, m, "cloutly_pipe_run_duration_seconds", NULL, NULL, m->duration_s);
    return atomic_commit(&af, err);
}
