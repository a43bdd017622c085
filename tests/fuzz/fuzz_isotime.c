/*
 * Fuzz target: the tree's one ISO 8601 parser (core/isotime.c), which reads
 * `since:`, `--since`, `ledger --since` and the export's watermark.
 *
 * The bytes are a timestamp, copied into a buffer of exactly their size (so
 * ASan sees any read past the length). Beyond "no crash", the target checks
 * what the parser promises: the same bytes give the same instant; an
 * accepted text starts with a YYYY-MM-DD date; a trailing Z means the same
 * as +00:00; and +HH:MM means the same as +HHMM. A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/isotime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t parse_or_abort(const char *s, size_t n)
{
    int64_t us;
    if (isotime_parse(s, n, &us) < 0)
        abort(); /* a spelling of an accepted instant was refused */
    return us;
}

static void check_offsets(const char *s, size_t n, int64_t us)
{
    char alt[64];
    if (n + 6 > sizeof alt)
        return;
    if (s[n - 1] == 'Z' || s[n - 1] == 'z') {
        memcpy(alt, s, n - 1);
        memcpy(alt + n - 1, "+00:00", 6);
        if (parse_or_abort(alt, n + 5) != us)
            abort();
    } else if (n > 16 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':') {
        memcpy(alt, s, n - 3);
        memcpy(alt + n - 3, s + n - 2, 2);
        if (parse_or_abort(alt, n - 1) != us)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    int64_t a, b;
    if (!s)
        return 0;
    memcpy(s, data, size);
    if (isotime_parse(s, size, &a) == 0) {
        if (isotime_parse(s, size, &b) < 0 || a != b)
            abort();
        if (size < 10 || s[4] != '-' || s[7] != '-')
            abort();
        check_offsets(s, size, a);
    }
    free(s);
    return 0;
}
