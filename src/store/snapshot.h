/*
 * The input as one immutable snapshot for a whole run.
 *
 * POS systems write tonight's export while last night's run may still be
 * reading, and people replace files by hand. If the rows sent were read
 * from another open of the file than the one hashed, a rename over the
 * input mid-run recorded the old rows under the new file's identity, and
 * the next run skipped people never invited. So a sending run first copies
 * the input, through one descriptor, into a private file (0600) beside the
 * ledger, hashing the bytes as they are copied; every later pass reads the
 * copy. The original's identity (device, inode, size, mtime) is kept, and
 * the run asks snapshot_changed() as it goes: a change there is an error
 * that stops sending (every row read is still accounted for, from the copy).
 *
 * Ownership: a snapshot owns its copy (removed by snapshot_release) and its
 * strings. Copies left by a killed run are removed by the next one.
 */
#ifndef CLOUTLY_SNAPSHOT_H
#define CLOUTLY_SNAPSHOT_H

#include <sys/stat.h>

#include "core/error.h"

struct snapshot {
    char *origin;   /* the input as named by the user */
    char *path;     /* the private copy, or NULL */
    char hash[17];  /* content hash of the copy (filehash.h) */
    struct stat st; /* the original's identity when copied */
};

/* Copy `origin` into the folder `dir` (created when missing). Fails (and
 * copies nothing) when the original changes while it is being copied. */
int snapshot_take(struct snapshot *s, const char *origin, const char *dir, struct cp_error *err);

/* 1 when the original is no longer the file that was copied (replaced,
 * truncated, rewritten, removed), with why; 0 when it is. */
int snapshot_changed(const struct snapshot *s, char *why, size_t n);

/* Remove the copy. Safe on a zeroed or released snapshot. */
void snapshot_release(struct snapshot *s);

#endif
