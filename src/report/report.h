/*
 * `cloutly-pipe report` as one library call, so `run` can write the page at
 * its end (output.report) with the same code the command uses.
 *
 * The previous report's mark is kept in a sidecar file next to the page,
 * OUTPUT.state ("seq N" and "at UNIX_SECONDS"): the newest review_changes
 * seq the previous page covered and when it was made. A sidecar, not a
 * table: the report only reads the ledger and the mirror (a report must
 * never take a run's write lock, and the mirror's schema is the export's),
 * and two pages written to two places are two independent "last reports".
 * A seq, not a time: a mirror run that started before the last report and
 * committed after it would be missed by a time comparison.
 */
#ifndef CLOUTLY_REPORT_H
#define CLOUTLY_REPORT_H

#include "core/error.h"
#include "report/model.h"

/*
 * Build the model from `o` (its prev_seq/prev_at are taken from the sidecar
 * of `output`, whatever they hold), write the page to `output` atomically,
 * then the sidecar. `o->now` 0 means time(NULL); `o->match_days` 0 means 14.
 * With `out` non-NULL the model is handed back (the caller frees it with
 * report_model_free); else it is freed here. -1 with err: nothing written,
 * or (the sidecar failing) the page written and the mark left as it was.
 */
int report_write(const struct report_options *o, const char *output, struct report_model *out,
                 struct cp_error *err);

/* The previous report's mark for `output`: 1 with *seq and *at set, 0 when none. */
int report_read_mark(const char *output, long *seq, time_t *at);

#endif
