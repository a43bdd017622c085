/*
 * Messages on stderr for a person or a log collector: text by default,
 * one JSON object per line with --log-format json. -q keeps only warnings
 * and errors, -v adds detail. Nothing here ever receives the API key.
 */
#ifndef CLOUTLY_LOG_H
#define CLOUTLY_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_setup(int verbosity /* -1 quiet, 0 normal, 1 verbose */, int json);
int log_enabled(enum log_level level);
int log_is_json(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
