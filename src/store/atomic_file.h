/*
 * An output file that appears whole or not at all: written as PATH.tmp-PID
 * (mode 0600: outputs hold customer data), flushed, fsynced, renamed over
 * PATH, and then the folder is fsynced so the rename itself survives a power
 * cut (redis's rdb.c does the same). A target that exists and is not a
 * regular file (/dev/stdout, a FIFO) is written in place instead.
 *
 * Ownership: the atomic_file owns its paths and its FILE until commit or
 * abort, which both leave it empty.
 */
#ifndef CLOUTLY_ATOMIC_FILE_H
#define CLOUTLY_ATOMIC_FILE_H

#include <stdio.h>

#include "core/error.h"

struct atomic_file {
    char *path;  /* the target */
    char *tmp;   /* PATH.tmp-PID, or NULL when written in place */
    FILE *fp;    /* where to write */
    int no_sync; /* set by the caller: renamed into place whole, not forced to disk */
};
/* Create the temporary file (and its folders). -1 with err set on failure. */
int atomic_open(struct atomic_file *af, const char *path, struct cp_error *err);
/* Flush, fsync, rename into place, fsync the folder. A write error anywhere
 * (a full disk) is -1 and the target is left as it was. */
int atomic_commit(struct atomic_file *af, struct cp_error *err);
/* Drop the temporary file. Safe on an empty or aborted atomic_file. */
void atomic_abort(struct atomic_file *af);
/* mkdir -p of the folder that holds `path` (0700 for new folders). */
int make_parent_dirs(const char *path, struct cp_error *err);
/* fsync the folder that holds `path`, so a rename into it is durable. */
int fsync_parent_dir(const char *path, struct cp_error *err);

#endif
