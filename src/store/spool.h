/*
 * Standard input as a file: `run --input -` reads its input twice (once to
 * count and check it, once to send) and identifies it by its content hash
 * for resume, so a pipe is first copied to a private temporary file
 * (0600: it holds customer data) and the run reads that.
 *
 * Ownership: the caller owns *path and removes the file with spool_remove().
 */
#ifndef CLOUTLY_SPOOL_H
#define CLOUTLY_SPOOL_H

#include <stdio.h>

#include "core/error.h"

/* Copy `in` to a new file in `dir` (created 0700 when missing). 0 and
 * *path (malloc'ed), or -1 with err (CP_EXIT_INPUT) and nothing left on
 * disk. An empty stream is an error: there is nothing to run. */
int spool_stream(FILE *in, const char *dir, char **path, struct cp_error *err);

/* Remove the spooled file and free the path; safe on NULL. */
void spool_remove(char *path);

#endif
