/*
 * Results and rejects files (SPEC section 4): row_result -> CSV.
 *
 * Both are written to a temporary file beside the target, created 0600
 * since they hold customer data, and renamed into place by results_commit()
 * after an fsync, so a reader never sees half a file. A full disk is an
 * error, not a truncated file.
 */
#ifndef CLOUTLY_RESULTS_H
#define CLOUTLY_RESULTS_H

#include <stdio.h>

#include "core/error.h"
#include "store/atomic_file.h"
#include "config/pipeline.h"
#include "core/row.h"

struct results;

/* Either path may be NULL (not written). `header`/`n_header` are the input's
 * column names, repeated in the rejects file. */
struct results *results_open(const struct pipeline *p, const char *results_path,
                             const char *rejects_path, char *const *header, size_t n_header,
                             struct cp_error *err);
/* The input's delimiter, used to join a rejected row's extra fields back
 * into its last column (',' by default). */
void results_set_delimiter(struct results *rs, char delim);
/* A dry run's files: renamed into place whole, but not fsynced. They are a
 * preview a person reruns after a power cut; forcing a few hundred
 * megabytes to disk was a tenth of a million-row dry run. */
void results_preview(struct results *rs);
int results_write(struct results *rs, const struct row_result *r, struct cp_error *err);
/* Flush, fsync, rename into place. The handle is freed either way. */
int results_commit(struct results *rs, struct cp_error *err);
/* Drop the temporary files. Safe on NULL. */
void results_abort(struct results *rs);

#endif
