/* The input snapshot: see snapshot.h. */
#include "store/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/atomic_file.h"
#include "store/filehash.h"

#define PREFIX     ".cloutly-input-"
#define COPY_BLOCK (256 * 1024)

/* Copies whose process is gone were left by a killed run. */
static void remove_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, PREFIX, sizeof PREFIX - 1) != 0)
            continue;
        long pid = strtol(de->d_name + sizeof PREFIX - 1, NULL, 10);
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int copy_fd(int in, int out, struct filehash *fh, const char *origin, struct cp_error *err)
{
    unsigned char *buf = malloc(COPY_BLOCK);
    int rc = 0;
    if (!buf)
        return cp_fail(err, CP_EXIT_INPUT, "out of memory");
    for (;;) {
        ssize_t n = read(in, buf, COPY_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cp_fail(err, CP_EXIT_INPUT, "cannot read input '%s': %s", origin, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        filehash_add(fh, buf, (size_t)n);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = cp_fail(err, CP_EXIT_INPUT, "cannot copy input '%s' beside the ledger: %s",
                             origin, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
out:
    free(buf);
    return rc;
}

int snapshot_take(struct snapshot *s, const char *origin, const char *dir, struct cp_error *err)
{
    struct filehash *fh = NULL;
    struct stat after;
    int in = -1, out = -1, rc = -1;
    memset(s, 0, sizeof *s);
    size_t n = strlen(dir) + sizeof PREFIX + 48;
    if (!(s->origin = strdup(origin)) || !(s->path = malloc(n)) || !(fh = malloc(sizeof *fh))) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto out;
    }
    snprintf(s->path, n, "%s/%s%ld-XXXXXX", dir, PREFIX, (long)getpid());
    if (make_parent_dirs(s->path, err) < 0)
        goto out;
    remove_stale(dir);
    if ((in = open(origin, O_RDONLY | O_CLOEXEC)) < 0) {
        cp_fail(err, CP_EXIT_INPUT, "cannot open input '%s': %s", origin, strerror(errno));
        goto out;
    }
    if (fstat(in, &s->st) < 0 || !S_ISREG(s->st.st_mode)) {
        cp_fail(err, CP_EXIT_INPUT, "input '%s' is not a regular file", origin);
        goto out;
    }
    if ((out = mkostemp(s->path, O_CLOEXEC)) < 0) { /* mkstemp creates 0600 */
        cp_fail(err, CP_EXIT_INPUT, "cannot create a copy of the input in '%s': %s", dir,
                strerror(errno));
        free(s->path);
        s->path = NULL;
        goto out;
    }
    filehash_init(fh);
    if (copy_fd(in, out, fh, origin, err) < 0)
        goto out;
    if (fstat(in, &after) < 0 || !same_file(&s->st, &after) ||
        lseek(in, 0, SEEK_CUR) != s->st.st_size) {
        cp_fail(err, CP_EXIT_INPUT,
                "input '%s' changed while it was being read: nothing was "
                "sent; run again when the export is complete",
                origin);
        goto out;
    }
    if (close(out) < 0) {
        out = -1;
        cp_fail(err, CP_EXIT_INPUT, "cannot copy input '%s': %s", origin, strerror(errno));
        goto out;
    }
    out = -1;
    filehash_final(fh, s->hash);
    rc = 0;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(fh);
    if (rc < 0)
        snapshot_release(s);
    return rc;
}

int snapshot_changed(const struct snapshot *s, char *why, size_t n)
{
    struct stat now;
    if (stat(s->origin, &now) < 0) {
        snprintf(why, n, "input '%s' was removed during the run", s->origin);
        return 1;
    }
    if (now.st_dev != s->st.st_dev || now.st_ino != s->st.st_ino) {
        snprintf(why, n, "input '%s' was replaced by another file during the run", s->origin);
        return 1;
    }
    if (now.st_size != s->st.st_size) {
        snprintf(why, n, "input '%s' changed size during the run (%lld bytes, now %lld)", s->origin,
                 (long long)s->st.st_size, (long long)now.st_size);
        return 1;
    }
    if (!same_file(&s->st, &now)) {
        snprintf(why, n, "input '%s' was rewritten during the run", s->origin);
        return 1;
    }
    return 0;
}

void snapshot_release(struct snapshot *s)
{
    if (s->path)
        unlink(s->path);
    free(s->path);
    free(s->origin);
    memset(s, 0, sizeof *s);
}
