/* Spooling standard input: see spool.h. */
#include "store/spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/atomic_file.h"

int spool_stream(FILE *in, const char *dir, char **path, struct cp_error *err)
{
    size_t n = strlen(dir) + 40;
    char *tmpl = malloc(n);
    char buf[65536];
    size_t got, total = 0;
    int fd = -1;
    FILE *out = NULL;
    *path = NULL;
    if (!tmpl)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    snprintf(tmpl, n, "%s/.cloutly-stdin-XXXXXX", dir);
    if (make_parent_dirs(tmpl, err) < 0)
        goto fail_quiet;
    /* mkstemp creates 0600. */
    if ((fd = mkstemp(tmpl)) < 0 || !(out = fdopen(fd, "w"))) {
        cp_fail(err, CP_EXIT_INPUT, "cannot create a temporary file in '%s' for standard input: %s",
                dir, strerror(errno));
        goto fail;
    }
    fd = -1;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
        total += got;
        if (fwrite(buf, 1, got, out) != got) {
            cp_fail(err, CP_EXIT_INPUT, "cannot copy standard input to '%s': %s", tmpl,
                    strerror(errno));
            goto fail;
        }
    }
    if (ferror(in)) {
        cp_fail(err, CP_EXIT_INPUT, "cannot read standard input: %s", strerror(errno));
        goto fail;
    }
    if (fclose(out) != 0) {
        out = NULL;
        cp_fail(err, CP_EXIT_INPUT, "cannot write '%s': %s", tmpl, strerror(errno));
        goto fail;
    }
    out = NULL;
    if (total == 0) {
        cp_fail(err, CP_EXIT_INPUT,
                "standard input is empty: nothing to run (pipe the export in, "
                "e.g. 'pos-export | cloutly-pipe run PIPELINE.yaml --input -')");
        goto fail;
    }
    *path = tmpl;
    return 0;
fail:
    if (out)
        fclose(out);
    if (fd >= 0)
        close(fd);
    unlink(tmpl);
fail_quiet:
    free(tmpl);
    return -1;
}

void spool_remove(char *path)
{
    if (!path)
        return;
    unlink(path);
    free(path);
}
