/*
 * The report page: a report_model rendered as one self-contained HTML file
 * (inline CSS and SVG, no script, no font, no image; a Content-Security-
 * Policy that forbids every fetch), readable offline, printed and in dark
 * mode. Every text from the data is HTML-escaped; links are kept only when
 * they are http(s). Each figure a test reads sits in an element with a
 * data-metric="..." attribute.
 *
 * html_escape and the charts (svg.c) write to a FILE; a write error shows
 * in ferror(fp), which the caller checks once (atomic_commit does).
 */
#ifndef CLOUTLY_REPORT_HTML_H
#define CLOUTLY_REPORT_HTML_H

#include <stdio.h>
#include <time.h>

#include "report/model.h"

struct html_context {
    const char *ledger_path;   /* shown in the header, or NULL */
    const char *mirror_path;   /* shown in the header, or NULL */
    const char *pipeline_path; /* for the `ledger` commands, or NULL */
    const char *pipeline_name; /* the pipeline pipeline_path is, or NULL */
    time_t prev_at;            /* when the previous report was made, 0: none */
};

void html_render(const struct report_model *m, const struct html_context *c, FILE *fp);

/* `s` with & < > " ' as entities; NULL writes nothing. */
void html_escape(FILE *fp, const char *s);

/* Charts, each an inline <svg role="img"> with a <title>; values < 0 are gaps. */
void svg_bars(FILE *fp, const char *title, const char *const *labels, const long *values, size_t n);
void svg_line(FILE *fp, const char *title, const char *const *labels, const long *values, size_t n);
/* Stacked bars: series[k][i] for k in 0..n_series, colours by class "s<k>". */
void svg_stacked(FILE *fp, const char *title, const char *const *labels, const long *const *series,
                 size_t n_series, size_t n);
/* A small line of averages 1..5 over the months (values < 0 skipped). */
void svg_spark(FILE *fp, const char *title, const double *values, size_t n);

#endif
