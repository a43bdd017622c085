/* The options grammar: see options.h. */
#include "cli/options.h"

#include <string.h>

#include "core/suggest.h"

#define MAX_NAMES 64

static const struct cli_opt common_opts[] = {
    {"quiet", 'q', NULL, CLI_VERBOSITY, "only warnings and errors"},
    {"verbose", 'v', NULL, CLI_VERBOSITY, "more detail, and the HTTP exchange (key redacted)"},
    {"log-format", 0, "text|json", CLI_LOG_FORMAT, "one JSON object per stderr line with json"},
    {"no-progress", 0, NULL, CLI_PROGRESS, "no progress line, even on a terminal"},
    {NULL, 0, NULL, 0, NULL},
};

/* The option `name` (long, or a one-letter short when `is_short`) names, in
 * the command's table or the common one; NULL when neither has it. */
static const struct cli_opt *find(const struct cli_spec *spec, const char *name, size_t len,
                                  int is_short, int *is_common)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct cli_opt *t = pass == 0 ? spec->opts : common_opts;
        for (; t && t->name; t++) {
            if (pass == 1 && !(spec->common & (unsigned)t->id))
                continue;
            int hit = is_short ? t->shortname && t->shortname == name[0]
                               : strlen(t->name) == len && strncmp(t->name, name, len) == 0;
            if (hit) {
                *is_common = pass == 1;
                return t;
            }
        }
    }
    return NULL;
}

static int unknown(const struct cli_spec *spec, const char *arg, struct cp_error *err)
{
    const char *names[MAX_NAMES];
    char bare[64];
    size_t n = 0;
    for (const struct cli_opt *t = spec->opts; t && t->name && n < MAX_NAMES - 1; t++)
        names[n++] = t->name;
    for (const struct cli_opt *t = common_opts; t->name && n < MAX_NAMES - 1; t++)
        if (spec->common & (unsigned)t->id)
            names[n++] = t->name;
    names[n++] = "help";
    const char *word = arg;
    while (*word == '-')
        word++;
    snprintf(bare, sizeof bare, "%.*s", (int)strcspn(word, "="), word);
    const char *near = suggest_nearest(bare, names, n);
    if (near)
        return cp_fail(err, CP_EXIT_USAGE, "%s: unknown option '%s' (did you mean '--%s'?)",
                       spec->command, arg, near);
    return cp_fail(err, CP_EXIT_USAGE, "%s: unknown option '%s' (see 'cloutly-pipe %s --help')",
                   spec->command, arg, spec->command);
}

static int apply_common(const struct cli_opt *o, const char *value, struct cli_common *c,
                        const struct cli_spec *spec, struct cp_error *err)
{
    if (strcmp(o->name, "quiet") == 0)
        c->verbosity = -1;
    else if (strcmp(o->name, "verbose") == 0)
        c->verbosity = 1;
    else if (strcmp(o->name, "no-progress") == 0)
        c->no_progress = 1;
    else if (strcmp(o->name, "log-format") == 0) {
        if (strcasecmp(value, "json") == 0)
            c->json_log = 1;
        else if (strcasecmp(value, "text") == 0)
            c->json_log = 0;
        else
            return cp_fail(err, CP_EXIT_USAGE, "%s: --log-format must be text or json, not '%s'",
                           spec->command, value);
    }
    return 0;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv, cli_opt_fn fn, void *ctx,
              struct cli_common *common, const char **args, int *n_args, struct cp_error *err)
{
    int only_args = 0;
    memset(common, 0, sizeof *common);
    *n_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') { /* "-" is standard input: an argument */
            if (*n_args >= spec->max_args)
                return cp_fail(err, CP_EXIT_USAGE,
                               "%s: unexpected argument '%s' (see "
                               "'cloutly-pipe %s --help')",
                               spec->command, a, spec->command);
            args[(*n_args)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            common->help = 1;
            return 0;
        }
        int is_short = a[1] != '-';
        const char *name = a + (is_short ? 1 : 2);
        const char *eq = is_short ? NULL : strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (is_short && len != 1)
            return unknown(spec, a, err);
        int is_common = 0;
        const struct cli_opt *o = find(spec, name, len, is_short, &is_common);
        if (!o)
            return unknown(spec, a, err);
        const char *value = NULL;
        if (o->arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cp_fail(err, CP_EXIT_USAGE, "%s: option '%s' needs a value (%s)",
                               spec->command, a, o->arg);
        } else if (eq) {
            return cp_fail(err, CP_EXIT_USAGE, "%s: option '--%s' takes no value", spec->command,
                           o->name);
        }
        int rc = is_common ? apply_common(o, value, common, spec, err)
                 : fn      ? fn(ctx, o->id, value, err)
                           : 0;
        if (rc < 0)
            return -1;
    }
    if (*n_args < spec->min_args)
        return cp_fail(err, CP_EXIT_USAGE, "%s: missing %s (see 'cloutly-pipe %s --help')",
                       spec->command, spec->args_name ? spec->args_name : "argument",
                       spec->command);
    return 0;
}

static void help_line(FILE *out, const struct cli_opt *o)
{
    char left[64];
    if (o->shortname)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortname, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    fprintf(out, "  %-30s %s\n", left, o->help);
}

void cli_help(const struct cli_spec *spec, FILE *out)
{
    fprintf(out, "usage: cloutly-pipe %s %s\n\n%s\n", spec->command, spec->synopsis, spec->about);
    fprintf(out, "\nOptions:\n");
    for (const struct cli_opt *o = spec->opts; o && o->name; o++)
        help_line(out, o);
    for (const struct cli_opt *o = common_opts; o->name; o++)
        if (spec->common & (unsigned)o->id)
            help_line(out, o);
    fprintf(out, "  %-30s %s\n", "-h, --help", "this help");
    if (spec->exit_codes)
        fprintf(out, "\n%s", spec->exit_codes);
}
