/*
 * CSV intake: bytes -> rows, streaming, through libcsv.
 *
 * The reader never holds the whole file: it reads in 64 KiB blocks and hands
 * out one row at a time. It knows where every row starts (the physical,
 * 1-based line number, counting CR, LF and CRLF as one line end each), so a
 * quoted field with newlines makes later rows' numbers jump and every message
 * can point at the right line. A UTF-8 BOM is skipped. Values are kept
 * exactly as written (no trimming), so rejected rows can be written back
 * verbatim.
 */
#ifndef CLOUTLY_CSV_IN_H
#define CLOUTLY_CSV_IN_H

#include <stddef.h>

#include "core/error.h"

/* One row. Borrowed from the reader: valid until the next csv_in_next(). */
struct csv_row {
    size_t n;            /* number of fields */
    const char **fields; /* NUL-terminated values */
    const size_t *lens;  /* their lengths */
    long line;           /* physical line the row starts on */
    const char *packed;  /* all values back to back, each with its NUL */
    size_t packed_len;
};

struct csv_in;

/*
 * Open `path` ("-" for stdin). `encoding` is "auto" (or NULL), "utf-8",
 * "utf-16" or "windows-1252"; whatever it is, rows come out in UTF-8.
 * `delimiter` 0 means sniff it from the first lines among , ; TAB |.
 * Returns NULL with `err` (CP_EXIT_INPUT) when the file cannot be opened or
 * is not text.
 */
struct csv_in *csv_in_open(const char *path, const char *encoding, char delimiter,
                           struct cp_error *err);

/* The same, reading `path` but naming `name` in every message (a run reads
 * a private snapshot of the user's file). */
struct csv_in *csv_in_open_as(const char *path, const char *name, const char *encoding,
                              char delimiter, struct cp_error *err);

/* The encoding read: "utf-8", "utf-8 (BOM)", "utf-16le", "utf-16be" or
 * "windows-1252". */
const char *csv_in_encoding(const struct csv_in *in);

/* 1 and a row, 0 at the end, -1 with `err` (CP_EXIT_INPUT, naming the file
 * and line) on a read error, an unterminated quote or a field past the limit. */
int csv_in_next(struct csv_in *in, struct csv_row *row, struct cp_error *err);

char csv_in_delimiter(const struct csv_in *in);
const char *csv_in_path(const struct csv_in *in);
/* Bytes consumed so far and the file size (0 when unknown), for progress. */
long long csv_in_offset(const struct csv_in *in);

void csv_in_close(struct csv_in *in);

/* The largest field the reader accepts; larger is an error, not an allocation. */
#define CSV_IN_MAX_FIELD (1024 * 1024)
/* The most fields a row may have. */
#define CSV_IN_MAX_FIELDS 4096

#endif
