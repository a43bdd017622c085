/* Opt-out lists into the suppression list: see suppress_file.h. */
#include "cli/suppress_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/email.h"
#include "intake/phone.h"

/* One cell, trimmed and unquoted in place: an email, a phone, or neither. */
static int take_cell(struct ledger *l, const char *path, long line, int col, char *cell,
                     const char *country, struct suppress_counts *c, struct cp_error *err)
{
    size_t n = strlen(cell);
    while (n && (isspace((unsigned char)cell[n - 1]) || cell[n - 1] == '"'))
        cell[--n] = '\0';
    while (*cell && (isspace((unsigned char)*cell) || *cell == '"'))
        cell++, n--;
    if (!n)
        return 0;
    int rc;
    if (strchr(cell, '@')) {
        if (!email_valid(cell, n))
            return cp_fail(err, CP_EXIT_INPUT,
                           "%s:%ld:%d: '%s' is not an email address (fix "
                           "or remove it: nothing was imported)",
                           path, line, col, cell);
        for (char *p = cell; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        c->emails++;
        rc = ledger_suppress_add(l, "email", cell, path, err);
    } else {
        size_t digits = 0;
        for (const char *p = cell; *p; p++)
            digits += isdigit((unsigned char)*p) != 0;
        struct phone_result pr;
        if (digits < 6 || phone_normalise(cell, n, country, &pr) < 0) {
            c->other++;
            return 0;
        }
        c->phones++;
        rc = ledger_suppress_add(l, "phone", pr.e164, path, err);
    }
    if (rc < 0)
        return -1;
    c->added += rc;
    return 0;
}

static int read_all(struct ledger *l, FILE *f, const char *path, const char *country,
                    struct suppress_counts *c, struct cp_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long no = 0;
    char sep = 0;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!sep)
            sep = strchr(line, ';')    ? ';'
                  : strchr(line, '\t') ? '\t'
                  : strchr(line, '|')  ? '|'
                                       : ',';
        int col = 1;
        for (char *cell = line, *next; cell && rc == 0; cell = next, col++) {
            next = strchr(cell, sep);
            if (next)
                *next++ = '\0';
            rc = take_cell(l, path, no, col, cell, country, c, err);
        }
    }
    free(line);
    if (rc == 0 && ferror(f))
        rc = cp_fail(err, CP_EXIT_INPUT, "cannot read '%s': %s", path, strerror(errno));
    return rc;
}

int suppress_file_import(struct ledger *l, const char *path, const char *default_country,
                         struct suppress_counts *c, struct cp_error *err)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f)
        return cp_fail(err, CP_EXIT_INPUT, "cannot open the suppression list '%s': %s", path,
                       strerror(errno));
    if (ledger_begin(l, err) < 0) {
        fclose(f);
        return -1;
    }
    int rc = read_all(l, f, path, default_country, c, err);
    fclose(f);
    if (rc == 0 && c->emails + c->phones == 0)
        rc = cp_fail(err, CP_EXIT_INPUT,
                     "'%s': no email address or phone number found (expected "
                     "one per line, or a CSV with an email or phone column)",
                     path);
    if (rc < 0) {
        ledger_rollback(l);
        return -1;
    }
    return ledger_commit(l, err);
}
