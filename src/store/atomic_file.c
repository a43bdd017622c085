/*
 * Atomically replaced files: see atomic_file.h. Shared by the results
 * writer, the export, the run lock's folder and every other output, so that
 * none of them includes another stage's code to get it.
 */
#include "store/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int make_parent_dirs(const char *path, struct cp_error *err)
{
    char *dup = strdup(path);
    if (!dup)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    for (char *s = dup + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(dup, 0700) < 0 && errno != EEXIST) {
            cp_fail(err, CP_EXIT_USAGE, "cannot create folder '%s': %s", dup, strerror(errno));
            free(dup);
            return -1;
        }
        *s = '/';
    }
    free(dup);
    return 0;
}

/* A target that exists and is not a regular file (/dev/stdout, a FIFO) is
 * written in place: renaming a file over it would replace the device. */
static int open_in_place(struct atomic_file *af, const char *path, struct cp_error *err)
{
    af->path = strdup(path);
    af->fp = af->path ? fopen(path, "w") : NULL;
    if (!af->fp) {
        cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", path, strerror(errno));
        atomic_abort(af);
        return -1;
    }
    return 0;
}

/* PATH.tmp-PID files whose process is gone were left by a killed run:
 * they hold customer data and would pile up night after night. */
static void remove_stale_temps(const char *path)
{
    char *dup = strdup(path), *dup2 = strdup(path);
    DIR *d = NULL;
    if (!dup || !dup2)
        goto out;
    const char *dir = dirname(dup), *base = basename(dup2);
    size_t blen = strlen(base);
    if (!(d = opendir(dir)))
        goto out;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, base, blen) != 0 || strncmp(de->d_name + blen, ".tmp-", 5) != 0)
            continue;
        char *end;
        long pid = strtol(de->d_name + blen + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            char victim[4096];
            snprintf(victim, sizeof victim, "%s/%s", dir, de->d_name);
            unlink(victim);
        }
    }
out:
    if (d)
        closedir(d);
    free(dup);
    free(dup2);
}

int atomic_open(struct atomic_file *af, const char *path, struct cp_error *err)
{
    struct stat st;
    memset(af, 0, sizeof *af);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return open_in_place(af, path, err);
    if (make_parent_dirs(path, err) < 0)
        return -1;
    remove_stale_temps(path);
    af->path = strdup(path);
    size_t n = strlen(path) + 32;
    af->tmp = malloc(n);
    if (!af->path || !af->tmp)
        goto oom;
    snprintf(af->tmp, n, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        cp_fail(err, CP_EXIT_USAGE, "cannot create '%s': %s", af->tmp, strerror(errno));
        goto fail;
    }
    af->fp = fdopen(fd, "w");
    if (!af->fp) {
        close(fd);
        goto oom;
    }
    setvbuf(af->fp, NULL, _IOFBF, 64 * 1024);
    return 0;
oom:
    cp_fail(err, CP_EXIT_USAGE, "out of memory");
fail:
    atomic_abort(af);
    return -1;
}

int atomic_commit(struct atomic_file *af, struct cp_error *err)
{
    int rc = 0;
    if (!af->tmp) { /* written in place */
        if (fflush(af->fp) != 0 || ferror(af->fp))
            rc = cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", af->path, strerror(errno));
        if (fclose(af->fp) != 0 && rc == 0)
            rc = cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", af->path, strerror(errno));
        af->fp = NULL;
        free(af->path);
        af->path = NULL;
        return rc;
    }
    if (fflush(af->fp) != 0 || ferror(af->fp) || (!af->no_sync && fsync(fileno(af->fp)) != 0)) {
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", af->path, strerror(errno));
    }
    if (fclose(af->fp) != 0 && rc == 0)
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot write '%s': %s", af->path, strerror(errno));
    af->fp = NULL;
    if (rc == 0 && rename(af->tmp, af->path) != 0)
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot rename '%s' to '%s': %s", af->tmp, af->path,
                     strerror(errno));
    if (rc != 0)
        unlink(af->tmp);
    else if (!af->no_sync)
        rc = fsync_parent_dir(af->path, err);
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    return rc;
}

void atomic_abort(struct atomic_file *af)
{
    if (af->fp)
        fclose(af->fp);
    if (af->tmp)
        unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}

int fsync_parent_dir(const char *path, struct cp_error *err)
{
    char *dup = strdup(path);
    if (!dup)
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    const char *dir = dirname(dup);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    /* A folder we cannot open for reading still took the rename; only a
     * failed fsync of one we could open is a durability error. */
    if (fd >= 0) {
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            rc = cp_fail(err, CP_EXIT_USAGE, "cannot sync folder '%s': %s", dir, strerror(errno));
        close(fd);
    }
    free(dup);
    return rc;
}
