/*
 * Where a contact is, in time: the IANA zones a phone number may be in, and
 * the local civil time of an instant in a zone. phone_zone.cc does it with
 * tables of US states, Canadian provinces and Australian area codes
 * (region_zones.h; the state of each +1 area code and exchange generated at
 * build time from libphonenumber's offline geocoder, which the binary
 * never loads), tzdata's zone1970.tab (each country's zones) and ICU's
 * TimeZone (the DST rules), behind this C surface; no exception crosses it.
 *
 * A number maps to a set of zones, never a guess: a US number whose state
 * spans two zones, or an Australian mobile, gets every zone it could be in,
 * and the send window must hold in all of them.
 *
 * Ownership: a zone_db owns its tables, its remembered answers and one ICU
 * zone per name used; the zone names in a zone_set point into it and live until
 * zone_db_close(). A zone_db is for one thread (the send loop's).
 */
#ifndef CLOUTLY_PHONE_ZONE_H
#define CLOUTLY_PHONE_ZONE_H

#include <stddef.h>

#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZONE_SET_MAX 32

struct zone_set {
    int n;                          /* 1..ZONE_SET_MAX zones */
    const char *zone[ZONE_SET_MAX]; /* IANA names, borrowed from the zone_db */
    char where[64];                 /* what narrowed it, for a person: "California",
                                       "AU mobile or non-geographic: every Australian zone" */
    char country[3];                /* ISO code of the number's country, "" when not a phone */
    char state[3];                  /* US state or CA province code when narrowed to one */
};

/* The local civil time of one instant in one zone. */
struct zone_local {
    int year, month, day; /* 2026, 1..12, 1..31 */
    int wday;             /* 0 = Sunday */
    int minute;           /* of the local day, 0..1439 */
    int offset_min;       /* local - UTC, minutes, DST included */
};

struct zone_db;

/* Read zone1970.tab (under $TZDIR, default /usr/share/zoneinfo). NULL and
 * err when it cannot be read. */
struct zone_db *zone_db_open(struct cp_error *err);
/* Safe on NULL. */
void zone_db_close(struct zone_db *db);

/* The zones an E.164 number ("+61412345678") may be in: 0 and *out, or -1
 * when the number is not valid (phone_normalise() refuses it) or its
 * country has no zone in tzdata. Answers are kept per region and narrowing
 * entry, so a call costs one phone_normalise() and a lookup. */
int zone_for_phone(struct zone_db *db, const char *e164, struct zone_set *out);
/* The same for a number whose region validation already found ("AU", as
 * phone_normalise gave it): no second parse. "" or NULL: zone_for_phone. */
int zone_for_phone_in(struct zone_db *db, const char *e164, const char *region,
                      struct zone_set *out);

/* One named zone ("Australia/Perth"): 0, or -1 when tzdata has no such zone. */
int zone_for_name(struct zone_db *db, const char *iana, struct zone_set *out);

/* A country's zones ("AU", or a name or code the row gave): 0, or -1. */
int zone_for_country(struct zone_db *db, const char *iso2, struct zone_set *out);

/* Local time of `t` (seconds since the epoch) in `zone`, a name from a
 * zone_set: 0, or -1 for a zone ICU does not know. */
int zone_local_time(struct zone_db *db, const char *zone, double t, struct zone_local *out);

/* The short name of `zone` at `t` as its people read it: "AEDT", "EST",
 * "GMT", or "GMT+8" where ICU has none. 0, or -1 for an unknown zone. */
int zone_abbrev(struct zone_db *db, const char *zone, double t, char *buf, size_t len);

/* The version of the DST rules in use, e.g. "2022e" (ICU's tz data). */
const char *zone_rules_version(struct zone_db *db);

#ifdef __cplusplus
}
#endif

#endif
