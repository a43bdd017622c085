/* Names as exports write them: see names.h. */
#include "intake/names.h"

#include <string.h>
#include <strings.h>

#include "intake/email.h"

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct name_part trim(const char *p, size_t len)
{
    while (len && is_space((unsigned char)p[0])) {
        p++;
        len--;
    }
    while (len && is_space((unsigned char)p[len - 1]))
        len--;
    return (struct name_part){p, len};
}

/* The closing character of a wrapping pair that opens with `c`, or 0. */
static char closer(char c)
{
    switch (c) {
    case '"': return '"';
    case '\'': return '\'';
    case '(': return ')';
    case '[': return ']';
    case '<': return '>';
    case '{': return '}';
    default: return 0;
    }
}

struct name_part name_unwrap(const char *v, size_t len)
{
    struct name_part n = trim(v, len);
    for (;;) {
        /* Typographic quotes, as a word processor writes them: U+201C/D. */
        if (n.len >= 6 && memcmp(n.p, "\xE2\x80\x9C", 3) == 0 &&
            memcmp(n.p + n.len - 3, "\xE2\x80\x9D", 3) == 0) {
            n = trim(n.p + 3, n.len - 6);
            continue;
        }
        char c = n.len >= 2 ? closer(n.p[0]) : 0;
        if (!c || n.p[n.len - 1] != c)
            return n;
        n = trim(n.p + 1, n.len - 2);
    }
}

int name_is_email(const char *v, size_t len)
{
    struct name_part n = trim(v, len);
    if (!memchr(n.p, '@', n.len))
        return 0;
    if (email_valid(n.p, n.len))
        return 1;
    /* "Jane <jane@example.com>" is a name with an address: an email too,
     * since which part is the name is a guess. */
    for (size_t i = 0; i < n.len; i++)
        if (n.p[i] == '@')
            return 1;
    return 0;
}

/* Titles a first name is written after; compared without a final dot. */
static const char *const titles[] = {"mr",        "mrs", "ms",   "miss", "mx",   "dr",   "prof",
                                     "professor", "sir", "dame", "rev",  "revd", "fr",   "herr",
                                     "frau",      "mme", "mlle", "sr",   "sra",  "srta", NULL};

static int is_title(const char *p, size_t len)
{
    if (len && p[len - 1] == '.')
        len--;
    for (const char *const *t = titles; *t; t++)
        if (strlen(*t) == len && strncasecmp(*t, p, len) == 0)
            return 1;
    return 0;
}

struct name_part name_drop_title(struct name_part n)
{
    size_t i = 0;
    while (i < n.len && !is_space((unsigned char)n.p[i]))
        i++;
    if (i < n.len && is_title(n.p, i))
        return trim(n.p + i, n.len - i);
    return n;
}

void name_split(const char *v, size_t len, struct name_part *first, struct name_part *last)
{
    struct name_part n = name_unwrap(v, len);
    const char *comma = memchr(n.p, ',', n.len);
    last->p = n.p;
    last->len = 0;
    if (comma) {
        /* "Citizen, Jane": the part before the comma is the last name. */
        *last = name_unwrap(n.p, (size_t)(comma - n.p));
        *first = name_drop_title(name_unwrap(comma + 1, n.len - (size_t)(comma - n.p) - 1));
        return;
    }
    n = name_drop_title(n);
    size_t i = 0;
    while (i < n.len && !is_space((unsigned char)n.p[i]))
        i++;
    *first = (struct name_part){n.p, i};
    if (i < n.len)
        *last = trim(n.p + i, n.len - i);
}
