/* The export's progress line: see export_progress.h. */
#include "cli/export_progress.h"

#include <stdio.h>

#include "core/clock.h"

void export_progress_init(struct export_progress *pl, int on, const struct pipeline *p)
{
    pl->on = on;
    pl->open_ended = (p->export.since || p->export.since_last_run || p->export.mirror) &&
                     (p->export.mirror || p->export.sort == EXPORT_SORT_DESC);
    pl->started = clock_now();
    pl->drawn = 0;
}

void export_progress_draw(void *ctx, const struct export_stats *st)
{
    struct export_progress *pl = ctx;
    double now = clock_now();
    /* Not before the second page: the line would cut the message saying how
     * the server reads `offset`. */
    if (!pl->on || st->pages < 2 || now - pl->drawn < 0.25)
        return;
    pl->drawn = now;
    double elapsed = now - pl->started;
    double rate = elapsed > 0 ? (double)st->positions / elapsed : 0;
    long long total = st->total_last;
    char eta[32] = "?";
    int width = 30, fill = 0;
    if (total > 0 && !pl->open_ended) {
        double left = (double)(total - st->positions);
        if (left < 0)
            left = 0;
        fill = (int)((double)st->positions / (double)total * width);
        fill = fill > width ? width : fill;
        if (rate > 0)
            clock_format_duration(left / rate, eta, sizeof eta);
    }
    fputs("\r[", stderr);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    if (total >= 0)
        fprintf(stderr, "] %ld/%lld reviews  %ld pages  %.0f reviews/s  ETA %s   ", st->positions,
                total, st->pages, rate, eta);
    else
        fprintf(stderr, "] %ld reviews  %ld pages  %.0f reviews/s   ", st->positions, st->pages,
                rate);
    fflush(stderr);
}

void export_progress_end(struct export_progress *pl)
{
    if (pl->on && pl->drawn > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
