/*
 * Inside the review mirror: the handle and its prepared statements, shared
 * by mirror.c (the database: schema, runs, reads) and mirror_put.c (what a
 * run does with each review and, at the end of a sweep, with the rest).
 * Only export/mirror*.c include this; everyone else sees mirror.h.
 */
#ifndef CLOUTLY_MIRROR_IMPL_H
#define CLOUTLY_MIRROR_IMPL_H

#include <sqlite3.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "export/mirror.h"
#include "export/mirror_index.h"

enum stmt {
    S_SEEN,
    S_FIND,
    S_REKEY,
    S_RAW,
    S_INSERT_DATA,
    S_INSERT_STATE,
    S_UPDATE_DATA,
    S_UPDATE_STATE,
    S_REHASH,
    S_RESTORE,
    S_CHANGE,
    S_COUNT
};

/* The SQL of each statement, prepared once by mirror_open(). */
extern const char *const mirror_stmt_sql[S_COUNT];

struct mirror {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[S_COUNT];
    int in_run;
    char at[40]; /* this run's time */
    struct mirror_stats ms;
    struct strbuf canon;     /* scratch: a review's canonical text */
    struct strbuf diff;      /* scratch: its changed fields */
    struct mirror_index *ix; /* a full sweep's view of the stored reviews */
};

/* -1 with err: "mirror 'PATH': WHAT: sqlite's message". */
int mirror_db_fail(struct mirror *m, struct cp_error *err, const char *what);
/* One review_changes row of this run; `fields` may be NULL. */
int mirror_add_change(struct mirror *m, const char *id, size_t id_len, const char *kind,
                      const char *fields, size_t fields_len, struct cp_error *err);

#endif
