/*
 * The account's state for one command: where its ledger is (the pipeline's
 * state.path, or the account's ledger in the state folder), its rate budget
 * wired into the pacing of every request the command makes, and its lock
 * folder. Every command that talks to the API or the ledger opens one.
 *
 * Ownership: a cli_state owns its account strings and budget handle;
 * cli_state_close() frees them. The rate_shared it hands out lives as long.
 */
#ifndef CLOUTLY_CLI_STATE_H
#define CLOUTLY_CLI_STATE_H

#include "config/pipeline.h"
#include "api/ratelimit.h"
#include "store/account.h"
#include "store/budget.h"
#include "store/ledger.h"
#include "store/runlock.h"

struct cli_state {
    struct account acct;   /* valid when open */
    int open;              /* the key was known: acct is filled */
    struct budget *budget; /* NULL when the budget file could not be opened */
    struct rate_shared shared;
    const char *pg_url;           /* state.url (borrowed), or NULL: state in files */
    const char *pg_password_file; /* state.password_file (borrowed), or NULL */
};

/*
 * For the account of `key` (NULL: not known, e.g. a dry run without a key:
 * then only an explicit state.path is known and there is no shared budget).
 * `state_path` is the pipeline's state.path or NULL. -1 with err when no
 * state folder can be found.
 */
int cli_state_open(struct cli_state *cs, const char *key, const char *state_path,
                   struct cp_error *err);
void cli_state_close(struct cli_state *cs);

/*
 * State on PostgreSQL (state.url, `password_file` NULL when none): the
 * account's rate budget moves from its file into the database, and the run
 * locks (cli_state_lock_spec) become the database's advisory locks. Call
 * after cli_state_open with the account known. -1 with err (CP_EXIT_USAGE,
 * the URL without its password) when the database cannot be reached:
 * nothing may be sent then, since the budget and the locks are what keep
 * this worker in step with the others.
 */
int cli_state_use_pg(struct cli_state *cs, const char *url, const char *password_file,
                     struct cp_error *err);

/*
 * cli_state_open for a pipeline: with its ledger in PostgreSQL (state.url,
 * or CLOUTLY_STATE_URL) and the key known, cli_state_use_pg too, with the
 * pipeline's state.password_file. -1 with err when either fails.
 */
int cli_state_open_pipeline(struct cli_state *cs, const char *key, const struct pipeline *p,
                            struct cp_error *err);

/* Point a lock's spec at where this account keeps its locks: the lock
 * folder, or the database. */
void cli_state_lock_spec(const struct cli_state *cs, struct runlock_spec *spec);

/* The ledger's path: state.path, the account's ledger, or NULL (no key and no state.path). */
const char *cli_state_ledger(const struct cli_state *cs, const char *state_path);

/* The shared budget for ratelimit/fetcher, or NULL. */
const struct rate_shared *cli_state_budget(const struct cli_state *cs);

/*
 * A pipeline without state.path used to keep its own ledger at
 * out/{name}.ledger.sqlite beside the pipeline file: merge it into the
 * account's ledger once (it is kept as it was; the merge is recorded, so it
 * happens once). 0 also when there is nothing to merge.
 */
int cli_state_merge_legacy(const struct pipeline *p, struct ledger *l, struct cp_error *err);

#endif
