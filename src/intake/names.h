/*
 * Names as exports write them -> the first and last name an invite greets.
 *
 * A full-name column holds more than "Jane Citizen": "Citizen, Jane"
 * (last name first, as CRMs sort), wrapping quotes and brackets left by
 * other tools ("\"Abernethy, Mat\"", "(Anna Calhoun)"), titles ("Dr.",
 * "Mrs") that are no one's first name, and, in Stripe and POS exports, the
 * customer's email address where the name should be. An email is never a
 * name: the caller then looks elsewhere or rejects the row.
 */
#ifndef CLOUTLY_NAMES_H
#define CLOUTLY_NAMES_H

#include <stddef.h>

/* A span of a caller's buffer. */
struct name_part {
    const char *p;
    size_t len;
};

/* `v` without wrapping quotes, brackets and surrounding space. */
struct name_part name_unwrap(const char *v, size_t len);

/* 1 when `v` (trimmed) is an email address or holds one, so it is no name. */
int name_is_email(const char *v, size_t len);

/* Split a full name into first and last (last may come back empty); a
 * leading title is dropped. Both point into `v`. */
void name_split(const char *v, size_t len, struct name_part *first, struct name_part *last);

/* The first name without a leading title ("Dr. Anna" -> "Anna"); a name
 * that is only a title is kept as written. */
struct name_part name_drop_title(struct name_part n);

#endif
