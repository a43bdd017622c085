/* libcurl's client behind the send loop's seam: see transport.h. */
#include "api/transport.h"

#include <unistd.h>

static int t_post(void *ctx, uint64_t tag, const char *path, const char *json, struct cp_error *err)
{
    return api_post(ctx, tag, path, json, err);
}

static int t_in_flight(void *ctx)
{
    return api_in_flight(ctx);
}

static int t_poll(void *ctx, int timeout_ms, struct cp_error *err)
{
    if (api_in_flight(ctx))
        return api_poll(ctx, timeout_ms, err);
    usleep((useconds_t)timeout_ms * 1000);
    return 0;
}

static int t_take(void *ctx, struct api_result *out)
{
    return api_take(ctx, out);
}

static void t_abort_all(void *ctx)
{
    api_abort_all(ctx);
}

struct api_transport api_client_transport(struct api_client *c)
{
    return (struct api_transport){.ctx = c,
                                  .post = t_post,
                                  .in_flight = t_in_flight,
                                  .poll = t_poll,
                                  .take = t_take,
                                  .abort_all = t_abort_all};
}
