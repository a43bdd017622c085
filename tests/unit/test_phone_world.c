/*
 * Phone numbers of the world: phone_normalise() for each market a review
 * tool sells in, with numbers written the way people there write them. Per
 * country: mobiles in national format (with the trunk prefix where the
 * country has one), landlines, the same mobile as +CC, as 00CC from a
 * European default region and through a non-00 international prefix (011
 * from the US; 0011 from AU or 010 from JP for +1 numbers), numbers of the
 * wrong length or with an impossible prefix, and, for some, the junk and
 * extensions exported files carry.
 *
 * Every literal was checked against libphonenumber 8.12 (Debian's
 * libphonenumber-dev) with IsValidNumber() and GetNumberType(); most derive
 * from its GetExampleNumberForType() numbers. The expected types are what
 * the library says, not what a person would guess: where a plan does not
 * tell mobiles from fixed lines (US, CA, DK, MX) the type is
 * PHONE_MAYBE_MOBILE, and the "landline" of those countries is a toll-free
 * number. The rows marked "library:" record other answers that may surprise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intake/phone.h"

enum kind {
    NAT_MOBILE,   /* mobile, national format, default region = its country */
    NAT_LANDLINE, /* landline (or toll-free where no fixed-only type exists) */
    INTL_PLUS,    /* +CC ... */
    INTL_00,      /* 00 CC ... from a European default region */
    INTL_IDD,     /* 011 CC ... from US (0011 from AU, 010 from JP for +1) */
    JUNK,         /* label, apostrophe, extension around a valid number */
    INVALID,      /* wrong length or impossible prefix: refused */
    OTHER,        /* anything else worth pinning down */
    KIND_COUNT
};

struct world_case {
    const char *cc;     /* the country the row is about */
    enum kind kind;
    const char *raw;
    const char *def;    /* default region */
    const char *e164;   /* NULL: must be refused */
    enum phone_type type;
    const char *region; /* region of the number */
    const char *reason; /* exact reason when refused */
};

#define OK(cc, kind, raw, def, e164, type, region) {cc, kind, raw, def, e164, type, region, NULL}
#define BAD(cc, raw, def, reason) {cc, INVALID, raw, def, NULL, PHONE_MAYBE_MOBILE, "", reason}
#define M PHONE_MOBILE
#define L PHONE_LANDLINE
#define U PHONE_MAYBE_MOBILE

static const struct world_case cases[] = {
    /* AU */
    OK("AU", NAT_MOBILE, "0412 345 678", "AU", "+61412345678", M, "AU"),
    OK("AU", NAT_MOBILE, "0423456789", "AU", "+61423456789", M, "AU"),
    OK("AU", NAT_LANDLINE, "(02) 1234 5678", "AU", "+61212345678", L, "AU"),
    OK("AU", NAT_LANDLINE, "(03) 9123 4567", "AU", "+61391234567", L, "AU"),
    OK("AU", INTL_PLUS, "+61 412 345 678", "GB", "+61412345678", M, "AU"),
    OK("AU", INTL_00, "00 61 412 345 678", "GB", "+61412345678", M, "AU"),
    OK("AU", INTL_IDD, "011 61 412 345 678", "US", "+61412345678", M, "AU"),
    OK("AU", JUNK, "0412 345 678 ext. 12", "AU", "+61412345678", M, "AU"),
    BAD("AU", "0412 345 67", "AU", "invalid phone number \"0412 345 67\" (not a valid AU number)"),
    BAD("AU", "0612 345 678", "AU", "invalid phone number \"0612 345 678\" (not a valid AU number)"),

    /* NZ */
    OK("NZ", NAT_MOBILE, "021 123 4567", "NZ", "+64211234567", M, "NZ"),
    OK("NZ", NAT_MOBILE, "022 123 4567", "NZ", "+64221234567", M, "NZ"),
    OK("NZ", NAT_LANDLINE, "03 234 5678", "NZ", "+6432345678", L, "NZ"),
    OK("NZ", NAT_LANDLINE, "(03) 234 5678", "NZ", "+6432345678", L, "NZ"),
    OK("NZ", INTL_PLUS, "+64 21 123 4567", "AU", "+64211234567", M, "NZ"),
    OK("NZ", INTL_00, "00 64 21 123 4567", "GB", "+64211234567", M, "NZ"),
    OK("NZ", INTL_IDD, "011 64 21 123 4567", "US", "+64211234567", M, "NZ"),
    OK("NZ", JUNK, "'021 123 4567", "NZ", "+64211234567", M, "NZ"),
    BAD("NZ", "021 12", "NZ", "invalid phone number \"021 12\" (not a valid NZ number: too short)"),
    BAD("NZ", "01 234 5678", "NZ", "invalid phone number \"01 234 5678\" (not a valid NZ number)"),

    /* GB */
    OK("GB", NAT_MOBILE, "07400 123456", "GB", "+447400123456", M, "GB"),
    /* library: 07911 is in Guernsey's share of +44 7 */
    OK("GB", NAT_MOBILE, "07911 123456", "GB", "+447911123456", M, "GG"),
    OK("GB", NAT_LANDLINE, "0121 234 5678", "GB", "+441212345678", L, "GB"),
    OK("GB", NAT_LANDLINE, "020 7946 0958", "GB", "+442079460958", L, "GB"),
    OK("GB", INTL_PLUS, "+44 7400 123456", "AU", "+447400123456", M, "GB"),
    OK("GB", INTL_PLUS, "+44 (0)7400 123456", "GB", "+447400123456", M, "GB"),
    OK("GB", INTL_00, "0044 7400 123456", "DE", "+447400123456", M, "GB"),
    OK("GB", INTL_IDD, "011 44 7400 123456", "US", "+447400123456", M, "GB"),
    OK("GB", JUNK, "'+44 7400 123456", "GB", "+447400123456", M, "GB"),
    OK("GB", JUNK, "07400 123456 ext. 12", "GB", "+447400123456", M, "GB"),
    BAD("GB", "07400 12345", "GB", "invalid phone number \"07400 12345\" (not a valid GB number)"),
    BAD("GB", "07400 1234567", "GB",
        "invalid phone number \"07400 1234567\" (not a valid GB number: too long)"),
    BAD("GB", "06911 123456", "GB", "invalid phone number \"06911 123456\" (not a valid GB number)"),

    /* IE */
    OK("IE", NAT_MOBILE, "087 123 4567", "IE", "+353871234567", M, "IE"),
    OK("IE", NAT_MOBILE, "085 012 3456", "IE", "+353850123456", M, "IE"),
    OK("IE", NAT_LANDLINE, "(01) 234 5678", "IE", "+35312345678", L, "IE"),
    OK("IE", NAT_LANDLINE, "(022) 12345", "IE", "+3532212345", L, "IE"),
    OK("IE", INTL_PLUS, "+353 87 123 4567", "GB", "+353871234567", M, "IE"),
    OK("IE", INTL_PLUS, "+353 (0)87 123 4567", "IE", "+353871234567", M, "IE"),
    OK("IE", INTL_00, "00353 87 123 4567", "DE", "+353871234567", M, "IE"),
    OK("IE", INTL_IDD, "011 353 87 123 4567", "US", "+353871234567", M, "IE"),
    BAD("IE", "087 123 456", "IE", "invalid phone number \"087 123 456\" (not a valid IE number)"),
    BAD("IE", "081 123 4567", "IE", "invalid phone number \"081 123 4567\" (not a valid IE number)"),

    /* US: the plan does not tell mobiles from fixed lines */
    OK("US", NAT_MOBILE, "(201) 555-0123", "US", "+12015550123", U, "US"),
    OK("US", NAT_MOBILE, "201-555-0123", "US", "+12015550123", U, "US"),
    OK("US", NAT_MOBILE, "1 (201) 555-0123", "US", "+12015550123", U, "US"),
    OK("US", NAT_LANDLINE, "1-800-234-5678", "US", "+18002345678", L, "US"), /* toll-free */
    OK("US", INTL_PLUS, "+1 201 555 0123", "GB", "+12015550123", U, "US"),
    OK("US", INTL_00, "00 1 201 555 0123", "FR", "+12015550123", U, "US"),
    OK("US", INTL_IDD, "010 1 201 555 0123", "JP", "+12015550123", U, "US"),
    OK("US", JUNK, "'(201) 555-0123 ext. 12", "US", "+12015550123", U, "US"),
    OK("US", JUNK, "mob: 1 (201) 555-0123", "US", "+12015550123", U, "US"),
    BAD("US", "(201) 555-012", "US",
        "invalid phone number \"(201) 555-012\" (not a valid US number: too short)"),
    BAD("US", "(101) 555-0123", "US", "invalid phone number \"(101) 555-0123\" (not a valid US number)"),
    BAD("US", "(201) 155-0123", "US", "invalid phone number \"(201) 155-0123\" (not a valid US number)"),

    /* CA */
    OK("CA", NAT_MOBILE, "(416) 234-5678", "CA", "+14162345678", U, "CA"),
    OK("CA", NAT_MOBILE, "604-555-0123", "CA", "+16045550123", U, "CA"),
    OK("CA", OTHER, "(416) 234-5678", "US", "+14162345678", U, "CA"),
    /* library: toll-free +1 numbers belong to the US whatever the default */
    OK("CA", NAT_LANDLINE, "1-800-234-5678", "CA", "+18002345678", L, "US"),
    OK("CA", INTL_PLUS, "+1 416 234 5678", "FR", "+14162345678", U, "CA"),
    OK("CA", INTL_00, "00 1 416 234 5678", "NL", "+14162345678", U, "CA"),
    OK("CA", INTL_IDD, "0011 1 416 234 5678", "AU", "+14162345678", U, "CA"),
    OK("CA", JUNK, "Cell: (416) 234-5678 x 7", "CA", "+14162345678", U, "CA"),
    BAD("CA", "(416) 234-567", "CA",
        "invalid phone number \"(416) 234-567\" (not a valid CA number: too short)"),
    BAD("CA", "(416) 134-5678", "CA", "invalid phone number \"(416) 134-5678\" (not a valid CA number)"),

    /* ZA */
    OK("ZA", NAT_MOBILE, "082 123 4567", "ZA", "+27821234567", M, "ZA"),
    OK("ZA", NAT_MOBILE, "071 123 4567", "ZA", "+27711234567", M, "ZA"),
    OK("ZA", NAT_LANDLINE, "021 123 4567", "ZA", "+27211234567", L, "ZA"),
    /* Johannesburg: 011 is the trunk prefix and area code here, not an IDD */
    OK("ZA", NAT_LANDLINE, "011 234 5678", "ZA", "+27112345678", L, "ZA"),
    OK("ZA", INTL_PLUS, "+27 82 123 4567", "GB", "+27821234567", M, "ZA"),
    OK("ZA", INTL_00, "0027 82 123 4567", "DE", "+27821234567", M, "ZA"),
    OK("ZA", INTL_IDD, "011 27 82 123 4567", "US", "+27821234567", M, "ZA"),
    OK("ZA", JUNK, "cell: 082 123 4567", "ZA", "+27821234567", M, "ZA"),
    /* library: 08[1-4] mobiles may have 5 to 9 digits, so one digit short passes */
    OK("ZA", OTHER, "082 123 456", "ZA", "+2782123456", M, "ZA"),
    BAD("ZA", "082 123 45678", "ZA",
        "invalid phone number \"082 123 45678\" (not a valid ZA number: too long)"),
    BAD("ZA", "071 123 456", "ZA", "invalid phone number \"071 123 456\" (not a valid ZA number)"),
    BAD("ZA", "097 123 4567", "ZA", "invalid phone number \"097 123 4567\" (not a valid ZA number)"),

    /* SG: no trunk prefix */
    OK("SG", NAT_MOBILE, "8123 4567", "SG", "+6581234567", M, "SG"),
    OK("SG", NAT_MOBILE, "9123 4567", "SG", "+6591234567", M, "SG"),
    OK("SG", NAT_LANDLINE, "6123 4567", "SG", "+6561234567", L, "SG"),
    OK("SG", INTL_PLUS, "+65 9123 4567", "MY", "+6591234567", M, "SG"),
    OK("SG", INTL_00, "0065 9123 4567", "DE", "+6591234567", M, "SG"),
    OK("SG", INTL_IDD, "011 65 9123 4567", "US", "+6591234567", M, "SG"),
    OK("SG", JUNK, "mob: 9123 4567", "SG", "+6591234567", M, "SG"),
    BAD("SG", "9123 456", "SG", "invalid phone number \"9123 456\" (not a valid SG number: too short)"),
    BAD("SG", "5123 4567", "SG", "invalid phone number \"5123 4567\" (not a valid SG number)"),

    /* MY */
    OK("MY", NAT_MOBILE, "012-345 6789", "MY", "+60123456789", M, "MY"),
    OK("MY", NAT_MOBILE, "011-1234 5678", "MY", "+601112345678", M, "MY"),
    OK("MY", NAT_LANDLINE, "03-2385 6789", "MY", "+60323856789", L, "MY"),
    OK("MY", INTL_PLUS, "+60 12-345 6789", "SG", "+60123456789", M, "MY"),
    OK("MY", INTL_00, "0060 12-345 6789", "DE", "+60123456789", M, "MY"),
    OK("MY", INTL_IDD, "011 60 12 345 6789", "US", "+60123456789", M, "MY"),
    BAD("MY", "012-345 678", "MY", "invalid phone number \"012-345 678\" (not a valid MY number)"),
    BAD("MY", "02-2385 6789", "MY", "invalid phone number \"02-2385 6789\" (not a valid MY number)"),

    /* PH */
    OK("PH", NAT_MOBILE, "0917 123 4567", "PH", "+639171234567", M, "PH"),
    OK("PH", NAT_MOBILE, "0905-123-4567", "PH", "+639051234567", M, "PH"),
    OK("PH", NAT_LANDLINE, "(02) 8123 4567", "PH", "+63281234567", L, "PH"),
    OK("PH", INTL_PLUS, "+63 917 123 4567", "AU", "+639171234567", M, "PH"),
    OK("PH", INTL_00, "0063 917 123 4567", "DE", "+639171234567", M, "PH"),
    OK("PH", INTL_IDD, "011 63 917 123 4567", "US", "+639171234567", M, "PH"),
    OK("PH", JUNK, "'0917 123 4567", "PH", "+639171234567", M, "PH"),
    OK("PH", JUNK, "0917 123 4567 ext. 12", "PH", "+639171234567", M, "PH"),
    BAD("PH", "0917 123 456", "PH", "invalid phone number \"0917 123 456\" (not a valid PH number)"),
    BAD("PH", "0117 123 4567", "PH", "invalid phone number \"0117 123 4567\" (not a valid PH number)"),

    /* IN: mobiles are written with or without the trunk 0 */
    OK("IN", NAT_MOBILE, "98765 43210", "IN", "+919876543210", M, "IN"),
    OK("IN", NAT_MOBILE, "098765 43210", "IN", "+919876543210", M, "IN"),
    OK("IN", NAT_MOBILE, "081234 56789", "IN", "+918123456789", M, "IN"),
    /* Delhi: 011 is the trunk prefix and area code here, not an IDD */
    OK("IN", NAT_LANDLINE, "011 2345 6789", "IN", "+911123456789", L, "IN"),
    OK("IN", NAT_LANDLINE, "022 2345 6789", "IN", "+912223456789", L, "IN"),
    /* library: its own FIXED_LINE example is typed fixed-line-or-mobile */
    OK("IN", OTHER, "074104 10123", "IN", "+917410410123", U, "IN"),
    OK("IN", INTL_PLUS, "+91 98765 43210", "AE", "+919876543210", M, "IN"),
    OK("IN", INTL_00, "0091 98765 43210", "GB", "+919876543210", M, "IN"),
    OK("IN", INTL_IDD, "011 91 98765 43210", "US", "+919876543210", M, "IN"),
    OK("IN", JUNK, "+91 98765 43210 x12", "IN", "+919876543210", M, "IN"),
    OK("IN", JUNK, "mobile: 98765 43210", "IN", "+919876543210", M, "IN"),
    BAD("IN", "98765 4321", "IN", "invalid phone number \"98765 4321\" (not a valid IN number: too short)"),
    BAD("IN", "55555 55555", "IN", "invalid phone number \"55555 55555\" (not a valid IN number)"),

    /* AE */
    OK("AE", NAT_MOBILE, "050 123 4567", "AE", "+971501234567", M, "AE"),
    OK("AE", NAT_MOBILE, "055 123 4567", "AE", "+971551234567", M, "AE"),
    OK("AE", NAT_LANDLINE, "02 234 5678", "AE", "+97122345678", L, "AE"),
    OK("AE", NAT_LANDLINE, "04 234 5678", "AE", "+97142345678", L, "AE"),
    OK("AE", INTL_PLUS, "+971 50 123 4567", "GB", "+971501234567", M, "AE"),
    OK("AE", INTL_00, "00971 50 123 4567", "DE", "+971501234567", M, "AE"),
    OK("AE", INTL_IDD, "011 971 50 123 4567", "US", "+971501234567", M, "AE"),
    OK("AE", JUNK, "mob: 050 123 4567", "AE", "+971501234567", M, "AE"),
    BAD("AE", "050 123 456", "AE", "invalid phone number \"050 123 456\" (not a valid AE number)"),
    BAD("AE", "059 123 4567", "AE", "invalid phone number \"059 123 4567\" (not a valid AE number)"),

    /* DE */
    OK("DE", NAT_MOBILE, "0151 23456789", "DE", "+4915123456789", M, "DE"),
    OK("DE", NAT_MOBILE, "0176 12345678", "DE", "+4917612345678", M, "DE"),
    OK("DE", NAT_MOBILE, "0171 1234567", "DE", "+491711234567", M, "DE"),
    OK("DE", NAT_LANDLINE, "030 12345678", "DE", "+493012345678", L, "DE"),
    OK("DE", NAT_LANDLINE, "089 1234567", "DE", "+49891234567", L, "DE"),
    OK("DE", INTL_PLUS, "+49 151 23456789", "FR", "+4915123456789", M, "DE"),
    OK("DE", INTL_PLUS, "+49 (0)151 23456789", "DE", "+4915123456789", M, "DE"),
    OK("DE", INTL_00, "0049 151 23456789", "GB", "+4915123456789", M, "DE"),
    OK("DE", INTL_IDD, "011 49 151 23456789", "US", "+4915123456789", M, "DE"),
    OK("DE", JUNK, "mob: 0151 23456789", "DE", "+4915123456789", M, "DE"),
    OK("DE", JUNK, "0151 23456789 ext. 12", "DE", "+4915123456789", M, "DE"),
    BAD("DE", "0151 2345678", "DE", "invalid phone number \"0151 2345678\" (not a valid DE number)"),
    BAD("DE", "0131 23456789", "DE", "invalid phone number \"0131 23456789\" (not a valid DE number)"),

    /* FR */
    OK("FR", NAT_MOBILE, "06 12 34 56 78", "FR", "+33612345678", M, "FR"),
    OK("FR", NAT_MOBILE, "07 81 23 45 67", "FR", "+33781234567", M, "FR"),
    OK("FR", NAT_MOBILE, "06.12.34.56.78", "FR", "+33612345678", M, "FR"),
    OK("FR", NAT_LANDLINE, "01 23 45 67 89", "FR", "+33123456789", L, "FR"),
    OK("FR", NAT_LANDLINE, "04 91 12 34 56", "FR", "+33491123456", L, "FR"),
    OK("FR", INTL_PLUS, "+33 6 12 34 56 78", "BE", "+33612345678", M, "FR"),
    OK("FR", INTL_PLUS, "+33 (0)6 12 34 56 78", "FR", "+33612345678", M, "FR"),
    OK("FR", INTL_00, "0033 6 12 34 56 78", "DE", "+33612345678", M, "FR"),
    OK("FR", INTL_IDD, "011 33 6 12 34 56 78", "US", "+33612345678", M, "FR"),
    OK("FR", JUNK, "'06 12 34 56 78", "FR", "+33612345678", M, "FR"),
    OK("FR", JUNK, "06 12 34 56 78 ext. 12", "FR", "+33612345678", M, "FR"),
    BAD("FR", "06 12 34 56 7", "FR", "invalid phone number \"06 12 34 56 7\" (not a valid FR number)"),
    /* library: 07 01 to 07 29 are not mobile ranges in 8.12 */
    BAD("FR", "07 12 34 56 78", "FR", "invalid phone number \"07 12 34 56 78\" (not a valid FR number)"),

    /* ES: no trunk prefix */
    OK("ES", NAT_MOBILE, "612 34 56 78", "ES", "+34612345678", M, "ES"),
    OK("ES", NAT_MOBILE, "612 345 678", "ES", "+34612345678", M, "ES"),
    OK("ES", NAT_LANDLINE, "91 123 45 67", "ES", "+34911234567", L, "ES"),
    OK("ES", INTL_PLUS, "+34 612 34 56 78", "FR", "+34612345678", M, "ES"),
    OK("ES", INTL_00, "0034 612 34 56 78", "DE", "+34612345678", M, "ES"),
    OK("ES", INTL_IDD, "011 34 612 34 56 78", "US", "+34612345678", M, "ES"),
    OK("ES", JUNK, "'+34 612 34 56 78", "ES", "+34612345678", M, "ES"),
    OK("ES", JUNK, "612 34 56 78 ext. 12", "ES", "+34612345678", M, "ES"),
    BAD("ES", "612 34 56 7", "ES", "invalid phone number \"612 34 56 7\" (not a valid ES number: too short)"),
    BAD("ES", "012 34 56 78", "ES", "invalid phone number \"012 34 56 78\" (not a valid ES number)"),

    /* IT: mobiles have no trunk prefix; the 0 of a landline stays in E.164 */
    OK("IT", NAT_MOBILE, "347 123 4567", "IT", "+393471234567", M, "IT"),
    OK("IT", NAT_MOBILE, "333 1234567", "IT", "+393331234567", M, "IT"),
    OK("IT", NAT_LANDLINE, "02 1234 5678", "IT", "+390212345678", L, "IT"),
    OK("IT", NAT_LANDLINE, "06 1234 5678", "IT", "+390612345678", L, "IT"),
    OK("IT", INTL_PLUS, "+39 347 123 4567", "DE", "+393471234567", M, "IT"),
    OK("IT", INTL_00, "0039 347 123 4567", "FR", "+393471234567", M, "IT"),
    OK("IT", INTL_00, "0039 06 1234 5678", "DE", "+390612345678", L, "IT"),
    OK("IT", INTL_IDD, "011 39 347 123 4567", "US", "+393471234567", M, "IT"),
    OK("IT", JUNK, "tel: +39 347 123 4567", "IT", "+393471234567", M, "IT"),
    /* library: a mobile with one digit too many is a valid voicemail number */
    OK("IT", OTHER, "347 123 45678", "IT", "+3934712345678", L, "IT"),
    BAD("IT", "347 12", "IT", "invalid phone number \"347 12\" (not a valid IT number: too short)"),
    BAD("IT", "447 123 4567", "IT", "invalid phone number \"447 123 4567\" (not a valid IT number)"),

    /* NL */
    OK("NL", NAT_MOBILE, "06 12345678", "NL", "+31612345678", M, "NL"),
    OK("NL", NAT_MOBILE, "06-12345678", "NL", "+31612345678", M, "NL"),
    OK("NL", NAT_LANDLINE, "010 123 4567", "NL", "+31101234567", L, "NL"),
    OK("NL", NAT_LANDLINE, "020 123 4567", "NL", "+31201234567", L, "NL"),
    OK("NL", INTL_PLUS, "+31 6 12345678", "BE", "+31612345678", M, "NL"),
    OK("NL", INTL_PLUS, "+31 (0)6 12345678", "NL", "+31612345678", M, "NL"),
    OK("NL", INTL_00, "0031 6 12345678", "DE", "+31612345678", M, "NL"),
    OK("NL", INTL_IDD, "011 31 6 12345678", "US", "+31612345678", M, "NL"),
    OK("NL", JUNK, "06-12345678 ext. 3", "NL", "+31612345678", M, "NL"),
    BAD("NL", "06 1234567", "NL", "invalid phone number \"06 1234567\" (not a valid NL number: too short)"),
    BAD("NL", "01 1234 5678", "NL", "invalid phone number \"01 1234 5678\" (not a valid NL number)"),

    /* BE */
    OK("BE", NAT_MOBILE, "0470 12 34 56", "BE", "+32470123456", M, "BE"),
    OK("BE", NAT_MOBILE, "0478 12 34 56", "BE", "+32478123456", M, "BE"),
    OK("BE", NAT_LANDLINE, "012 34 56 78", "BE", "+3212345678", L, "BE"),
    OK("BE", NAT_LANDLINE, "02 555 12 34", "BE", "+3225551234", L, "BE"),
    OK("BE", INTL_PLUS, "+32 470 12 34 56", "NL", "+32470123456", M, "BE"),
    OK("BE", INTL_PLUS, "+32 (0)470 12 34 56", "BE", "+32470123456", M, "BE"),
    OK("BE", INTL_00, "0032 470 12 34 56", "DE", "+32470123456", M, "BE"),
    OK("BE", INTL_IDD, "011 32 470 12 34 56", "US", "+32470123456", M, "BE"),
    BAD("BE", "0470 12 34 5", "BE", "invalid phone number \"0470 12 34 5\" (not a valid BE number)"),
    BAD("BE", "0420 12 34 56", "BE", "invalid phone number \"0420 12 34 56\" (not a valid BE number)"),

    /* SE */
    OK("SE", NAT_MOBILE, "070-123 45 67", "SE", "+46701234567", M, "SE"),
    OK("SE", NAT_MOBILE, "073-123 45 67", "SE", "+46731234567", M, "SE"),
    OK("SE", NAT_MOBILE, "0701234567", "SE", "+46701234567", M, "SE"),
    OK("SE", NAT_LANDLINE, "08-12 34 56", "SE", "+468123456", L, "SE"),
    OK("SE", NAT_LANDLINE, "031-123 45 67", "SE", "+46311234567", L, "SE"),
    OK("SE", INTL_PLUS, "+46 70 123 45 67", "NO", "+46701234567", M, "SE"),
    OK("SE", INTL_PLUS, "+46 (0)70 123 45 67", "SE", "+46701234567", M, "SE"),
    OK("SE", INTL_00, "0046 70 123 45 67", "DE", "+46701234567", M, "SE"),
    OK("SE", INTL_IDD, "011 46 70 123 45 67", "US", "+46701234567", M, "SE"),
    BAD("SE", "070-123 45 678", "SE",
        "invalid phone number \"070-123 45 678\" (not a valid SE number: too long)"),
    BAD("SE", "071-123 45 67", "SE", "invalid phone number \"071-123 45 67\" (not a valid SE number)"),

    /* NO: no trunk prefix */
    OK("NO", NAT_MOBILE, "912 34 567", "NO", "+4791234567", M, "NO"),
    OK("NO", NAT_MOBILE, "406 12 345", "NO", "+4740612345", M, "NO"),
    OK("NO", NAT_LANDLINE, "21 23 45 67", "NO", "+4721234567", L, "NO"),
    OK("NO", NAT_LANDLINE, "22 12 34 56", "NO", "+4722123456", L, "NO"),
    OK("NO", INTL_PLUS, "+47 912 34 567", "SE", "+4791234567", M, "NO"),
    OK("NO", INTL_00, "0047 912 34 567", "DE", "+4791234567", M, "NO"),
    OK("NO", INTL_IDD, "011 47 912 34 567", "US", "+4791234567", M, "NO"),
    BAD("NO", "912 34 56", "NO", "invalid phone number \"912 34 56\" (not a valid NO number: too short)"),
    BAD("NO", "112 34 567", "NO", "invalid phone number \"112 34 567\" (not a valid NO number)"),

    /* DK: no trunk prefix, and the plan does not tell mobiles from fixed lines */
    OK("DK", NAT_MOBILE, "20 12 34 56", "DK", "+4520123456", U, "DK"),
    OK("DK", NAT_MOBILE, "40 12 34 56", "DK", "+4540123456", U, "DK"),
    OK("DK", NAT_LANDLINE, "80 12 34 56", "DK", "+4580123456", L, "DK"), /* toll-free */
    OK("DK", INTL_PLUS, "+45 20 12 34 56", "SE", "+4520123456", U, "DK"),
    OK("DK", INTL_00, "0045 20 12 34 56", "DE", "+4520123456", U, "DK"),
    OK("DK", INTL_IDD, "011 45 20 12 34 56", "US", "+4520123456", U, "DK"),
    BAD("DK", "20 12 34 5", "DK", "invalid phone number \"20 12 34 5\" (not a valid DK number: too short)"),
    BAD("DK", "10 12 34 56", "DK", "invalid phone number \"10 12 34 56\" (not a valid DK number)"),

    /* FI */
    OK("FI", NAT_MOBILE, "040 123 4567", "FI", "+358401234567", M, "FI"),
    OK("FI", NAT_MOBILE, "041 2345678", "FI", "+358412345678", M, "FI"),
    OK("FI", NAT_MOBILE, "050 123 4567", "FI", "+358501234567", M, "FI"),
    OK("FI", NAT_LANDLINE, "09 123 4567", "FI", "+35891234567", L, "FI"),
    OK("FI", NAT_LANDLINE, "013 1234567", "FI", "+358131234567", L, "FI"),
    OK("FI", INTL_PLUS, "+358 40 123 4567", "SE", "+358401234567", M, "FI"),
    OK("FI", INTL_PLUS, "+358 (0)40 123 4567", "FI", "+358401234567", M, "FI"),
    OK("FI", INTL_00, "00358 40 123 4567", "DE", "+358401234567", M, "FI"),
    OK("FI", INTL_IDD, "011 358 40 123 4567", "US", "+358401234567", M, "FI"),
    /* library: Finnish mobiles may be as short as 6 digits */
    OK("FI", OTHER, "040 1234", "FI", "+358401234", M, "FI"),
    BAD("FI", "040 123 456789", "FI",
        "invalid phone number \"040 123 456789\" (not a valid FI number: too long)"),
    BAD("FI", "01 123 4567", "FI", "invalid phone number \"01 123 4567\" (not a valid FI number)"),

    /* PT: no trunk prefix */
    OK("PT", NAT_MOBILE, "912 345 678", "PT", "+351912345678", M, "PT"),
    OK("PT", NAT_MOBILE, "961 234 567", "PT", "+351961234567", M, "PT"),
    OK("PT", NAT_LANDLINE, "21 234 5678", "PT", "+351212345678", L, "PT"),
    OK("PT", NAT_LANDLINE, "22 123 4567", "PT", "+351221234567", L, "PT"),
    OK("PT", INTL_PLUS, "+351 912 345 678", "ES", "+351912345678", M, "PT"),
    OK("PT", INTL_00, "00351 912 345 678", "FR", "+351912345678", M, "PT"),
    OK("PT", INTL_IDD, "011 351 912 345 678", "US", "+351912345678", M, "PT"),
    BAD("PT", "912 345 67", "PT", "invalid phone number \"912 345 67\" (not a valid PT number: too short)"),
    BAD("PT", "512 345 678", "PT", "invalid phone number \"512 345 678\" (not a valid PT number)"),

    /* BR */
    OK("BR", NAT_MOBILE, "(11) 96123-4567", "BR", "+5511961234567", M, "BR"),
    OK("BR", NAT_MOBILE, "(21) 99876-5432", "BR", "+5521998765432", M, "BR"),
    OK("BR", NAT_MOBILE, "(011) 96123-4567", "BR", "+5511961234567", M, "BR"),
    OK("BR", NAT_MOBILE, "0 21 11 96123-4567", "BR", "+5511961234567", M, "BR"), /* carrier 21 */
    OK("BR", NAT_LANDLINE, "(11) 2345-6789", "BR", "+551123456789", L, "BR"),
    OK("BR", NAT_LANDLINE, "(21) 2345-6789", "BR", "+552123456789", L, "BR"),
    OK("BR", INTL_PLUS, "+55 11 96123-4567", "PT", "+5511961234567", M, "BR"),
    OK("BR", INTL_00, "0055 11 96123-4567", "DE", "+5511961234567", M, "BR"),
    OK("BR", INTL_IDD, "011 55 11 96123-4567", "US", "+5511961234567", M, "BR"),
    OK("BR", JUNK, "Tel: (11) 96123-4567", "BR", "+5511961234567", M, "BR"),
    OK("BR", JUNK, "'+55 11 96123-4567", "BR", "+5511961234567", M, "BR"),
    BAD("BR", "(11) 96123-456", "BR", "invalid phone number \"(11) 96123-456\" (not a valid BR number)"),
    BAD("BR", "(11) 86123-4567", "BR", "invalid phone number \"(11) 86123-4567\" (not a valid BR number)"),
    BAD("BR", "(10) 96123-4567", "BR", "invalid phone number \"(10) 96123-4567\" (not a valid BR number)"),

    /* MX: since 2019 one 10-digit plan, which does not tell mobiles from
     * fixed lines; the old mobile prefixes (044/045, +52 1) are dropped */
    OK("MX", NAT_MOBILE, "55 1234 5678", "MX", "+525512345678", U, "MX"),
    OK("MX", NAT_MOBILE, "81 1234 5678", "MX", "+528112345678", U, "MX"),
    OK("MX", NAT_MOBILE, "044 55 1234 5678", "MX", "+525512345678", U, "MX"),
    OK("MX", INTL_PLUS, "+52 1 55 1234 5678", "MX", "+525512345678", U, "MX"),
    OK("MX", NAT_LANDLINE, "800 123 4567", "MX", "+528001234567", L, "MX"), /* toll-free */
    /* library: 200/201 are the only fixed-line-only ranges in its MX data;
     * a Mexico City landline is typed like a mobile */
    OK("MX", NAT_LANDLINE, "200 123 4567", "MX", "+522001234567", L, "MX"),
    OK("MX", OTHER, "55 5123 4567", "MX", "+525551234567", U, "MX"),
    OK("MX", INTL_PLUS, "+52 55 1234 5678", "US", "+525512345678", U, "MX"),
    OK("MX", INTL_00, "0052 55 1234 5678", "ES", "+525512345678", U, "MX"),
    OK("MX", INTL_IDD, "011 52 55 1234 5678", "US", "+525512345678", U, "MX"),
    OK("MX", INTL_IDD, "011 52 1 55 1234 5678", "US", "+525512345678", U, "MX"),
    OK("MX", JUNK, "cel: 55 1234 5678", "MX", "+525512345678", U, "MX"),
    BAD("MX", "55 1234 567", "MX", "invalid phone number \"55 1234 567\" (not a valid MX number: too short)"),
    BAD("MX", "05 1234 5678", "MX", "invalid phone number \"05 1234 5678\" (not a valid MX number)"),

    /* JP */
    OK("JP", NAT_MOBILE, "090-1234-5678", "JP", "+819012345678", M, "JP"),
    OK("JP", NAT_MOBILE, "080-1234-5678", "JP", "+818012345678", M, "JP"),
    OK("JP", NAT_MOBILE, "09012345678", "JP", "+819012345678", M, "JP"),
    OK("JP", NAT_LANDLINE, "03-1234-5678", "JP", "+81312345678", L, "JP"),
    OK("JP", NAT_LANDLINE, "06-6123-4567", "JP", "+81661234567", L, "JP"),
    OK("JP", INTL_PLUS, "+81 90-1234-5678", "US", "+819012345678", M, "JP"),
    OK("JP", INTL_PLUS, "+81 (0)90-1234-5678", "JP", "+819012345678", M, "JP"),
    OK("JP", INTL_00, "0081 90 1234 5678", "DE", "+819012345678", M, "JP"),
    OK("JP", INTL_IDD, "011 81 90 1234 5678", "US", "+819012345678", M, "JP"),
    OK("JP", JUNK, "090-1234-5678 ext. 12", "JP", "+819012345678", M, "JP"),
    OK("JP", JUNK, "mob: 090-1234-5678", "JP", "+819012345678", M, "JP"),
    OK("JP", OTHER, "050-1234-5678", "JP", "+815012345678", U, "JP"), /* VoIP */
    BAD("JP", "090-1234-567", "JP", "invalid phone number \"090-1234-567\" (not a valid JP number)"),
    BAD("JP", "060-1234-5678", "JP", "invalid phone number \"060-1234-5678\" (not a valid JP number)"),
    /* library: 010 is Japan's IDD, so this reads as +1 2345678 */
    BAD("JP", "010-1234-5678", "JP",
        "invalid phone number \"010-1234-5678\" (not a valid US number: no area code)"),
};

#undef OK
#undef BAD
#undef M
#undef L
#undef U

#define N_CASES (sizeof cases / sizeof cases[0])

static void test_world_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        const struct world_case *c = &cases[i];
        struct phone_result r;
        memset(&r, 'X', sizeof r); /* stale content must not survive */
        int rc = phone_normalise(c->raw, strlen(c->raw), c->def, &r);
        assert_non_null(memchr(r.e164, '\0', sizeof r.e164));
        assert_non_null(memchr(r.region, '\0', sizeof r.region));
        assert_non_null(memchr(r.reason, '\0', sizeof r.reason));
        if (c->e164) {
            if (rc != 0 || strcmp(r.e164, c->e164) != 0 || r.type != c->type ||
                strcmp(r.region, c->region) != 0 || r.reason[0] != '\0')
                print_error("case %zu %s [%s] default %s: rc %d e164 %s type %s region %s reason %s\n",
                            i, c->cc, c->raw, c->def, rc, r.e164, phone_type_name(r.type), r.region,
                            r.reason);
            assert_int_equal(rc, 0);
            assert_string_equal(r.e164, c->e164);
            assert_int_equal(r.type, c->type);
            assert_string_equal(r.region, c->region);
            assert_string_equal(r.reason, "");

            /* the E.164 it gives is itself read back as the same number */
            struct phone_result again;
            assert_int_equal(phone_normalise(r.e164, strlen(r.e164), NULL, &again), 0);
            assert_string_equal(again.e164, c->e164);
            assert_int_equal(again.type, c->type);
            assert_string_equal(again.region, c->region);
        } else {
            if (rc != -1 || strcmp(r.reason, c->reason) != 0)
                print_error("case %zu %s [%s] default %s: rc %d reason [%s], want [%s]\n", i, c->cc,
                            c->raw, c->def, rc, r.reason, c->reason);
            assert_int_equal(rc, -1);
            assert_string_equal(r.reason, c->reason);
            assert_string_equal(r.e164, "");
            assert_string_equal(r.region, "");
        }
    }
}

static int is_european(const char *region)
{
    static const char *const europe[] = {"GB", "IE", "DE", "FR", "ES", "IT", "NL",
                                         "BE", "SE", "NO", "DK", "FI", "PT"};
    for (size_t i = 0; i < sizeof europe / sizeof europe[0]; i++)
        if (strcmp(region, europe[i]) == 0)
            return 1;
    return 0;
}

/* The table is the proof: every market has every kind of row, and each row
 * is what its kind says it is. */
static void test_every_market_covered(void **state)
{
    (void)state;
    static const char *const markets[] = {"AU", "NZ", "GB", "IE", "US", "CA", "ZA", "SG", "MY",
                                          "PH", "IN", "AE", "DE", "FR", "ES", "IT", "NL", "BE",
                                          "SE", "NO", "DK", "FI", "PT", "BR", "MX", "JP"};
    static const enum kind required[] = {NAT_MOBILE, NAT_LANDLINE, INTL_PLUS,
                                         INTL_00,    INTL_IDD,     INVALID};
    const size_t n_markets = sizeof markets / sizeof markets[0];
    size_t with_junk = 0;

    for (size_t m = 0; m < n_markets; m++) {
        size_t count[KIND_COUNT] = {0};
        for (size_t i = 0; i < N_CASES; i++)
            if (strcmp(cases[i].cc, markets[m]) == 0)
                count[cases[i].kind]++;
        for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
            if (count[required[k]] == 0)
                print_error("%s has no row of kind %d\n", markets[m], (int)required[k]);
            assert_true(count[required[k]] > 0);
        }
        if (count[JUNK] > 0)
            with_junk++;
    }
    assert_true(with_junk >= 10);

    for (size_t i = 0; i < N_CASES; i++) {
        const struct world_case *c = &cases[i];
        int known = 0;
        for (size_t m = 0; m < n_markets; m++)
            known |= strcmp(c->cc, markets[m]) == 0;
        if (!known)
            print_error("case %zu: %s is not a market\n", i, c->cc);
        assert_true(known);
        assert_int_equal(c->e164 == NULL, c->kind == INVALID);
        if (c->e164)
            assert_null(c->reason);
        else
            assert_non_null(c->reason);
        switch (c->kind) {
        case NAT_MOBILE:
            assert_string_equal(c->def, c->cc);
            /* a mobile, or "maybe" where the library cannot tell */
            assert_int_not_equal(c->type, PHONE_LANDLINE);
            break;
        case NAT_LANDLINE:
            assert_string_equal(c->def, c->cc);
            assert_int_equal(c->type, PHONE_LANDLINE);
            break;
        case INTL_PLUS:
            assert_int_equal(c->raw[0], '+');
            break;
        case INTL_00:
            assert_memory_equal(c->raw, "00", 2);
            assert_true(is_european(c->def));
            break;
        case INTL_IDD:
            if (strcmp(c->cc, "US") == 0 || strcmp(c->cc, "CA") == 0) {
                assert_true((strcmp(c->def, "AU") == 0 && strncmp(c->raw, "0011 1 ", 7) == 0) ||
                            (strcmp(c->def, "JP") == 0 && strncmp(c->raw, "010 1 ", 6) == 0));
            } else {
                assert_string_equal(c->def, "US");
                assert_memory_equal(c->raw, "011 ", 4);
            }
            break;
        case INVALID:
            assert_memory_equal(c->reason, "invalid phone number \"", 22);
            break;
        default:
            break;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_numbers),
        cmocka_unit_test(test_every_market_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
