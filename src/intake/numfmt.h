/*
 * How a number is written at home: libphonenumber's national format for a
 * valid E.164 number ("+66812345678" -> "081 234 5678"). `guess` compares
 * an export's numbers with it: the digits of a number written nationally
 * fit many countries' plans, the way they are grouped and prefixed fits
 * few. And, for messages, which kind of non-mobile number a number is.
 * Kept apart from phone.h, whose job is validating a cell.
 */
#ifndef CLOUTLY_NUMFMT_H
#define CLOUTLY_NUMFMT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 and the national format in out (NUL-terminated), or -1 when `e164`
 * does not parse or the result does not fit in `cap`. Thread-compatible. */
int phone_national_format(const char *e164, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
