/*
 * Email addresses as the API checks them, and the typos people make in the
 * big providers' domains (gmial.com). A typo is only reported unless
 * validate.fix_email_typos asks for it to be corrected: a domain that looks
 * wrong may still be someone's real one.
 */
#ifndef CLOUTLY_EMAIL_H
#define CLOUTLY_EMAIL_H

#include <stddef.h>

/* 1 when `email` (trimmed) has the shape the API accepts: one '@', no
 * spaces or control characters, a dot inside the domain. UTF-8 domains
 * (bücher.de) are fine. */
int email_valid(const char *email, size_t len);

/* Lower-case `len` bytes of an address in place: ASCII, and the accented
 * capitals of Latin-1 (UTF-8 C3 80-9E but the multiplication sign), so
 * RENÉE@ and renée@ are one person. Every place that compares addresses
 * (validation, dedupe, the report's review matching) keeps them so. */
void email_lower(char *s, size_t len);

/* The domain `domain` (lower case, `len` bytes) was probably meant to be,
 * e.g. "gmail.com" for "gmial.com", or NULL when it is not a known typo. */
const char *email_domain_typo(const char *domain, size_t len);

/* The known typos, for the test that every one is found: the i-th typo
 * and, in *meant, its domain; NULL past the last. */
const char *email_typo_at(size_t i, const char **meant);

#endif
