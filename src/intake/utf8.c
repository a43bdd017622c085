/* Strict UTF-8 validation: see utf8.h. The ranges are RFC 3629's table. */
#include "intake/utf8.h"

#include <string.h>

long utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned long long high = 0x8080808080808080ull;
    size_t i = 0;
    while (i < len) {
        /* ASCII, the common case, eight bytes at a time. */
        if (i + 8 <= len) {
            unsigned long long w;
            memcpy(&w, p + i, 8);
            if (!(w & high)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* U+D800..DFFF, the surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* past U+10FFFF */
        } else {
            return (long)i;
        }
        if (i + need >= len)
            return (long)i;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return (long)i;
        for (size_t k = 2; k <= need; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return (long)i;
        i += need + 1;
    }
    return -1;
}
