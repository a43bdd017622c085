/* Placed messages: see diag.h. */
#include "config/diag.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Cutting a message at the error buffer's size is intended, so GCC's
 * truncation warning is off here. */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void diag_vformat(char *buf, size_t n, const char *file, int line, int col, const char *fmt,
                  va_list ap)
{
    char msg[sizeof((struct cp_error *)0)->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (file && line > 0)
        snprintf(buf, n, "%s:%d:%d: %s", file, line, col, msg);
    else if (file)
        snprintf(buf, n, "%s: %s", file, msg);
    else
        snprintf(buf, n, "%s", msg);
}
#pragma GCC diagnostic pop

int diag_vfail(struct cp_error *err, const char *file, int line, int col, const char *fmt,
               va_list ap)
{
    char msg[sizeof err->msg];
    diag_vformat(msg, sizeof msg, file, line, col, fmt, ap);
    return cp_fail(err, CP_EXIT_USAGE, "%s", msg);
}

int diag_fail(struct cp_error *err, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diag_vfail(err, file, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

const char *diag_errtext(int e, char *buf, size_t n)
{
    snprintf(buf, n, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}
