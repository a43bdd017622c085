/*
 * The report's charts as inline SVG (see html.h): bars, a line, stacked
 * bars and a sparkline, drawn in a fixed viewBox that scales with the page.
 * Colours come from CSS classes, so the page's light and dark palettes and
 * print apply to them. Each mark carries a <title> with its number; the
 * table beside every chart carries them all.
 */
#include "report/html.h"

#define W   640.0
#define H   180.0
#define PAD 24.0

static long max_of(const long *v, size_t n)
{
    long m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

static void open_svg(FILE *fp, const char *title, double w, double h)
{
    fprintf(fp,
            "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "preserveAspectRatio=\"none\"><title>",
            w, h);
    html_escape(fp, title);
    fputs("</title>", fp);
}

static void axis(FILE *fp, long max, const char *first, const char *last)
{
    fprintf(fp, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>", PAD,
            H - PAD, W, H - PAD);
    fprintf(fp, "<text class=\"tick\" x=\"0\" y=\"12\">%ld</text>", max);
    fprintf(fp, "<text class=\"tick\" x=\"%.0f\" y=\"%.0f\">", PAD, H - 6);
    html_escape(fp, first);
    fprintf(fp, "</text><text class=\"tick\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", W, H - 6);
    html_escape(fp, last);
    fputs("</text>", fp);
}

void svg_bars(FILE *fp, const char *title, const char *const *labels, const long *values, size_t n)
{
    long max = max_of(values, n);
    double bw = n ? (W - PAD) / (double)n : 0;
    if (bw > 40) /* a few days: bars, not slabs */
        bw = 40;
    open_svg(fp, title, W, H);
    for (size_t i = 0; i < n && max > 0; i++) {
        double h = (H - 2 * PAD) * (double)values[i] / (double)max;
        fprintf(fp,
                "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                "<title>",
                PAD + bw * (double)i, H - PAD - h, bw > 2 ? bw - 1 : bw, h);
        html_escape(fp, labels[i]);
        fprintf(fp, ": %ld</title></rect>", values[i]);
    }
    axis(fp, max, n ? labels[0] : "", n ? labels[n - 1] : "");
    fputs("</svg>", fp);
}

void svg_line(FILE *fp, const char *title, const char *const *labels, const long *values, size_t n)
{
    long max = max_of(values, n);
    double step = n > 1 ? (W - PAD) / (double)(n - 1) : 0;
    open_svg(fp, title, W, H);
    fputs("<polyline class=\"line\" points=\"", fp);
    for (size_t i = 0; i < n && max > 0; i++)
        fprintf(fp, "%.2f,%.2f ", PAD + step * (double)i,
                H - PAD - (H - 2 * PAD) * (double)values[i] / (double)max);
    fputs("\"/>", fp);
    if (n == 1 && max > 0) /* one point draws no line */
        fprintf(fp, "<circle class=\"dot\" cx=\"%.0f\" cy=\"%.0f\" r=\"4\"/>", PAD, PAD);
    axis(fp, max, n ? labels[0] : "", n ? labels[n - 1] : "");
    fputs("</svg>", fp);
}

void svg_stacked(FILE *fp, const char *title, const char *const *labels, const long *const *series,
                 size_t n_series, size_t n)
{
    long max = 0;
    for (size_t i = 0; i < n; i++) {
        long t = 0;
        for (size_t k = 0; k < n_series; k++)
            t += series[k][i];
        if (t > max)
            max = t;
    }
    double bw = n ? (W - PAD) / (double)n : 0;
    if (bw > 40)
        bw = 40;
    open_svg(fp, title, W, H);
    for (size_t i = 0; i < n && max > 0; i++) {
        double y = H - PAD;
        for (size_t k = 0; k < n_series; k++) {
            double h = (H - 2 * PAD) * (double)series[k][i] / (double)max;
            if (h <= 0)
                continue;
            y -= h;
            fprintf(fp,
                    "<rect class=\"s%zu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                    "height=\"%.2f\"><title>",
                    k, PAD + bw * (double)i, y, bw > 2 ? bw - 1 : bw, h);
            html_escape(fp, labels[i]);
            fprintf(fp, ", %zu star: %ld</title></rect>", k + 1, series[k][i]);
        }
    }
    axis(fp, max, n ? labels[0] : "", n ? labels[n - 1] : "");
    fputs("</svg>", fp);
}

void svg_spark(FILE *fp, const char *title, const double *values, size_t n)
{
    const double w = 120, h = 24;
    double step = n > 1 ? w / (double)(n - 1) : 0;
    fprintf(fp, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", w, h);
    html_escape(fp, title);
    fputs("</title><polyline class=\"line\" points=\"", fp);
    for (size_t i = 0; i < n; i++)
        if (values[i] >= 0)
            fprintf(fp, "%.1f,%.1f ", step * (double)i, h - 2 - (h - 4) * (values[i] - 1) / 4);
    fputs("\"/></svg>", fp);
}
