/*
 * `run`'s two passes over its input, with dedupe in flat memory.
 *
 * Pass one reads and validates every row (on every core, as `check` does),
 * records each valid row's keys in a dedupe spill (dedupe_spill.h) and
 * writes each validated row to a temporary file; a file that cannot be
 * read to its end fails here, before anything is sent. Pass two hands the
 * rows back from that file in input order, each duplicate marked SKIPPED
 * ("duplicate of input row N") from the spill's verdicts. Rows are
 * validated once; memory stays flat whatever the file's size (the in-memory
 * dedupe table grows ~29 bytes a row: 300 MB at ten million rows). The
 * temporary files hold the validated rows (about the input's size) and
 * 16 bytes per key; they live in the system's temporary folder
 * (tmpfile(3)) and vanish when closed, or when the process dies.
 *
 * With `spill` 0 the engine's in-memory dedupe decides each row during pass
 * one instead (CLOUTLY_DEDUPE_SPILL=0, for tests comparing the two): the
 * verdicts are the same.
 *
 * Ownership: the pass borrows the engine (which must outlive it) and owns
 * its spill, its temporary file and the row it hands out.
 */
#ifndef CLOUTLY_DEDUPE_PASS_H
#define CLOUTLY_DEDUPE_PASS_H

#include "core/error.h"
#include "core/row.h"
#include "intake/engine.h"

struct dedupe_pass;

/* Pass one over `e` with `threads` validation workers (0: one per core).
 * `dedupe` is the pipeline's validate.dedupe. `sending` is 0 for a dry
 * run: its valid rows never reach the rejects file, so their original
 * fields are not kept. *rows gets the number of data rows. NULL with err
 * when the input or the temporary files fail. */
struct dedupe_pass *dedupe_pass_open(struct engine *e, int threads, int dedupe, int spill,
                                     int sending, long *rows, struct cp_error *err);

/* Pass two: the next row in input order, validated and deduped: 1 with
 * *out borrowed until the next call (the caller may swap its contents out),
 * 0 at the end, -1 with err. */
int dedupe_pass_next(struct dedupe_pass *dp, struct row_result **out, struct cp_error *err);

/* Safe on NULL. */
void dedupe_pass_close(struct dedupe_pass *dp);

#endif
