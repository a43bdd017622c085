/*
 * Strict UTF-8: what a JSON body and a results file may hold. Encoded
 * surrogates (ED A0 80), code points past U+10FFFF (F4 90 80 80), overlong
 * forms and stray continuation bytes are not UTF-8, whatever a lenient
 * decoder makes of them; the API refuses them and a spreadsheet garbles them.
 */
#ifndef CLOUTLY_UTF8_H
#define CLOUTLY_UTF8_H

#include <stddef.h>

/* The offset of the first byte of `p[0..len)` that does not start a valid
 * UTF-8 sequence (NUL bytes are fine: they separate packed fields), or -1
 * when all of it is valid. */
long utf8_invalid_at(const char *p, size_t len);

#endif
