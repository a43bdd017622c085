/* Reading an unknown export for `guess`: see guess.h. */
#include "guess/guess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intake/country.h"
#include "intake/csv_in.h"
#include "intake/mapping.h"
#include "intake/numfmt.h"
#include "intake/phone.h"

/* The markets a review tool sells in, in the order a tie is settled (the
 * product started in Australia): the regions tried for phone numbers
 * written without +country. */
static const char *const markets[] = {
    "AU", "NZ", "GB", "IE", "US", "CA", "ZA", "SG", "MY", "PH", "IN", "AE", "DE",
    "FR", "ES", "IT", "NL", "BE", "SE", "NO", "DK", "FI", "PT", "BR", "MX", "JP",
};

#define N_MARKETS (sizeof markets / sizeof *markets)

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
    long state_cells;   /* of those, two letters that are a US state's code */
    int states_only;    /* a code that is a US state's and no country's (NY, TX) */
    long state_votes;   /* state codes that are also a country's (AR, CA, DE, IN) */
    struct {
        char code[3];
        long count;
    } svotes[64]; /* their votes, counted only when no cell shows states */
    size_t n_svotes;
    char *phones[GUESS_PHONE_SAMPLES];
    size_t n_phones;
    struct location_tally stores[LOCATION_MAX_CANDIDATES]; /* columns named like stores */
    size_t n_stores;
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

/* A "Country/Region" column that holds US state codes is a state column,
 * and "AR" there is Arkansas, not Argentina. */
static int us_state(const char *v, size_t len)
{
    return country_is_us_state(v, len);
}

static void vote_state(struct scan *s, const char *code)
{
    size_t i = 0;
    while (i < s->n_svotes && strcmp(s->svotes[i].code, code) != 0)
        i++;
    if (i == s->n_svotes) {
        if (s->n_svotes == sizeof s->svotes / sizeof *s->svotes)
            return;
        memcpy(s->svotes[s->n_svotes++].code, code, 3);
    }
    s->svotes[i].count++;
}

static int scan_row(struct guess *g, struct scan *s, const struct csv_row *row)
{
    size_t len;
    const char *v = cell_of(&g->pm, MAP_COUNTRY, row, &len);
    char code[3];
    if (v) {
        s->country_cells++;
        int state = us_state(v, len);
        s->state_cells += state;
        if (state && !country_code(v, len, code))
            s->states_only = 1;
        else if (state)
            s->state_votes++;
        if (!state && country_code(v, len, code))
            vote(s, code);
        else if (state && country_code(v, len, code))
            vote_state(s, code);
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
    for (size_t k = 0; k < s->n_stores; k++) {
        size_t col = (size_t)s->stores[k].col;
        if (location_tally_add(&s->stores[k], col < row->n ? row->fields[col] : "",
                               col < row->n ? row->lens[col] : 0) < 0)
            return -1;
    }
    return 0;
}

/* The columns named like stores, before the rows are read. In an address
 * book (Google's, Outlook's) "Location" is where the person is. */
static void find_store_columns(const struct guess *g, struct scan *s)
{
    char sq[PRESET_KEY_MAX];
    const char *sys = g->pm.system ? g->pm.system->key : "";
    if (strncmp(sys, "google-contacts", 15) == 0 || strcmp(sys, "outlook") == 0)
        return;
    for (size_t i = 0; i < g->n && s->n_stores < LOCATION_MAX_CANDIDATES; i++) {
        presets_squash(g->header[i], sq, sizeof sq);
        if (location_header(sq))
            s->stores[s->n_stores++].col = (int)i;
    }
}

/* The first column named like stores whose values are stores'. */
static void pick_store_column(struct guess *g, struct scan *s)
{
    for (size_t k = 0; k < s->n_stores; k++)
        if (g->location.col < 0 && location_tally_fits(&s->stores[k])) {
            g->location = s->stores[k];
            memset(&s->stores[k], 0, sizeof s->stores[k]);
        }
}

/* Every region libphonenumber knows, the markets first (in the order a
 * tie is settled), then the rest alphabetically. */
static size_t all_regions(char (*out)[3], size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_MARKETS && n < cap; i++)
        memcpy(out[n++], markets[i], 3);
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z' && n < cap; b++) {
            char r[3] = {a, b, 0};
            size_t k = 0;
            while (k < N_MARKETS && strcmp(markets[k], r) != 0)
                k++;
            if (k == N_MARKETS && phone_region_known(r))
                memcpy(out[n++], r, 3);
        }
    return n;
}

#define MAX_REGIONS 320

/* AU, NZ, GB, IE, US, CA: where most of the product's customers are. A
 * number that fits one of them counts a little more there, so that a plan
 * that takes almost any digits (Finland's takes most Australian mobiles)
 * does not win on numbers that fit both; a fit the digits and their layout
 * make better elsewhere still wins, and an equal one is told. */
#define PRIMARY_MARKETS 6

struct region_score {
    char code[3];
    long raw;      /* score without the market's bonus: what ties are judged by */
    long score;    /* weighted: a mobile counts most */
    long national; /* numbers written nationally that are valid numbers of it */
    long mobiles;  /* of those, mobiles */
    long intl;     /* numbers written +CC that are its own */
};

/* How much the way `written` is written looks like `home`, the national
 * format of the number it was read as: 3 exactly, 2 the same groups of
 * digits ("0812345678" against "081 234 5678" is 1: same digits), else 0. */
static int format_fit(const char *written, const char *home)
{
    char w[64], h[64];
    size_t wl = 0, hl = 0;
    size_t a = 0, b = strlen(written);
    while (a < b && written[a] == ' ')
        a++;
    while (b > a && written[b - 1] == ' ')
        b--;
    if (b - a == strlen(home) && memcmp(written + a, home, b - a) == 0)
        return 3;
    /* Digit groups: each digit as 'd', each run of other characters as one '|'. */
    for (size_t i = a; i < b && wl + 1 < sizeof w; i++)
        if (written[i] >= '0' && written[i] <= '9')
            w[wl++] = 'd';
        else if (wl && w[wl - 1] != '|')
            w[wl++] = '|';
    for (const char *p = home; *p && hl + 1 < sizeof h; p++)
        if (*p >= '0' && *p <= '9')
            h[hl++] = 'd';
        else if (hl && h[hl - 1] != '|')
            h[hl++] = '|';
    while (wl && w[wl - 1] == '|')
        wl--;
    while (hl && h[hl - 1] == '|')
        hl--;
    if (wl == hl && memcmp(w, h, wl) == 0)
        return 2;
    size_t wd = 0, hd = 0;
    for (size_t i = 0; i < wl; i++)
        wd += w[i] == 'd';
    for (size_t i = 0; i < hl; i++)
        hd += h[i] == 'd';
    return wd == hd;
}

/* Where the phone numbers belong. Each region scores the numbers written
 * nationally ("0932 092 373") that are valid numbers *of that region*
 * under its rules (a number of Guernsey read with GB's rules is
 * Guernsey's), mobiles (and numbers that may be mobiles, as in the US) most: a
 * customer export is mostly mobiles, and some
 * plans (Italy's, Finland's) take almost any digits as a landline; and
 * more when the number is written as that region writes it (its trunk
 * prefix and grouping: "081 234 5678" is Thai, "0812 345 678" is not). Numbers
 * written +CC count for their own region, as much as a mobile: they say
 * outright where the file's customers are. Ties go to the earlier region
 * in all_regions(), and are told. */
#define MAX_TIED 12
static int country_of_phones(const struct scan *s, struct region_score *best,
                             struct region_score *next, char (*tied)[3], size_t *n_tied)
{
    static const int weight[] = {[PHONE_MOBILE] = 3,
                                 [PHONE_MAYBE_MOBILE] = 3,
                                 [PHONE_LANDLINE] = 1,
                                 [PHONE_TOLL_FREE] = 1,
                                 [PHONE_PREMIUM] = 1};
    char(*codes)[3] = calloc(MAX_REGIONS, sizeof *codes);
    struct region_score *r = calloc(MAX_REGIONS, sizeof *r);
    if (!codes || !r) {
        free(codes);
        free(r);
        return -1;
    }
    size_t n = all_regions(codes, MAX_REGIONS);
    struct phone_result pr;
    for (size_t i = 0; i < n; i++) {
        memcpy(r[i].code, codes[i], 3);
        for (size_t k = 0; k < s->n_phones; k++)
            if (s->phones[k][0] != '+' &&
                phone_normalise(s->phones[k], strlen(s->phones[k]), r[i].code, &pr) == 0 &&
                strcmp(pr.region, r[i].code) == 0) {
                char home[64];
                r[i].raw += weight[pr.type];
                if (phone_national_format(pr.e164, home, sizeof home) == 0)
                    r[i].raw += format_fit(s->phones[k], home);
                r[i].score += i < PRIMARY_MARKETS;
                r[i].national++;
                r[i].mobiles += pr.type == PHONE_MOBILE;
            }
    }
    for (size_t k = 0; k < s->n_phones; k++) {
        if (s->phones[k][0] != '+' ||
            phone_normalise(s->phones[k], strlen(s->phones[k]), "", &pr) < 0 || !pr.region[0])
            continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(r[i].code, pr.region) == 0) {
                r[i].raw += weight[PHONE_MOBILE];
                r[i].intl++;
                break;
            }
    }
    for (size_t i = 0; i < n; i++)
        r[i].score += r[i].raw;
    size_t b = 0, nx = n;
    for (size_t i = 1; i < n; i++)
        if (r[i].score > r[b].score || (r[i].score == r[b].score && r[i].raw > r[b].raw))
            b = i;
    for (size_t i = 0; i < n; i++)
        if (i != b && (nx == n || r[i].score > r[nx].score))
            nx = i;
    *best = r[b];
    memset(next, 0, sizeof *next);
    if (nx < n)
        *next = r[nx];
    *n_tied = 0;
    for (size_t i = 0; i < n && *n_tied < MAX_TIED; i++)
        if (i != b && r[i].raw == r[b].raw)
            memcpy(tied[(*n_tied)++], r[i].code, 3);
    free(codes);
    free(r);
    return best->score > 0;
}

static void pick_country(struct guess *g, struct scan *s)
{
    /* Codes that could be states count as countries only when no cell of
     * the column is a code only a state has. */
    for (size_t i = 0; i < s->n_svotes && !s->states_only; i++)
        for (long k = 0; k < s->svotes[i].count; k++)
            vote(s, s->svotes[i].code);
    if (s->states_only)
        g->country_column_states = 1;
    size_t best = 0;
    for (size_t i = 1; i < s->n_votes; i++)
        if (s->votes[i].count > s->votes[best].count)
            best = i;
    if (s->n_votes) {
        memcpy(g->country, s->votes[best].code, 3);
        snprintf(g->country_why, sizeof g->country_why, "from the '%s' column (%ld of %ld rows)",
                 g->header[g->pm.cols[MAP_COUNTRY][0]], s->votes[best].count, s->country_cells);
        return;
    }
    char states[120] = "";
    if (s->states_only)
        snprintf(states, sizeof states,
                 " (the '%.60s' column holds US state codes, not "
                 "countries)",
                 g->header[g->pm.cols[MAP_COUNTRY][0]]);
    struct region_score top, next;
    char tied[MAX_TIED][3];
    size_t n_tied = 0;
    int found = country_of_phones(s, &top, &next, tied, &n_tied);
    if (found > 0) {
        memcpy(g->country, top.code, 3);
        char also[120] = "";
        if (n_tied) {
            /* The digits and their layout fit several countries alike: say
             * which, so a person sets the right one. */
            size_t at = (size_t)snprintf(also, sizeof also, "; as good a fit: ");
            for (size_t i = 0; i < n_tied && at < sizeof also; i++)
                at += (size_t)snprintf(also + at, sizeof also - at, "%s%s", i ? " " : "", tied[i]);
            if (at < sizeof also)
                snprintf(also + at, sizeof also - at, " (set the right one)");
        } else if (next.score) {
            snprintf(also, sizeof also, "; next best %s (%ld valid)", next.code,
                     next.national + next.intl);
        }
        snprintf(g->country_why, sizeof g->country_why,
                 "of %zu phone numbers read, %ld are valid %s numbers written nationally "
                 "(%ld mobiles) and %ld are %s numbers written with their country code%s%s",
                 s->n_phones, top.national, top.code, top.mobiles, top.intl, top.code, also,
                 states);
    } else {
        snprintf(g->country_why, sizeof g->country_why,
                 "no country column and no phone number that says which country%s", states);
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
    g->location.col = -1;
    if (!s) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto out;
    }
    if (strcmp(path, "-") == 0) {
        cp_fail(err, CP_EXIT_USAGE,
                "guess reads the export twice, so it needs a file, not "
                "standard input: save the export first");
        goto out;
    }
    if (!(in = csv_in_open(path, "auto", 0, err)) || read_header(g, in, path, err) < 0)
        goto out;
    snprintf(g->encoding, sizeof g->encoding, "%s", csv_in_encoding(in));
    g->encoding_unsure = csv_in_encoding_unsure(in);
    g->delimiter = csv_in_delimiter(in);
    find_store_columns(g, s);
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
    pick_store_column(g, s);
    rc = 0;
out:
    csv_in_close(in);
    if (s) {
        for (size_t k = 0; k < s->n_phones; k++)
            free(s->phones[k]);
        for (size_t k = 0; k < s->n_stores; k++)
            location_tally_release(&s->stores[k]);
    }
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
    location_tally_release(&g->location);
}
