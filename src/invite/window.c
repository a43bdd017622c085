/*
 * Send windows and the daily cap: see window.h.
 *
 * Finding when a window next opens is a walk forward in time, in steps no
 * longer than the time to the next edge of any zone's window (and never
 * more than an hour, so a DST change cannot step over an edge), refined to
 * the minute. Its answers are cached per zone set and window, valid until
 * the next edge, so a million-row run walks once per distinct zone set.
 */
#include "invite/window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intake/phone_zone.h"
#include "invite/state_rules.h"

#define CACHE_SIZE 64
#define GROUPS     16
#define HORIZON    (8 * 86400.0) /* a weekly window opens within this */
#define BUSINESSES 16

struct cached {
    const char *zones[ZONE_SET_MAX]; /* interned by the zone_db: equal names, equal pointers */
    int n_zones;
    struct send_window win;
    double from, until; /* the answer holds for instants in [from, until) */
    int inside;
    double opens_at; /* when outside: the first instant inside */
};

struct group {
    char text[96];   /* "09:00 AEDT (Australia/Sydney)" */
    double opens_at; /* the POST time it opens at */
    long count;
};

struct day_count {
    char business_id[64];
    double day_start, day_end; /* the business's local day, epoch seconds */
    long sent;                 /* ledger's count at the start plus this run's */
    long over;                 /* rows beyond the cap so far, for the day they go */
};

struct window {
    const struct pipeline *p;
    struct ledger *ledger;
    struct zone_db *zones;
    struct send_window phone_w, email_w;
    struct zone_set business; /* invite.timezone, else UTC */
    struct cached cache[CACHE_SIZE];
    int n_cache, next_evict;
    struct day_count days[BUSINESSES];
    int n_days;
    /* The plan. */
    long inside, deferred_window, deferred_cap, waiting, email_only;
    struct group groups[GROUPS];
    int n_groups;
    char last_rule[64]; /* the window text of the latest deferral, for the summary */
    /* when_local's latest answers: the rows of one zone share their instants
     * (now, the opening), so a campaign's deferrals format each once. */
    struct said {
        const char *zone; /* interned by the zone_db; NULL: empty */
        double t;
        char text[64];
    } said[4];
    int next_said;
    /* outside()'s latest answers: a campaign's deferred rows of one zone
     * set, deferred in one minute, share their whole note. */
    struct outside_memo {
        struct zone_set zs; /* zs.n 0: an empty entry */
        struct send_window win;
        double opens, minute; /* the question: the opening, now + delay to the minute */
        char note[512];       /* as row_note would write it */
        double opens_at;
        char opens_text[96];
        char rule[64];
    } outside_memo[4];
    int next_outside;
};

struct window *window_open(const struct pipeline *p, struct ledger *ledger, struct cp_error *err)
{
    struct window *w = calloc(1, sizeof *w);
    if (!w) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    w->p = p;
    w->ledger = ledger;
    w->phone_w = p->invite.send_window;
    if (w->phone_w.kind == SEND_WINDOW_DEFAULT)
        send_window_every_day(&w->phone_w, 9 * 60, 20 * 60);
    w->email_w = p->invite.email_window;
    if (w->email_w.kind == SEND_WINDOW_DEFAULT)
        w->email_w.kind = SEND_WINDOW_ANY;
    /* With no window and no cap there is nothing to ask the zones. */
    if (w->phone_w.kind == SEND_WINDOW_ANY && w->email_w.kind == SEND_WINDOW_ANY &&
        p->invite.max_per_day <= 0 && !p->invite.timezone)
        return w;
    w->zones = zone_db_open(err);
    if (!w->zones)
        goto fail;
    const char *tz = p->invite.timezone ? p->invite.timezone : "UTC";
    if (zone_for_name(w->zones, tz, &w->business) < 0) {
        cp_fail(err, CP_EXIT_USAGE,
                "'%s': invite.timezone '%s' is not a time zone (expected an "
                "IANA name such as Australia/Sydney; see /usr/share/zoneinfo/zone1970.tab)",
                p->file ? p->file : "pipeline", tz);
        goto fail;
    }
    if (w->email_w.kind == SEND_WINDOW_HOURS && !p->invite.timezone) {
        cp_fail(err, CP_EXIT_USAGE,
                "'%s': invite.email_window needs invite.timezone (the "
                "business's zone, e.g. Australia/Sydney): email-only contacts have no zone of "
                "their own",
                p->file ? p->file : "pipeline");
        goto fail;
    }
    return w;
fail:
    window_close(w);
    return NULL;
}

void window_close(struct window *w)
{
    if (!w)
        return;
    zone_db_close(w->zones);
    free(w);
}

/* ---- the walk ------------------------------------------------------------- */

/* Whether `t` is inside `win` in every zone of `zs`, and how many minutes
 * (1..60) until any zone's window could change. */
static int all_inside(struct window *w, const struct zone_set *zs, const struct send_window *win,
                      double t, int *step)
{
    int inside = 1, next = 60;
    for (int i = 0; i < zs->n; i++) {
        struct zone_local lt;
        if (zone_local_time(w->zones, zs->zone[i], t, &lt) < 0)
            return 0; /* unknown zone: never inside (the caller checked the names) */
        int d = lt.wday, m = lt.minute, edge;
        int in = send_window_holds(win, d, m);
        if (in)
            edge = win->close[d] - m;
        else if (m < win->open[d] && win->open[d] < win->close[d])
            edge = win->open[d] - m;
        else
            edge = 1440 - m;
        if (edge < next)
            next = edge;
        inside &= in;
    }
    *step = next < 1 ? 1 : next;
    return inside;
}

/* The first minute after `t` where the answer differs from `inside0`, or
 * t + HORIZON when none. */
static double next_edge(struct window *w, const struct zone_set *zs, const struct send_window *win,
                        double t, int inside0)
{
    int step;
    double u = floor(t / 60) * 60;
    while (u < t + HORIZON) {
        all_inside(w, zs, win, u, &step);
        double v = u + step * 60.0;
        if (all_inside(w, zs, win, v, &step) != inside0) {
            /* A DST change may have moved the edge inside the step. */
            while (v - 60 > t && all_inside(w, zs, win, v - 60, &step) != inside0)
                v -= 60;
            return v;
        }
        u = v;
    }
    return t + HORIZON;
}

static int same_question(const struct cached *c, const struct zone_set *zs,
                         const struct send_window *win)
{
    return c->n_zones == zs->n &&
           memcmp(c->zones, zs->zone, (size_t)zs->n * sizeof *zs->zone) == 0 &&
           memcmp(&c->win, win, sizeof *win) == 0;
}

/* Inside at `t`? When not, *opens_at is the first instant inside. */
static int evaluate(struct window *w, const struct zone_set *zs, const struct send_window *win,
                    double t, double *opens_at)
{
    if (win->kind == SEND_WINDOW_ANY)
        return 1;
    for (int i = 0; i < w->n_cache; i++) {
        struct cached *c = &w->cache[i];
        if (t >= c->from && t < c->until && same_question(c, zs, win)) {
            *opens_at = c->opens_at;
            return c->inside;
        }
    }
    int step;
    int inside = all_inside(w, zs, win, t, &step);
    double edge = next_edge(w, zs, win, t, inside);
    struct cached *c =
        w->n_cache < CACHE_SIZE ? &w->cache[w->n_cache++] : &w->cache[w->next_evict++ % CACHE_SIZE];
    memcpy(c->zones, zs->zone, (size_t)zs->n * sizeof *zs->zone);
    c->n_zones = zs->n;
    c->win = *win;
    c->from = floor(t / 60) * 60;
    c->until = edge;
    c->inside = inside;
    c->opens_at = inside ? t : edge;
    *opens_at = c->opens_at;
    return inside;
}

/* ---- one row ------------------------------------------------------------- */

/* zone_for_phone keeps its answers by region and narrowing (phone_zone.cc),
 * so asking it for every row costs little. */
static int phone_zones(struct window *w, const struct row_result *r, struct zone_set *out)
{
    return zone_for_phone_in(w->zones, strbuf_str(&r->phone), r->phone_region, out);
}

static void format_local(struct window *w, const char *zone, double t, char *buf, size_t len);

static void when_local(struct window *w, const char *zone, double t, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof w->said / sizeof *w->said; i++)
        if (w->said[i].zone == zone && w->said[i].t == t) {
            snprintf(buf, len, "%s", w->said[i].text);
            return;
        }
    struct said *s = &w->said[w->next_said];
    w->next_said = (w->next_said + 1) % (int)(sizeof w->said / sizeof *w->said);
    format_local(w, zone, t, s->text, sizeof s->text);
    s->zone = zone;
    s->t = t;
    snprintf(buf, len, "%s", s->text);
}

static void format_local(struct window *w, const char *zone, double t, char *buf, size_t len)
{
    struct zone_local lt;
    char abbrev[16] = "";
    static const char *const days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    if (zone_local_time(w->zones, zone, t, &lt) < 0) {
        snprintf(buf, len, "?");
        return;
    }
    zone_abbrev(w->zones, zone, t, abbrev, sizeof abbrev);
    snprintf(buf, len, "%s %04d-%02d-%02d %02d:%02d %s", days[lt.wday], lt.year, lt.month, lt.day,
             lt.minute / 60, lt.minute % 60, abbrev);
}

static void iso_utc(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void add_group(struct window *w, const char *text, double opens_at)
{
    for (int i = 0; i < w->n_groups; i++)
        if (strcmp(w->groups[i].text, text) == 0) {
            w->groups[i].count++;
            return;
        }
    if (w->n_groups == GROUPS)
        return; /* the plan shows the first groups; the counts stay right */
    struct group *g = &w->groups[w->n_groups++];
    snprintf(g->text, sizeof g->text, "%s", text);
    g->opens_at = opens_at;
    g->count = 1;
}

/* The window a phone contact in `zs` follows. */
static void phone_window(struct window *w, const struct zone_set *zs, struct send_window *out)
{
    if (w->phone_w.kind == SEND_WINDOW_US_STATE_RULES)
        state_rules_window(zs->country, zs->state, out);
    else
        *out = w->phone_w;
}

/* The business's local day around `now`, and how many it has sent in it. */
static struct day_count *day_of(struct window *w, const char *business_id, double now,
                                struct cp_error *err)
{
    for (int i = 0; i < w->n_days; i++) {
        struct day_count *d = &w->days[i];
        if (strcmp(d->business_id, business_id) == 0 && now >= d->day_start && now < d->day_end)
            return d;
    }
    struct day_count *d = w->n_days < BUSINESSES ? &w->days[w->n_days++] : &w->days[0];
    memset(d, 0, sizeof *d);
    snprintf(d->business_id, sizeof d->business_id, "%s", business_id);
    const char *zone = w->business.zone[0];
    struct zone_local lt, later;
    zone_local_time(w->zones, zone, now, &lt);
    d->day_start = floor(now / 60) * 60 - lt.minute * 60.0;
    zone_local_time(w->zones, zone, d->day_start + 86400, &later);
    /* A DST day is 23 or 25 hours long. */
    d->day_end = d->day_start + 86400 - (later.offset_min - lt.offset_min) * 60.0;
    if (w->ledger && ledger_count_sends(w->ledger, business_id, (time_t)d->day_start,
                                        (time_t)d->day_end, &d->sent, err) < 0)
        return NULL;
    return d;
}

static void defer(struct window *w, struct row_result *r, struct window_decision *d)
{
    r->status = ROW_DEFERRED;
    d->verdict = WINDOW_DEFER;
    add_group(w, d->opens_text, d->opens_at);
}

/* spread: even: how much of the day's cap may be used by `now`: the cap
 * spread over the send window's hours in the business's zone (09:00-20:00
 * when the window is not plain hours), a run at the opening taking the
 * first hour's share. */
static long share_by(struct window *w, double now, int cap, double *next)
{
    struct send_window win = w->phone_w;
    if (win.kind != SEND_WINDOW_HOURS)
        send_window_every_day(&win, 9 * 60, 20 * 60);
    struct zone_local lt;
    if (zone_local_time(w->zones, w->business.zone[0], now, &lt) < 0)
        return cap;
    int open = win.open[lt.wday], close = win.close[lt.wday];
    *next = floor(now / 3600) * 3600 + 3600;
    if (close <= open || lt.minute >= close)
        return cap;
    if (lt.minute < open)
        return 0;
    long done = (long)(lt.minute - open + 60);
    long len = close - open;
    long share = (cap * done + len - 1) / len;
    return share < cap ? share : cap;
}

/* invite.max_per_day: 1 when the row may go today, 0 when deferred. */
static int daily_cap(struct window *w, struct row_result *r, const struct zone_set *zs,
                     const struct send_window *win, double now, struct window_decision *d,
                     struct cp_error *err)
{
    int cap = w->p->invite.max_per_day;
    if (cap <= 0)
        return 1;
    const char *business = strbuf_str(&r->business_id);
    struct day_count *day = day_of(w, business, now, err);
    if (!day)
        return -1;
    double next_share = 0;
    long allowed = w->p->invite.spread_even ? share_by(w, now, cap, &next_share) : cap;
    if (day->sent < allowed) {
        day->sent++;
        return 1;
    }
    if (day->sent < cap) {
        char go_text[64], go_utc[32];
        when_local(w, w->business.zone[0], next_share, go_text, sizeof go_text);
        iso_utc(next_share, go_utc, sizeof go_utc);
        row_note(r,
                 "deferred: spread: even allows %ld of invite.max_per_day (%d) by now; goes "
                 "from %s (%s)",
                 allowed, cap, go_text, go_utc);
        d->opens_at = next_share;
        snprintf(d->opens_text, sizeof d->opens_text, "%s (spread: even)", go_text);
        w->deferred_cap++;
        defer(w, r, d);
        return 0;
    }
    /* The k-th row over the cap goes k / cap days later, in its window. */
    long k = day->over++;
    double delay = w->p->invite.invite_delay_days * 86400.0;
    double go = day->day_end + (double)(k / cap) * 86400;
    double opens = go;
    if (!evaluate(w, zs, win, go + delay, &opens))
        go = opens - delay;
    char day_text[40], go_text[64], go_utc[32];
    time_t ds = (time_t)(day->day_start + 43200);
    struct tm tm;
    gmtime_r(&ds, &tm);
    strftime(day_text, sizeof day_text, "%Y-%m-%d", &tm);
    when_local(w, w->business.zone[0], go, go_text, sizeof go_text);
    iso_utc(go, go_utc, sizeof go_utc);
    row_note(r,
             "deferred: invite.max_per_day (%d) reached for this business on %s (%s); goes "
             "from %s (%s)",
             cap, day_text, w->business.zone[0], go_text, go_utc);
    d->opens_at = go;
    snprintf(d->opens_text, sizeof d->opens_text, "%s (daily cap)", go_text);
    w->deferred_cap++;
    defer(w, r, d);
    return 0;
}

/* The zone whose window opened last at `opens` (the one a multi-zone
 * number waited for), to name the opening in its local time. */
static const char *binding_zone(struct window *w, const struct zone_set *zs,
                                const struct send_window *win, double opens)
{
    for (int i = 0; i < zs->n; i++) {
        struct zone_local lt;
        if (zone_local_time(w->zones, zs->zone[i], opens - 60, &lt) == 0 &&
            !send_window_holds(win, lt.wday, lt.minute))
            return zs->zone[i];
    }
    return zs->zone[0];
}

/* The note, opening and rule of a row outside its window, kept in `m`. */
static void outside_text(struct window *w, const struct zone_set *zs, const struct send_window *win,
                         double opens, double now, struct outside_memo *m)
{
    double delay = w->p->invite.invite_delay_days * 86400.0;
    char rule[sizeof m->rule], at_text[64], opens_text[64], opens_utc[32];
    send_window_describe(win, rule, sizeof rule);
    memcpy(m->rule, rule, sizeof rule);
    const char *zone = binding_zone(w, zs, win, opens);
    when_local(w, zone, now + delay, at_text, sizeof at_text);
    when_local(w, zone, opens, opens_text, sizeof opens_text);
    iso_utc(opens - delay, opens_utc, sizeof opens_utc);
    m->opens_at = opens - delay;
    snprintf(m->opens_text, sizeof m->opens_text, "%s (%s)", opens_text, zone);
    const char *arrive = delay > 0 ? "the invite would arrive" : "it is";
    const char *zones =
        zs->n > 1 ? "in every zone the number may be in" : "in the recipient's zone";
    if (w->p->invite.outside_window == OUTSIDE_WAIT)
        snprintf(m->note, sizeof m->note,
                 "waited: %s %s, outside %s %s (%s); sent when it opened at %s", arrive, at_text,
                 rule, zones, zs->where, opens_text);
    else
        snprintf(m->note, sizeof m->note,
                 "deferred: %s %s, outside %s %s (%s); next window opens %s, send from %s", arrive,
                 at_text, rule, zones, zs->where, opens_text, opens_utc);
}

static int same_outside(const struct outside_memo *m, const struct zone_set *zs,
                        const struct send_window *win, double opens, double minute)
{
    return m->zs.n && m->opens == opens && m->minute == minute && m->zs.n == zs->n &&
           memcmp(m->zs.zone, zs->zone, (size_t)zs->n * sizeof *zs->zone) == 0 &&
           strcmp(m->zs.where, zs->where) == 0 && memcmp(&m->win, win, sizeof *win) == 0;
}

/* Outside the window: wait, defer, or (email_only) go on without the phone. */
static int outside(struct window *w, struct row_result *r, const struct zone_set *zs,
                   const struct send_window *win, double opens, double now,
                   struct window_decision *d)
{
    /* The note names the arrival to the minute: rows asked in one minute
     * about one zone set and opening read the same. */
    double minute = floor((now + w->p->invite.invite_delay_days * 86400.0) / 60);
    const size_t n_memo = sizeof w->outside_memo / sizeof *w->outside_memo;
    struct outside_memo *m = NULL;
    for (size_t i = 0; i < n_memo && !m; i++)
        if (same_outside(&w->outside_memo[i], zs, win, opens, minute))
            m = &w->outside_memo[i];
    if (!m) {
        m = &w->outside_memo[w->next_outside];
        w->next_outside = (w->next_outside + 1) % (int)n_memo;
        outside_text(w, zs, win, opens, now, m);
        m->zs = *zs;
        m->win = *win;
        m->opens = opens;
        m->minute = minute;
    }
    d->opens_at = m->opens_at;
    memcpy(d->opens_text, m->opens_text, sizeof d->opens_text);
    memcpy(w->last_rule, m->rule, sizeof w->last_rule);
    if (r->reason.len)
        strbuf_add(&r->reason, "; ", 2);
    strbuf_addstr(&r->reason, m->note);
    if (w->p->invite.outside_window == OUTSIDE_WAIT) {
        d->verdict = WINDOW_WAIT;
        w->waiting++;
        add_group(w, d->opens_text, d->opens_at);
        return 0;
    }
    w->deferred_window++;
    defer(w, r, d);
    return 0;
}

/* input.columns.timezone: 1 and *zs when the row names a zone, 0 when it
 * names none (or one tzdata does not know: noted, and the number decides). */
static int row_zone(struct window *w, struct row_result *r, struct zone_set *zs)
{
    if (!r->timezone.len)
        return 0;
    if (zone_for_name(w->zones, strbuf_str(&r->timezone), zs) == 0) {
        snprintf(zs->where, sizeof zs->where, "%s from the timezone column", zs->zone[0]);
        return 1;
    }
    row_note(r,
             "timezone \"%.40s\" is not a tzdata zone (expected e.g. Australia/Perth): the "
             "send window follows the phone number or the business",
             strbuf_str(&r->timezone));
    return 0;
}

/* window_decide for a row that asks the zones: a big frame (zone sets),
 * so kept out of the common email-only case. */
__attribute__((noinline)) static int decide_zoned(struct window *w, struct row_result *r,
                                                  double now, struct window_decision *d,
                                                  struct cp_error *err)
{
    double delay = w->p->invite.invite_delay_days * 86400.0, opens = now;
    struct send_window win;
    struct zone_set zs, given;
    int has_zone = row_zone(w, r, &given);
    if (r->phone.len) {
        /* The row's own zone wins; a number tzdata has no zone for is held
         * to the window in the business's zone: no better guess exists. */
        if (has_zone) {
            struct zone_set of_number;
            zs = given;
            if (phone_zones(w, r, &of_number) == 0)
                memcpy(zs.country, of_number.country, sizeof zs.country);
        } else if (phone_zones(w, r, &zs) < 0) {
            zs = w->business;
        }
        phone_window(w, &zs, &win);
        if (evaluate(w, &zs, &win, now + delay, &opens))
            goto inside;
        if (w->p->invite.outside_window != OUTSIDE_EMAIL_ONLY || !r->email.len)
            return outside(w, r, &zs, &win, opens, now, d);
        /* email_only: the text waits for no one; the email goes if its window allows. */
        char rule[64];
        send_window_describe(&win, rule, sizeof rule);
        row_note(r, "sent by email only: outside %s in the recipient's zone (%s)", rule, zs.where);
        strbuf_reset(&r->phone);
        w->email_only++;
    }
    if (has_zone)
        zs = given;
    else
        zs = w->business;
    win = w->email_w;
    if (!evaluate(w, &zs, &win, now + delay, &opens))
        return outside(w, r, &zs, &win, opens, now, d);
inside:;
    int rc = daily_cap(w, r, &zs, &win, now, d, err);
    if (rc <= 0)
        return rc;
    w->inside++;
    return 0;
}

int window_decide(struct window *w, struct row_result *r, double now, struct window_decision *d,
                  struct cp_error *err)
{
    d->verdict = WINDOW_SEND;
    d->opens_at = 0;
    d->opens_text[0] = '\0';
    /* Every window any, no cap; or an email-only row with no zone of its
     * own where the email window is any and there is no cap: inside. */
    if (!w->zones || (!r->phone.len && !r->timezone.len && w->email_w.kind == SEND_WINDOW_ANY &&
                      w->p->invite.max_per_day <= 0)) {
        w->inside++;
        return 0;
    }
    return decide_zoned(w, r, now, d, err);
}

/* ---- the plan ------------------------------------------------------------ */

void window_summary(const struct window *w, char *buf, size_t len)
{
    buf[0] = '\0';
    long n = w->deferred_window + w->deferred_cap;
    if (!n)
        return;
    const struct group *first = NULL;
    for (int i = 0; i < w->n_groups; i++)
        if (!first || w->groups[i].opens_at < first->opens_at)
            first = &w->groups[i];
    if (w->deferred_window && !w->deferred_cap)
        snprintf(buf, len, "deferred %ld: outside %s in the recipient's zone; next window opens %s",
                 n, w->last_rule, first ? first->text : "?");
    else if (!w->deferred_window)
        snprintf(buf, len, "deferred %ld: over invite.max_per_day (%d); the next go from %s", n,
                 w->p->invite.max_per_day, first ? first->text : "?");
    else
        snprintf(buf, len,
                 "deferred %ld: %ld outside their window, %ld over invite.max_per_day "
                 "(%d); next window opens %s",
                 n, w->deferred_window, w->deferred_cap, w->p->invite.max_per_day,
                 first ? first->text : "?");
}

void window_print_plan(const struct window *w, FILE *out, const char *prefix)
{
    long outside = w->deferred_window + w->deferred_cap + w->waiting;
    if (!w->zones || (!outside && !w->inside))
        return; /* no window and no cap: nothing to plan */
    fprintf(out, "%splan: %ld inside their window now", prefix, w->inside);
    if (w->email_only)
        fprintf(out, " (%ld by email only)", w->email_only);
    if (w->waiting)
        fprintf(out, ", %ld wait", w->waiting);
    if (w->deferred_window || w->deferred_cap)
        fprintf(out, ", %ld deferred", w->deferred_window + w->deferred_cap);
    fputc('\n', out);
    double finish = 0;
    for (int i = 0; i < w->n_groups; i++) {
        const struct group *g = &w->groups[i];
        char utc[32];
        iso_utc(g->opens_at, utc, sizeof utc);
        fprintf(out, "%s  %6ld  from %s (%s)\n", prefix, g->count, g->text, utc);
        double end = g->opens_at + (double)g->count / w->p->api.rate_per_sec;
        if (end > finish)
            finish = end;
    }
    if (finish > 0) {
        char utc[32];
        iso_utc(finish, utc, sizeof utc);
        fprintf(out, "%s  campaign finishes about %s at %.0f/min", prefix, utc,
                w->p->api.rate_per_sec * 60);
        if (w->p->invite.max_per_day > 0)
            fprintf(out, " and invite.max_per_day %d", w->p->invite.max_per_day);
        fputs(" (if a run comes in each window)\n", out);
    }
}
