/*
 * pipeline_check_ready(): what `run` would refuse before its first request,
 * asked by `check` as well, so a pipeline `check` passes does not fail the
 * night's run on something knowable without the network.
 */
#include "config/pipeline.h"

int pipeline_check_ready(const struct pipeline *p, struct cp_error *err)
{
    const char *key;

    if (p->not_ready)
        return cp_fail(err, CP_EXIT_USAGE, "%s", p->not_ready);
    return pipeline_api_key(p, &key, err);
}
