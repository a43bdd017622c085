/* Durations: see duration.h. */
#include "core/duration.h"

#include <string.h>

static const struct {
    const char *name;
    double seconds;
} units[] = {
    {"ms", 0.001}, {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400},
};

bool decimal_parse(const char *s, size_t len, double *out)
{
    double v = 0, scale = 1;
    bool dot = false, digit = false;

    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digit = true;
            if (dot)
                v += (s[i] - '0') * (scale /= 10);
            else
                v = v * 10 + (s[i] - '0');
        } else if (s[i] == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (!digit)
        return false;
    *out = v;
    return true;
}

bool duration_parse(const char *text, double *seconds)
{
    size_t len = strspn(text, "0123456789.");
    double n;
    /* Past 12 digits no duration is meant, and doubles stay exact. */
    if (len > 12 || !decimal_parse(text, len, &n))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(text + len, units[i].name) == 0) {
            *seconds = n * units[i].seconds;
            return true;
        }
    return false;
}
