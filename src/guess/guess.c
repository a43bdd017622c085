/* Reading an unknown export for `guess`: see guess.h. */
#include "guess/guess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intake/country.h"
#include "intake/csv_in.h"
#include "intake/mapping.h"
#include "intake/phone.h"

/* The markets a review tool sells in, in the order a tie is settled (the
 * product started in Australia): the regions tried for phone numbers
 * written without +country. */
static const char *const markets[] = {
    "AU", "NZ", "GB", "IE", "US", "CA", "ZA", "SG", "MY", "PH", "IN", "AE", "DE",
    "FR", "ES", "IT", "NL", "BE", "SE", "NO", "DK", "FI", "PT", "BR", "MX", "JP",
};

#define N_MARKETS (sizeof markets / sizeof *markets)
/* AU, NZ, GB, IE, US, CA: where most of the product's customers are. */
#define PRIMARY_MARKETS 6

int guess_consent_allows(const struct preset_consent *c, const char *cell, size_t len)
{
    cell = trim_span(cell, len, &len);
    for (const char *const *v = c->values; v && *v; v++)
        if (strlen(*v) == len && strncasecmp(*v, cell, len) == 0)
            return 1;
    return 0;
}

/* What the first rows say, gathered in one pass. */
struct scan {
    struct {
        char code[3];
        long count;
    } votes[64];
    size_t n_votes;
    long country_cells; /* rows with a country cell */
    char *phones[GUESS_PHONE_SAMPLES];
    size_t n_phones;
};

/* The first non-empty of a field's candidate columns, trimmed. */
static const char *cell_of(const struct preset_match *pm, enum map_field f,
                           const struct csv_row *row, size_t *len)
{
    for (size_t k = 0; k < pm->n[f]; k++) {
        size_t col = (size_t)pm->cols[f][k];
        if (col >= row->n)
            continue;
        const char *v = trim_span(row->fields[col], row->lens[col], len);
        if (*len)
            return v;
    }
    *len = 0;
    return NULL;
}

static void vote(struct scan *s, const char *code)
{
    size_t i = 0;
    while (i < s->n_votes && strcmp(s->votes[i].code, code) != 0)
        i++;
    if (i == s->n_votes) {
        if (s->n_votes == sizeof s->votes / sizeof *s->votes)
            return;
        memcpy(s->votes[s->n_votes++].code, code, 3);
    }
    s->votes[i].count++;
}

static int scan_row(struct guess *g, struct scan *s, const struct csv_row *row)
{
    size_t len;
    const char *v = cell_of(&g->pm, MAP_COUNTRY, row, &len);
    char code[3];
    if (v) {
        s->country_cells++;
        if (country_code(v, len, code))
            vote(s, code);
    }
    v = cell_of(&g->pm, MAP_PHONE, row, &len);
    if (v && v[0] == '\'') /* Shopify's text marker, as mapping_value drops it */
        v = trim_span(v + 1, len - 1, &len);
    if (v && len && s->n_phones < GUESS_PHONE_SAMPLES) {
        if (!(s->phones[s->n_phones] = strndup(v, len)))
            return -1;
        s->n_phones++;
    }
    for (int c = 0; c < PRESET_CHANNELS; c++) {
        const struct preset_consent *pc = &g->pm.consent[c];
        size_t col = (size_t)pc->col;
        if (pc->col >= 0 && col < row->n &&
            guess_consent_allows(pc, row->fields[col], row->lens[col]))
            g->consent_rows[c]++;
    }
    return 0;
}

/* Where the phone numbers belong: each region scores the national numbers
 * ("0412 345 678") valid under its rules, mobiles most (a customer export is
 * mostly mobiles, and some plans, Italy's, take almost any digits as a
 * landline), and the international ones (+44...) that are its own. Ties go
 * to the earlier market. */
static const char *country_of_phones(const struct scan *s, char out[3], long *fit)
{
    static const int weight[] = {[PHONE_MOBILE] = 3, [PHONE_MAYBE_MOBILE] = 2,
                                 [PHONE_LANDLINE] = 1, [PHONE_TOLL_FREE] = 1,
                                 [PHONE_PREMIUM] = 1};
    struct {
        char code[3];
        long score, fit;
    } r[N_MARKETS + GUESS_PHONE_SAMPLES];
    size_t n = 0, best = 0;
    struct phone_result pr;
    for (size_t i = 0; i < N_MARKETS; i++, n++) {
        memcpy(r[n].code, markets[i], 3);
        r[n].score = r[n].fit = 0;
        for (size_t k = 0; k < s->n_phones; k++)
            if (s->phones[k][0] != '+' &&
                phone_normalise(s->phones[k], strlen(s->phones[k]), r[n].code, &pr) == 0) {
                r[n].score += weight[pr.type];
                r[n].fit++;
            }
    }
    for (size_t k = 0; k < s->n_phones; k++) {
        if (s->phones[k][0] != '+' ||
            phone_normalise(s->phones[k], strlen(s->phones[k]), "", &pr) < 0 || !pr.region[0])
            continue;
        size_t i = 0;
        while (i < n && strcmp(r[i].code, pr.region) != 0)
            i++;
        if (i == n) {
            memcpy(r[n].code, pr.region, 3);
            r[n].score = r[n].fit = 0;
            n++;
        }
        r[i].score += weight[PHONE_MOBILE];
        r[i].fit++;
    }
    /* Some plans (Finland's) take almost any digits, so a market of the
     * first rank wins whenever it explains most of the numbers. */
    for (size_t i = 1; i < PRIMARY_MARKETS; i++)
        if (r[i].score > r[best].score)
            best = i;
    if (r[best].fit * 2 < (long)s->n_phones)
        for (size_t i = 0; i < n; i++)
            if (r[i].score > r[best].score)
                best = i;
    if (!r[best].score)
        return NULL;
    *fit = r[best].fit;
    memcpy(out, r[best].code, 3);
    return out;
}

static void pick_country(struct guess *g, const struct scan *s)
{
    size_t best = 0;
    long fit = 0;
    for (size_t i = 1; i < s->n_votes; i++)
        if (s->votes[i].count > s->votes[best].count)
            best = i;
    if (s->n_votes) {
        memcpy(g->country, s->votes[best].code, 3);
        snprintf(g->country_why, sizeof g->country_why, "from the '%s' column (%ld of %ld rows)",
                 g->header[g->pm.cols[MAP_COUNTRY][0]], s->votes[best].count, s->country_cells);
        return;
    }
    char buf[3];
    const char *code = country_of_phones(s, buf, &fit);
    if (code) {
        memcpy(g->country, code, 3);
        snprintf(g->country_why, sizeof g->country_why,
                 "%ld of %zu phone numbers read are valid %s numbers", fit, s->n_phones, code);
    } else {
        snprintf(g->country_why, sizeof g->country_why,
                 "no country column and no phone number that says which country");
    }
}

static int read_header(struct guess *g, struct csv_in *in, const char *path, struct cp_error *err)
{
    struct csv_row row;
    int rc = csv_in_next(in, &row, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return cp_fail(err, CP_EXIT_INPUT, "'%s': the file is empty (expected a header row)", path);
    if (!(g->header = calloc(row.n ? row.n : 1, sizeof *g->header)))
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    g->n = row.n;
    for (size_t i = 0; i < row.n; i++) {
        size_t len;
        const char *s = trim_span(row.fields[i], row.lens[i], &len);
        if (!(g->header[i] = strndup(s, len)))
            return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    }
    if (presets_match((const char *const *)g->header, g->n, &g->pm) < 0)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    return 0;
}

int guess_read(struct guess *g, const char *path, struct cp_error *err)
{
    struct csv_row row;
    struct scan *s = calloc(1, sizeof *s);
    struct csv_in *in = NULL;
    int rc = -1;

    memset(g, 0, sizeof *g);
    if (!s) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto out;
    }
    if (strcmp(path, "-") == 0) {
        cp_fail(err, CP_EXIT_USAGE, "guess reads the export twice, so it needs a file, not "
                                    "standard input: save the export first");
        goto out;
    }
    if (!(in = csv_in_open(path, "auto", 0, err)) || read_header(g, in, path, err) < 0)
        goto out;
    snprintf(g->encoding, sizeof g->encoding, "%s", csv_in_encoding(in));
    g->delimiter = csv_in_delimiter(in);
    while (g->rows < GUESS_SCAN_ROWS && (rc = csv_in_next(in, &row, err)) > 0) {
        g->rows++;
        if (scan_row(g, s, &row) < 0) {
            rc = cp_fail(err, CP_EXIT_INPUT, "out of memory");
            break;
        }
    }
    /* A break past the header (an unbalanced quote) still leaves a header
     * and some rows to write a pipeline from: it is told, not fatal. */
    if (rc < 0 && err->code == CP_EXIT_INPUT && g->n) {
        snprintf(g->problem, sizeof g->problem, "%.500s", err->msg);
        memset(err, 0, sizeof *err);
        rc = 0;
    }
    if (rc < 0)
        goto out;
    pick_country(g, s);
    rc = 0;
out:
    csv_in_close(in);
    if (s)
        for (size_t k = 0; k < s->n_phones; k++)
            free(s->phones[k]);
    free(s);
    if (rc < 0)
        guess_release(g);
    return rc;
}

void guess_release(struct guess *g)
{
    for (size_t i = 0; g->header && i < g->n; i++)
        free(g->header[i]);
    free(g->header);
    g->header = NULL;
    g->n = 0;
}
