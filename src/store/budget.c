/* The account's shared rate budget: see budget.h. */
#include "store/budget.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/atomic_file.h"
#include "store/budget_pg.h"

#define BUDGET_MAGIC   0x43504247u /* "CPBG" */
#define BUDGET_VERSION 1u
/* No legitimate slot or pause lies further ahead than this: a larger value
 * comes from before a reboot (the monotonic clock restarted) or a torn file. */
#define BUDGET_HORIZON 3600.0

struct budget_file {
    uint32_t magic, version;
    double next;          /* the next request of the account starts no earlier */
    double slowdown;      /* >= 1: multiplier on every interval after 429s */
    double wide_interval; /* the widest interval a live process asked for */
    double wide_until;    /* when that request for a wide interval lapses */
};

struct budget {
    int fd;               /* the file's, or -1 with pg */
    struct budget_pg *pg; /* the budget in PostgreSQL, or NULL: the file */
};

struct budget *budget_open(const char *path, struct cp_error *err)
{
    if (make_parent_dirs(path, err) < 0)
        return NULL;
    struct budget *b = calloc(1, sizeof *b);
    if (!b) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    b->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (b->fd < 0) {
        cp_fail(err, CP_EXIT_USAGE, "cannot open the account's rate budget '%s': %s", path,
                strerror(errno));
        free(b);
        return NULL;
    }
    return b;
}

struct budget *budget_open_pg(const char *url, const char *password_file, const char *account,
                              struct cp_error *err)
{
    struct budget *b = calloc(1, sizeof *b);
    if (!b) {
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
        return NULL;
    }
    b->fd = -1;
    b->pg = budget_pg_open(url, password_file, account, err);
    if (!b->pg) {
        free(b);
        return NULL;
    }
    return b;
}

void budget_close(struct budget *b)
{
    if (!b)
        return;
    budget_pg_close(b->pg);
    if (b->fd >= 0)
        close(b->fd);
    free(b);
}

/* Lock and read: a missing, short or foreign file reads as a fresh budget. */
static int load(struct budget *b, struct budget_file *st, double now)
{
    while (flock(b->fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return -1;
    ssize_t n = pread(b->fd, st, sizeof *st, 0);
    if (n != (ssize_t)sizeof *st || st->magic != BUDGET_MAGIC || st->version != BUDGET_VERSION ||
        !(st->slowdown >= 1.0 && st->slowdown <= 4.0)) {
        memset(st, 0, sizeof *st);
        st->magic = BUDGET_MAGIC;
        st->version = BUDGET_VERSION;
        st->slowdown = 1.0;
        st->next = now;
    }
    if (!(st->next <= now + BUDGET_HORIZON))
        st->next = now;
    if (!(st->wide_until <= now + BUDGET_HORIZON))
        st->wide_until = 0;
    return 0;
}

static int store(struct budget *b, const struct budget_file *st)
{
    int rc = pwrite(b->fd, st, sizeof *st, 0) == (ssize_t)sizeof *st ? 0 : -1;
    flock(b->fd, LOCK_UN);
    return rc;
}

static void unlock(struct budget *b)
{
    flock(b->fd, LOCK_UN);
}

double budget_acquire(struct budget *b, double now, double interval)
{
    if (b->pg)
        return budget_pg_acquire(b->pg, interval);
    struct budget_file st;
    if (load(b, &st, now) < 0)
        return -1;
    /* The lowest rate among live processes rules; a process renews its claim
     * each time it takes a slot, and it lapses two of its intervals later. */
    if (now >= st.wide_until || interval >= st.wide_interval) {
        st.wide_interval = interval;
        st.wide_until = now + 2 * interval + 1.0;
    }
    double step = st.wide_interval * st.slowdown;
    if (st.next > now) {
        /* Book the next free slot ahead: asked-for order is served order. */
        double at = st.next;
        st.next = at + step;
        return store(b, &st) < 0 ? -1 : at - now;
    }
    /* Keep to the grid when a wake-up is a little late, so small delays do
     * not add up to a lower rate; but only by a tenth of a slot: the server's
     * window may be short (a 3 s window at 20/s tolerates 30 ms at the 1%
     * margin), and with several processes waking for one slot, lateness is
     * normal. Idle time is no credit for a burst. */
    double slack = step / 10 < 0.6 ? step / 10 : 0.6;
    double start = now - st.next < slack ? st.next : now;
    st.next = start + step;
    return store(b, &st) < 0 ? -1 : 0;
}

void budget_backoff(struct budget *b, double now, double pause)
{
    if (b->pg) {
        budget_pg_backoff(b->pg, pause);
        return;
    }
    struct budget_file st;
    if (load(b, &st, now) < 0)
        return;
    if (pause > BUDGET_HORIZON)
        pause = BUDGET_HORIZON;
    if (st.next < now + pause)
        st.next = now + pause;
    st.slowdown *= 1.1;
    if (st.slowdown > 4.0)
        st.slowdown = 4.0;
    store(b, &st);
}

void budget_success(struct budget *b)
{
    if (b->pg) {
        budget_pg_success(b->pg);
        return;
    }
    struct budget_file st;
    if (load(b, &st, clock_now()) < 0)
        return;
    if (st.slowdown <= 1.0) {
        unlock(b);
        return;
    }
    st.slowdown -= 0.01;
    if (st.slowdown < 1.0)
        st.slowdown = 1.0;
    store(b, &st);
}

double budget_slowdown(struct budget *b)
{
    if (b->pg)
        return budget_pg_slowdown(b->pg);
    struct budget_file st;
    if (load(b, &st, clock_now()) < 0)
        return -1;
    unlock(b);
    return st.slowdown;
}
