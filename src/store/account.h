/*
 * State belongs to the account, not to the pipeline: every pipeline, run and
 * process that uses one API key shares one ledger (cooldowns, suppression
 * list, erasures), one rate budget and one folder of run locks.
 *
 * The account is named by a hash of its key (never the key), so two keys never
 * share a ledger and a ledger file name says nothing about the key. The state
 * folder is, first found:
 *   CLOUTLY_STATE_DIR             an explicit choice (tests, containers)
 *   STATE_DIRECTORY               systemd's StateDirectory= (/var/lib/cloutly-pipe)
 *   $XDG_STATE_HOME/cloutly-pipe  a user's state (XDG base directory spec)
 *   ~/.local/state/cloutly-pipe   the XDG default when XDG_STATE_HOME is unset
 * A pipeline's state.path still puts its ledger elsewhere; the rate budget
 * stays the account's either way. The ledger's location is, first found:
 * the pipeline's state.path or state.url, CLOUTLY_STATE_URL (a
 * postgresql:// URL: every pipeline of the account on one PostgreSQL
 * database, e.g. from a Kubernetes Secret), dir/ID.ledger.sqlite.
 *
 * Ownership: an account owns its strings; account_release() frees them.
 */
#ifndef CLOUTLY_ACCOUNT_H
#define CLOUTLY_ACCOUNT_H

#include "core/error.h"

struct account {
    char id[17];        /* 16 hex digits of SHA-256 over a tag and the key */
    char *dir;          /* the state folder (created 0700 on first use) */
    const char *source; /* which of the rules above chose dir, for messages */
    char *ledger_path;  /* state.path (or state.url) when the pipeline gives one, else
                           CLOUTLY_STATE_URL, else dir/ID.ledger.sqlite */
    char *budget_path;  /* dir/ID.budget: the account's rate budget */
    char *lock_dir;     /* dir/ID.locks: one lock file per pipeline and per input */
};

/*
 * Name the account of `api_key` and place its state; `state_path` is the
 * pipeline's state.path or NULL. -1 with err (CP_EXIT_USAGE) when no folder
 * can be found (no HOME) or memory runs out. Nothing is created on disk here.
 */
int account_init(struct account *a, const char *api_key, const char *state_path,
                 struct cp_error *err);
void account_release(struct account *a);

/* CLOUTLY_STATE_URL when set and not empty, else NULL (not a copy). */
const char *account_state_url(void);

/* The state folder alone (no key needed): malloc'd, or NULL with err. */
char *account_state_dir(const char **source, struct cp_error *err);

#endif
