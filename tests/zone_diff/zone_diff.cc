/*
 * zone_for_phone() against the live geocoder, on every build.
 *
 * zone_for_phone() answers from tables (nanp_states.inc, generated at build
 * time from libphonenumber's offline geocoder) and keeps each answer by
 * region and narrowing entry. This program computes every answer the slow
 * way, the way phone_zone.cc did before the tables: libphonenumber's
 * Parse and GetRegionCodeForNumber, the offline geocoder for a US or
 * Canadian number's state, the national number's first digits for an
 * Australian one, with no cache; and fails on any difference in the zones,
 * the text saying what narrowed them, the country or the state.
 *
 * Inputs: every region's example number of every type; random +1 numbers
 * over every area code (and every exchange of the area codes listed below
 * and of a few drawn at random); random Australian numbers. Each is asked
 * twice of one zone_db, so the second asking comes from the cache.
 *
 *   zone_diff [--nanp N]   (N random +1 numbers, default 60000)
 *
 * Prints how many numbers were compared; exits 1 on a mismatch or when
 * fewer than 10,000 valid numbers were compared.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

extern "C" {
#include "intake/phone_zone.h"
}
#include "intake/region_zones.h"

namespace
{

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

struct checker {
    const PhoneNumberUtil &u = *PhoneNumberUtil::GetInstance();
    PhoneNumberOfflineGeocoder geo;
    icu::Locale en{"en", "US"};
    zone_db *db = nullptr;
    unsigned long compared = 0, invalid = 0, mismatches = 0;
};

std::string list(const zone_set &z)
{
    std::string s;
    for (int i = 0; i < z.n; i++)
        s += std::string(i ? " " : "") + z.zone[i];
    return s;
}

/* The reference: what zone_for_phone() answered before it had tables. */
int reference(checker &c, const PhoneNumber &n, zone_set *out)
{
    std::string region;
    c.u.GetRegionCodeForNumber(n, &region);
    if (zone_for_country(c.db, region.c_str(), out) < 0)
        return -1;
    if (out->n == 1) {
        snprintf(out->where, sizeof out->where, "%s", region.c_str());
        return 0;
    }
    unsigned char idx = cloutly_zone::kNoRegion;
    std::string none;
    if (region == "US" || region == "CA") {
        idx = cloutly_zone::region_named(region, c.geo.GetDescriptionForNumber(n, c.en));
        none = region + " number, area not known: every " + region + " zone";
    } else if (region == "AU") {
        std::string nsn;
        c.u.GetNationalSignificantNumber(n, &nsn);
        idx = cloutly_zone::region_by_prefix("AU", nsn.c_str());
        none = "AU mobile or non-geographic: every Australian zone";
    }
    if (idx == cloutly_zone::kNoRegion) {
        if (none.empty())
            none = region + ": every zone of the country";
        snprintf(out->where, sizeof out->where, "%s", none.c_str());
        return 0;
    }
    const cloutly_zone::region_zones &r = cloutly_zone::kRegions[idx];
    zone_set narrowed{};
    std::string zones = r.zones;
    for (size_t p = 0; p < zones.size();) {
        size_t q = zones.find(' ', p);
        if (q == std::string::npos)
            q = zones.size();
        zone_set one{};
        if (zone_for_name(c.db, zones.substr(p, q - p).c_str(), &one) < 0)
            return -1;
        narrowed.zone[narrowed.n++] = one.zone[0];
        p = q + 1;
    }
    snprintf(narrowed.country, sizeof narrowed.country, "%s", out->country);
    snprintf(narrowed.where, sizeof narrowed.where, "%s", r.name);
    if (region != "AU")
        snprintf(narrowed.state, sizeof narrowed.state, "%s", r.key);
    *out = narrowed;
    return 0;
}

void compare(checker &c, const std::string &e164)
{
    PhoneNumber n;
    if (c.u.Parse(e164, "ZZ", &n) != PhoneNumberUtil::NO_PARSING_ERROR || !c.u.IsValidNumber(n)) {
        c.invalid++;
        return;
    }
    zone_set want{}, got{};
    int rw = reference(c, n, &want);
    for (int pass = 0; pass < 2; pass++) {
        got = zone_set{};
        int rg = zone_for_phone(c.db, e164.c_str(), &got);
        bool same = rw == rg &&
                    (rw != 0 || (list(want) == list(got) && strcmp(want.where, got.where) == 0 &&
                                 strcmp(want.country, got.country) == 0 &&
                                 strcmp(want.state, got.state) == 0));
        if (!same) {
            if (c.mismatches++ < 20)
                fprintf(stderr,
                        "zone_diff: %s (pass %d): geocoder %d [%s] '%s' %s/%s, tables %d [%s] "
                        "'%s' %s/%s\n",
                        e164.c_str(), pass + 1, rw, list(want).c_str(), want.where, want.country,
                        want.state, rg, list(got).c_str(), got.where, got.country, got.state);
            return;
        }
    }
    c.compared++;
}

void nanp(checker &c, std::mt19937 &rng, int npa, int nxx)
{
    char text[32];
    snprintf(text, sizeof text, "+1%03d%03d%04u", npa, nxx, (unsigned)(rng() % 10000));
    compare(c, text);
}

} // namespace

int main(int argc, char **argv)
{
    long n_nanp = 60000;
    if (argc == 3 && strcmp(argv[1], "--nanp") == 0)
        n_nanp = strtol(argv[2], nullptr, 10);
    checker c;
    cp_error err{};
    c.db = zone_db_open(&err);
    if (!c.db) {
        fprintf(stderr, "zone_diff: %s\n", err.msg);
        return 1;
    }
    std::set<std::string> regions;
    c.u.GetSupportedRegions(&regions);
    for (const std::string &r : regions) {
        std::set<PhoneNumberUtil::PhoneNumberType> types;
        c.u.GetSupportedTypesForRegion(r, &types);
        for (PhoneNumberUtil::PhoneNumberType type : types) {
            PhoneNumber pn;
            std::string e164;
            if (c.u.GetExampleNumberForType(r, type, &pn)) {
                c.u.Format(pn, PhoneNumberUtil::E164, &e164);
                compare(c, e164);
            }
        }
    }
    std::mt19937 rng(13);
    for (long i = 0; i < n_nanp; i++)
        nanp(c, rng, 200 + (int)(rng() % 800), (int)(rng() % 1000));
    /* Every exchange of the area codes whose exchanges are not all in one
     * state or province (867: Yukon, NWT, Nunavut; 902: Nova Scotia and
     * PEI; 201), and of five area codes drawn at random. */
    std::vector<int> whole = {201, 867, 902};
    for (int i = 0; i < 5; i++)
        whole.push_back(200 + (int)(rng() % 800));
    for (int npa : whole)
        for (int nxx = 0; nxx < 1000; nxx++)
            nanp(c, rng, npa, nxx);
    static const char *const au_lead[] = {"2", "3", "4", "5", "7", "8", "86", "89", "891"};
    for (int i = 0; i < 20000; i++) {
        std::string e164 = std::string("+61") + au_lead[rng() % 9];
        while (e164.size() < 12)
            e164 += (char)('0' + rng() % 10);
        compare(c, e164);
    }
    zone_db_close(c.db);
    printf("zone_diff: %lu valid numbers compared twice (geocoder vs tables, then the cache), "
           "%lu invalid skipped, %lu mismatches\n",
           c.compared, c.invalid, c.mismatches);
    if (c.compared < 10000) {
        fprintf(stderr, "zone_diff: too few numbers compared to prove anything\n");
        return 1;
    }
    return c.mismatches ? 1 : 0;
}
