/*
 * Sniffing an export: which encoding its bytes are in, and which delimiter
 * separates its fields. POS and CRM systems write UTF-8 with or without a
 * BOM, Excel's "Unicode text" (UTF-16 with a BOM, usually tab-separated),
 * and older systems Windows-1252; they separate with commas, semicolons
 * (European Excel), tabs or pipes.
 */
#ifndef CLOUTLY_SNIFF_H
#define CLOUTLY_SNIFF_H

#include <stddef.h>

#include "core/error.h"

enum text_encoding { ENC_UTF8, ENC_UTF8_BOM, ENC_UTF16LE, ENC_UTF16BE, ENC_CP1252 };

/* "utf-8", "utf-8 (BOM)", "utf-16le", "utf-16be", "windows-1252". */
const char *encoding_name(enum text_encoding e);

/*
 * The encoding of a file whose first bytes are `head`. A BOM decides; else
 * the bytes must be valid UTF-8, or they are Windows-1252. `path` (NULL for
 * stdin) lets the whole file be checked, not just its head: an accent on row
 * 50,000 decides as much as one on row 2. A NUL byte outside UTF-16 means the
 * file is not text: -1 with err (CP_EXIT_INPUT) naming the byte offset.
 * *bom_len is the number of BOM bytes to skip.
 */
int sniff_encoding(const char *path, const char *shown_path, const unsigned char *head,
                   size_t len, int at_eof, enum text_encoding *enc, size_t *bom_len,
                   struct cp_error *err);

/* Parse `name` as given in a pipeline (auto is not accepted here): 0 and
 * *enc, or -1. "utf-16" means "by its BOM, little-endian without one". */
int encoding_from_name(const char *name, const unsigned char *head, size_t len,
                       enum text_encoding *enc, size_t *bom_len);

/* The delimiter among , ; TAB | that splits the first lines (UTF-8 text)
 * most consistently, quotes respected. ',' when nothing decides. */
char sniff_delimiter(const unsigned char *buf, size_t len);

#endif
