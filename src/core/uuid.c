/* UUID shape checks: see uuid.h. */
#include "core/uuid.h"

#include <ctype.h>
#include <string.h>

#define UUID_LEN 36

int uuid_valid(const char *s, size_t len)
{
    if (!s || len != UUID_LEN)
        return 0;
    for (size_t i = 0; i < UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

bool uuid_valid_str(const char *s)
{
    return s && uuid_valid(s, strlen(s));
}

bool uuid_is_nil(const char *s)
{
    return s && strcmp(s, UUID_NIL) == 0;
}
