/* The store column of an export and its stores' businesses: see locations.h. */
#include "guess/locations.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/suggest.h"
#include "intake/mapping.h"
#include "intake/presets.h"

/* Squashed header names of a store column: POS exports (Square's and
 * Shopify POS's "Location", Lightspeed's "Outlet"), CRMs' "Store" and
 * "Branch", and their name/id/code variants. */
static const char *const store_words[] = {"location", "store", "outlet", "branch",
                                          "shop",     "site",  "venue",  NULL};
static const char *const store_suffixes[] = {"", "name", "id", "code", "number", "no", NULL};

int location_header(const char *squashed)
{
    for (const char *const *w = store_words; *w; w++) {
        size_t wl = strlen(*w);
        const char *at = strstr(squashed, *w);
        /* "Store", "Store Name", "Sale Location", "Preferred Store ID"; not
         * "Shopify" or "Website": the word must end the name or carry one
         * of the suffixes. */
        for (; at; at = strstr(at + 1, *w))
            for (const char *const *s = store_suffixes; *s; s++)
                if (strcmp(at + wl, *s) == 0 &&
                    (at == squashed || strcmp(*w, "site") != 0) /* "Website" */)
                    return 1;
    }
    return 0;
}

int location_tally_add(struct location_tally *t, const char *cell, size_t len)
{
    const char *v = trim_span(cell, len, &len);
    if (!len) {
        t->empty++;
        return 0;
    }
    t->filled++;
    /* Stores are named in a few words: an address or a note is no store. */
    if (len > 80 || memchr(v, '@', len) || memchr(v, '\n', len))
        t->unshaped = 1;
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->values[i].value) == len && memcmp(t->values[i].value, v, len) == 0) {
            t->values[i].rows++;
            return 0;
        }
    if (t->n == LOCATION_MAX_VALUES) {
        t->too_many = 1;
        return 0;
    }
    if (!(t->values[t->n].value = strndup(v, len)))
        return -1;
    t->values[t->n++].rows = 1;
    return 0;
}

int location_tally_fits(const struct location_tally *t)
{
    if (!t->n || t->too_many || t->unshaped)
        return 0;
    /* A store column repeats its values: past a handful of rows, at most
     * one distinct value for every two rows. */
    return t->filled < 10 || (long)t->n * 2 <= t->filled;
}

void location_tally_release(struct location_tally *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->values[i].value);
    memset(t, 0, sizeof *t);
    t->col = -1;
}

/* ---- matching ------------------------------------------------------------ */

#define SQUASHED 128

/* One name inside the other ("Bondi" and "Bondi Beach Store"), long enough
 * not to be a coincidence. */
static int contains(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la >= 4 && lb >= 4 && (strstr(a, b) || strstr(b, a));
}

/* The one best of the candidates scored (lower is better; SIZE_MAX: no fit). */
static void pick(const size_t *score, size_t n, enum location_match_kind kind,
                 struct location_match *m)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (score[i] < best)
            best = score[i];
    if (best == SIZE_MAX)
        return;
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (score[i] == best) {
            if (found++)
                m->second = i;
            else
                m->best = i;
        }
    m->kind = found > 1 ? LOCATION_SEVERAL : kind;
}

void location_match(const char *value, const char *const *ids, const char *const *names, size_t n,
                    struct location_match *m)
{
    char sv[SQUASHED], sn[SQUASHED];
    size_t *score = calloc(n ? n : 1, sizeof *score);
    memset(m, 0, sizeof *m);
    m->kind = LOCATION_NONE;
    presets_squash(value, sv, sizeof sv);
    if (!score)
        return; /* out of memory: matched to nothing, which a person then sees */
    /* An id column: the value is the business id itself. */
    for (size_t i = 0; i < n; i++)
        score[i] = strcasecmp(value, ids[i]) == 0 ? 0 : SIZE_MAX;
    pick(score, n, LOCATION_EXACT, m);
    if (m->kind != LOCATION_NONE || !sv[0])
        goto out;
    for (size_t i = 0; i < n; i++) {
        presets_squash(names[i], sn, sizeof sn);
        score[i] = sn[0] && strcmp(sv, sn) == 0 ? 0 : SIZE_MAX;
    }
    pick(score, n, LOCATION_EXACT, m);
    if (m->kind != LOCATION_NONE)
        goto out;
    /* A typo: about one edit in five characters of the shorter name. */
    for (size_t i = 0; i < n; i++) {
        presets_squash(names[i], sn, sizeof sn);
        size_t shorter = strlen(sv) < strlen(sn) ? strlen(sv) : strlen(sn);
        size_t d = sn[0] ? suggest_distance(sv, sn) : SIZE_MAX;
        score[i] = d <= (shorter / 5 ? shorter / 5 : 1) ? d : SIZE_MAX;
    }
    pick(score, n, LOCATION_NEAR, m);
    if (m->kind != LOCATION_NONE)
        goto out;
    for (size_t i = 0; i < n; i++) {
        presets_squash(names[i], sn, sizeof sn);
        score[i] = contains(sv, sn) ? 0 : SIZE_MAX;
    }
    pick(score, n, LOCATION_NEAR, m);
out:
    free(score);
}
