/* Progress line: see progress.h. */
#include "cli/progress.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

/* Set by SIGWINCH: the next update redraws at once, at the new width. */
static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
    (void)sig;
    resized = 1;
}

static int term_width(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void clear_line(void *ctx)
{
    struct progress *pg = ctx;
    if (pg->out && pg->shown) {
        fputs("\r\033[K", pg->out);
        pg->shown = 0;
    }
}

static void draw(struct progress *pg)
{
    char line[512];
    progress_format(pg, clock_now(), term_width(pg->out), line, sizeof line);
    fprintf(pg->out, "\r%s\033[K", line);
    fflush(pg->out);
    pg->shown = 1;
}

static void redraw(void *ctx)
{
    struct progress *pg = ctx;
    if (pg->out && pg->last > 0)
        draw(pg);
}

void progress_init(struct progress *pg, int enabled, long total, long prior)
{
    memset(pg, 0, sizeof *pg);
    pg->out = enabled ? stderr : NULL;
    pg->total = total;
    pg->prior = prior < 0 ? 0 : prior;
    pg->started = clock_now();
    if (!pg->out)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
    log_set_line(clear_line, redraw, pg);
}

/* Seconds to the end: the rows still to be worked through at the pace of
 * the fresh rows so far; < 0 when not known yet. */
static double eta(const struct progress *pg, double now)
{
    long done = pg->c.done;
    if (!pg->total || !pg->fresh_at)
        return -1;
    long fresh = done - pg->fresh_base;
    double elapsed = now - pg->fresh_at;
    long left = pg->total - (done > pg->prior ? done : pg->prior);
    if (left <= 0)
        return 0;
    if (fresh <= 0 || elapsed < 1)
        return -1;
    return elapsed / (double)fresh * (double)left;
}

static int fits(const char *s, int width)
{
    return (int)strlen(s) <= width - 1;
}

void progress_format(const struct progress *pg, double now, int width, char *buf, size_t len)
{
    char eta_text[32] = "?", counts[160], shortc[96], rate_text[32] = "";
    double e = eta(pg, now);
    if (e >= 0)
        clock_format_duration(e, eta_text, sizeof eta_text);
    double sending = pg->fresh_at ? now - pg->fresh_at : 0;
    if (sending >= 1)
        snprintf(rate_text, sizeof rate_text, "  %.0f/min", (double)pg->c.sent / sending * 60.0);
    snprintf(counts, sizeof counts, "%ld/%ld rows  sent %ld  failed %ld  in doubt %ld%s  ETA %s",
             pg->c.done, pg->total, pg->c.sent, pg->c.failed, pg->c.in_doubt, rate_text, eta_text);
    snprintf(shortc, sizeof shortc, "%ld/%ld sent %ld fail %ld doubt %ld ETA %s", pg->c.done,
             pg->total, pg->c.sent, pg->c.failed, pg->c.in_doubt, eta_text);
    if (pg->c.waiting[0]) {
        /* Asleep until a window opens: no ETA to give, say what it waits for. */
        snprintf(counts, sizeof counts, "%ld/%ld rows  sent %ld  failed %ld  in doubt %ld  %.96s",
                 pg->c.done, pg->total, pg->c.sent, pg->c.failed, pg->c.in_doubt, pg->c.waiting);
        snprintf(shortc, sizeof shortc, "%ld/%ld %.80s", pg->c.done, pg->total, pg->c.waiting);
    }
    const char *text = fits(counts, width) ? counts : shortc;
    int room = width - 1 - (int)strlen(text) - 3; /* "[" "] " */
    if (room >= 10 && pg->total) {
        int bar = room > 30 ? 30 : room;
        long work = pg->total - pg->prior, at = pg->c.done - pg->prior;
        if (work <= 0)
            work = 1;
        if (at < 0)
            at = 0;
        int fill = (int)((double)at / (double)work * bar);
        char b[40];
        for (int i = 0; i < bar; i++)
            b[i] = i < fill ? '#' : '.';
        b[bar] = '\0';
        snprintf(buf, len, "[%s] %s", b, text);
    } else {
        snprintf(buf, len, "%s", text);
    }
    /* Cut to width - 1 whatever happens: a wrapped line cannot be erased. */
    if (width > 1 && strlen(buf) > (size_t)(width - 1))
        buf[width - 1] = '\0';
}

void progress_update(struct progress *pg, const struct progress_counts *c)
{
    if (!pg->out)
        return;
    double now = clock_now();
    pg->c = *c;
    if (!pg->fresh_at && c->done > pg->prior) {
        pg->fresh_at = now;
        pg->fresh_base = c->done;
    }
    if (!resized && now - pg->last < 0.25 && c->done != pg->total)
        return;
    resized = 0;
    pg->last = now;
    draw(pg);
}

void progress_done(struct progress *pg)
{
    if (!pg->out)
        return;
    clear_line(pg);
    fflush(pg->out);
    log_set_line(NULL, NULL, NULL);
    signal(SIGWINCH, SIG_DFL);
    pg->out = NULL;
}
