/* A contact's country as exports write it ("Australia", "AU", "UK",
 * "United States of America") -> the ISO 3166 code libphonenumber wants. */
#ifndef CLOUTLY_COUNTRY_H
#define CLOUTLY_COUNTRY_H

#include <stddef.h>

/* 1 and the two-letter code in out[3], or 0 when the value names no
 * country this knows. */
int country_code(const char *value, size_t len, char out[3]);

/* 1 when `value` is the two-letter postal code of a US state or DC (some,
 * AR, CA, DE, IN..., are countries' codes too). */
int country_is_us_state(const char *value, size_t len);

#endif
