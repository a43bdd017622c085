/* Progress line: see progress.h. */
#include "cli/progress.h"

#include "core/clock.h"

void progress_init(struct progress *pg, int enabled, long total)
{
    pg->out = enabled ? stderr : NULL;
    pg->total = total;
    pg->started = clock_now();
    pg->last = 0;
}

void progress_update(struct progress *pg, long done, long sent)
{
    if (!pg->out)
        return;
    double now = clock_now();
    if (now - pg->last < 0.25 && done != pg->total)
        return;
    pg->last = now;
    double elapsed = now - pg->started;
    double rate = elapsed > 0 ? (double)sent / elapsed * 60.0 : 0;
    char eta[32] = "?";
    if (pg->total && done > 0 && elapsed > 1)
        clock_format_duration(elapsed / (double)done * (double)(pg->total - done), eta, sizeof eta);
    int width = 30, fill = pg->total ? (int)((double)done / (double)pg->total * width) : 0;
    fputs("\r[", pg->out);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', pg->out);
    fprintf(pg->out, "] %ld/%ld rows  %.0f sent/min  ETA %s   ", done, pg->total, rate, eta);
    fflush(pg->out);
}

void progress_done(struct progress *pg)
{
    if (!pg->out)
        return;
    fputs("\r\033[K", pg->out);
    fflush(pg->out);
}
