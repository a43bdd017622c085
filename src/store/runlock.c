/* Run locks: see runlock.h. */
#include "store/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/atomic_file.h"
#include "store/pg_conn.h"
#include "store/runlock_owner.h"
#include "store/runlock_pg.h"

/* "pid=N host=H started=T pipeline=NAME", or the older "N T". */
static void read_owner(int fd, struct runlock_owner *o)
{
    char buf[512] = {0};
    memset(o, 0, sizeof *o);
    if (pread(fd, buf, sizeof buf - 1, 0) <= 0)
        return;
    if (strncmp(buf, "pid=", 4) != 0) {
        sscanf(buf, "%ld %63s", &o->pid, o->since);
        return;
    }
    sscanf(buf, "pid=%ld host=%127s started=%63s pipeline=%255[^\n]", &o->pid, o->host, o->since,
           o->pipeline);
}

static void sanitize(const char *id, char *out, size_t len)
{
    size_t j = 0;
    for (const char *p = id; *p && j + 1 < len; p++)
        out[j++] =
            (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p) ? *p
                                                                                             : '_');
    out[j] = '\0';
}

int runlock_refuse(const char *what, const struct runlock_owner *o, struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_USAGE,
                   "%s (pipeline '%s', pid %ld on host %s, started %s): wait for it to finish, "
                   "stop it, or give --wait-lock DURATION to wait for it",
                   what, o->pipeline[0] ? o->pipeline : "?", o->pid, o->host[0] ? o->host : "?",
                   o->since[0] ? o->since : "?");
}

void runlock_tell_wait(const char *what, const struct runlock_owner *o, double wait)
{
    log_msg(LOG_INFO,
            "%s (pipeline '%s', pid %ld on host %s, started %s): waiting up to %.0fs for it", what,
            o->pipeline[0] ? o->pipeline : "?", o->pid, o->host[0] ? o->host : "?",
            o->since[0] ? o->since : "?", wait);
}

void runlock_self(struct runlock_owner *o, const char *pipeline)
{
    time_t t = time(NULL);
    struct tm tm;
    memset(o, 0, sizeof *o);
    o->pid = (long)getpid();
    gmtime_r(&t, &tm);
    strftime(o->since, sizeof o->since, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(o->host, sizeof o->host - 1);
    for (char *p = o->host; *p; p++)
        if (*p == ' ')
            *p = '_';
    if (!o->host[0])
        o->host[0] = '?';
    snprintf(o->pipeline, sizeof o->pipeline, "%s", pipeline ? pipeline : "?");
}

static int take_path(struct runlock *lk, const char *path, const char *pipeline, const char *what,
                     double wait, struct cp_error *err)
{
    struct runlock_owner o;
    lk->fd = -1;
    lk->stale_pid = 0;
    lk->pg = NULL;
    if (make_parent_dirs(path, err) < 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return cp_fail(err, CP_EXIT_USAGE, "cannot open lock '%s': %s", path, strerror(errno));
    double deadline = clock_now() + wait;
    int told = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        read_owner(fd, &o);
        if (e != EWOULDBLOCK) {
            close(fd);
            return cp_fail(err, CP_EXIT_USAGE, "cannot lock '%s': %s", path, strerror(e));
        }
        if (clock_now() >= deadline) {
            close(fd);
            runlock_refuse(what, &o, err);
            if (wait > 0)
                cp_error_prefix(err, "--wait-lock: still held after the wait");
            return -1;
        }
        if (!told++)
            runlock_tell_wait(what, &o, wait);
        usleep(100 * 1000);
    }
    read_owner(fd, &o);
    if (o.pid > 0 && o.pid != (long)getpid())
        lk->stale_pid = o.pid; /* it held the lock and is gone: it did not finish */
    struct runlock_owner me;
    char line[600];
    runlock_self(&me, pipeline);
    int n = snprintf(line, sizeof line, "pid=%ld host=%s started=%s pipeline=%s\n", me.pid, me.host,
                     me.since, me.pipeline);
    if (n >= (int)sizeof line)
        n = (int)sizeof line - 1;
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        close(fd);
        return cp_fail(err, CP_EXIT_USAGE, "cannot write lock '%s': %s", path, strerror(errno));
    }
    lk->fd = fd;
    return 0;
}

int runlock_take(struct runlock *lk, const struct runlock_spec *spec, struct cp_error *err)
{
    if (spec->url)
        return runlock_pg_take(lk, spec, err);
    char id[128], path[4096];
    sanitize(spec->id, id, sizeof id);
    snprintf(path, sizeof path, "%s/%s-%s.lock", spec->dir, spec->kind, id);
    return take_path(lk, path, spec->pipeline, spec->what, spec->wait, err);
}

int runlock_acquire(struct runlock *lk, const char *state_path, const char *pipeline,
                    struct cp_error *err)
{
    return runlock_acquire_at(lk, state_path, NULL, pipeline, err);
}

int runlock_acquire_at(struct runlock *lk, const char *state_path, const char *password_file,
                       const char *pipeline, struct cp_error *err)
{
    char path[4096], what[600];
    if (pg_is_url(state_path)) {
        snprintf(what, sizeof what, "another run of pipeline '%s' is in progress", pipeline);
        struct runlock_spec spec = {.kind = "ledger",
                                    .id = pipeline,
                                    .pipeline = pipeline,
                                    .what = what,
                                    .url = state_path,
                                    .password_file = password_file};
        return runlock_pg_take(lk, &spec, err);
    }
    snprintf(path, sizeof path, "%s.lock", state_path);
    snprintf(what, sizeof what, "another run of pipeline '%s' is in progress", pipeline);
    return take_path(lk, path, pipeline, what, 0, err);
}

void runlock_release(struct runlock *lk)
{
    if (lk->pg) {
        runlock_pg_release(lk);
        return;
    }
    if (lk->fd < 0)
        return;
    /* Empty means "finished cleanly": the next run sees no stale owner. */
    if (ftruncate(lk->fd, 0) < 0) {
        /* nothing to do: the flock still goes with close */
    }
    close(lk->fd);
    lk->fd = -1;
}
