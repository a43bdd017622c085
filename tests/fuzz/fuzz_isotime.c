/*
 * Fuzz target: the one ISO 8601 parser (since:, --since, watermarks). Any
 * bytes give -1 or a time; a time is stable: the same text, padded with a
 * trailing NUL-free copy, parses to the same instant, and the date part
 * alone (YYYY-MM-DD) parses to midnight of that day or is refused with it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/isotime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t a, b;
    int ra = isotime_parse((const char *)data, size, &a);
    /* The parser reads `size` bytes, never past them: a copy with no NUL
     * after it (ASan catches a read past the end) must give the same. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    int rb = isotime_parse(copy, size, &b);
    if (ra != rb || (ra == 0 && a != b)) {
        fprintf(stderr, "isotime_parse is not a function of its bytes\n");
        abort();
    }
    if (ra == 0 && size >= 10) {
        int64_t day;
        if (isotime_parse(copy, 10, &day) == 0 && (day % 86400000000LL) != 0) {
            fprintf(stderr, "a date alone is not midnight UTC\n");
            abort();
        }
    }
    free(copy);
    return 0;
}
