/*
 * "Did you mean": the candidate nearest to a mistyped word, by edit
 * distance, for unknown commands, options and pipeline keys alike.
 *
 * Two forms: suggest_nearest() over an array of names (commands, options),
 * and a `struct suggest` that is offered candidates one at a time, for
 * sources that are no array (a key table, dotted key names built on the fly,
 * the environment's variable names). The second copies its best candidate,
 * so offered strings may be temporary; it lives on the caller's stack and
 * owns nothing outside itself.
 */
#ifndef CLOUTLY_SUGGEST_H
#define CLOUTLY_SUGGEST_H

#include <stddef.h>

#define SUGGEST_MAX_LEN 64 /* longer words and candidates are never suggested */

/* Edit distance (insert, delete, substitute; case-insensitive). */
size_t suggest_distance(const char *a, const char *b);

/* The candidate nearest to `word`, or NULL when none is close enough to be
 * a likely typo (more than a third of the word, at least 2, apart).
 * `candidates` is borrowed; the result points into it. */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

/* One candidate at a time. Distances here are case-sensitive: the caller
 * has looked the word up exactly, and `businessid` should still point at
 * `businessId`. */
struct suggest {
    const char *word;               /* what was typed (borrowed) */
    size_t limit;                   /* the furthest distance still worth suggesting */
    size_t best_d;                  /* distance of `best`; (size_t)-1 when none yet */
    char best[SUGGEST_MAX_LEN + 1]; /* the nearest candidate so far */
};

/* SUGGEST_DEFAULT_LIMIT picks max(2, len/3), as suggest_nearest does. */
#define SUGGEST_DEFAULT_LIMIT ((size_t)-1)
void suggest_init(struct suggest *s, const char *word, size_t limit);

/* Consider `candidate` (`len` bytes, no NUL needed); the first of equally
 * near candidates wins, so table order breaks ties. The word itself is never
 * suggested. */
void suggest_offer(struct suggest *s, const char *candidate, size_t len);

/* The nearest candidate within the limit (valid until `s` goes), or NULL. */
const char *suggest_result(const struct suggest *s);

#endif
