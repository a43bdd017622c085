/*
 * The report page (see html.h): a header, the summary figures, "did the
 * invites work", the runs half and the reviews half, in that order because
 * that is the order of the questions a store manager asks. Only formatting
 * happens here: every number comes from the report_model.
 */
#include "report/html.h"

#include <string.h>
#include <time.h>

#define SPARK_MONTHS 12

static const char css[] =
    ":root{--bg:#fff;--fg:#1d2330;--mute:#5b6475;--line:#d9dde5;--card:#f5f7fa;--bar:#2f6fd6;"
    "--accent:#2f6fd6;--warn:#b45309;--s0:#c0392b;--s1:#e67e22;--s2:#f1c40f;--s3:#7cb342;"
    "--s4:#2e7d32;color-scheme:light dark}"
    "@media (prefers-color-scheme:dark){:root{--bg:#12151c;--fg:#e6e9ef;--mute:#9aa3b5;"
    "--line:#2c3342;--card:#1b202b;--bar:#6ea1ff;--accent:#8ab4ff;--warn:#f0a35a}}"
    "*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:16px}h1{font-size:1.6em;margin:.2em 0}"
    "h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:2px solid "
    "var(--line);padding-bottom:.2em}"
    "h3{font-size:1.05em;margin:1.2em 0 .3em}.mute{color:var(--mute)}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}"
    ".tile{background:var(--card);border-radius:8px;padding:10px 12px}"
    ".tile b{display:block;font-size:1.5em}.tile span{color:var(--mute);font-size:.9em}"
    ".pair{display:grid;grid-template-columns:minmax(0,2fr) "
    "minmax(0,1fr);gap:16px;align-items:start}"
    "@media (max-width:760px){.pair{grid-template-columns:1fr}}"
    ".scroll{max-height:340px;overflow:auto;border:1px solid var(--line);border-radius:6px}"
    ".wide{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92em}"
    "td:first-child{white-space:nowrap}th,td{padding:4px 8px;border-bottom:1px solid "
    "var(--line);text-align:left;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "thead th{position:sticky;top:0;background:var(--card)}"
    "svg.chart{width:100%;height:auto;background:var(--card);border-radius:6px}"
    "svg.spark{width:120px;height:24px}.bar{fill:var(--bar)}"
    ".line{fill:none;stroke:var(--accent);stroke-width:2}.dot{fill:var(--accent)}.axis{stroke:var(-"
    "-mute)}"
    ".tick{fill:var(--mute);font-size:11px}.s0{fill:var(--s0)}.s1{fill:var(--s1)}"
    ".s2{fill:var(--s2)}.s3{fill:var(--s3)}.s4{fill:var(--s4)}"
    ".key i{display:inline-block;width:.8em;height:.8em;margin:0 .25em 0 .8em;border-radius:2px}"
    ".headline{font-size:1.1em;background:var(--card);border-left:4px solid var(--accent);"
    "padding:8px 12px;border-radius:4px}.warn{color:var(--warn)}"
    "code{font-size:.88em;word-break:break-all}a{color:var(--accent)}"
    ".text{max-width:36em}"
    "@media print{:root{--bg:#fff;--fg:#000;--card:#fff;--line:#999;--mute:#444}"
    ".scroll{max-height:none;overflow:visible;border:0}section{break-inside:auto}"
    "h2{break-after:avoid}tr{break-inside:avoid}a{color:#000}thead th{position:static}}";

void html_escape(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* 12345 -> "12,345". */
static void grouped(char *buf, size_t len, long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < len)
        buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* A metric name: prefix, an optional key from the data (escaped), suffix. */
static void metric_attr(FILE *fp, const char *prefix, const char *key, const char *suffix)
{
    fputs(" data-metric=\"", fp);
    html_escape(fp, prefix);
    if (key) {
        html_escape(fp, key);
        html_escape(fp, suffix);
    }
    fputc('"', fp);
}

static void num(FILE *fp, const char *tag, const char *prefix, const char *key, const char *suffix,
                long v)
{
    char b[40];
    grouped(b, sizeof b, v);
    fprintf(fp, "<%s", tag);
    if (prefix)
        metric_attr(fp, prefix, key, suffix);
    if (tag[0] == 't')
        fputs(" class=\"n\"", fp);
    fprintf(fp, ">%s</%s>", b, tag);
}

static void pct_text(char *buf, size_t len, long part, long whole)
{
    if (whole > 0)
        snprintf(buf, len, "%.1f%%", 100.0 * (double)part / (double)whole);
    else
        snprintf(buf, len, "–");
}

static void pct(FILE *fp, const char *tag, const char *prefix, const char *key, const char *suffix,
                long part, long whole)
{
    char b[32];
    pct_text(b, sizeof b, part, whole);
    fprintf(fp, "<%s", tag);
    if (prefix)
        metric_attr(fp, prefix, key, suffix);
    fprintf(fp, "%s>%s</%s>", tag[0] == 't' ? " class=\"n\"" : "", b, tag);
}

static void when(char *buf, size_t len, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm))
        snprintf(buf, len, "–");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static void tile_num(FILE *fp, const char *metric, long v, const char *label)
{
    fputs("<div class=\"tile\">", fp);
    num(fp, "b", metric, NULL, NULL, v);
    fputs("<span>", fp);
    html_escape(fp, label);
    fputs("</span></div>", fp);
}

static void tile_text(FILE *fp, const char *metric, const char *text, const char *label)
{
    fputs("<div class=\"tile\"><b", fp);
    metric_attr(fp, metric, NULL, NULL);
    fputc('>', fp);
    html_escape(fp, text);
    fputs("</b><span>", fp);
    html_escape(fp, label);
    fputs("</span></div>", fp);
}

static void summary(FILE *fp, const struct report_model *m)
{
    char b[64];
    fputs("<section id=\"summary\"><h2>At a glance</h2><div class=\"tiles\">", fp);
    if (m->has_ledger) {
        tile_num(fp, "status.sent", m->n_status[RS_SENT], "invites sent");
        tile_num(fp, "status.failed", m->n_status[RS_FAILED], "failed");
        tile_num(fp, "in_doubt.open", m->doubts_total, "in doubt: need a person");
        if (m->has_deferred_col)
            tile_num(fp, "deferred.total", m->deferred_total, "deferred, waiting for a window");
        if (m->sms_last >= 0)
            tile_num(fp, "sms.left", m->sms_last, "SMS credits left (last answer)");
    }
    if (m->has_mirror) {
        tile_num(fp, "reviews.total", m->reviews_total, "reviews");
        snprintf(b, sizeof b, m->reviews_rated ? "%.2f" : "–", m->rating_avg);
        tile_text(fp, "reviews.avg_rating", b, "average rating");
        pct_text(b, sizeof b, m->reviews_replied, m->reviews_total);
        tile_text(fp, "reviews.reply_rate", b, "replied to");
        tile_num(fp, "reviews.awaiting", m->awaiting_total, "awaiting a reply");
    }
    if (m->has_ledger && m->has_mirror) {
        pct_text(b, sizeof b, m->match_total.reviewed, m->match_total.invited);
        tile_text(fp, "match.total.rate", b, "of invites followed by a review");
    }
    fputs("</div></section>\n", fp);
}

static void match_head(FILE *fp, const char *first)
{
    fprintf(fp,
            "<div class=\"wide\"><table><thead><tr><th>%s</th><th class=\"n\">invited</th>"
            "<th class=\"n\">reviewed</th><th class=\"n\">rate</th><th class=\"n\">by SMS"
            "</th><th class=\"n\">SMS rate</th><th class=\"n\">by email</th><th class=\"n\">"
            "email rate</th><th class=\"n\">window open</th></tr></thead><tbody>",
            first);
}

static void match_row(FILE *fp, const char *prefix, const struct report_match *r)
{
    fputs("<tr><td>", fp);
    html_escape(fp, r->key[0] ? r->key : "(none)");
    fputs("</td>", fp);
    num(fp, "td", prefix, r->key, ".invited", r->invited);
    num(fp, "td", prefix, r->key, ".reviewed", r->reviewed);
    pct(fp, "td", prefix, r->key, ".rate", r->reviewed, r->invited);
    num(fp, "td", prefix, r->key, ".sms_invited", r->sms_invited);
    pct(fp, "td", prefix, r->key, ".sms_rate", r->sms_reviewed, r->sms_invited);
    num(fp, "td", prefix, r->key, ".email_invited", r->email_invited);
    pct(fp, "td", prefix, r->key, ".email_rate", r->email_reviewed, r->email_invited);
    num(fp, "td", prefix, r->key, ".open", r->open);
    fputs("</tr>", fp);
}

static void month_name(char *buf, size_t len, const char *ym)
{
    static const char *const names[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
    int y = 0, mo = 0;
    if (sscanf(ym, "%d-%d", &y, &mo) == 2 && mo >= 1 && mo <= 12)
        snprintf(buf, len, "%s %d", names[mo - 1], y);
    else
        snprintf(buf, len, "%s", ym);
}

static void invites(FILE *fp, const struct report_model *m)
{
    char b1[40], b2[40], b3[32], b4[32], b5[32], mn[160];
    fputs("<section id=\"invites\"><h2>Did the invites work?</h2>", fp);
    if (!m->has_ledger || !m->has_mirror) {
        fputs("<p class=\"mute\">This needs both the ledger and the review mirror "
              "(export.mirror): reviews are matched to earlier invites by the reviewer's email "
              "or phone.</p></section>\n",
              fp);
        return;
    }
    for (size_t i = m->n_match_month; i-- > 0;) {
        const struct report_match *r = &m->match_month[i];
        month_name(mn, sizeof mn, r->key);
        grouped(b1, sizeof b1, r->invited);
        grouped(b2, sizeof b2, r->reviewed);
        pct_text(b3, sizeof b3, r->reviewed, r->invited);
        pct_text(b4, sizeof b4, r->sms_reviewed, r->sms_invited);
        pct_text(b5, sizeof b5, r->email_reviewed, r->email_invited);
        fprintf(fp,
                "<p class=\"headline\" data-metric=\"match.headline\">Of %s invited in %s, %s "
                "left a review within %d days (%s); by SMS %s, by email %s.",
                b1, mn, b2, m->match_days, b3, b4, b5);
        if (r->open)
            fprintf(fp,
                    " <span class=\"mute\">%ld of these invites are still inside their "
                    "%d days: the figure can still rise.</span>",
                    r->open, m->match_days);
        fputs("</p>", fp);
        break;
    }
    fputs("<p>", fp);
    num(fp, "b", "reviews.no_contact", NULL, NULL, m->reviews_no_contact);
    fputs(" of ", fp);
    num(fp, "b", "reviews.all_for_match", NULL, NULL,
        m->reviews_no_contact + m->reviews_with_contact);
    fprintf(fp,
            " reviews carry neither an email nor a phone (most sources do not give them) and "
            "cannot be matched to an invite. A review counts when it is for the invite's "
            "business, its author's email or phone (normalised as intake normalises "
            "contacts) is the invite's, and it was written within %d days after the invite. "
            "An invite with a phone counts as by SMS, one with an email as by email (one "
            "with both counts in both).</p>",
            m->match_days);
    fputs("<h3>By month of the invite</h3>", fp);
    match_head(fp, "month");
    for (size_t i = m->n_match_month; i-- > 0;)
        match_row(fp, "match.month.", &m->match_month[i]);
    struct report_match total = m->match_total;
    snprintf(total.key, sizeof total.key, "total");
    match_row(fp, "match.", &total);
    fputs("</tbody></table></div><h3>By campaign</h3>", fp);
    match_head(fp, "campaign");
    for (size_t i = 0; i < m->n_match_campaign; i++)
        match_row(fp, "match.campaign.", &m->match_campaign[i]);
    fputs("</tbody></table></div><h3>By store (business)</h3>", fp);
    match_head(fp, "business");
    for (size_t i = 0; i < m->n_match_business; i++)
        match_row(fp, "match.business.", &m->match_business[i]);
    fputs("</tbody></table></div></section>\n", fp);
}

/* Arguments for a shell: quoted unless plainly safe. */
static void shell_word(FILE *fp, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._+-/",
                       *p) != NULL;
    if (plain) {
        html_escape(fp, s);
        return;
    }
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else {
            char c[2] = {*s, 0};
            html_escape(fp, c);
        }
    }
    fputc('\'', fp);
}

static void runs_table(FILE *fp, const struct report_model *m)
{
    char b1[40], b2[40];
    fputs("<h3>Last runs of every pipeline</h3>", fp);
    if (!m->n_runs) {
        fputs("<p class=\"mute\">No run recorded in this period.</p>", fp);
        return;
    }
    fputs("<div class=\"wide\"><table><thead><tr><th>pipeline</th><th>run</th><th>started</th>"
          "<th>finished</th><th class=\"n\">exit</th>",
          fp);
    for (int s = 0; s < RS_COUNT; s++)
        fprintf(fp, "<th class=\"n\">%s</th>", report_status_name((enum report_status)s));
    fputs("</tr></thead><tbody>", fp);
    for (size_t i = 0; i < m->n_runs; i++) {
        const struct report_run *r = &m->runs[i];
        when(b1, sizeof b1, r->started_at);
        when(b2, sizeof b2, r->finished_at);
        fputs("<tr><td>", fp);
        html_escape(fp, r->pipeline);
        fputs("</td><td><code>", fp);
        html_escape(fp, r->run_id);
        fprintf(fp, "</code></td><td>%s</td><td>%s</td>", b1,
                r->finished_at ? b2 : "<span class=\"warn\">not finished</span>");
        if (r->has_exit)
            fprintf(fp, "<td class=\"n\">%d</td>", r->exit_code);
        else
            fputs("<td class=\"n\">–</td>", fp);
        for (int s = 0; s < RS_COUNT; s++) {
            char suffix[24];
            snprintf(suffix, sizeof suffix, ".%s", report_status_name((enum report_status)s));
            num(fp, "td", "run.", r->run_id, suffix, r->n[s]);
        }
        fputs("</tr>", fp);
    }
    fputs("</tbody></table></div>", fp);
}

static void day_series(FILE *fp, const char *title, const char *prefix, const char *col,
                       const struct report_day *d, size_t n, int line)
{
    const char *labels[REPORT_MAX_DAYS];
    long values[REPORT_MAX_DAYS];
    if (n > REPORT_MAX_DAYS)
        n = REPORT_MAX_DAYS;
    fprintf(fp, "<h3>%s</h3>", title);
    if (!n) {
        fputs("<p class=\"mute\">Nothing recorded in this period.</p>", fp);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        labels[i] = d[i].day;
        values[i] = d[i].value;
    }
    fputs("<div class=\"pair\"><div>", fp);
    if (line)
        svg_line(fp, title, labels, values, n);
    else
        svg_bars(fp, title, labels, values, n);
    fprintf(fp,
            "</div><div class=\"scroll\"><table><thead><tr><th>day</th><th class=\"n\">%s"
            "</th></tr></thead><tbody>",
            col);
    for (size_t i = n; i-- > 0;) {
        fprintf(fp, "<tr><td>%s</td>", d[i].day);
        num(fp, "td", prefix, d[i].day, "", d[i].value);
        fputs("</tr>", fp);
    }
    fputs("</tbody></table></div></div>", fp);
}

static void deferred(FILE *fp, const struct report_model *m)
{
    char b[40];
    fputs("<h3>Deferred: waiting for a send window</h3>", fp);
    if (!m->has_deferred_col) {
        fputs("<p class=\"mute\">This ledger has no deferred rows (send windows and daily caps "
              "record them).</p>",
              fp);
        return;
    }
    fputs("<p>", fp);
    num(fp, "b", "deferred.total", NULL, NULL, m->deferred_total);
    fputs(" rows wait for their window.</p>", fp);
    if (!m->n_deferred)
        return;
    fputs("<div class=\"wide\"><table><thead><tr><th>business</th><th>campaign</th>"
          "<th class=\"n\">rows</th><th>window opens</th></tr></thead><tbody>",
          fp);
    for (size_t i = 0; i < m->n_deferred; i++) {
        const struct report_deferred *d = &m->deferred[i];
        when(b, sizeof b, d->opens_at);
        fputs("<tr><td>", fp);
        html_escape(fp, d->business_id);
        fputs("</td><td>", fp);
        html_escape(fp, d->campaign_id);
        fputs("</td>", fp);
        num(fp, "td", "deferred.", d->business_id, ".n", d->n);
        fprintf(fp, "<td>%s</td></tr>", b);
    }
    fputs("</tbody></table></div>", fp);
}

static void doubts(FILE *fp, const struct report_model *m, const struct html_context *c)
{
    char b[40];
    fputs("<h3>In doubt: these need a person</h3>", fp);
    if (!m->doubts_total) {
        fputs("<p>No invite is in doubt.</p>", fp);
        return;
    }
    fputs("<p>A run was stopped while these requests were in flight: Cloutly may or may not "
          "have sent them. Check in Cloutly before sending again; each command shows the "
          "contact's history.</p><div class=\"wide\"><table><thead><tr><th>when</th>"
          "<th>contact</th><th>business</th><th>file, row</th><th>command</th></tr></thead>"
          "<tbody>",
          fp);
    for (size_t i = 0; i < m->n_doubts; i++) {
        const struct report_doubt *d = &m->doubts[i];
        when(b, sizeof b, d->at);
        fprintf(fp, "<tr><td>%s</td><td>", b);
        html_escape(fp, d->contact);
        fputs("</td><td>", fp);
        html_escape(fp, d->business_id);
        fputs("</td><td>", fp);
        html_escape(fp, d->file_path);
        fprintf(fp, ":%ld</td><td><code>cloutly-pipe ledger ", d->input_row);
        if (c->pipeline_path && (!c->pipeline_name || strcmp(c->pipeline_name, d->pipeline) == 0))
            shell_word(fp, c->pipeline_path);
        else {
            char yaml[160];
            snprintf(yaml, sizeof yaml, "%s.yaml", d->pipeline[0] ? d->pipeline : "PIPELINE");
            shell_word(fp, yaml);
        }
        fputs(" --contact ", fp);
        shell_word(fp, d->contact);
        fputs("</code></td></tr>", fp);
    }
    fputs("</tbody></table></div>", fp);
    if (m->doubts_total > (long)m->n_doubts)
        fprintf(fp,
                "<p class=\"mute\">and %ld more: <code>cloutly-pipe ledger PIPELINE.yaml"
                "</code> lists them all.</p>",
                m->doubts_total - (long)m->n_doubts);
}

static void runs(FILE *fp, const struct report_model *m, const struct html_context *c)
{
    fputs("<section id=\"runs\"><h2>The campaign: runs and sends</h2>", fp);
    if (!m->has_ledger) {
        fputs("<p class=\"mute\">No ledger yet: the pipeline has not run.</p></section>\n", fp);
        return;
    }
    runs_table(fp, m);
    day_series(fp, "Invites sent per day", "sends.", "sent", m->sends, m->n_sends, 0);
    day_series(fp, "SMS credits left", "sms.", "credits left", m->sms, m->n_sms, 1);
    deferred(fp, m);
    doubts(fp, m, c);
    fputs("</section>\n", fp);
}

static void months(FILE *fp, const struct report_model *m)
{
    const char *labels[REPORT_MAX_MONTHS];
    long series[5][REPORT_MAX_MONTHS];
    const long *sp[5];
    char b[32];
    size_t n = m->n_months;
    fputs("<h3>Reviews per month, by rating</h3>", fp);
    if (!n) {
        fputs("<p class=\"mute\">No review in this period.</p>", fp);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        labels[i] = m->months[i].month;
        for (int k = 0; k < 5; k++)
            series[k][i] = m->months[i].by_rating[k + 1];
    }
    for (int k = 0; k < 5; k++)
        sp[k] = series[k];
    fputs("<div class=\"pair\"><div>", fp);
    svg_stacked(fp, "Reviews per month by rating", labels, sp, 5, n);
    fputs("<p class=\"key mute\">", fp);
    for (int k = 0; k < 5; k++)
        fprintf(fp, "<i class=\"s%d\" style=\"background:var(--s%d)\"></i>%d★", k, k, k + 1);
    fputs("</p></div><div class=\"scroll\"><table><thead><tr><th>month</th>", fp);
    for (int k = 1; k <= 5; k++)
        fprintf(fp, "<th class=\"n\">%d★</th>", k);
    fputs("<th class=\"n\">none</th><th class=\"n\">total</th><th class=\"n\">avg</th>"
          "<th class=\"n\">replies</th></tr></thead><tbody>",
          fp);
    for (size_t i = n; i-- > 0;) {
        const struct report_month *mo = &m->months[i];
        fprintf(fp, "<tr><td>%s</td>", mo->month);
        for (int k = 1; k <= 5; k++) {
            char suffix[8];
            snprintf(suffix, sizeof suffix, ".r%d", k);
            num(fp, "td", "month.", mo->month, suffix, mo->by_rating[k]);
        }
        num(fp, "td", "month.", mo->month, ".r0", mo->by_rating[0]);
        num(fp, "td", "month.", mo->month, ".total", mo->total);
        snprintf(b, sizeof b, mo->total > mo->by_rating[0] ? "%.2f" : "–", mo->avg);
        fprintf(fp, "<td class=\"n\">%s</td>", b);
        num(fp, "td", "month.", mo->month, ".replies", mo->replies);
        fputs("</tr>", fp);
    }
    fputs("</tbody></table></div></div>", fp);
}

static void avg_table(FILE *fp, const struct report_model *m, const char *title, const char *prefix,
                      const struct report_avg_row *rows, size_t n_rows)
{
    size_t first = m->n_months > SPARK_MONTHS ? m->n_months - SPARK_MONTHS : 0;
    char b[32];
    fprintf(fp, "<h3>%s</h3>", title);
    if (!n_rows) {
        fputs("<p class=\"mute\">No review in this period.</p>", fp);
        return;
    }
    fputs("<div class=\"wide\"><table><thead><tr><th></th><th class=\"n\">reviews</th>"
          "<th class=\"n\">avg</th><th>trend</th>",
          fp);
    for (size_t i = first; i < m->n_months; i++)
        fprintf(fp, "<th class=\"n\">%s</th>", m->months[i].month);
    fputs("</tr></thead><tbody>", fp);
    for (size_t r = 0; r < n_rows; r++) {
        const struct report_avg_row *row = &rows[r];
        fputs("<tr><td>", fp);
        html_escape(fp, row->key);
        fputs("</td>", fp);
        num(fp, "td", prefix, row->key, ".total", row->total);
        snprintf(b, sizeof b, "%.2f", row->avg);
        fputs("<td class=\"n\"", fp);
        metric_attr(fp, prefix, row->key, ".avg");
        fprintf(fp, ">%s</td><td>", b);
        svg_spark(fp, row->key, row->month_avg + first, m->n_months - first);
        fputs("</td>", fp);
        for (size_t i = first; i < m->n_months; i++) {
            if (row->month_avg[i] < 0)
                fputs("<td class=\"n mute\">–</td>", fp);
            else
                fprintf(fp, "<td class=\"n\">%.2f</td>", row->month_avg[i]);
        }
        fputs("</tr>", fp);
    }
    fputs("</tbody></table></div>", fp);
}

static void link_or_text(FILE *fp, const char *url, const char *text)
{
    if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
        fputs("<a rel=\"noopener noreferrer\" href=\"", fp);
        html_escape(fp, url);
        fputs("\">", fp);
        html_escape(fp, text);
        fputs("</a>", fp);
    } else {
        html_escape(fp, text);
    }
}

static void awaiting(FILE *fp, const struct report_model *m)
{
    fputs("<h3>Awaiting a reply (newest first)</h3><p>", fp);
    num(fp, "b", "awaiting.total", NULL, NULL, m->awaiting_total);
    fputs(" reviews have no reply.</p>", fp);
    if (!m->n_awaiting)
        return;
    fputs("<div class=\"wide\"><table><thead><tr><th>written</th><th class=\"n\">rating</th>"
          "<th>author</th><th>source</th><th>business</th><th>review</th></tr></thead><tbody>",
          fp);
    for (size_t i = 0; i < m->n_awaiting; i++) {
        const struct report_review *r = &m->awaiting[i];
        fputs("<tr data-review=\"", fp);
        html_escape(fp, r->id);
        fputs("\"><td>", fp);
        html_escape(fp, r->created_at);
        if (r->rating)
            fprintf(fp, "</td><td class=\"n\">%d★</td><td>", r->rating);
        else
            fputs("</td><td class=\"n\">–</td><td>", fp);
        html_escape(fp, r->author);
        fputs("</td><td>", fp);
        html_escape(fp, r->source);
        fputs("</td><td>", fp);
        html_escape(fp, r->business_id);
        fputs("</td><td class=\"text\">", fp);
        html_escape(fp, r->text);
        if (r->text_cut)
            fputs("…", fp);
        fputs(" ", fp);
        link_or_text(fp, r->url, r->url[0] ? "open" : "");
        fputs("</td></tr>", fp);
    }
    fputs("</tbody></table></div>", fp);
    if (m->awaiting_total > (long)m->n_awaiting)
        fprintf(fp, "<p class=\"mute\">and %ld more awaiting a reply.</p>",
                m->awaiting_total - (long)m->n_awaiting);
}

static void changes(FILE *fp, const struct report_model *m, time_t prev_at)
{
    char b[40];
    fputs("<h3>What changed since the last report</h3><p>", fp);
    if (prev_at > 0) {
        when(b, sizeof b, prev_at);
        fprintf(fp, "Since the report of %s: ", b);
    } else {
        fputs("No earlier report: every change the mirror has recorded: ", fp);
    }
    for (int k = 0; k < 4; k++) {
        char metric[32];
        snprintf(metric, sizeof metric, "changes.%s", report_change_kinds[k]);
        num(fp, "b", metric, NULL, NULL, m->changes_by_kind[k]);
        fprintf(fp, " %s%s", report_change_kinds[k], k < 3 ? ", " : ".</p>");
    }
    if (!m->n_changes)
        return;
    fputs("<div class=\"scroll\"><table><thead><tr><th>when</th><th>what</th><th>review</th>"
          "<th class=\"n\">rating</th></tr></thead><tbody>",
          fp);
    for (size_t i = 0; i < m->n_changes; i++) {
        const struct report_change *c = &m->changes[i];
        fputs("<tr><td>", fp);
        html_escape(fp, c->at);
        fputs("</td><td>", fp);
        html_escape(fp, c->kind);
        fputs("</td><td>", fp);
        link_or_text(fp, c->url, c->author[0] ? c->author : c->id);
        if (c->rating)
            fprintf(fp, "</td><td class=\"n\">%d★</td></tr>", c->rating);
        else
            fputs("</td><td class=\"n\">–</td></tr>", fp);
    }
    fputs("</tbody></table></div>", fp);
}

static void reviews(FILE *fp, const struct report_model *m, time_t prev_at)
{
    char b[32];
    fputs("<section id=\"reviews\"><h2>The archive: reviews</h2>", fp);
    if (!m->has_mirror) {
        fputs("<p class=\"warn\">No review mirror: the reviews half needs one. Set "
              "<code>export.mirror: PATH</code> in an export pipeline, run <code>cloutly-pipe "
              "export</code>, then <code>cloutly-pipe report ... --mirror PATH</code>.</p>"
              "</section>\n",
              fp);
        return;
    }
    months(fp, m);
    fputs("<h3>Replies</h3><p>", fp);
    num(fp, "b", "reviews.replied", NULL, NULL, m->reviews_replied);
    fputs(" of ", fp);
    num(fp, "b", "reviews.count", NULL, NULL, m->reviews_total);
    fputs(" reviews have a reply (", fp);
    pct(fp, "b", "reviews.reply_rate_text", NULL, NULL, m->reviews_replied, m->reviews_total);
    fputs("); median time to reply: ", fp);
    if (m->median_reply_hours >= 0)
        snprintf(b, sizeof b, "%.1f", m->median_reply_hours);
    else
        snprintf(b, sizeof b, "–");
    fprintf(fp, "<b data-metric=\"reviews.median_reply_hours\">%s</b> hours (over ", b);
    num(fp, "b", "reviews.replies_timed", NULL, NULL, m->replies_timed);
    fputs(" replies with a date).</p>", fp);
    avg_table(fp, m, "Average rating per source", "source.", m->by_source, m->n_by_source);
    avg_table(fp, m, "Average rating per business", "business.", m->by_business, m->n_by_business);
    awaiting(fp, m);
    changes(fp, m, prev_at);
    fputs("</section>\n", fp);
}

void html_render(const struct report_model *m, const struct html_context *c, FILE *fp)
{
    char now[40], since[40];
    when(now, sizeof now, m->now);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>cloutly-pipe report</title><style>",
          fp);
    fputs(css, fp);
    fputs("</style></head><body><main><header><h1>Invites and reviews</h1>"
          "<p class=\"mute\">Made ",
          fp);
    fprintf(fp, "<span data-metric=\"generated\">%s</span>", now);
    if (m->since > 0) {
        when(since, sizeof since, m->since);
        fprintf(fp, ", covering from %s", since);
    }
    fputs(". Ledger: <code>", fp);
    html_escape(fp, c->ledger_path ? c->ledger_path : "none");
    fputs("</code>. Mirror: <code>", fp);
    html_escape(fp, c->mirror_path ? c->mirror_path : "none");
    fputs("</code>.</p></header>\n", fp);
    summary(fp, m);
    invites(fp, m);
    runs(fp, m, c);
    reviews(fp, m, c->prev_at);
    fputs("<footer class=\"mute\"><p>Made by cloutly-pipe " CLOUTLY_VERSION ". Lists show at "
          "most 50 rows; series at most 400 days or 36 months.</p></footer></main></body>"
          "</html>\n",
          fp);
}
