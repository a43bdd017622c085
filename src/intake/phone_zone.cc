/*
 * Phone number -> the zones it may be in, and instant -> local time: see
 * phone_zone.h.
 *
 * Narrowing is data, in three tables below: the zones of each US state and
 * Canadian province (the offline geocoder names the state of an area code),
 * and the zones of Australia's geographic area codes (its geocoder names
 * towns, not states, so the national number's first digits are used).
 * Anything not narrowed keeps every zone tzdata's zone1970.tab lists for
 * the number's country: the caller then needs its window open in all.
 */
/* error.h is plain C with no extern "C" of its own. */
extern "C" {
#include "core/error.h"
}
#include "intake/phone_zone.h"
#include "intake/phone.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

namespace
{

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

/* A US state or Canadian province: its code, the geocoder's English name
 * for it, and every zone part of it keeps (conservative: a state split
 * between two zones lists both). Sources: tzdata's zone1970.tab comments
 * and the zone boundaries they describe. */
struct region_zones {
    const char *code;
    const char *name;
    const char *zones;
};

const region_zones kUsStates[] = {
    {"AL", "Alabama", "America/Chicago"},
    {"AK", "Alaska", "America/Anchorage America/Adak"},
    {"AZ", "Arizona", "America/Phoenix"},
    {"AR", "Arkansas", "America/Chicago"},
    {"CA", "California", "America/Los_Angeles"},
    {"CO", "Colorado", "America/Denver"},
    {"CT", "Connecticut", "America/New_York"},
    {"DE", "Delaware", "America/New_York"},
    {"DC", "Washington D.C.", "America/New_York"},
    {"FL", "Florida", "America/New_York America/Chicago"},
    {"GA", "Georgia", "America/New_York"},
    {"HI", "Hawaii", "Pacific/Honolulu"},
    {"ID", "Idaho", "America/Boise America/Los_Angeles"},
    {"IL", "Illinois", "America/Chicago"},
    {"IN", "Indiana", "America/Indiana/Indianapolis America/Chicago"},
    {"IA", "Iowa", "America/Chicago"},
    {"KS", "Kansas", "America/Chicago America/Denver"},
    {"KY", "Kentucky", "America/New_York America/Chicago"},
    {"LA", "Louisiana", "America/Chicago"},
    {"ME", "Maine", "America/New_York"},
    {"MD", "Maryland", "America/New_York"},
    {"MA", "Massachusetts", "America/New_York"},
    {"MI", "Michigan", "America/Detroit America/Menominee"},
    {"MN", "Minnesota", "America/Chicago"},
    {"MS", "Mississippi", "America/Chicago"},
    {"MO", "Missouri", "America/Chicago"},
    {"MT", "Montana", "America/Denver"},
    {"NE", "Nebraska", "America/Chicago America/Denver"},
    {"NV", "Nevada", "America/Los_Angeles"},
    {"NH", "New Hampshire", "America/New_York"},
    {"NJ", "New Jersey", "America/New_York"},
    {"NM", "New Mexico", "America/Denver"},
    {"NY", "New York", "America/New_York"},
    {"NC", "North Carolina", "America/New_York"},
    {"ND", "North Dakota", "America/Chicago America/Denver"},
    {"OH", "Ohio", "America/New_York"},
    {"OK", "Oklahoma", "America/Chicago"},
    {"OR", "Oregon", "America/Los_Angeles America/Boise"},
    {"PA", "Pennsylvania", "America/New_York"},
    {"RI", "Rhode Island", "America/New_York"},
    {"SC", "South Carolina", "America/New_York"},
    {"SD", "South Dakota", "America/Chicago America/Denver"},
    {"TN", "Tennessee", "America/Chicago America/New_York"},
    {"TX", "Texas", "America/Chicago America/Denver"},
    {"UT", "Utah", "America/Denver"},
    {"VT", "Vermont", "America/New_York"},
    {"VA", "Virginia", "America/New_York"},
    {"WA", "Washington State", "America/Los_Angeles"},
    {"WV", "West Virginia", "America/New_York"},
    {"WI", "Wisconsin", "America/Chicago"},
    {"WY", "Wyoming", "America/Denver"},
};

const region_zones kCaProvinces[] = {
    {"AB", "Alberta", "America/Edmonton"},
    {"BC", "British Columbia", "America/Vancouver America/Edmonton"},
    {"MB", "Manitoba", "America/Winnipeg"},
    {"NB", "New Brunswick", "America/Moncton"},
    {"NL", "Newfoundland and Labrador", "America/St_Johns America/Goose_Bay"},
    {"NS", "Nova Scotia", "America/Halifax"},
    {"NT", "Northwest Territories", "America/Edmonton"},
    {"NU", "Nunavut", "America/Iqaluit America/Rankin_Inlet America/Cambridge_Bay"},
    {"ON", "Ontario", "America/Toronto America/Winnipeg"},
    {"PE", "Prince Edward Island", "America/Halifax"},
    {"QC", "Quebec", "America/Toronto"},
    {"SK", "Saskatchewan", "America/Regina"},
    {"YT", "Yukon", "America/Whitehorse"},
};

/* Australian geographic numbers by the first digits of the national
 * number (the longest prefix wins); mobiles (4, 5) and anything else keep
 * every Australian zone. 2: NSW and ACT, 3: Victoria and Tasmania, 7:
 * Queensland, 86/89: Western Australia, 8: SA, NT and Broken Hill. */
const region_zones kAuPrefixes[] = {
    {"2", "New South Wales/ACT", "Australia/Sydney"},
    {"3", "Victoria/Tasmania", "Australia/Melbourne Australia/Hobart"},
    {"7", "Queensland", "Australia/Brisbane"},
    {"86", "Western Australia", "Australia/Perth"},
    {"89", "Western Australia", "Australia/Perth"},
    {"8", "SA/NT/Broken Hill", "Australia/Adelaide Australia/Darwin Australia/Broken_Hill"},
};

const PhoneNumberUtil &util()
{
    /* GetInstance is the library's own once-only singleton; phone.cc
     * installs its quiet logger on first use, which zone_db_open() makes
     * sure of. */
    return *PhoneNumberUtil::GetInstance();
}

} // namespace

struct zone_db {
    std::unordered_map<std::string, std::vector<std::string>> by_country; /* "AU" -> zones */
    /* Every zone handed out, by name: the key is what zone_set points at
     * (node-based map: keys never move). */
    std::unordered_map<std::string, std::unique_ptr<icu::TimeZone>> zones;
    std::unordered_map<std::string, std::string> zone_country; /* first country of a zone */
    std::unique_ptr<PhoneNumberOfflineGeocoder> geocoder;
    std::string rules_version;
};

namespace
{

/* The interned name of `name`, creating its ICU zone: NULL when ICU does not
 * know it (ICU answers unknown names with Etc/Unknown). */
const char *intern(zone_db *db, const std::string &name)
{
    auto it = db->zones.find(name);
    if (it == db->zones.end()) {
        std::unique_ptr<icu::TimeZone> tz(
            icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(name)));
        icu::UnicodeString id;
        if (!tz || tz->getID(id) == icu::UnicodeString("Etc/Unknown"))
            return nullptr;
        it = db->zones.emplace(name, std::move(tz)).first;
    }
    return it->first.c_str();
}

int add_zone(zone_db *db, zone_set *out, const std::string &name)
{
    const char *z = intern(db, name);
    if (!z)
        return -1;
    for (int i = 0; i < out->n; i++)
        if (out->zone[i] == z)
            return 0;
    if (out->n < ZONE_SET_MAX)
        out->zone[out->n++] = z;
    return 0;
}

int add_list(zone_db *db, zone_set *out, const char *list)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len && add_zone(db, out, std::string(p, len)) < 0)
            return -1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

void set_where(zone_set *out, const std::string &w)
{
    snprintf(out->where, sizeof out->where, "%s", w.c_str());
}

/* "New York, NY" or "California": the state or province it names. */
const region_zones *region_of(const std::string &desc, const region_zones *table, size_t n)
{
    size_t comma = desc.rfind(", ");
    std::string code = comma == std::string::npos ? "" : desc.substr(comma + 2);
    for (size_t i = 0; i < n; i++)
        if (code == table[i].code || desc == table[i].name)
            return &table[i];
    return nullptr;
}

int country_zones(zone_db *db, const std::string &cc, zone_set *out)
{
    auto it = db->by_country.find(cc);
    if (it == db->by_country.end())
        return -1;
    out->n = 0;
    for (const std::string &z : it->second)
        if (add_zone(db, out, z) < 0)
            return -1;
    return out->n ? 0 : -1;
}

/* Narrow `out` (the country's zones) by the number's area, when the tables
 * know it. */
void narrow(zone_db *db, const PhoneNumber &n, const std::string &region, zone_set *out)
{
    zone_set narrowed{};
    if (region == "US" || region == "CA") {
        std::string desc = db->geocoder->GetDescriptionForNumber(n, icu::Locale("en", "US"));
        const region_zones *r =
            region == "US"
                ? region_of(desc, kUsStates, sizeof kUsStates / sizeof *kUsStates)
                : region_of(desc, kCaProvinces, sizeof kCaProvinces / sizeof *kCaProvinces);
        if (r && add_list(db, &narrowed, r->zones) == 0) {
            *out = narrowed;
            set_where(out, r->name);
            snprintf(out->state, sizeof out->state, "%s", r->code);
        } else {
            set_where(out, region + " number, area not known: every " + region + " zone");
        }
        return;
    }
    if (region == "AU") {
        std::string nsn;
        util().GetNationalSignificantNumber(n, &nsn);
        const region_zones *best = nullptr;
        for (const region_zones &r : kAuPrefixes)
            if (nsn.compare(0, strlen(r.code), r.code) == 0 &&
                (!best || strlen(r.code) > strlen(best->code)))
                best = &r;
        if (best && add_list(db, &narrowed, best->zones) == 0) {
            *out = narrowed;
            set_where(out, best->name);
        } else {
            set_where(out, "AU mobile or non-geographic: every Australian zone");
        }
        return;
    }
    set_where(out, out->n == 1 ? region : region + ": every zone of the country");
}

} // namespace

extern "C" {

struct zone_db *zone_db_open(struct cp_error *err)
{
    const char *dir = getenv("TZDIR");
    std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/zone1970.tab";
    FILE *fp = fopen(path.c_str(), "r");
    if (!fp) {
        cp_fail(err, CP_EXIT_USAGE, "cannot read '%s' (install tzdata): %s", path.c_str(),
                strerror(errno));
        return nullptr;
    }
    zone_db *db = nullptr;
    phone_region_known("AU"); /* phone.cc's first use: the library's logger goes quiet */
    try {
        db = new zone_db();
        char line[512];
        while (fgets(line, sizeof line, fp)) {
            if (line[0] == '#')
                continue;
            /* codes <TAB> coordinates <TAB> zone [<TAB> comment] */
            char *save = nullptr;
            char *codes = strtok_r(line, "\t\n", &save);
            char *coords = codes ? strtok_r(nullptr, "\t\n", &save) : nullptr;
            char *zone = coords ? strtok_r(nullptr, "\t\n", &save) : nullptr;
            if (!zone)
                continue;
            char *save2 = nullptr;
            for (char *cc = strtok_r(codes, ",", &save2); cc; cc = strtok_r(nullptr, ",", &save2)) {
                db->by_country[cc].push_back(zone);
                db->zone_country.emplace(zone, cc);
            }
        }
        db->geocoder.reset(new PhoneNumberOfflineGeocoder());
        UErrorCode st = U_ZERO_ERROR;
        const char *v = icu::TimeZone::getTZDataVersion(st);
        db->rules_version = U_SUCCESS(st) && v ? v : "unknown";
    } catch (...) {
        delete db;
        fclose(fp);
        cp_fail(err, CP_EXIT_USAGE, "out of memory reading '%s'", path.c_str());
        return nullptr;
    }
    fclose(fp);
    if (db->by_country.empty()) {
        delete db;
        cp_fail(err, CP_EXIT_USAGE, "'%s' lists no zones", path.c_str());
        return nullptr;
    }
    return db;
}

void zone_db_close(struct zone_db *db)
{
    delete db;
}

int zone_for_phone(struct zone_db *db, const char *e164, struct zone_set *out)
{
    try {
        PhoneNumber n;
        if (util().Parse(e164, "ZZ", &n) != PhoneNumberUtil::NO_PARSING_ERROR)
            return -1;
        std::string region;
        util().GetRegionCodeForNumber(n, &region);
        if (country_zones(db, region, out) < 0)
            return -1;
        out->state[0] = '\0';
        if (out->n > 1)
            narrow(db, n, region, out);
        else
            set_where(out, region);
        snprintf(out->country, sizeof out->country, "%s", region.c_str());
        return 0;
    } catch (...) {
        return -1;
    }
}

int zone_for_name(struct zone_db *db, const char *iana, struct zone_set *out)
{
    try {
        out->n = 0;
        out->country[0] = out->state[0] = '\0';
        if (add_zone(db, out, iana) < 0 || !out->n)
            return -1;
        set_where(out, iana);
        return 0;
    } catch (...) {
        return -1;
    }
}

int zone_for_country(struct zone_db *db, const char *iso2, struct zone_set *out)
{
    try {
        std::string cc(iso2);
        for (char &c : cc)
            c = (char)toupper((unsigned char)c);
        if (country_zones(db, cc, out) < 0)
            return -1;
        snprintf(out->country, sizeof out->country, "%s", cc.c_str());
        out->state[0] = '\0';
        set_where(out, out->n == 1 ? cc : cc + ": every zone of the country");
        return 0;
    } catch (...) {
        return -1;
    }
}

int zone_local_time(struct zone_db *db, const char *zone, double t, struct zone_local *out)
{
    try {
        auto it = db->zones.find(zone);
        if (it == db->zones.end())
            return -1;
        int32_t raw = 0, dst = 0;
        UErrorCode st = U_ZERO_ERROR;
        it->second->getOffset(t * 1000.0, false, raw, dst, st);
        if (U_FAILURE(st))
            return -1;
        out->offset_min = (raw + dst) / 60000;
        time_t local = (time_t)t + (time_t)(raw + dst) / 1000;
        struct tm tm;
        gmtime_r(&local, &tm);
        out->year = tm.tm_year + 1900;
        out->month = tm.tm_mon + 1;
        out->day = tm.tm_mday;
        out->wday = tm.tm_wday;
        out->minute = tm.tm_hour * 60 + tm.tm_min;
        return 0;
    } catch (...) {
        return -1;
    }
}

int zone_abbrev(struct zone_db *db, const char *zone, double t, char *buf, size_t len)
{
    try {
        auto it = db->zones.find(zone);
        if (it == db->zones.end())
            return -1;
        int32_t raw = 0, dst = 0;
        UErrorCode st = U_ZERO_ERROR;
        it->second->getOffset(t * 1000.0, false, raw, dst, st);
        if (U_FAILURE(st))
            return -1;
        /* The short name a person of the zone's country would read (AEDT,
         * EST, GMT); ICU falls back to "GMT+8" where it has none. */
        auto c = db->zone_country.find(zone);
        icu::Locale loc("en", c == db->zone_country.end() ? "US" : c->second.c_str());
        icu::UnicodeString name;
        std::string abbrev;
        it->second->getDisplayName(dst != 0, icu::TimeZone::SHORT, loc, name).toUTF8String(abbrev);
        snprintf(buf, len, "%s", abbrev.c_str());
        return 0;
    } catch (...) {
        return -1;
    }
}

const char *zone_rules_version(struct zone_db *db)
{
    return db->rules_version.c_str();
}

} // extern "C"
