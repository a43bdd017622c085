/*
 * `cloutly-pipe ledger PIPELINE.yaml [--contact EMAIL_OR_PHONE] [--since DATE]
 * [--format table|csv]`: the support question "did we text this customer,
 * when, from which file, and what did Cloutly say?", answered from the
 * ledger, read-only.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "store/ledger.h"
#include "core/log.h"
#include "intake/phone.h"
#include "config/pipeline.h"

static int parse_date(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    *out = timegm(&tm);
    return 0;
}

int cmd_ledger(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"contact", required_argument, NULL, 'c'},
        {"since", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cp_error err = {0};
    struct pipeline p = {0};
    struct ledger *l = NULL;
    const char *contact = NULL;
    char normal[64];
    time_t since = 0;
    int csv = 0, c, rc;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': contact = optarg; break;
        case 's':
            if (parse_date(optarg, &since) < 0) {
                cp_fail(&err, CP_EXIT_USAGE, "--since needs a date like 2026-11-01, not '%s'", optarg);
                goto fail;
            }
            break;
        case 'f':
            if (strcmp(optarg, "csv") == 0)
                csv = 1;
            else if (strcmp(optarg, "table") != 0) {
                cp_fail(&err, CP_EXIT_USAGE, "--format must be table or csv, not '%s'", optarg);
                goto fail;
            }
            break;
        case 'h':
            printf("usage: cloutly-pipe ledger PIPELINE.yaml [--contact EMAIL_OR_PHONE] "
                   "[--since YYYY-MM-DD] [--format table|csv]\n\n"
                   "Show every invite attempt the pipeline's ledger recorded: when, to whom,\n"
                   "from which file and row, and what the API answered.\n");
            return 0;
        default:
            cp_fail(&err, CP_EXIT_USAGE, "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
            goto fail;
        }
    }
    if (optind + 1 != argc) {
        cp_fail(&err, CP_EXIT_USAGE, "expected one PIPELINE.yaml (see --help)");
        goto fail;
    }
    if (pipeline_load(argv[optind], time(NULL), &p, &err) < 0)
        goto fail;
    if (contact && !strchr(contact, '@')) {
        /* A phone as a person types it: compare in the ledger's E.164. */
        struct phone_result pr;
        if (phone_normalise(contact, strlen(contact), p.validate.default_country, &pr) == 0) {
            snprintf(normal, sizeof normal, "%s", pr.e164);
            contact = normal;
        }
    }
    if (ledger_open(p.state.path, 1, &l, &err) < 0)
        goto fail;
    if (!l) {
        printf("no ledger yet at %s: the pipeline has not run\n", p.state.path);
        rc = 0;
        goto out;
    }
    if (ledger_report(l, contact, since, csv, stdout, &err) < 0)
        goto fail;
    rc = fflush(stdout) == 0 ? 0 : CP_EXIT_USAGE;
    goto out;
fail:
    rc = cli_report(&err);
out:
    ledger_close(l);
    pipeline_release(&p);
    return rc;
}
