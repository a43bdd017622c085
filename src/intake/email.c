/* Email shape and provider typos: see email.h. */
#include "intake/email.h"

#include <string.h>

int email_valid(const char *e, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)e[i];
        if (c == '@') {
            if (at)
                return 0;
            at = e + i;
        } else if (c <= 0x20 || c == 0x7f) {
            return 0; /* spaces and control characters */
        }
    }
    if (!at || at == e || at == e + len - 1)
        return 0;
    const char *domain = at + 1;
    size_t dlen = len - (size_t)(domain - e);
    const char *dot = memchr(domain, '.', dlen);
    return dot && dot != domain && domain[dlen - 1] != '.';
}

/* Whole domains only: yahoo.co is a typo of yahoo.com, yahoo.co.uk is not. */
static const struct {
    const char *typo, *meant;
} typos[] = {
    {"gmial.com", "gmail.com"},      {"gmal.com", "gmail.com"},
    {"gmaill.com", "gmail.com"},     {"gmai.com", "gmail.com"},
    {"gamil.com", "gmail.com"},      {"gnail.com", "gmail.com"},
    {"gmail.co", "gmail.com"},       {"gmail.cm", "gmail.com"},
    {"gmail.om", "gmail.com"},       {"gmail.con", "gmail.com"},
    {"gmail.comm", "gmail.com"},     {"gmaiil.com", "gmail.com"},
    {"hotmial.com", "hotmail.com"},  {"hotmal.com", "hotmail.com"},
    {"hotmai.com", "hotmail.com"},   {"hotmil.com", "hotmail.com"},
    {"hotmail.co", "hotmail.com"},   {"hotmail.con", "hotmail.com"},
    {"hotmaill.com", "hotmail.com"}, {"hotamil.com", "hotmail.com"},
    {"homail.com", "hotmail.com"},   {"yaho.com", "yahoo.com"},
    {"yahooo.com", "yahoo.com"},     {"yahoo.co", "yahoo.com"},
    {"yhaoo.com", "yahoo.com"},      {"yaoo.com", "yahoo.com"},
    {"yahoo.con", "yahoo.com"},      {"outlok.com", "outlook.com"},
    {"outloo.com", "outlook.com"},   {"outlook.co", "outlook.com"},
    {"outlook.con", "outlook.com"},  {"otlook.com", "outlook.com"},
    {"outllook.com", "outlook.com"}, {"iclod.com", "icloud.com"},
    {"icoud.com", "icloud.com"},     {"icloud.co", "icloud.com"},
    {"icloud.con", "icloud.com"},    {"iclould.com", "icloud.com"},
    {"bigpond.con", "bigpond.com"},  {"bigpnd.com", "bigpond.com"},
    {"bigpond.co", "bigpond.com"},   {"live.con", "live.com"},
    {"aol.con", "aol.com"},          {"msn.con", "msn.com"},
};

const char *email_domain_typo(const char *domain, size_t len)
{
    for (size_t i = 0; i < sizeof typos / sizeof *typos; i++)
        if (strlen(typos[i].typo) == len && memcmp(typos[i].typo, domain, len) == 0)
            return typos[i].meant;
    return NULL;
}

void email_lower(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
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
