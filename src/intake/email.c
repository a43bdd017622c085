/* Email shape and provider typos: see email.h. */
#include "intake/email.h"

#include <stdint.h>
#include <string.h>

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Whether a word of eight bytes holds a byte below `n` (n <= 128), or a
 * zero byte: never a false no (a yes is looked at byte by byte). */
static uint64_t below(uint64_t v, unsigned n)
{
    return (v - ONES * n) & ~v & HIGHS;
}

int email_valid(const char *e, size_t len)
{
    const char *at = NULL;
    size_t i = 0;
    while (i < len) {
        /* Eight plain bytes a step: no '@', no space or control, no DEL.
         * A word with one is taken byte by byte. */
        if (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, e + i, 8);
            if (!(below(v, 0x21) | below(v ^ (ONES * '@'), 1) | below(v ^ (ONES * 0x7f), 1))) {
                i += 8;
                continue;
            }
        }
        for (size_t stop = i + 8 < len ? i + 8 : len; i < stop; i++) {
            unsigned char c = (unsigned char)e[i];
            if (c == '@') {
                if (at)
                    return 0;
                at = e + i;
            } else if (c <= 0x20 || c == 0x7f) {
                return 0; /* spaces and control characters */
            }
        }
    }
    if (!at || at == e || at == e + len - 1)
        return 0;
    const char *domain = at + 1;
    size_t dlen = len - (size_t)(domain - e);
    const char *dot = memchr(domain, '.', dlen);
    return dot && dot != domain && domain[dlen - 1] != '.';
}

/* Whole domains only: yahoo.co is a typo of yahoo.com, yahoo.co.uk is not.
 * Each typo carries its length: this runs for every email of a file. */
#define TYPO(typo, meant)                                                                          \
    {                                                                                              \
        typo, meant, sizeof typo - 1, typo[0]                                                      \
    }
static const struct {
    const char *typo, *meant;
    size_t len;
    char first; /* kept beside the length: most entries are passed on these two */
} typos[] = {
    TYPO("gmial.com", "gmail.com"),      TYPO("gmal.com", "gmail.com"),
    TYPO("gmaill.com", "gmail.com"),     TYPO("gmai.com", "gmail.com"),
    TYPO("gamil.com", "gmail.com"),      TYPO("gnail.com", "gmail.com"),
    TYPO("gmail.co", "gmail.com"),       TYPO("gmail.cm", "gmail.com"),
    TYPO("gmail.om", "gmail.com"),       TYPO("gmail.con", "gmail.com"),
    TYPO("gmail.comm", "gmail.com"),     TYPO("gmaiil.com", "gmail.com"),
    TYPO("hotmial.com", "hotmail.com"),  TYPO("hotmal.com", "hotmail.com"),
    TYPO("hotmai.com", "hotmail.com"),   TYPO("hotmil.com", "hotmail.com"),
    TYPO("hotmail.co", "hotmail.com"),   TYPO("hotmail.con", "hotmail.com"),
    TYPO("hotmaill.com", "hotmail.com"), TYPO("hotamil.com", "hotmail.com"),
    TYPO("homail.com", "hotmail.com"),   TYPO("yaho.com", "yahoo.com"),
    TYPO("yahooo.com", "yahoo.com"),     TYPO("yahoo.co", "yahoo.com"),
    TYPO("yhaoo.com", "yahoo.com"),      TYPO("yaoo.com", "yahoo.com"),
    TYPO("yahoo.con", "yahoo.com"),      TYPO("outlok.com", "outlook.com"),
    TYPO("outloo.com", "outlook.com"),   TYPO("outlook.co", "outlook.com"),
    TYPO("outlook.con", "outlook.com"),  TYPO("otlook.com", "outlook.com"),
    TYPO("outllook.com", "outlook.com"), TYPO("iclod.com", "icloud.com"),
    TYPO("icoud.com", "icloud.com"),     TYPO("icloud.co", "icloud.com"),
    TYPO("icloud.con", "icloud.com"),    TYPO("iclould.com", "icloud.com"),
    TYPO("bigpond.con", "bigpond.com"),  TYPO("bigpnd.com", "bigpond.com"),
    TYPO("bigpond.co", "bigpond.com"),   TYPO("live.con", "live.com"),
    TYPO("aol.con", "aol.com"),          TYPO("msn.con", "msn.com"),
};
#undef TYPO

/* The shortest and longest typo ("aol.con", "hotmaill.com"): most
 * domains are neither, and skip the list. The test of email_typo_at()
 * finds every typo through email_domain_typo, so an entry outside these
 * fails it. */
#define TYPO_MIN 7
#define TYPO_MAX 12

const char *email_typo_at(size_t i, const char **meant)
{
    if (i >= sizeof typos / sizeof *typos)
        return NULL;
    *meant = typos[i].meant;
    return typos[i].typo;
}

const char *email_domain_typo(const char *domain, size_t len)
{
    if (len < TYPO_MIN || len > TYPO_MAX)
        return NULL;
    for (size_t i = 0; i < sizeof typos / sizeof *typos; i++)
        if (typos[i].len == len && typos[i].first == domain[0] &&
            memcmp(typos[i].typo, domain, len) == 0)
            return typos[i].meant;
    return NULL;
}

void email_lower(char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Eight ASCII bytes a step with no capital: most addresses. Adding
         * 0x80 - 'A' sets a byte's high bit from 'A' up, 0x80 - ('Z' + 1)
         * from past 'Z'; a capital is a byte with the first and not the
         * second. No byte carries into the next: all are below 0x80. A
         * word with a capital or a non-ASCII byte is taken byte by byte. */
        if (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            uint64_t caps = (v + ONES * (0x80 - 'A')) & ~(v + ONES * (0x80 - 'Z' - 1)) & HIGHS;
            if (!(v & HIGHS) && !caps) {
                i += 8;
                continue;
            }
        }
        for (size_t stop = i + 8 < len ? i + 8 : len; i < stop; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 'A' && c <= 'Z') {
                s[i] = (char)(c + ('a' - 'A'));
            } else if (c == 0xC3 && i + 1 < len) {
                unsigned char n = (unsigned char)s[i + 1];
                if (n >= 0x80 && n <= 0x9E && n != 0x97)
                    s[i + 1] = (char)(n + 0x20);
                i++;
            }
        }
    }
}
