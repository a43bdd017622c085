/* ISO 8601 -> microseconds: see isotime.h. */
#include "core/isotime.h"

static int num(const char *s, int n, int lo, int hi, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

int isotime_parse(const char *s, size_t len, int64_t *us)
{
    const char *end = s + len;
    int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
    int64_t frac = 0;

    if (len < 10 || num(s, 4, 0, 9999, &y) < 0 || s[4] != '-' || num(s + 5, 2, 1, 12, &mo) < 0 ||
        s[7] != '-' || num(s + 8, 2, 1, 31, &d) < 0 || d > days_in_month(y, mo))
        return -1;
    s += 10;
    if (s < end) {
        if ((*s != 'T' && *s != 't' && *s != ' ') || end - s < 6 || num(s + 1, 2, 0, 23, &h) < 0 ||
            s[3] != ':' || num(s + 4, 2, 0, 59, &mi) < 0)
            return -1;
        s += 6;
        if (s < end && *s == ':') {
            if (end - s < 3 || num(s + 1, 2, 0, 60, &sec) < 0)
                return -1;
            s += 3;
            if (s < end && *s == '.') {
                int digits = 0;
                for (s++; s < end && *s >= '0' && *s <= '9'; s++, digits++)
                    if (digits < 6)
                        frac = frac * 10 + (*s - '0');
                if (digits == 0)
                    return -1;
                for (; digits < 6; digits++)
                    frac *= 10;
            }
        }
        if (s < end && (*s == 'Z' || *s == 'z')) {
            s++;
        } else if (s < end && (*s == '+' || *s == '-')) {
            sign = *s == '-' ? -1 : 1;
            if (end - s >= 6 && s[3] == ':') {
                if (num(s + 1, 2, 0, 23, &zh) < 0 || num(s + 4, 2, 0, 59, &zm) < 0)
                    return -1;
                s += 6;
            } else if (end - s >= 5) {
                if (num(s + 1, 2, 0, 23, &zh) < 0 || num(s + 3, 2, 0, 59, &zm) < 0)
                    return -1;
                s += 5;
            } else {
                return -1;
            }
        }
    }
    if (s != end)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    secs -= sign * (zh * 3600 + zm * 60);
    *us = secs * 1000000 + frac;
    return 0;
}
