/* stderr messages: see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"

static enum log_level max_level = LOG_INFO;
static int as_json;

void log_setup(int verbosity, int json)
{
    max_level = verbosity < 0 ? LOG_WARN : verbosity > 0 ? LOG_DEBUG : LOG_INFO;
    as_json = json;
}

int log_enabled(enum log_level level)
{
    return level <= max_level;
}

int log_is_json(void)
{
    return as_json;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (!log_enabled(level))
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (as_json) {
        char ts[40];
        clock_iso_utc(ts, sizeof ts);
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[level]);
        json_string(stderr, buf);
        fputs("}\n", stderr);
    } else if (level <= LOG_WARN) {
        fprintf(stderr, "cloutly-pipe: %s: %s\n", names[level], buf);
    } else {
        fprintf(stderr, "%s\n", buf);
    }
}
