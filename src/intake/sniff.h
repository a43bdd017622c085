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

enum text_encoding {
    ENC_UTF8,
    ENC_UTF8_BOM,
    ENC_UTF16LE,
    ENC_UTF16BE,
    ENC_CP1252,
    ENC_UTF32LE,
    ENC_UTF32BE,
    ENC_NAMED /* any other encoding iconv knows, by name */
};

/* What the sniffer decided. */
struct sniffed {
    enum text_encoding enc;
    size_t bom_len; /* BOM bytes to skip */
    char name[40];  /* the iconv name to convert from ("WINDOWS-1256"); "" for UTF-8 */
    int unsure;     /* the detector had too little to go on: say so, name the setting */
};

/* "utf-8", "utf-8 (BOM)", "utf-16le", "utf-16be", "windows-1252", "utf-32le",
 * "utf-32be"; for ENC_NAMED the lower-cased iconv name of `s`. */
const char *encoding_name(const struct sniffed *s);

/*
 * The encoding of a file whose first bytes are `head`. A BOM decides (UTF-8,
 * UTF-16, UTF-32); else a pattern of NULs (UTF-16 or UTF-32 without a BOM);
 * else the bytes must be valid UTF-8; else uchardet, Mozilla's detector,
 * names the legacy encoding (Windows-1251, Windows-1256, ISO-8859-2...),
 * Windows-1252 when it cannot tell. `path` (NULL for stdin) lets the whole
 * file be checked, not just its head: an accent on row 50,000 decides as
 * much as one on row 2. A NUL byte outside UTF-16/32 means the file is not
 * text: -1 with err (CP_EXIT_INPUT) naming the byte offset.
 */
int sniff_encoding(const char *path, const char *shown_path, const unsigned char *head, size_t len,
                   int at_eof, struct sniffed *out, struct cp_error *err);

/* Parse `name` as given in a pipeline (auto is not accepted here): "utf-8",
 * "utf-16" (by its BOM, little-endian without one), "utf-32" (likewise),
 * "windows-1252", or any other name iconv knows (ENC_NAMED; the caller's
 * iconv_open says whether it exists). */
void encoding_from_name(const char *name, const unsigned char *head, size_t len,
                        struct sniffed *out);

/* The delimiter among , ; TAB | that splits the first lines (UTF-8 text)
 * most consistently, quotes respected. ',' when nothing decides. */
char sniff_delimiter(const unsigned char *buf, size_t len);

#endif
