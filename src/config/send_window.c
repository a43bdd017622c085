/* Send windows as text and data: see send_window.h. */
#include "config/send_window.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int day_of(const char *s, size_t len)
{
    for (int d = 0; d < 7; d++)
        if (len == 3 && strncasecmp(s, day_names[d], 3) == 0)
            return d;
    return -1;
}

/* "HH:MM" -> minutes; 24:00 is allowed as an end. -1 when malformed. */
static int clock_of(const char *s, size_t len)
{
    if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m))
        return -1;
    return h * 60 + m;
}

void send_window_every_day(struct send_window *w, int open_min, int close_min)
{
    w->kind = SEND_WINDOW_HOURS;
    for (int d = 0; d < 7; d++) {
        w->open[d] = (short)open_min;
        w->close[d] = (short)close_min;
    }
}

static int fail(char *why, size_t n, const char *clause, size_t len, const char *what)
{
    snprintf(why, n, "'%.*s': %s", (int)len, clause, what);
    return -1;
}

/* One clause, [days ] HH:MM-HH:MM, applied to `w`. */
static int parse_clause(const char *c, size_t len, struct send_window *w, char *why, size_t n)
{
    while (len && isspace((unsigned char)*c))
        c++, len--;
    while (len && isspace((unsigned char)c[len - 1]))
        len--;
    const char *sp = memchr(c, ' ', len);
    int first = 0, last = 6;
    const char *hours = c;
    size_t hlen = len;
    if (sp) {
        size_t dlen = (size_t)(sp - c);
        const char *dash = memchr(c, '-', dlen);
        first = day_of(c, dash ? (size_t)(dash - c) : dlen);
        last = dash ? day_of(dash + 1, dlen - (size_t)(dash - c) - 1) : first;
        if (first < 0 || last < 0)
            return fail(why, n, c, len,
                        "expected days like mon, sat-sun or mon-fri before the "
                        "hours");
        hours = sp + 1;
        hlen = len - dlen - 1;
        while (hlen && *hours == ' ')
            hours++, hlen--;
    }
    const char *dash = memchr(hours, '-', hlen);
    int open = dash ? clock_of(hours, (size_t)(dash - hours)) : -1;
    int close = dash ? clock_of(dash + 1, hlen - (size_t)(dash - hours) - 1) : -1;
    if (open < 0 || close < 0 || open == 1440)
        return fail(why, n, c, len, "expected hours like 09:00-20:00");
    if (close <= open)
        return fail(why, n, c, len,
                    "the window must end after it starts on the same day "
                    "(windows across midnight are not supported)");
    for (int d = first;; d = (d + 1) % 7) {
        w->open[d] = (short)open;
        w->close[d] = (short)close;
        if (d == last)
            break;
    }
    return 0;
}

int send_window_parse(const char *text, struct send_window *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    if (strcasecmp(text, "any") == 0) {
        out->kind = SEND_WINDOW_ANY;
        return 0;
    }
    if (strcasecmp(text, "us_state_rules") == 0) {
        out->kind = SEND_WINDOW_US_STATE_RULES;
        return 0;
    }
    out->kind = SEND_WINDOW_HOURS; /* every day closed until a clause opens it */
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (parse_clause(p, len, out, why, why_len) < 0)
            return -1;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int send_window_holds(const struct send_window *w, int wday, int minute)
{
    if (w->kind == SEND_WINDOW_ANY)
        return 1;
    return minute >= w->open[wday] && minute < w->close[wday];
}

void send_window_intersect(struct send_window *w, const struct send_window *o)
{
    for (int d = 0; d < 7; d++) {
        short open = w->open[d] > o->open[d] ? w->open[d] : o->open[d];
        short close = w->close[d] < o->close[d] ? w->close[d] : o->close[d];
        w->open[d] = open;
        w->close[d] = close > open ? close : open;
    }
}

static int same_day(const struct send_window *w, int a, int b)
{
    return w->open[a] == w->open[b] && w->close[a] == w->close[b];
}

void send_window_describe(const struct send_window *w, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (w->kind == SEND_WINDOW_ANY || w->kind == SEND_WINDOW_DEFAULT ||
        w->kind == SEND_WINDOW_US_STATE_RULES) {
        snprintf(buf, len, "%s",
                 w->kind == SEND_WINDOW_ANY       ? "any"
                 : w->kind == SEND_WINDOW_DEFAULT ? "default"
                                                  : "us_state_rules");
        return;
    }
    /* Runs of days with the same hours, from Monday, Sunday last. */
    static const int order[7] = {1, 2, 3, 4, 5, 6, 0};
    int every = 1;
    for (int d = 1; d < 7; d++)
        every &= same_day(w, 0, d);
    for (int i = 0; i < 7 && used + 1 < len;) {
        int j = i;
        while (j + 1 < 7 && same_day(w, order[i], order[j + 1]))
            j++;
        int d = order[i];
        if (w->open[d] != w->close[d]) {
            char days[10] = "";
            if (!every && i == j)
                snprintf(days, sizeof days, "%s ", day_names[d]);
            else if (!every)
                snprintf(days, sizeof days, "%s-%s ", day_names[d], day_names[order[j]]);
            int n =
                snprintf(buf + used, len - used, "%s%s%02d:%02d-%02d:%02d", used ? ", " : "", days,
                         w->open[d] / 60, w->open[d] % 60, w->close[d] / 60, w->close[d] % 60);
            if (n < 0 || (size_t)n >= len - used)
                break;
            used += (size_t)n;
        }
        i = j + 1;
    }
    if (!used)
        snprintf(buf, len, "never");
}
