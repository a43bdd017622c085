/*
 * Phone numbers through libphonenumber: clean a cell of the junk that
 * exports leave around a number, parse it, validate it against the real
 * numbering plan, type it (mobile or not) and give it back as E.164, or say
 * why not in words a person can act on. It is C++ only because
 * libphonenumber's C++ API is the one the distribution ships; everything
 * C++ stays behind the C functions of phone.h, and no exception crosses them.
 */
#include "intake/phone.h"

#include <cstdio>
#include <cstring>
#include <list>
#include <string>

#include "intake/phone_fast.h"

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace
{

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* No phone number is written in more bytes than this; newer libphonenumber
 * refuses longer input with the same limit. Checking it ourselves means a
 * 64 KiB cell is neither copied nor run through the library's regexes. */
constexpr size_t kMaxInput = 250;

/* Bytes of the raw value shown in a reason: enough to recognise the cell. */
constexpr size_t kQuoteMax = 40;

const PhoneNumberUtil &util()
{
    /* Builds of the library differ in their default logger: Debian's 8.12
     * mutes it, upstream has shipped one that prints to stdout, where our
     * report goes. Installing NullLogger before the first parse makes that
     * independent of the build. A function-local static is initialised
     * exactly once even with threads; the library owns the logger. */
    static PhoneNumberUtil *const instance = [] {
        PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new i18n::phonenumbers::NullLogger());
        return u;
    }();
    return *instance;
}

struct span {
    const char *p;
    const char *e;
    size_t size() const
    {
        return static_cast<size_t>(e - p);
    }
    bool empty() const
    {
        return p == e;
    }
};

inline unsigned char uc(const char *p)
{
    return static_cast<unsigned char>(*p);
}

/* Length of white space at the start of [p, e): ASCII, and the invisible
 * characters spreadsheets leave in cells (NBSP, BOM, zero-width space). */
size_t lead_space(const char *p, const char *e)
{
    size_t n = static_cast<size_t>(e - p);
    unsigned char c = uc(p);
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (n >= 2 && c == 0xC2 && uc(p + 1) == 0xA0)
        return 2;
    if (n >= 3 && c == 0xEF && uc(p + 1) == 0xBB && uc(p + 2) == 0xBF)
        return 3;
    if (n >= 3 && c == 0xE2 && uc(p + 1) == 0x80 && uc(p + 2) == 0x8B)
        return 3;
    return 0;
}

size_t trail_space(const char *p, const char *e)
{
    size_t n = static_cast<size_t>(e - p);
    unsigned char c = uc(e - 1);
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (n >= 2 && uc(e - 2) == 0xC2 && c == 0xA0)
        return 2;
    if (n >= 3 && uc(e - 3) == 0xEF && uc(e - 2) == 0xBB && c == 0xBF)
        return 3;
    if (n >= 3 && uc(e - 3) == 0xE2 && uc(e - 2) == 0x80 && c == 0x8B)
        return 3;
    return 0;
}

void trim(span &s)
{
    size_t n;
    while (!s.empty() && (n = lead_space(s.p, s.e)) != 0)
        s.p += n;
    while (!s.empty() && (n = trail_space(s.p, s.e)) != 0)
        s.e -= n;
}

/* "mob:", "Tel :"... A colon is required so that a vanity number such as
 * "MOBILE-1" is left to the library. */
bool strip_label(span &s)
{
    static const char *const labels[] = {"mobile", "mob", "cell", "phone", "ph", "tel", "m"};
    for (const char *label : labels) {
        const char *p = s.p;
        const char *l = label;
        while (*l && p < s.e && (uc(p) | 0x20) == static_cast<unsigned char>(*l)) {
            p++;
            l++;
        }
        if (*l)
            continue;
        while (p < s.e && (*p == ' ' || *p == '\t'))
            p++;
        if (p < s.e && *p == ':') {
            s.p = p + 1;
            return true;
        }
    }
    return false;
}

/* The number proper: without surrounding space, the apostrophe Shopify and
 * spreadsheets put in front of a number to keep it text, and a label. They
 * can come in any order ("'mob: 0412...", "mob: '0412..."). Extensions are
 * left in: the library recognises them and they do not reach E.164. */
span clean(span s)
{
    for (;;) {
        trim(s);
        if (!s.empty() && *s.p == '\'') {
            while (!s.empty() && *s.p == '\'')
                s.p++;
            continue;
        }
        if (!strip_label(s))
            return s;
    }
}

/* Length of a well-formed UTF-8 sequence at p that is safe to show (not a C1
 * control), or 0. */
size_t utf8_len(const char *p, const char *e)
{
    size_t avail = static_cast<size_t>(e - p);
    unsigned char c = uc(p);
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xC2)
        lo = 0xA0; /* U+0080..U+009F are controls (0x9B is a CSI) */
    else if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (avail < n || uc(p + 1) < lo || uc(p + 1) > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (uc(p + i) < 0x80 || uc(p + i) > 0xBF)
            return 0;
    return n;
}

/* The raw value as it may appear inside quotes in a message: at most
 * kQuoteMax bytes then "...", controls and broken UTF-8 as '?', quotes and
 * backslashes escaped. The cell comes from a file anyone may have written;
 * it must not overflow the reason nor put escape codes on a terminal. */
void quote(span s, char (&buf)[kQuoteMax + 4])
{
    size_t o = 0;
    const char *p = s.p;
    while (p < s.e) {
        unsigned char c = uc(p);
        if (c == '"' || c == '\\') {
            if (o + 2 > kQuoteMax)
                break;
            buf[o++] = '\\';
            buf[o++] = static_cast<char>(c);
            p++;
            continue;
        }
        size_t n = c >= 0x80 ? utf8_len(p, s.e) : 0;
        if (o + (n ? n : 1) > kQuoteMax)
            break;
        if (n) {
            memcpy(buf + o, p, n);
            o += n;
            p += n;
        } else {
            buf[o++] = c < 0x20 || c >= 0x7F ? '?' : static_cast<char>(c);
            p++;
        }
    }
    if (p < s.e) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

int fail(phone_result *out, span shown, const char *why)
{
    char q[kQuoteMax + 4];
    quote(shown, q);
    snprintf(out->reason, sizeof out->reason, "invalid phone number \"%s\" (%s)", q, why);
    return -1;
}

/* "AU" from "au"; anything else as given, so that a message can name it. */
std::string region_code(const char *r)
{
    std::string s(r);
    if (s.size() == 2)
        for (char &c : s)
            if (c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
    return s;
}

const char *parse_error_text(PhoneNumberUtil::ErrorType err)
{
    switch (err) {
    case PhoneNumberUtil::NOT_A_NUMBER: return "not a number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN: return "too long";
    default: return "invalid country code";
    }
}

/* What is off about the length, when it is off for mobiles and fixed lines
 * alike: the general possible lengths are too loose to say (AU accepts 6
 * digits for 13 numbers), and one type alone misleads ("085 012" is a short
 * IE mobile, not a local fixed line). "0412 345" is most often a digit or
 * two lost, and saying so saves a person counting. */
const char *length_detail(const PhoneNumberUtil &u, const PhoneNumber &pn)
{
    PhoneNumberUtil::ValidationResult m =
        u.IsPossibleNumberForTypeWithReason(pn, PhoneNumberUtil::MOBILE);
    PhoneNumberUtil::ValidationResult f =
        u.IsPossibleNumberForTypeWithReason(pn, PhoneNumberUtil::FIXED_LINE);
    if (m != f)
        return "";
    switch (m) {
    case PhoneNumberUtil::TOO_SHORT: return ": too short";
    case PhoneNumberUtil::TOO_LONG: return ": too long";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY: return ": no area code";
    default: return "";
    }
}

/* Parsed but not a number anyone can have: say for which country. */
int fail_invalid(phone_result *out, span shown, const PhoneNumber &pn, const std::string &def)
{
    const PhoneNumberUtil &u = util();
    std::string rc;
    /* +1 is shared by US, CA and others: name the default region rather
     * than the library's pick when it has the number's country code. */
    if (!def.empty() && u.GetCountryCodeForRegion(def) == pn.country_code())
        rc = def;
    else
        u.GetRegionCodeForCountryCode(pn.country_code(), &rc);
    const char *detail = length_detail(u, pn);
    char why[64];
    if (rc.size() == 2 && rc != "ZZ")
        snprintf(why, sizeof why, "not a valid %s number%s", rc.c_str(), detail);
    else
        snprintf(why, sizeof why, "not a valid +%d number%s", static_cast<int>(pn.country_code()),
                 detail);
    return fail(out, shown, why);
}

enum phone_type map_type(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::MOBILE: return PHONE_MOBILE;
    case PhoneNumberUtil::FIXED_LINE:
    case PhoneNumberUtil::TOLL_FREE:
    case PhoneNumberUtil::PREMIUM_RATE:
    case PhoneNumberUtil::SHARED_COST:
    case PhoneNumberUtil::UAN:
    case PhoneNumberUtil::VOICEMAIL: return PHONE_LANDLINE;
    default: /* FIXED_LINE_OR_MOBILE, VOIP, PERSONAL_NUMBER, PAGER, UNKNOWN */
        return PHONE_MAYBE_MOBILE;
    }
}

/* phone_result.kind: the landline kinds a person should be told apart. */
enum phone_type map_kind(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::TOLL_FREE: return PHONE_TOLL_FREE;
    case PhoneNumberUtil::PREMIUM_RATE: return PHONE_PREMIUM;
    default: return map_type(t);
    }
}

/* How far normalise() may go its own way: the production path takes the
 * fast path and a cheaper region lookup; the reference is libphonenumber's
 * calls alone, what the differential test compares the other with. */
enum class path { production, reference };

/* GetRegionCodeForNumber() types the number again to choose among the
 * regions of a shared calling code; with one region there is nothing to
 * choose, and the library answers that region without typing. */
std::string region_of(const PhoneNumberUtil &u, const PhoneNumber &pn, path how)
{
    std::string rc;
    if (how == path::production) {
        std::list<std::string> ids;
        u.GetRegionCodesForCountryCallingCode(pn.country_code(), &ids);
        if (ids.size() == 1)
            return ids.front();
    }
    u.GetRegionCodeForNumber(pn, &rc);
    return rc;
}

int normalise(const char *raw, size_t len, const char *default_region, phone_result *out, path how)
{
    const PhoneNumberUtil &u = util();
    span shown = {raw, raw + len};
    trim(shown);
    span num = clean(shown);
    if (num.empty()) {
        snprintf(out->reason, sizeof out->reason, "empty phone number");
        return -1;
    }
    if (num.size() > kMaxInput)
        return fail(out, shown, "too long");

    const bool has_default = default_region && *default_region;
    /* ZZ, the unknown region, makes the library accept only numbers that
     * carry their country code. */
    const std::string region = region_code(has_default ? default_region : "ZZ");

    /* Most numbers are plain digits and valid: the fast path answers them
     * as the library would (phone_fast.h). It declines everything else. */
    cloutly_phone::fast_answer fa;
    if (how == path::production &&
        cloutly_phone::fast_normalise(num.p, num.size(), has_default ? region.c_str() : "", &fa)) {
        memcpy(out->e164, fa.e164, sizeof out->e164);
        out->type = map_type(fa.type);
        out->kind = map_kind(fa.type);
        memcpy(out->region, fa.region, sizeof out->region);
        return 0;
    }
    /* 00 is the international prefix of most of the world, and people write
     * it from habit wherever they are, but the library only knows the
     * prefix of the default region (011 for US, 0011 for AU). A number that
     * starts with 00 and fails is retried as +, unless the library did take
     * the 00 as the region's prefix ("0011 44..." in AU): to know, such a
     * number is parsed with the raw input kept, which records where the
     * country code came from. Only a failure is retried, so a number the
     * default region reads as valid is never read another way. */
    const bool starts_00 = has_default && num.size() > 2 && num.p[0] == '0' && num.p[1] == '0';
    PhoneNumber pn;
    std::string number(num.p, num.size());
    PhoneNumberUtil::ErrorType err =
        starts_00 ? u.ParseAndKeepRawInput(number, region, &pn) : u.Parse(number, region, &pn);

    /* IsValidNumber() finds the number's region then runs the same
     * matching against its metadata as GetNumberType(), and is true exactly
     * when that type is not UNKNOWN (libphonenumber's source; checked on
     * 273,000 example and perturbed numbers of every region). Asking for
     * the type alone halves the pattern matching, a quarter of the cost. */
    PhoneNumberUtil::PhoneNumberType type = PhoneNumberUtil::UNKNOWN;
    if (err == PhoneNumberUtil::NO_PARSING_ERROR)
        type = u.GetNumberType(pn);
    bool valid = type != PhoneNumberUtil::UNKNOWN;

    if (!valid && starts_00) {
        bool idd_taken = err == PhoneNumberUtil::NO_PARSING_ERROR
                             ? pn.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_IDD
                             : err == PhoneNumberUtil::TOO_SHORT_AFTER_IDD ||
                                   err == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR;
        if (!idd_taken) {
            PhoneNumber intl;
            number.assign(1, '+').append(num.p + 2, num.size() - 2);
            if (u.Parse(number, region, &intl) == PhoneNumberUtil::NO_PARSING_ERROR) {
                /* its diagnosis is the one that fits what was meant */
                pn = intl;
                err = PhoneNumberUtil::NO_PARSING_ERROR;
                type = u.GetNumberType(pn);
                valid = type != PhoneNumberUtil::UNKNOWN;
            }
        }
    }

    if (err != PhoneNumberUtil::NO_PARSING_ERROR) {
        if (err == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR && *num.p != '+') {
            if (!has_default)
                return fail(out, shown,
                            "no country code: set validate.default_country or write it as +CC...");
            /* phone_region_known() is meant to catch this when the
             * configuration is read; the value itself is not repeated here
             * because it did not come from this row. */
            if (u.GetCountryCodeForRegion(region) == 0)
                return fail(out, shown,
                            "no country code, and the default country is not a known region");
        }
        return fail(out, shown, parse_error_text(err));
    }
    if (!valid)
        return fail_invalid(out, shown, pn, has_default ? region : std::string());

    std::string e164;
    u.Format(pn, PhoneNumberUtil::E164, &e164);
    if (e164.size() >= sizeof out->e164)
        return fail(out, shown, "too long");
    memcpy(out->e164, e164.c_str(), e164.size() + 1);
    out->type = map_type(type);
    out->kind = map_kind(type);
    std::string nregion = region_of(u, pn, how);
    /* Non-geographic numbers (+800, +882...) belong to "001", which does
     * not fit region[3] and names no country: they get "". */
    if (nregion.size() == 2)
        memcpy(out->region, nregion.c_str(), 3);
    return 0;
}

} // namespace

namespace
{

int normalise_c(const char *raw, size_t len, const char *default_region, phone_result *out,
                path how)
{
    if (!out)
        return -1;
    out->e164[0] = '\0';
    out->type = PHONE_MAYBE_MOBILE;
    out->region[0] = '\0';
    out->reason[0] = '\0';
    if (!raw)
        len = 0;
    try {
        int rc = normalise(raw ? raw : "", len, default_region, out, how);
        if (rc != 0) {
            out->e164[0] = '\0';
            out->region[0] = '\0';
        }
        return rc;
    } catch (...) {
        out->e164[0] = '\0';
        out->region[0] = '\0';
        snprintf(out->reason, sizeof out->reason, "phone number could not be processed");
        return -1;
    }
}

} // namespace

extern "C" int phone_normalise(const char *raw, size_t len, const char *default_region,
                               struct phone_result *out)
{
    return normalise_c(raw, len, default_region, out, path::production);
}

extern "C" int phone_normalise_reference(const char *raw, size_t len, const char *default_region,
                                         struct phone_result *out)
{
    return normalise_c(raw, len, default_region, out, path::reference);
}

extern "C" int phone_region_known(const char *region)
{
    if (!region || strlen(region) != 2)
        return 0;
    try {
        return util().GetCountryCodeForRegion(region_code(region)) != 0;
    } catch (...) {
        return 0;
    }
}

extern "C" const char *phone_type_name(enum phone_type t)
{
    switch (t) {
    case PHONE_MOBILE: return "mobile";
    case PHONE_LANDLINE: return "landline";
    default: return "unknown";
    }
}
