/*
 * The intake engine: input file -> one row_result per data row, in order,
 * each PENDING (valid, to send), REJECTED or SKIPPED, with no network.
 * `check`, `run --dry-run` and `run` all read their input through it, so
 * they can never disagree about a row.
 */
#ifndef CLOUTLY_ENGINE_H
#define CLOUTLY_ENGINE_H

#include "intake/csv_in.h"
#include "core/error.h"
#include "intake/mapping.h"
#include "config/pipeline.h"
#include "core/row.h"

struct engine;

/*
 * Open `input_path` (the pipeline's input.path when NULL), read its header
 * and map it. `limit` > 0 stops after that many data rows. The engine
 * borrows `p` for its lifetime. NULL with err on failure.
 */
struct engine *engine_open(const struct pipeline *p, const char *input_path, long limit,
                           struct cp_error *err);

/* The same, reading `read_path` (a snapshot of the input) while naming
 * `input_path` in messages and results; NULL reads `input_path` itself. */
struct engine *engine_open_as(const struct pipeline *p, const char *input_path,
                              const char *read_path, long limit, struct cp_error *err);

struct dedupe_spill;

/* For `check`: record valid rows' keys in `spill` (borrowed) and leave
 * duplicates PENDING, to be found by dedupe_spill_resolve() at the end,
 * instead of deciding each row as it is read. */
void engine_defer_dedupe(struct engine *e, struct dedupe_spill *spill);

/* Whether rows keep their original fields (for a rejects file); on by default. */
void engine_keep_raw(struct engine *e, int keep);

/* Next data row into `r` (reset first): 1, 0 at the end, -1 with err.
 * It is the three steps below in a row. */
int engine_next(struct engine *e, struct row_result *r, struct cp_error *err);

/* The steps apart, so validation (the costly part: libphonenumber) can run
 * on several threads while reading and dedupe stay in input order:
 * read the next raw row (borrowed until the next read; 1, 0 at the end, -1);
 * validate it into `r` (thread-safe: reads only the pipeline and mapping);
 * dedupe a validated row, in input order. */
int engine_read(struct engine *e, struct csv_row *row, struct cp_error *err);
void engine_validate(const struct engine *e, const struct csv_row *row, struct row_result *r);
int engine_dedupe(struct engine *e, struct row_result *r, struct cp_error *err);

const struct mapping *engine_mapping(const struct engine *e);
const char *engine_input_path(const struct engine *e);
char engine_delimiter(const struct engine *e);
const char *engine_encoding(const struct engine *e);
/* The header's names and count, for the rejects file. */
char *const *engine_header(const struct engine *e, size_t *n);
long long engine_offset(const struct engine *e);

void engine_close(struct engine *e);

#endif
