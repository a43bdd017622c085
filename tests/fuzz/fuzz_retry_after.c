/*
 * Fuzz target: Retry-After (issue 9). Whatever a server sends, the wait is
 * -1 (not a Retry-After) or within [0, 1e9] seconds, and a finite number:
 * never inf, NaN or negative, so no pause can be endless. The backoff that
 * stands in for a missing Retry-After stays within 0 to 30 s as well.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/backoff.h"
#include "api/retry_after.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double w = retry_after_parse((const char *)data, size, 1784764800);
    if (w != -1 && !(isfinite(w) && w >= 0 && w <= 1e9)) {
        fprintf(stderr, "retry_after_parse gave %g\n", w);
        abort();
    }
    int attempt = size ? data[0] : 1;
    double b = api_backoff(attempt);
    if (!(isfinite(b) && b >= 0 && b <= 30.0)) {
        fprintf(stderr, "api_backoff(%d) gave %g\n", attempt, b);
        abort();
    }
    return 0;
}
