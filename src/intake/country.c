/* Country names and codes: see country.h. */
#include "intake/country.h"

#include <ctype.h>
#include <string.h>

#include "intake/phone.h"

/* Names as exports write them, for the markets a review tool sells in and
 * their usual aliases. A two-letter code is taken as it is. */
static const struct {
    const char *name, *code;
} names[] = {
    {"australia", "AU"},
    {"new zealand", "NZ"},
    {"aotearoa", "NZ"},
    {"united kingdom", "GB"},
    {"great britain", "GB"},
    {"uk", "GB"},
    {"england", "GB"},
    {"scotland", "GB"},
    {"wales", "GB"},
    {"northern ireland", "GB"},
    {"ireland", "IE"},
    {"republic of ireland", "IE"},
    {"united states", "US"},
    {"united states of america", "US"},
    {"usa", "US"},
    {"america", "US"},
    {"canada", "CA"},
    {"south africa", "ZA"},
    {"singapore", "SG"},
    {"malaysia", "MY"},
    {"philippines", "PH"},
    {"india", "IN"},
    {"united arab emirates", "AE"},
    {"uae", "AE"},
    {"germany", "DE"},
    {"deutschland", "DE"},
    {"france", "FR"},
    {"spain", "ES"},
    {"espana", "ES"},
    {"españa", "ES"},
    {"italy", "IT"},
    {"italia", "IT"},
    {"netherlands", "NL"},
    {"the netherlands", "NL"},
    {"holland", "NL"},
    {"nederland", "NL"},
    {"belgium", "BE"},
    {"belgique", "BE"},
    {"belgie", "BE"},
    {"sweden", "SE"},
    {"sverige", "SE"},
    {"norway", "NO"},
    {"norge", "NO"},
    {"denmark", "DK"},
    {"danmark", "DK"},
    {"finland", "FI"},
    {"suomi", "FI"},
    {"portugal", "PT"},
    {"brazil", "BR"},
    {"brasil", "BR"},
    {"mexico", "MX"},
    {"méxico", "MX"},
    {"japan", "JP"},
    {"nippon", "JP"},
    {"austria", "AT"},
    {"switzerland", "CH"},
    {"hong kong", "HK"},
    {"china", "CN"},
    {"south korea", "KR"},
    {"korea", "KR"},
    {"indonesia", "ID"},
    {"thailand", "TH"},
    {"vietnam", "VN"},
    {"poland", "PL"},
    {"greece", "GR"},
    {"israel", "IL"},
    {"saudi arabia", "SA"},
    {"qatar", "QA"},
    {"fiji", "FJ"},
};

int country_code(const char *value, size_t len, char out[3])
{
    char low[64];
    if (len == 2 && isalpha((unsigned char)value[0]) && isalpha((unsigned char)value[1])) {
        out[0] = (char)toupper((unsigned char)value[0]);
        out[1] = (char)toupper((unsigned char)value[1]);
        out[2] = '\0';
        if (strcmp(out, "UK") == 0)
            memcpy(out, "GB", 3);
        return phone_region_known(out);
    }
    if (len == 0 || len >= sizeof low)
        return 0;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)value[i]);
    low[len] = '\0';
    /* "Australia." and "U.S.A." are written too. */
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (low[i] != '.')
            low[j++] = low[i];
    low[j] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i].name, low) == 0) {
            memcpy(out, names[i].code, 3);
            return 1;
        }
    return 0;
}

int country_is_us_state(const char *v, size_t len)
{
    static const char states[] =
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT "
        "NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY";
    if (len != 2)
        return 0;
    for (const char *p = states; p[0]; p += p[2] ? 3 : 2)
        if (toupper((unsigned char)v[0]) == p[0] && toupper((unsigned char)v[1]) == p[1])
            return 1;
    return 0;
}
