/*
 * "Did you mean": the candidate nearest to a mistyped word, by edit
 * distance, for unknown commands, options and pipeline keys alike.
 */
#ifndef CLOUTLY_SUGGEST_H
#define CLOUTLY_SUGGEST_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute; case-insensitive). */
size_t suggest_distance(const char *a, const char *b);

/* The candidate nearest to `word`, or NULL when none is close enough to be
 * a likely typo (more than a third of the word, at least 2, apart).
 * `candidates` is borrowed; the result points into it. */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

#endif
