/* stderr messages and events: see log.h. */
#include "core/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

/* Process-wide by nature (there is one stderr), and in one place until it
 * becomes a logger handle the commands own. */
struct log_state {
    enum log_level max_level;
    int as_json;
    int has_context; /* run_id and pipeline are set */
    char run_id[64], pipeline[256];
    void (*line_clear)(void *), (*line_redraw)(void *);
    void *line_ctx;
};
static struct log_state lg = {.max_level = LOG_INFO};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_setup(int verbosity, int json)
{
    lg.max_level = verbosity < 0 ? LOG_WARN : verbosity > 0 ? LOG_DEBUG : LOG_INFO;
    lg.as_json = json;
}

int log_enabled(enum log_level level)
{
    return level <= lg.max_level;
}

int log_is_json(void)
{
    return lg.as_json;
}

void log_context(const char *run_id, const char *pipeline)
{
    lg.has_context = run_id != NULL;
    snprintf(lg.run_id, sizeof lg.run_id, "%s", run_id ? run_id : "");
    snprintf(lg.pipeline, sizeof lg.pipeline, "%s", pipeline ? pipeline : "");
}

void log_set_line(void (*clear)(void *ctx), void (*redraw)(void *ctx), void *ctx)
{
    lg.line_clear = clear;
    lg.line_redraw = redraw;
    lg.line_ctx = ctx;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void log_json_string(char *buf, size_t len, const char *s)
{
    size_t at = strlen(buf);
    /* Room for the worst escape (\u00XX), the closing quote and the NUL. */
    if (at + 3 > len)
        return;
    buf[at++] = '"';
    for (; *s && at + 8 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            at += (size_t)snprintf(buf + at, len - at, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            at += (size_t)snprintf(buf + at, len - at, "\\u%04x", c);
        else
            buf[at++] = (char)c;
    }
    buf[at++] = '"';
    buf[at] = '\0';
}

static void write_json(enum log_level level, const char *event, const char *text,
                       const struct log_field *f, size_t n)
{
    char ts[40];
    clock_iso_utc(ts, sizeof ts);
    fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"event\":", ts, level_names[level]);
    json_string(stderr, event);
    fputs(",\"run_id\":", stderr);
    if (lg.has_context)
        json_string(stderr, lg.run_id);
    else
        fputs("null", stderr);
    fputs(",\"pipeline\":", stderr);
    if (lg.has_context)
        json_string(stderr, lg.pipeline);
    else
        fputs("null", stderr);
    fputs(",\"msg\":", stderr);
    json_string(stderr, text ? text : "");
    for (size_t i = 0; i < n; i++) {
        fputc(',', stderr);
        json_string(stderr, f[i].key);
        fputc(':', stderr);
        switch (f[i].type) {
        case LOG_F_STR:
            if (f[i].s)
                json_string(stderr, f[i].s);
            else
                fputs("null", stderr);
            break;
        case LOG_F_INT: fprintf(stderr, "%lld", f[i].i); break;
        case LOG_F_NUM:
            if (isfinite(f[i].d))
                fprintf(stderr, "%.3f", f[i].d);
            else
                fputs("null", stderr);
            break;
        case LOG_F_JSON: fputs(f[i].s && f[i].s[0] ? f[i].s : "null", stderr); break;
        case LOG_F_NULL: fputs("null", stderr); break;
        }
    }
    fputs("}\n", stderr);
}

static void emit(enum log_level level, const char *event, const char *text,
                 const struct log_field *fields, size_t n_fields)
{
    if (lg.line_clear)
        lg.line_clear(lg.line_ctx);
    if (lg.as_json)
        write_json(level, event, text, fields, n_fields);
    else if (level <= LOG_WARN)
        fprintf(stderr, "cloutly-pipe: %s: %s\n", level_names[level], text);
    else
        fprintf(stderr, "%s\n", text);
    if (lg.line_redraw)
        lg.line_redraw(lg.line_ctx);
}

void log_event(enum log_level level, const char *event, const char *text,
               const struct log_field *fields, size_t n_fields)
{
    if (log_enabled(level) && (lg.as_json || text))
        emit(level, event, text, fields, n_fields);
}

void log_record(enum log_level level, const char *event, const char *text,
                const struct log_field *fields, size_t n_fields)
{
    if (lg.as_json || (log_enabled(level) && text))
        emit(level, event, text, fields, n_fields);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_event(level, "message", buf, NULL, 0);
}
