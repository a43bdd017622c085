/*
 * An opt-out list into the account's suppression list: `ledger suppress
 * --file optouts.csv` and a pipeline's validate.suppress. The file is any
 * CSV or plain list a CRM exports: every cell that is an email address or a
 * phone number (normalised as intake does: lower-case email, E.164 phone)
 * goes on the list; other cells (a header, names) are passed over and counted.
 */
#ifndef CLOUTLY_SUPPRESS_FILE_H
#define CLOUTLY_SUPPRESS_FILE_H

#include "core/error.h"
#include "store/ledger.h"

struct suppress_counts {
    long emails, phones; /* found in the file */
    long added;          /* of them, new to the list */
    long other;          /* cells that were neither */
};

/* Import `path` in one transaction. -1 with err: unreadable (CP_EXIT_INPUT),
 * an '@' cell that is not an email (file:line:column, CP_EXIT_INPUT), or no
 * email or phone at all (CP_EXIT_INPUT). */
int suppress_file_import(struct ledger *l, const char *path, const char *default_country,
                         struct suppress_counts *c, struct cp_error *err);

#endif
