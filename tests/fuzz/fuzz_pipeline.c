/*
 * Fuzz target: the pipeline loader (SPEC section 7, reliability).
 *
 * The bytes are a pipeline file, written to <tmp>/fuzz.yaml and loaded with
 * pipeline_load(); a loaded pipeline is released, and its API key looked up
 * when that reads no file. A few environment variables are set so that
 * ${VAR} references resolve (FUZZ_KEY, FUZZ_DIR, FUZZ_EMPTY, FUZZ_RATE,
 * FUZZ_BIG) and others stay unset (FUZZ_UNSET).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/pipeline.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set_env_once(void)
{
    static int done;
    if (done++)
        return;
    static char big[5000];
    memset(big, 'x', sizeof big - 1);
    setenv("FUZZ_KEY", "ck_live_0123456789abcdef", 1);
    setenv("FUZZ_DIR", "out/{name}/{date}", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("FUZZ_RATE", "100/min", 1);
    setenv("FUZZ_BIG", big, 1);
    unsetenv("FUZZ_UNSET");
    /* The loader's own overrides: left unset so the file decides. */
    unsetenv("CLOUTLY_BASE_URL");
    unsetenv("CLOUTLY_API_KEY");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    set_env_once();
    const char *path = fuzz_write("fuzz.yaml", data, size);
    struct pipeline p;
    struct cp_error err = {0};
    memset(&p, 0xA5, sizeof p); /* the loader must not rely on a zeroed struct */
    if (pipeline_load(path, FUZZ_NOW, &p, &err) == 0) {
        if (!p.api.api_key_file) {
            const char *key = NULL;
            struct cp_error kerr = {0};
            (void)pipeline_api_key(&p, &key, &kerr);
        }
        pipeline_release(&p);
        pipeline_release(&p); /* documented as safe on a released (zeroed) struct */
    }
    return 0;
}
