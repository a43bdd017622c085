/*
 * The phone fast path: the common shapes of a phone number (digits, spaces,
 * "-.()" and one leading "+") parsed and typed without libphonenumber's ICU
 * regexes, from the numbering-plan metadata the installed libphonenumber
 * compiles in, with the same patterns compiled by RE2 (lazily, one region at
 * a time). It answers only when it finds a valid number; anything else (an
 * invalid number, another shape, a region whose patterns RE2 cannot take)
 * is left to libphonenumber, so every refusal and its message come from the
 * library. tests/phone_diff holds it to the library: same E.164, type and
 * region for every input it answers.
 *
 * C++ only, for phone.cc and the differential test; C code uses phone.h.
 */
#ifndef CLOUTLY_PHONE_FAST_H
#define CLOUTLY_PHONE_FAST_H

#include <cstddef>

#include <phonenumbers/phonenumberutil.h>

namespace cloutly_phone
{

struct fast_answer {
    char e164[32];
    i18n::phonenumbers::PhoneNumberUtil::PhoneNumberType type;
    char region[3]; /* "" for a non-geographic number (+800...) */
};

/*
 * Parse the number proper `p` (`n` bytes, already cleaned of labels and
 * space around it) under `region` (two upper-case letters, or "" for none).
 * true and fills `out` when the number has a plain shape and is valid;
 * false when libphonenumber must decide. Thread-safe; the metadata and the
 * compiled patterns are built once, on first use, and never change.
 */
bool fast_normalise(const char *p, size_t n, const char *region, fast_answer *out);

/* false when the fast path is off for the whole process: the compiled-in
 * metadata could not be read or does not agree with the library's answers
 * for its regions. Every number then goes to libphonenumber. */
bool fast_available();

} // namespace cloutly_phone

#endif
