/*
 * Phone number -> the zones it may be in, and instant -> local time: see
 * phone_zone.h.
 *
 * Narrowing is data: region_zones.h lists the zones of each US state,
 * Canadian province and Australian geographic area code; nanp_states.inc
 * (generated at build time from libphonenumber's offline geocoder, see
 * gen/nanp_states_gen.cc) names the state or province of each +1 area code
 * and exchange. Anything not narrowed keeps every zone tzdata's
 * zone1970.tab lists for the number's country: the caller then needs its
 * window open in all.
 *
 * The answer for a number depends only on its region and the table entry
 * it narrows to, so it is computed once per (region, entry) and kept: a
 * row costs a phone_normalise() of its E.164 (the fast path) and two
 * lookups. tests/zone_diff holds the answers to the live geocoder.
 */
/* error.h is plain C with no extern "C" of its own. */
extern "C" {
#include "core/error.h"
#include "intake/phone.h"
}
#include "intake/phone_zone.h"
#include "intake/region_zones.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <unicode/basictz.h>
#include <unicode/locid.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/unistr.h>

namespace
{

using cloutly_zone::kNoRegion;
using cloutly_zone::kRegions;

/* An area code (200..999) or area code and exchange (200000..999999), and
 * the kRegions index it narrows to. */
struct nanp_entry {
    int prefix;
    unsigned char region;
};

#include "intake/nanp_states.inc"

const nanp_entry *find_entry(const nanp_entry *t, size_t n, int prefix)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].prefix < prefix)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t[lo].prefix == prefix ? &t[lo] : nullptr;
}

/* The state or province of a +1 national number ("2124567890"): its
 * kRegions index, or kNoRegion. */
unsigned char nanp_region(const char *nsn)
{
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)nsn[i]))
            return kNoRegion;
    int npa = (nsn[0] - '0') * 100 + (nsn[1] - '0') * 10 + (nsn[2] - '0');
    int nxx = (nsn[3] - '0') * 100 + (nsn[4] - '0') * 10 + (nsn[5] - '0');
    const nanp_entry *e = find_entry(kNanpExchanges, sizeof kNanpExchanges / sizeof *kNanpExchanges,
                                     npa * 1000 + nxx);
    if (!e)
        e = find_entry(kNanpAreas, sizeof kNanpAreas / sizeof *kNanpAreas, npa);
    return e ? e->region : kNoRegion;
}

/* The kRegions entry an E.164 number of `region` narrows to, or kNoRegion. */
unsigned char narrowing_of(const char *e164, const char *region)
{
    unsigned char idx = kNoRegion;
    if ((strcmp(region, "US") == 0 || strcmp(region, "CA") == 0) && strncmp(e164, "+1", 2) == 0)
        idx = nanp_region(e164 + 2);
    else if (strcmp(region, "AU") == 0 && strncmp(e164, "+61", 3) == 0)
        idx = cloutly_zone::region_by_prefix("AU", e164 + 3);
    /* A table entry of another country (a +1 exchange the geocoder puts
     * in Canada while the number is American) narrows nothing. */
    if (idx != kNoRegion && strcmp(kRegions[idx].country, region) != 0)
        idx = kNoRegion;
    return idx;
}

} // namespace

/* One zone: its ICU rules, the span of time its offset last held for (so
 * the send window's walk over a million rows asks ICU once per span), and
 * its short names. ICU's short name of a zone depends on the zone, DST and
 * the current date alone (TimeZone::getDisplayName reads no instant), so
 * it is kept for the process's life. */
struct zone_info {
    std::unique_ptr<icu::TimeZone> tz;
    double from_ms = 0, until_ms = 0; /* the offset below holds in [from, until) */
    int32_t raw = 0, dst = 0;
    std::string abbrev[2]; /* standard, daylight; "" until asked */
};

struct zone_db {
    std::unordered_map<std::string, std::vector<std::string>> by_country; /* "AU" -> zones */
    /* Every zone handed out, by name: the key is what zone_set points at
     * (node-based map: keys never move). */
    std::unordered_map<std::string, zone_info> zones;
    /* The same entries by the interned name's address, which is what
     * callers hold: no string to build and hash per call. */
    std::unordered_map<const char *, zone_info *> by_name_ptr;
    std::unordered_map<std::string, std::string> zone_country; /* first country of a zone */
    /* zone_for_phone's answers by region and narrowing entry ("AU" + 2):
     * at most a few hundred, one per country and state seen. */
    std::unordered_map<std::string, std::pair<int, zone_set>> answers;
    /* An Australian number's narrowing by its first two national digits
     * (every AU key of region_zones.h is one or two digits long): the table
     * walk once per prefix, not per number. kUnasked until asked. */
    static constexpr unsigned char kUnasked = 0xfe;
    unsigned char au_by_prefix[100];
    bool au_memo = true; /* false if a longer AU key is ever added: then the walk */
    zone_db()
    {
        memset(au_by_prefix, kUnasked, sizeof au_by_prefix);
        for (size_t i = 0; i < cloutly_zone::kRegionCount; i++)
            if (strcmp(cloutly_zone::kRegions[i].country, "AU") == 0 &&
                strlen(cloutly_zone::kRegions[i].key) > 2)
                au_memo = false;
    }
    /* The latest of them: a file's numbers come a few regions at a time. */
    std::string last_key;
    const std::pair<int, zone_set> *last = nullptr;
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
        zone_info zi;
        zi.tz = std::move(tz);
        it = db->zones.emplace(name, std::move(zi)).first;
        db->by_name_ptr.emplace(it->first.c_str(), &it->second);
    }
    return it->first.c_str();
}

/* The zone named `zone`: by address when it is an interned name (the
 * common case), else by its text. NULL when not interned at all. */
zone_info *find_zone(zone_db *db, const char *zone)
{
    auto p = db->by_name_ptr.find(zone);
    if (p != db->by_name_ptr.end())
        return p->second;
    auto it = db->zones.find(zone);
    return it == db->zones.end() ? nullptr : &it->second;
}

/* The offset of `zi` at `ms`, from the span it last held for when `ms` is
 * in it; otherwise from ICU, with the span between the transitions around
 * `ms`. -1 when ICU fails. */
int offset_at(zone_info *zi, double ms)
{
    if (ms >= zi->from_ms && ms < zi->until_ms)
        return 0;
    UErrorCode st = U_ZERO_ERROR;
    zi->tz->getOffset(ms, false, zi->raw, zi->dst, st);
    if (U_FAILURE(st)) {
        zi->from_ms = zi->until_ms = 0;
        return -1;
    }
    zi->from_ms = zi->until_ms = ms; /* no span: asked again next time */
    if (auto *b = dynamic_cast<icu::BasicTimeZone *>(zi->tz.get())) {
        icu::TimeZoneTransition prev, next;
        bool has_prev = b->getPreviousTransition(ms, true, prev);
        bool has_next = b->getNextTransition(ms, false, next);
        zi->from_ms = has_prev ? prev.getTime() : -HUGE_VAL;
        zi->until_ms = has_next ? next.getTime() : HUGE_VAL;
        if (!(ms >= zi->from_ms && ms < zi->until_ms))
            zi->from_ms = zi->until_ms = ms;
    }
    return 0;
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

/* Narrow `out` (the country's zones) to table entry `idx` when there is one. */
void narrow(zone_db *db, unsigned char idx, const std::string &region, zone_set *out)
{
    zone_set narrowed{};
    if (region == "US" || region == "CA") {
        if (idx != kNoRegion && add_list(db, &narrowed, kRegions[idx].zones) == 0) {
            *out = narrowed;
            set_where(out, kRegions[idx].name);
            snprintf(out->state, sizeof out->state, "%s", kRegions[idx].key);
        } else {
            set_where(out, region + " number, area not known: every " + region + " zone");
        }
        return;
    }
    if (region == "AU") {
        if (idx != kNoRegion && add_list(db, &narrowed, kRegions[idx].zones) == 0) {
            *out = narrowed;
            set_where(out, kRegions[idx].name);
        } else {
            set_where(out, "AU mobile or non-geographic: every Australian zone");
        }
        return;
    }
    set_where(out, out->n == 1 ? region : region + ": every zone of the country");
}

/* zone_for_phone's answer for a number of `region` narrowing to `idx`. */
int compute(zone_db *db, const std::string &region, unsigned char idx, zone_set *out)
{
    if (country_zones(db, region, out) < 0)
        return -1;
    out->state[0] = '\0';
    if (out->n > 1)
        narrow(db, idx, region, out);
    else
        set_where(out, region);
    snprintf(out->country, sizeof out->country, "%s", region.c_str());
    return 0;
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

int zone_for_phone_in(struct zone_db *db, const char *e164, const char *region,
                      struct zone_set *out)
{
    if (!region || !region[0])
        return zone_for_phone(db, e164, out);
    try {
        unsigned char idx;
        const char *nsn = e164 + 3;
        if (db->au_memo && strcmp(region, "AU") == 0 && strncmp(e164, "+61", 3) == 0 &&
            isdigit((unsigned char)nsn[0]) && isdigit((unsigned char)nsn[1])) {
            unsigned char &memo = db->au_by_prefix[(nsn[0] - '0') * 10 + (nsn[1] - '0')];
            if (memo == zone_db::kUnasked)
                memo = narrowing_of(e164, region);
            idx = memo;
        } else {
            idx = narrowing_of(e164, region);
        }
        size_t rlen = strlen(region);
        const std::pair<int, zone_set> *a = db->last;
        if (!a || db->last_key.size() != rlen + 1 || db->last_key.compare(0, rlen, region) != 0 ||
            db->last_key[rlen] != (char)idx) {
            std::string key = std::string(region) + (char)idx;
            auto it = db->answers.find(key);
            if (it == db->answers.end()) {
                zone_set zs{};
                int rc = compute(db, region, idx, &zs);
                it = db->answers.emplace(key, std::make_pair(rc, zs)).first;
            }
            a = db->last = &it->second; /* unordered_map nodes never move */
            db->last_key = key;
        }
        if (a->first == 0)
            *out = a->second;
        return a->first;
    } catch (...) {
        return -1;
    }
}

int zone_for_phone(struct zone_db *db, const char *e164, struct zone_set *out)
{
    phone_result pr;
    if (phone_normalise(e164, strlen(e164), "", &pr) != 0 || !pr.region[0])
        return -1;
    return zone_for_phone_in(db, pr.e164, pr.region, out);
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
        zone_info *zi = find_zone(db, zone);
        if (!zi || offset_at(zi, t * 1000.0) < 0)
            return -1;
        int32_t off = zi->raw + zi->dst;
        out->offset_min = off / 60000;
        time_t local = (time_t)t + (time_t)off / 1000;
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
        zone_info *zi = find_zone(db, zone);
        if (!zi || offset_at(zi, t * 1000.0) < 0)
            return -1;
        std::string &abbrev = zi->abbrev[zi->dst != 0];
        if (abbrev.empty()) {
            /* The short name a person of the zone's country would read
             * (AEDT, EST, GMT); ICU falls back to "GMT+8" where it has none. */
            auto c = db->zone_country.find(zone);
            icu::Locale loc("en", c == db->zone_country.end() ? "US" : c->second.c_str());
            icu::UnicodeString name;
            zi->tz->getDisplayName(zi->dst != 0, icu::TimeZone::SHORT, loc, name)
                .toUTF8String(abbrev);
        }
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
