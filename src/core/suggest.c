/* Did-you-mean: see suggest.h. */
#include "core/suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* Levenshtein over `la` and `lb` bytes, both at most SUGGEST_MAX_LEN;
 * (size_t)-1 when either is longer. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb, bool fold)
{
    size_t row[SUGGEST_MAX_LEN + 1];

    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int same = fold ? tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
                            : a[i - 1] == b[j - 1];
            size_t best = diag + !same;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

size_t suggest_distance(const char *a, const char *b)
{
    return distance(a, strlen(a), b, strlen(b), true);
}

const char *suggest_nearest(const char *word, const char *const *candidates, size_t n)
{
    size_t limit = strlen(word) / 3;
    if (limit < 2)
        limit = 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        size_t d = suggest_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

void suggest_init(struct suggest *s, const char *word, size_t limit)
{
    size_t len = strlen(word);
    s->word = word;
    s->limit = limit != SUGGEST_DEFAULT_LIMIT ? limit : len / 3 > 2 ? len / 3 : 2;
    s->best_d = (size_t)-1;
    s->best[0] = '\0';
}

void suggest_offer(struct suggest *s, const char *candidate, size_t len)
{
    size_t d = distance(s->word, strlen(s->word), candidate, len, false);
    if (d == 0 || d == (size_t)-1 || d > s->limit || d >= s->best_d)
        return;
    s->best_d = d;
    memcpy(s->best, candidate, len);
    s->best[len] = '\0';
}

const char *suggest_result(const struct suggest *s)
{
    return s->best_d != (size_t)-1 ? s->best : NULL;
}
