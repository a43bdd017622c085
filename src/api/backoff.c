/* Retry spacing: see backoff.h. */
#include "api/backoff.h"

#include <math.h>
#include <stdlib.h>

double api_backoff(int attempt)
{
    double base = 0.5 * pow(2.0, attempt > 1 ? attempt - 1 : 0);
    if (base > 30.0)
        base = 30.0;
    /* Jitter so that rows failing together do not retry together. */
    return base * (0.5 + 0.5 * ((double)rand() / RAND_MAX));
}
