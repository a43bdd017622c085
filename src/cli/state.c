/* The account's state for a command: see state.h. */
#include "cli/state.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/pg_conn.h"

static double shared_acquire(void *ctx, double now, double interval)
{
    return budget_acquire(ctx, now, interval);
}

static void shared_backoff(void *ctx, double now, double pause)
{
    budget_backoff(ctx, now, pause);
}

static void shared_success(void *ctx)
{
    budget_success(ctx);
}

int cli_state_open(struct cli_state *cs, const char *key, const char *state_path,
                   struct cp_error *err)
{
    memset(cs, 0, sizeof *cs);
    if (!key)
        return 0;
    if (account_init(&cs->acct, key, state_path, err) < 0)
        return -1;
    cs->open = 1;
    struct cp_error why = {0};
    cs->budget = budget_open(cs->acct.budget_path, &why);
    if (!cs->budget) {
        /* Pacing alone is still correct for one process; say what is lost. */
        log_msg(LOG_WARN,
                "%s: requests are paced by this process alone, not with the other "
                "processes of the account",
                why.msg);
        return 0;
    }
    cs->shared = (struct rate_shared){.ctx = cs->budget,
                                      .acquire = shared_acquire,
                                      .backoff = shared_backoff,
                                      .success = shared_success};
    char shown[512];
    if (pg_is_url(cs->acct.ledger_path))
        pg_conn_redact(cs->acct.ledger_path, shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", cs->acct.ledger_path);
    log_msg(LOG_DEBUG, "account %s: state in %s (from %s), ledger %s", cs->acct.id, cs->acct.dir,
            cs->acct.source, shown);
    return 0;
}

int cli_state_use_pg(struct cli_state *cs, const char *url, const char *password_file,
                     struct cp_error *err)
{
    if (!cs->open)
        return cp_fail(err, CP_EXIT_USAGE,
                       "state.url needs the account's API key: it names the account's rows");
    struct budget *b = budget_open_pg(url, password_file, cs->acct.id, err);
    if (!b) {
        cp_error_prefix(err, "the account's rate budget");
        return -1;
    }
    budget_close(cs->budget);
    cs->budget = b;
    cs->shared = (struct rate_shared){.ctx = cs->budget,
                                      .acquire = shared_acquire,
                                      .backoff = shared_backoff,
                                      .success = shared_success};
    cs->pg_url = url;
    cs->pg_password_file = password_file;
    return 0;
}

int cli_state_open_pipeline(struct cli_state *cs, const char *key, const struct pipeline *p,
                            struct cp_error *err)
{
    if (cli_state_open(cs, key, p->state.path, err) < 0)
        return -1;
    if (!cs->open || !pg_is_url(cs->acct.ledger_path))
        return 0;
    if (cli_state_use_pg(cs, cs->acct.ledger_path, p->state.password_file, err) < 0) {
        cli_state_close(cs);
        return -1;
    }
    return 0;
}

void cli_state_lock_spec(const struct cli_state *cs, struct runlock_spec *spec)
{
    spec->dir = cs->acct.lock_dir;
    spec->url = cs->pg_url;
    spec->password_file = cs->pg_password_file;
    spec->account = cs->acct.id;
}

void cli_state_close(struct cli_state *cs)
{
    budget_close(cs->budget);
    if (cs->open)
        account_release(&cs->acct);
    memset(cs, 0, sizeof *cs);
}

const char *cli_state_ledger(const struct cli_state *cs, const char *state_path)
{
    if (state_path)
        return state_path;
    return cs->open ? cs->acct.ledger_path : account_state_url();
}

const struct rate_shared *cli_state_budget(const struct cli_state *cs)
{
    return cs->budget ? &cs->shared : NULL;
}

int cli_state_merge_legacy(const struct pipeline *p, struct ledger *l, struct cp_error *err)
{
    char old[4096];
    long added;
    if (!p->file || p->state.path)
        return 0;
    snprintf(old, sizeof old, "%s/out/%s.ledger.sqlite", p->dir ? p->dir : ".", p->name);
    if (access(old, R_OK) != 0)
        return 0;
    int done = ledger_was_merged(l, old, err);
    if (done != 0)
        return done < 0 ? -1 : 0;
    if (ledger_merge(l, old, &added, err) < 0) {
        cp_error_prefix(err, "merging the pipeline's own ledger '%s' into the account's", old);
        return -1;
    }
    log_msg(LOG_INFO,
            "merged %ld attempts from this pipeline's own ledger '%s' into the "
            "account's ledger (the old file is kept; it is not read again)",
            added, old);
    return 0;
}
