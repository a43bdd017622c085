/* Where an account's state lives: see account.h. */
#include "store/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

char *account_state_dir(const char **source, struct cp_error *err)
{
    const char *v = getenv("CLOUTLY_STATE_DIR");
    char *dir = NULL;
    if (v && *v) {
        *source = "CLOUTLY_STATE_DIR";
        dir = strdup(v);
    } else if ((v = getenv("STATE_DIRECTORY")) && *v) {
        /* systemd joins several StateDirectory= entries with ':'; ours is the first. */
        *source = "STATE_DIRECTORY (systemd StateDirectory=)";
        size_t n = strcspn(v, ":");
        dir = strndup(v, n);
    } else if ((v = getenv("XDG_STATE_HOME")) && v[0] == '/') {
        /* The spec says a relative XDG_STATE_HOME is invalid and to be ignored. */
        *source = "XDG_STATE_HOME";
        dir = join(v, "/", "cloutly-pipe");
    } else if ((v = getenv("HOME")) && *v) {
        *source = "~/.local/state";
        dir = join(v, "/.local/state/", "cloutly-pipe");
    } else {
        cp_fail(err, CP_EXIT_USAGE,
                "no state folder: HOME is not set (set CLOUTLY_STATE_DIR, "
                "or state.path in the pipeline)");
        return NULL;
    }
    if (!dir)
        cp_fail(err, CP_EXIT_USAGE, "out of memory");
    return dir;
}

const char *account_state_url(void)
{
    const char *v = getenv("CLOUTLY_STATE_URL");
    return v && *v ? v : NULL;
}

int account_init(struct account *a, const char *api_key, const char *state_path,
                 struct cp_error *err)
{
    char hex[65];
    memset(a, 0, sizeof *a);
    sha256_hex2("cloutly-pipe account\n", api_key, hex);
    memcpy(a->id, hex, 16);
    a->id[16] = '\0';
    if (!(a->dir = account_state_dir(&a->source, err)))
        return -1;
    char base[32];
    snprintf(base, sizeof base, "/%s", a->id);
    const char *url = account_state_url();
    a->ledger_path = state_path ? strdup(state_path)
                     : url      ? strdup(url)
                                : join(a->dir, base, ".ledger.sqlite");
    a->budget_path = join(a->dir, base, ".budget");
    a->lock_dir = join(a->dir, base, ".locks");
    if (!a->ledger_path || !a->budget_path || !a->lock_dir) {
        account_release(a);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    return 0;
}

void account_release(struct account *a)
{
    free(a->dir);
    free(a->ledger_path);
    free(a->budget_path);
    free(a->lock_dir);
    memset(a, 0, sizeof *a);
}
