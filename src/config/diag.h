/*
 * Messages with a place, for config/ only: "FILE:LINE:COL: what" (1-based,
 * as editors count), "FILE: what" when there is no place to point at (a key
 * that is missing), and "what" alone when there is no file (a value given on
 * the command line, whose message the option's name already starts).
 */
#ifndef CLOUTLY_CONFIG_DIAG_H
#define CLOUTLY_CONFIG_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include "core/error.h"

/* The placed message into `buf` (`n` bytes, cut to fit). `file` may be NULL;
 * `line` 0 means no place. */
void diag_vformat(char *buf, size_t n, const char *file, int line, int col, const char *fmt,
                  va_list ap);

/* Set `err` (code CP_EXIT_USAGE) to the placed message; returns -1. */
int diag_fail(struct cp_error *err, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int diag_vfail(struct cp_error *err, const char *file, int line, int col, const char *fmt,
               va_list ap);

/* strerror(e) in the messages' lower case, into `buf`. */
const char *diag_errtext(int e, char *buf, size_t n);

#endif
