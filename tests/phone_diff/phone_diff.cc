/*
 * The phone fast path against libphonenumber itself, on every build.
 *
 * phone_normalise() answers plain valid numbers from its own reading of the
 * library's metadata (src/intake/phone_fast.h); phone_normalise_reference()
 * asks the installed library alone. This program puts the same inputs to
 * both and fails on any difference in the return code, E.164, type, region
 * or message. The inputs: every supported region's example number of every
 * type (and its invalid example), written nationally, internationally, as
 * E.164, RFC 3966, from abroad through other regions' international
 * prefixes (US 011, AU 0011; 00 as written), with and without the trunk prefix, then perturbed (spacing,
 * punctuation, a digit dropped, added or changed), each under several
 * default regions; plus every field of the CSV files named on the command
 * line (the samples and the benchmark generator's output).
 *
 *   phone_diff [--sample N] [FILE.csv...]
 *
 * --sample N compares one input in N (the sanitizer build, where each
 * libphonenumber call is many times slower). Prints how many inputs were
 * compared and how many the fast path answered; exits 1 on a mismatch or
 * when the fast path answered none (the comparison would prove nothing).
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <list>
#include <set>
#include <string>
#include <vector>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C" {
#include "intake/phone.h"
}
#include "intake/phone_fast.h"

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct tally {
    unsigned long compared = 0, fast = 0, valid = 0, mismatches = 0, seen = 0;
    unsigned long sample = 1;
};

bool same(const phone_result &a, int ra, const phone_result &b, int rb)
{
    return ra == rb && strcmp(a.e164, b.e164) == 0 && a.type == b.type &&
           strcmp(a.region, b.region) == 0 && strcmp(a.reason, b.reason) == 0;
}

void compare(tally &t, const std::string &in, const std::string &def)
{
    if (t.seen++ % t.sample != 0)
        return;
    phone_result a{}, b{};
    int ra = phone_normalise(in.data(), in.size(), def.c_str(), &a);
    int rb = phone_normalise_reference(in.data(), in.size(), def.c_str(), &b);
    cloutly_phone::fast_answer fa;
    if (cloutly_phone::fast_normalise(in.data(), in.size(), def.c_str(), &fa))
        t.fast++;
    t.compared++;
    if (rb == 0)
        t.valid++;
    if (same(a, ra, b, rb))
        return;
    if (t.mismatches++ < 25)
        fprintf(stderr,
                "MISMATCH \"%s\" under \"%s\":\n  fast path: rc=%d %s %s %s %s\n"
                "  libphonenumber: rc=%d %s %s %s %s\n",
                in.c_str(), def.c_str(), ra, a.e164, phone_type_name(a.type), a.region, a.reason,
                rb, b.e164, phone_type_name(b.type), b.region, b.reason);
}

std::string replace_all(std::string s, char from, const char *to)
{
    std::string o;
    for (char c : s)
        if (c == from)
            o += to;
        else
            o += c;
    return o;
}

/* The ways people write or mistype the same number. */
std::vector<std::string> perturb(const std::string &s)
{
    std::vector<std::string> v = {s, replace_all(s, ' ', ""), replace_all(s, ' ', "-"),
                                  replace_all(s, ' ', ".")};
    size_t sp = s.find(' ');
    if (sp != std::string::npos && s[0] != '+')
        v.push_back("(" + s.substr(0, sp) + ") " + s.substr(sp + 1));
    if (sp != std::string::npos && s[0] == '+')
        v.push_back(s.substr(0, sp) + " (" + s.substr(sp + 1, 1) + ")" + s.substr(sp + 2));
    size_t last = s.find_last_of("0123456789");
    if (last != std::string::npos) {
        std::string dropped = s;
        dropped.erase(last, 1);
        v.push_back(dropped);
        v.push_back(s + "7");
        std::string bumped = s;
        bumped[last] = static_cast<char>('0' + (s[last] - '0' + 1) % 10);
        v.push_back(bumped);
        std::string spread;
        for (char c : s)
            if (c >= '0' && c <= '9')
                spread += spread.empty() || spread.back() == '+' ? std::string(1, c) : std::string(" ") + c;
            else if (c == '+')
                spread += c;
        v.push_back(spread);
    }
    return v;
}

/* Default regions every international form is read under. */
const char *const kDefaults[] = {"", "US", "GB", "AU", "DE", "IN", "BR", "FR", "JP",
                                 "CN", "AR", "MX", "IT", "CC", "RU", "NZ", "ZA", "KR",
                                 "ES", "SG"};
constexpr size_t kNDefaults = sizeof kDefaults / sizeof *kDefaults;

void example_inputs(tally &t, const PhoneNumberUtil &u, const PhoneNumber &pn,
                    const std::string &own, unsigned seed)
{
    std::string nat, intl, e164, rfc, nsn;
    u.Format(pn, PhoneNumberUtil::NATIONAL, &nat);
    u.Format(pn, PhoneNumberUtil::INTERNATIONAL, &intl);
    u.Format(pn, PhoneNumberUtil::E164, &e164);
    u.Format(pn, PhoneNumberUtil::RFC3966, &rfc);
    u.GetNationalSignificantNumber(pn, &nsn);
    const std::string cc = std::to_string(pn.country_code());

    std::vector<std::string> international = {intl, e164, rfc, "00" + cc + " " + nsn, cc + " " + nsn};
    for (const char *from : {"US", "AU"}) {
        std::string abroad;
        u.FormatOutOfCountryCallingNumber(pn, from, &abroad);
        international.push_back(abroad);
    }
    std::vector<std::string> national = {nat, nsn};
    std::string ndd;
    if (own.size() == 2)
        u.GetNddPrefixForRegion(own, true, &ndd);
    if (!ndd.empty())
        national.push_back(ndd + " " + nsn);

    /* National forms: under the number's region, the regions sharing its
     * calling code, and none. International: under its own region and two
     * of kDefaults, in turn (every one of them over a few numbers). */
    std::vector<std::string> nat_defs = {"", own};
    std::list<std::string> sharing;
    u.GetRegionCodesForCountryCallingCode(pn.country_code(), &sharing);
    size_t k = 0;
    for (const std::string &r : sharing)
        if (r != own && r.size() == 2 && k++ < 3)
            nat_defs.push_back(r);

    for (const std::string &base : national)
        for (const std::string &s : perturb(base))
            for (const std::string &d : nat_defs)
                compare(t, s, d);
    unsigned j = seed;
    for (const std::string &base : international)
        for (const std::string &s : perturb(base)) {
            compare(t, s, own.size() == 2 ? own : "");
            for (size_t i = 0; i < 2; i++)
                compare(t, s, kDefaults[(j++) % kNDefaults]);
        }
}

/* Every field of a CSV file (quotes undone, no embedded newlines needed:
 * a broken-up field is only another input). */
void file_inputs(tally &t, const char *path)
{
    std::ifstream f(path);
    if (!f) {
        fprintf(stderr, "phone_diff: cannot read %s\n", path);
        exit(2);
    }
    std::string line;
    while (std::getline(f, line)) {
        std::vector<std::string> fields(1);
        bool q = false;
        for (size_t i = 0; i < line.size(); i++) {
            char c = line[i];
            if (c == '"')
                q = !q;
            else if (c == ',' && !q)
                fields.emplace_back();
            else
                fields.back() += c;
        }
        for (const std::string &v : fields) {
            size_t digits = 0;
            for (char c : v)
                digits += c >= '0' && c <= '9';
            if (digits < 3 || v.size() > 40)
                continue;
            for (const char *d : {"AU", "GB", "US", ""})
                compare(t, v, d);
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    tally t;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--sample") == 0) {
        t.sample = strtoul(argv[i + 1], nullptr, 10);
        if (t.sample == 0)
            t.sample = 1;
        i += 2;
    }
    /* The fast path's metadata must have loaded, or nothing is tested. */
    phone_result warm{};
    phone_normalise("0412 345 678", 12, "AU", &warm);
    if (!cloutly_phone::fast_available()) {
        fprintf(stderr, "phone_diff: the fast path is off (metadata not read)\n");
        return 1;
    }

    const PhoneNumberUtil &u = *PhoneNumberUtil::GetInstance();
    std::set<std::string> regions;
    u.GetSupportedRegions(&regions);
    unsigned seed = 0, numbers = 0;
    for (const std::string &r : regions) {
        std::set<PhoneNumberUtil::PhoneNumberType> types;
        u.GetSupportedTypesForRegion(r, &types);
        for (PhoneNumberUtil::PhoneNumberType type : types) {
            PhoneNumber pn;
            if (u.GetExampleNumberForType(r, type, &pn)) {
                example_inputs(t, u, pn, r, seed++);
                numbers++;
            }
        }
        PhoneNumber bad;
        if (u.GetInvalidExampleNumber(r, &bad)) {
            example_inputs(t, u, bad, r, seed++);
            numbers++;
        }
    }
    std::set<int> global;
    u.GetSupportedGlobalNetworkCallingCodes(&global);
    for (int cc : global) {
        PhoneNumber pn;
        if (u.GetExampleNumberForNonGeoEntity(cc, &pn)) {
            example_inputs(t, u, pn, "001", seed++);
            numbers++;
        }
    }
    for (; i < argc; i++)
        file_inputs(t, argv[i]);

    printf("phone_diff: %lu inputs compared (one in %lu; %u example numbers of %zu regions "
           "and %zu non-geographic codes, plus %d files): %lu valid, %lu answered by the fast "
           "path, %lu mismatches\n",
           t.compared, t.sample, numbers, regions.size(), global.size(), argc - (t.sample > 1 ? 3 : 1),
           t.valid, t.fast, t.mismatches);
    if (t.fast == 0) {
        fprintf(stderr, "phone_diff: the fast path answered nothing: the comparison proves nothing\n");
        return 1;
    }
    return t.mismatches ? 1 : 0;
}
