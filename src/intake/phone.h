/*
 * Phone numbers: parse, validate against the real numbering plan and type,
 * through libphonenumber (plain valid numbers through a fast path over the
 * library's own metadata, phone_fast.h). phone.cc and phone_fast.cc are the
 * only C++ in the tree; this header is their surface, callable from C.
 *
 * Typing matters because an SMS to a landline spends a credit and reaches
 * nobody: PHONE_LANDLINE means the number can only be a fixed line (or a
 * number kind that cannot take an SMS, such as toll-free or premium rate).
 */
#ifndef CLOUTLY_PHONE_H
#define CLOUTLY_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum phone_type {
    PHONE_MOBILE,       /* mobile only */
    PHONE_LANDLINE,     /* fixed line only, or toll-free/premium/shared-cost/UAN/voicemail */
    PHONE_MAYBE_MOBILE, /* fixed-line-or-mobile (US/CA), VoIP, personal, pager, unknown */
    /* Named apart so a person reads what the number is; neither takes an
     * SMS. For the intake's messages: phone_result.kind names them where
     * `type` says PHONE_LANDLINE. */
    PHONE_TOLL_FREE,
    PHONE_PREMIUM
};

struct phone_result {
    char e164[32]; /* "+61412345678" when valid */
    enum phone_type type;
    /* For a PHONE_LANDLINE: PHONE_TOLL_FREE or PHONE_PREMIUM when the
     * number is one of those, else PHONE_LANDLINE; otherwise `type`. From
     * the same typing as `type`, so naming the kind costs no second parse. */
    enum phone_type kind;
    char region[3];   /* ISO region the number belongs to, e.g. "AU" */
    char reason[160]; /* when invalid: for a person, e.g.
                          "invalid phone number \"0412 345\" (too short for AU)" */
};

/*
 * Normalise `raw` (`len` bytes, UTF-8, need not be NUL-terminated).
 * `default_region` ("AU", or "" / NULL for none) is used for numbers written
 * without an international prefix. Extensions ("ext. 12", "x12") and junk
 * around the number (a leading apostrophe, "mob:", "tel:") are dropped.
 * Returns 0 and fills e164/type/region when the number is valid; -1 and
 * fills `reason` when it is not. Thread-compatible; no allocation survives.
 */
int phone_normalise(const char *raw, size_t len, const char *default_region,
                    struct phone_result *out);

/* The same answer through libphonenumber's calls alone, without the fast
 * path of phone_fast.h: the reference tests/phone_diff holds
 * phone_normalise() to. Slower; nothing else needs it. */
int phone_normalise_reference(const char *raw, size_t len, const char *default_region,
                              struct phone_result *out);

/* 1 when `region` is a region libphonenumber knows ("AU", "GB"...), else 0. */
int phone_region_known(const char *region);

/* Short name of the type for messages: "mobile", "landline", "unknown". */
const char *phone_type_name(enum phone_type t);

#ifdef __cplusplus
}
#endif

#endif
