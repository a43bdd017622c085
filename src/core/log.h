/*
 * Messages on stderr for a person or a log collector: text by default,
 * one JSON object per line with --log-format json. -q keeps only warnings
 * and errors, -v adds detail. Nothing here ever receives the API key.
 *
 * In JSON mode every line is an event (README, "Structured events"):
 *   {"time","level","event","run_id","pipeline","msg", ...event fields}
 * log_msg() writes event "message"; log_event() names its own event and
 * adds typed fields. run_id and pipeline are null until log_context().
 *
 * A progress line may own the bottom of the terminal: log_set_line() lets
 * it be cleared before a message and redrawn after, so messages scroll
 * above it instead of being written onto it.
 */
#ifndef CLOUTLY_LOG_H
#define CLOUTLY_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_setup(int verbosity /* -1 quiet, 0 normal, 1 verbose */, int json);
int log_enabled(enum log_level level);
int log_is_json(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The run every later event belongs to; both are copied. NULL clears. */
void log_context(const char *run_id, const char *pipeline);

enum log_field_type { LOG_F_STR, LOG_F_INT, LOG_F_NUM, LOG_F_JSON, LOG_F_NULL };

/* One field of an event: a string (NULL is written as null), a whole
 * number, a number, or raw JSON text the caller built (an object). */
struct log_field {
    const char *key;
    enum log_field_type type;
    const char *s;
    long long i;
    double d;
};

#define LOG_STR(k, v)  ((struct log_field){.key = (k), .type = LOG_F_STR, .s = (v)})
#define LOG_INT(k, v)  ((struct log_field){.key = (k), .type = LOG_F_INT, .i = (long long)(v)})
#define LOG_NUM(k, v)  ((struct log_field){.key = (k), .type = LOG_F_NUM, .d = (double)(v)})
#define LOG_JSON(k, v) ((struct log_field){.key = (k), .type = LOG_F_JSON, .s = (v)})

/*
 * Write event `event` at `level`. In text mode only `text` is printed (as
 * log_msg would), and nothing when `text` is NULL; in JSON mode `text` is
 * the "msg" ("" when NULL) and the fields follow it.
 */
void log_event(enum log_level level, const char *event, const char *text,
               const struct log_field *fields, size_t n_fields);

/* The same for the records a run always leaves (run_start, run_end): in
 * JSON mode they are written even under -q, so a quiet cron job's log
 * still has one line per run a shipper can key on; text mode filters them
 * as log_event does. */
void log_record(enum log_level level, const char *event, const char *text,
                const struct log_field *fields, size_t n_fields);

/* Append s to buf (of size len) as a JSON string, quotes included; the
 * result is cut short, never overflowed. For building LOG_JSON fields. */
void log_json_string(char *buf, size_t len, const char *s);

/* The progress line's hooks: `clear` before any message, `redraw` after.
 * NULLs remove them. */
void log_set_line(void (*clear)(void *ctx), void (*redraw)(void *ctx), void *ctx);

#endif
