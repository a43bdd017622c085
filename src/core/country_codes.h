/*
 * The two-letter region codes a phone number can be read in: ISO 3166-1
 * alpha-2 as libphonenumber knows them (plus its AC, TA and XK). The
 * pipeline's default_country is checked against this list when the file is
 * read, so `check` refuses a code that `run` could not dial with; a unit
 * test keeps the list equal to libphonenumber's regions.
 */
#ifndef CLOUTLY_COUNTRY_CODES_H
#define CLOUTLY_COUNTRY_CODES_H

#include <stdbool.h>

/* True when `code` is exactly two upper-case letters on the list. */
bool country_code_known(const char *code);

/* The right code for a common wrong one (UK -> GB, EL -> GR), or NULL. */
const char *country_code_alias(const char *code);

#endif
