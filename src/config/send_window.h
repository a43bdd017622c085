/*
 * A send window as the pipeline gives it (invite.send_window and
 * invite.email_window): local hours per weekday, "any", or the
 * us_state_rules preset. Pure data and text, no time zones: invite/window.c
 * applies it in each recipient's zone.
 *
 * Grammar: "any" | "us_state_rules" | clause {"," clause}, where a clause is
 * [days " "] "HH:MM-HH:MM" and days is a day ("sat") or a range of days
 * ("mon-fri", "fri-sun"). Without days a clause holds every day; a later
 * clause replaces an earlier one's hours for its days; a day no clause
 * names has no window (nothing is sent on it).
 * "mon-fri 09:00-21:00, sat 10:00-18:00" sends on weekdays 09:00 to 21:00,
 * Saturdays 10:00 to 18:00, never on Sundays.
 */
#ifndef CLOUTLY_SEND_WINDOW_H
#define CLOUTLY_SEND_WINDOW_H

#include <stddef.h>

enum send_window_kind {
    SEND_WINDOW_DEFAULT,       /* not configured: the caller's default applies */
    SEND_WINDOW_ANY,           /* no window: send at any hour */
    SEND_WINDOW_HOURS,         /* open[] and close[] */
    SEND_WINDOW_US_STATE_RULES /* federal hours, stricter state hours on top */
};

struct send_window {
    enum send_window_kind kind;
    short open[7];  /* per weekday from Sunday (0): minutes of the local day */
    short close[7]; /* exclusive, up to 1440; open == close: closed all day */
};

/* Parse `text` into *out: 0, or -1 with `why` ("expected HH:MM-HH:MM ...").
 * A mapping form {hours, days} is joined by the caller as "days hours". */
int send_window_parse(const char *text, struct send_window *out, char *why, size_t why_len);

/* The same hours every day. */
void send_window_every_day(struct send_window *w, int open_min, int close_min);

/* 1 when minute `minute` of weekday `wday` (0 = Sunday) is inside. Only for
 * SEND_WINDOW_HOURS; ANY is always inside. */
int send_window_holds(const struct send_window *w, int wday, int minute);

/* "09:00-20:00", "mon-fri 09:00-21:00, sat 10:00-18:00", "any". */
void send_window_describe(const struct send_window *w, char *buf, size_t len);

/* The tighter of two windows, day by day (for state rules on top of
 * federal hours). Both SEND_WINDOW_HOURS; the result is too. */
void send_window_intersect(struct send_window *w, const struct send_window *other);

#endif
