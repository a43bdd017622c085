/*
 * pipeline_check_ready(): what `run` would refuse before its first request,
 * asked by `check` as well, so a pipeline `check` passes does not fail the
 * night's run on something knowable without the network.
 */
#include "config/pipeline.h"

#include <errno.h>
#include <strings.h>
#include <unistd.h>

#include "config/diag.h"

int pipeline_check_ready(const struct pipeline *p, struct cp_error *err)
{
    const char *key;
    char why[128];

    if (p->not_ready)
        return cp_fail(err, CP_EXIT_USAGE, "%s", p->not_ready);
    /* curl would only say so at the first https request, after the lock and
     * the preflight: a CA file that cannot be read is known now. (Over the
     * http:// allowed for loopback hosts it is never read.) */
    if (p->api.ca_file && p->api.base_url && strncasecmp(p->api.base_url, "https://", 8) == 0 &&
        access(p->api.ca_file, R_OK) < 0)
        return cp_fail(err, CP_EXIT_USAGE, "cannot read api.ca_file '%s': %s", p->api.ca_file,
                       diag_errtext(errno, why, sizeof why));
    return pipeline_api_key(p, &key, err);
}
