/*
 * The zones of the parts of a country a phone number can be narrowed to,
 * as one table keyed by region: US states and Canadian provinces (named by
 * libphonenumber's offline geocoder, read at build time into
 * nanp_states.inc by gen/nanp_states_gen.cc) and Australia's geographic
 * area codes (its geocoder names towns, not states, so the national
 * number's first digits pick the entry).
 *
 * Each entry lists every zone part of it keeps (conservative: a state split
 * between two zones lists both). Sources: tzdata's zone1970.tab comments
 * and the zone boundaries they describe.
 *
 * C++ only: phone_zone.cc and the generator share it, so the generated
 * indexes and the table cannot drift apart. Constant data; nothing to own.
 */
#ifndef CLOUTLY_REGION_ZONES_H
#define CLOUTLY_REGION_ZONES_H

#include <cstring>
#include <string>

namespace cloutly_zone
{

struct region_zones {
    const char *country; /* "US", "CA", "AU" */
    const char *key;     /* state or province code; for AU the national number's first digits */
    const char *name;    /* the geocoder's English name, or the area's for a person */
    const char *zones;   /* space-separated IANA names */
};

/* "Not narrowed" in the generated tables. */
const unsigned char kNoRegion = 255;

static const region_zones kRegions[] = {
    {"US", "AL", "Alabama", "America/Chicago"},
    {"US", "AK", "Alaska", "America/Anchorage America/Adak"},
    {"US", "AZ", "Arizona", "America/Phoenix"},
    {"US", "AR", "Arkansas", "America/Chicago"},
    {"US", "CA", "California", "America/Los_Angeles"},
    {"US", "CO", "Colorado", "America/Denver"},
    {"US", "CT", "Connecticut", "America/New_York"},
    {"US", "DE", "Delaware", "America/New_York"},
    {"US", "DC", "Washington D.C.", "America/New_York"},
    {"US", "FL", "Florida", "America/New_York America/Chicago"},
    {"US", "GA", "Georgia", "America/New_York"},
    {"US", "HI", "Hawaii", "Pacific/Honolulu"},
    {"US", "ID", "Idaho", "America/Boise America/Los_Angeles"},
    {"US", "IL", "Illinois", "America/Chicago"},
    {"US", "IN", "Indiana", "America/Indiana/Indianapolis America/Chicago"},
    {"US", "IA", "Iowa", "America/Chicago"},
    {"US", "KS", "Kansas", "America/Chicago America/Denver"},
    {"US", "KY", "Kentucky", "America/New_York America/Chicago"},
    {"US", "LA", "Louisiana", "America/Chicago"},
    {"US", "ME", "Maine", "America/New_York"},
    {"US", "MD", "Maryland", "America/New_York"},
    {"US", "MA", "Massachusetts", "America/New_York"},
    {"US", "MI", "Michigan", "America/Detroit America/Menominee"},
    {"US", "MN", "Minnesota", "America/Chicago"},
    {"US", "MS", "Mississippi", "America/Chicago"},
    {"US", "MO", "Missouri", "America/Chicago"},
    {"US", "MT", "Montana", "America/Denver"},
    {"US", "NE", "Nebraska", "America/Chicago America/Denver"},
    {"US", "NV", "Nevada", "America/Los_Angeles"},
    {"US", "NH", "New Hampshire", "America/New_York"},
    {"US", "NJ", "New Jersey", "America/New_York"},
    {"US", "NM", "New Mexico", "America/Denver"},
    {"US", "NY", "New York", "America/New_York"},
    {"US", "NC", "North Carolina", "America/New_York"},
    {"US", "ND", "North Dakota", "America/Chicago America/Denver"},
    {"US", "OH", "Ohio", "America/New_York"},
    {"US", "OK", "Oklahoma", "America/Chicago"},
    {"US", "OR", "Oregon", "America/Los_Angeles America/Boise"},
    {"US", "PA", "Pennsylvania", "America/New_York"},
    {"US", "RI", "Rhode Island", "America/New_York"},
    {"US", "SC", "South Carolina", "America/New_York"},
    {"US", "SD", "South Dakota", "America/Chicago America/Denver"},
    {"US", "TN", "Tennessee", "America/Chicago America/New_York"},
    {"US", "TX", "Texas", "America/Chicago America/Denver"},
    {"US", "UT", "Utah", "America/Denver"},
    {"US", "VT", "Vermont", "America/New_York"},
    {"US", "VA", "Virginia", "America/New_York"},
    {"US", "WA", "Washington State", "America/Los_Angeles"},
    {"US", "WV", "West Virginia", "America/New_York"},
    {"US", "WI", "Wisconsin", "America/Chicago"},
    {"US", "WY", "Wyoming", "America/Denver"},

    {"CA", "AB", "Alberta", "America/Edmonton"},
    {"CA", "BC", "British Columbia", "America/Vancouver America/Edmonton"},
    {"CA", "MB", "Manitoba", "America/Winnipeg"},
    {"CA", "NB", "New Brunswick", "America/Moncton"},
    {"CA", "NL", "Newfoundland and Labrador", "America/St_Johns America/Goose_Bay"},
    {"CA", "NS", "Nova Scotia", "America/Halifax"},
    {"CA", "NT", "Northwest Territories", "America/Edmonton"},
    {"CA", "NU", "Nunavut", "America/Iqaluit America/Rankin_Inlet America/Cambridge_Bay"},
    {"CA", "ON", "Ontario", "America/Toronto America/Winnipeg"},
    {"CA", "PE", "Prince Edward Island", "America/Halifax"},
    {"CA", "QC", "Quebec", "America/Toronto"},
    {"CA", "SK", "Saskatchewan", "America/Regina"},
    {"CA", "YT", "Yukon", "America/Whitehorse"},

    /* Mobiles (4, 5) and anything else keep every Australian zone. 2: NSW
     * and ACT, 3: Victoria and Tasmania, 7: Queensland, 86/89: Western
     * Australia, 8: SA, NT and Broken Hill. */
    {"AU", "2", "New South Wales/ACT", "Australia/Sydney"},
    {"AU", "3", "Victoria/Tasmania", "Australia/Melbourne Australia/Hobart"},
    {"AU", "7", "Queensland", "Australia/Brisbane"},
    {"AU", "86", "Western Australia", "Australia/Perth"},
    {"AU", "89", "Western Australia", "Australia/Perth"},
    {"AU", "8", "SA/NT/Broken Hill", "Australia/Adelaide Australia/Darwin Australia/Broken_Hill"},
};

const size_t kRegionCount = sizeof kRegions / sizeof *kRegions;

/* The US state or Canadian province a geocoder description names ("New
 * York, NY" or "California") within `country`: its index, or kNoRegion. */
inline unsigned char region_named(const std::string &country, const std::string &desc)
{
    size_t comma = desc.rfind(", ");
    std::string code = comma == std::string::npos ? "" : desc.substr(comma + 2);
    for (size_t i = 0; i < kRegionCount; i++)
        if (country == kRegions[i].country && (code == kRegions[i].key || desc == kRegions[i].name))
            return (unsigned char)i;
    return kNoRegion;
}

/* The entry of `country` whose key is the longest prefix of the national
 * number `nsn` (the AU rows): its index, or kNoRegion. */
inline unsigned char region_by_prefix(const char *country, const char *nsn)
{
    unsigned char best = kNoRegion;
    for (size_t i = 0; i < kRegionCount; i++)
        if (strcmp(country, kRegions[i].country) == 0 &&
            strncmp(nsn, kRegions[i].key, strlen(kRegions[i].key)) == 0 &&
            (best == kNoRegion || strlen(kRegions[i].key) > strlen(kRegions[best].key)))
            best = (unsigned char)i;
    return best;
}

} // namespace cloutly_zone

#endif
