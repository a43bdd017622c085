/* One run at a time: see runlock.h. */
#include "store/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store/atomic_file.h"

static void read_owner(int fd, long *pid, char *since, size_t len)
{
    char buf[128] = {0};
    *pid = 0;
    since[0] = '\0';
    if (pread(fd, buf, sizeof buf - 1, 0) > 0)
        sscanf(buf, "%ld %63s", pid, since);
    (void)len;
}

int runlock_acquire(struct runlock *lk, const char *state_path, const char *pipeline,
                    struct cp_error *err)
{
    char path[4096], since[64];
    long pid;
    lk->fd = -1;
    lk->stale_pid = 0;
    snprintf(path, sizeof path, "%s.lock", state_path);
    if (make_parent_dirs(path, err) < 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return cp_fail(err, CP_EXIT_USAGE, "cannot open lock '%s': %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        read_owner(fd, &pid, since, sizeof since);
        close(fd);
        if (e == EWOULDBLOCK)
            return cp_fail(err, CP_EXIT_USAGE,
                           "another run of pipeline '%s' is in progress (pid %ld, started %s): "
                           "wait for it to finish, or stop it", pipeline, pid, since[0] ? since : "?");
        return cp_fail(err, CP_EXIT_USAGE, "cannot lock '%s': %s", path, strerror(e));
    }
    read_owner(fd, &pid, since, sizeof since);
    if (pid > 0 && pid != (long)getpid())
        lk->stale_pid = pid; /* it held the lock and is gone: it did not finish */
    char now[40], line[128];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), now);
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        close(fd);
        return cp_fail(err, CP_EXIT_USAGE, "cannot write lock '%s': %s", path, strerror(errno));
    }
    lk->fd = fd;
    return 0;
}

void runlock_release(struct runlock *lk)
{
    if (lk->fd < 0)
        return;
    /* Empty means "finished cleanly": the next run sees no stale owner. */
    if (ftruncate(lk->fd, 0) < 0) {
        /* nothing to do: the flock still goes with close */
    }
    close(lk->fd);
    lk->fd = -1;
}
