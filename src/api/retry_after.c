/* Retry-After: see retry_after.h. */
#include "api/retry_after.h"

#include <ctype.h>
#include <string.h>

#include <curl/curl.h>

#define FAR_AWAY 1e9

double retry_after_parse(const char *v, size_t len, time_t now)
{
    if (len == 0 || len > 64)
        return -1;
    if (isdigit((unsigned char)v[0])) {
        /* delay-seconds = 1*DIGIT; every byte a digit, summed without
         * overflow (a fraction is not in the grammar: refused). */
        double secs = 0;
        for (size_t i = 0; i < len; i++) {
            if (!isdigit((unsigned char)v[i]))
                return -1;
            if (secs < FAR_AWAY)
                secs = secs * 10 + (v[i] - '0');
        }
        return secs > FAR_AWAY ? FAR_AWAY : secs;
    }
    /* An HTTP date starts with the day's name: "Fri, 31 Dec 9999 ...". */
    if (!isalpha((unsigned char)v[0]))
        return -1;
    char buf[65];
    memcpy(buf, v, len);
    buf[len] = '\0';
    time_t when = curl_getdate(buf, NULL);
    if (when == -1)
        return -1;
    double d = difftime(when, now);
    if (d < 0)
        return 0;
    return d > FAR_AWAY ? FAR_AWAY : d;
}
