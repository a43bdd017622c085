/* Encoding and delimiter sniffing: see sniff.h. */
#include "intake/sniff.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <uchardet.h>

const char *encoding_name(const struct sniffed *s)
{
    switch (s->enc) {
    case ENC_UTF8: return "utf-8";
    case ENC_UTF8_BOM: return "utf-8 (BOM)";
    case ENC_UTF16LE: return "utf-16le";
    case ENC_UTF16BE: return "utf-16be";
    case ENC_CP1252: return "windows-1252";
    case ENC_UTF32LE: return "utf-32le";
    case ENC_UTF32BE: return "utf-32be";
    case ENC_NAMED: return s->name;
    }
    return "?";
}

static int bom(const unsigned char *h, size_t len, enum text_encoding *enc, size_t *bom_len)
{
    /* UTF-32LE's BOM starts as UTF-16LE's: look at it first. */
    if (len >= 4 && h[0] == 0xFF && h[1] == 0xFE && h[2] == 0 && h[3] == 0) {
        *enc = ENC_UTF32LE;
        *bom_len = 4;
    } else if (len >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 0xFE && h[3] == 0xFF) {
        *enc = ENC_UTF32BE;
        *bom_len = 4;
    } else if (len >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
        *enc = ENC_UTF8_BOM;
        *bom_len = 3;
    } else if (len >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
        *enc = ENC_UTF16LE;
        *bom_len = 2;
    } else if (len >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
        *enc = ENC_UTF16BE;
        *bom_len = 2;
    } else {
        return 0;
    }
    return 1;
}

void encoding_from_name(const char *name, const unsigned char *head, size_t len,
                        struct sniffed *out)
{
    enum text_encoding found;
    size_t blen = 0;
    int has_bom = bom(head, len, &found, &blen);
    memset(out, 0, sizeof *out);
    if (strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0) {
        out->enc = ENC_UTF8;
        if (has_bom && found == ENC_UTF8_BOM) {
            out->enc = ENC_UTF8_BOM;
            out->bom_len = blen;
        }
    } else if (strcasecmp(name, "utf-16") == 0) {
        out->enc = ENC_UTF16LE;
        if (has_bom && (found == ENC_UTF16LE || found == ENC_UTF16BE)) {
            out->enc = found;
            out->bom_len = blen;
        }
    } else if (strcasecmp(name, "utf-32") == 0) {
        out->enc = ENC_UTF32LE;
        if (has_bom && (found == ENC_UTF32LE || found == ENC_UTF32BE)) {
            out->enc = found;
            out->bom_len = blen;
        }
    } else if (strcasecmp(name, "windows-1252") == 0) {
        out->enc = ENC_CP1252;
    } else {
        out->enc = ENC_NAMED;
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof out->name; i++)
            out->name[i] = (char)tolower((unsigned char)name[i]);
        out->name[i] = '\0';
    }
}

/* UTF-32 without a BOM: three NULs in every four bytes (text is mostly
 * below U+0100 in its delimiters and digits at least). */
static int looks_utf32(const unsigned char *h, size_t len, enum text_encoding *enc)
{
    size_t quads = len / 4, le = 0, be = 0;
    for (size_t i = 0; i + 3 < len; i += 4) {
        le += h[i] != 0 && h[i + 2] == 0 && h[i + 3] == 0;
        be += h[i] == 0 && h[i + 1] == 0 && h[i + 3] != 0;
    }
    if (quads >= 4 && le * 10 >= quads * 8) {
        *enc = ENC_UTF32LE;
        return 1;
    }
    if (quads >= 4 && be * 10 >= quads * 8) {
        *enc = ENC_UTF32BE;
        return 1;
    }
    return 0;
}

/* UTF-16 written without a BOM shows as a NUL in every other byte. */
static int looks_utf16(const unsigned char *h, size_t len, enum text_encoding *enc)
{
    size_t even = 0, odd = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        even += h[i] == 0;
        odd += h[i + 1] == 0;
    }
    size_t pairs = len / 2;
    if (pairs >= 4 && odd * 10 >= pairs * 8 && even == 0) {
        *enc = ENC_UTF16LE;
        return 1;
    }
    if (pairs >= 4 && even * 10 >= pairs * 8 && odd == 0) {
        *enc = ENC_UTF16BE;
        return 1;
    }
    return 0;
}

/* Validate UTF-8 incrementally: `need` carries the continuation bytes still
 * owed across chunk boundaries. Returns the offset of the first bad byte,
 * or -1 when the chunk is fine; a NUL is bad and sets *nul. */
static long utf8_scan(const unsigned char *p, size_t len, int *need, int *nul)
{
    const unsigned long long high = 0x8080808080808080ull, ones = 0x0101010101010101ull;
    size_t i = 0;
    while (i < len) {
        if (!*need) {
            /* ASCII runs are the common case: eight bytes at a time, as
             * long as none has its high bit set or is zero. */
            while (i + 8 <= len) {
                unsigned long long w;
                memcpy(&w, p + i, 8);
                if ((w & high) || ((w - ones) & ~w & high))
                    break;
                i += 8;
            }
            if (i >= len)
                break;
        }
        unsigned char c = p[i];
        if (*need) {
            if ((c & 0xC0) != 0x80)
                return (long)i;
            (*need)--;
        } else if (c == 0) {
            *nul = 1;
            return (long)i;
        } else if (c >= 0x80) {
            if (c >= 0xC2 && c <= 0xDF)
                *need = 1;
            else if (c >= 0xE0 && c <= 0xEF)
                *need = 2;
            else if (c >= 0xF0 && c <= 0xF4)
                *need = 3;
            else
                return (long)i;
        }
        i++;
    }
    return -1;
}

static int not_text(const char *shown, long long offset, struct cp_error *err)
{
    return cp_fail(err, CP_EXIT_INPUT,
                   "'%s': byte %lld is a NUL: this is not a text export (if it is UTF-16 "
                   "without a BOM, set input.encoding: utf-16)",
                   shown, offset);
}

/* uchardet, fed the parts of a file that are not ASCII (the parts that
 * tell encodings apart) up to DETECT_MAX bytes. */
#define DETECT_MAX (1024 * 1024)
/* Fewer non-ASCII bytes than this, and the detector's answer is a guess. */
#define DETECT_SURE 24

struct detector {
    uchardet_t ud;
    size_t fed, high; /* bytes given, of them non-ASCII */
};

static void detect_feed(struct detector *d, const unsigned char *p, size_t n)
{
    size_t high = 0;
    for (size_t i = 0; i < n; i++)
        high += p[i] >= 0x80;
    if (!d->ud || !high || d->fed >= DETECT_MAX)
        return;
    uchardet_handle_data(d->ud, (const char *)p, n);
    d->fed += n;
    d->high += high;
}

/* The detector's verdict into out: Latin-1 is read as Windows-1252, its
 * superset (as browsers do); no verdict is Windows-1252, unsure. */
static void detect_end(struct detector *d, struct sniffed *out)
{
    const char *cs = "";
    if (d->ud) {
        uchardet_data_end(d->ud);
        cs = uchardet_get_charset(d->ud);
    }
    out->enc = ENC_CP1252;
    out->unsure = !cs || !*cs || d->high < DETECT_SURE;
    /* On a few accented letters the detector confuses the Latin encodings;
     * Windows-1252, what most such exports are in, is the better bet. */
    if (!out->unsure && cs && *cs && strcasecmp(cs, "ISO-8859-1") != 0 &&
        strcasecmp(cs, "WINDOWS-1252") != 0 && strcasecmp(cs, "ASCII") != 0 &&
        strcasecmp(cs, "UTF-8") != 0) {
        out->enc = ENC_NAMED;
        size_t i = 0;
        for (; cs[i] && i + 1 < sizeof out->name; i++)
            out->name[i] = (char)tolower((unsigned char)cs[i]);
        out->name[i] = '\0';
    }
    if (d->ud)
        uchardet_delete(d->ud);
    d->ud = NULL;
}

/* Scan the whole regular file at `path`: 1 valid UTF-8, 0 not (and the
 * detector fed), -1 error. */
static int whole_file_utf8(const char *path, const char *shown, struct detector *d,
                           struct cp_error *err)
{
    unsigned char *buf = malloc(64 * 1024);
    FILE *f = fopen(path, "rb");
    if (!f || !buf) {
        if (f)
            fclose(f);
        free(buf);
        return cp_fail(err, CP_EXIT_INPUT, "cannot open input '%s': %s", shown,
                       buf ? strerror(errno) : "out of memory");
    }
    int need = 0, nul = 0, valid = 1, rc;
    long long base = 0;
    size_t n;
    while (valid && (n = fread(buf, 1, 64 * 1024, f)) > 0) {
        long bad = utf8_scan(buf, n, &need, &nul);
        if (bad >= 0) {
            if (nul) {
                rc = not_text(shown, base + bad, err);
                goto out;
            }
            valid = 0;
            detect_feed(d, buf, n);
        }
        base += (long long)n;
    }
    /* Legacy files hold NULs no more than UTF-8 ones: keep looking. */
    while (!valid && (n = fread(buf, 1, 64 * 1024, f)) > 0) {
        const unsigned char *z = memchr(buf, 0, n);
        if (z) {
            rc = not_text(shown, base + (z - buf), err);
            goto out;
        }
        detect_feed(d, buf, n);
        base += (long long)n;
    }
    rc = valid && need == 0;
out:
    fclose(f);
    free(buf);
    return rc;
}

int sniff_encoding(const char *path, const char *shown_path, const unsigned char *head, size_t len,
                   int at_eof, struct sniffed *out, struct cp_error *err)
{
    memset(out, 0, sizeof *out);
    if (bom(head, len, &out->enc, &out->bom_len) || looks_utf32(head, len, &out->enc) ||
        looks_utf16(head, len, &out->enc))
        return 0;
    struct detector d = {uchardet_new(), 0, 0};
    struct stat st;
    if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        int utf8 = whole_file_utf8(path, shown_path, &d, err);
        if (utf8 < 0 || utf8 > 0) {
            if (d.ud)
                uchardet_delete(d.ud);
            if (utf8 > 0)
                out->enc = ENC_UTF8;
            return utf8 < 0 ? -1 : 0;
        }
        detect_end(&d, out);
        return 0;
    }
    int need = 0, nul = 0;
    long bad = utf8_scan(head, len, &need, &nul);
    if (nul) {
        if (d.ud)
            uchardet_delete(d.ud);
        return not_text(shown_path, bad, err);
    }
    /* A multi-byte character cut by the end of the head is not a fault. */
    if (bad < 0 && (need == 0 || !at_eof)) {
        if (d.ud)
            uchardet_delete(d.ud);
        out->enc = ENC_UTF8;
        return 0;
    }
    detect_feed(&d, head, len);
    detect_end(&d, out);
    /* Standard input is judged by its first block only. */
    out->unsure |= !at_eof;
    return 0;
}

char sniff_delimiter(const unsigned char *buf, size_t len)
{
    enum { LINES = 20 };
    static const char cands[] = {',', ';', '\t', '|'};
    size_t counts[4][LINES] = {{0}};
    int lines = 0, quoted = 0;
    for (size_t i = 0; i < len && lines < LINES; i++) {
        unsigned char c = buf[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r')) {
            if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
                i++;
            lines++;
        } else if (!quoted)
            for (int k = 0; k < 4; k++)
                counts[k][lines] += c == (unsigned char)cands[k];
    }
    if (lines < LINES && len)
        lines++; /* the last line, cut by the end of the buffer or file */
    /* For each candidate, the most common per-line count and how many lines
     * have it: a real delimiter splits every line the same way, a comma
     * inside names does not. */
    int best = 0, best_in_header = 0;
    size_t best_agree = 0, best_mode = 0;
    for (int k = 0; k < 4; k++) {
        size_t mode = 0, agree = 0;
        for (int a = 0; a < lines; a++) {
            size_t same = 0;
            for (int b = 0; b < lines; b++)
                same += counts[k][b] == counts[k][a];
            if (counts[k][a] && (same > agree || (same == agree && counts[k][a] > mode))) {
                agree = same;
                mode = counts[k][a];
            }
        }
        /* Ties go to a delimiter the header has, then to more fields. */
        int in_header = counts[k][0] > 0;
        if (agree > best_agree ||
            (agree == best_agree &&
             (in_header > best_in_header || (in_header == best_in_header && mode > best_mode)))) {
            best = k;
            best_agree = agree;
            best_mode = mode;
            best_in_header = in_header;
        }
    }
    return cands[best];
}
