/*
 * CSV intake through libcsv. libcsv reports fields and row ends but not
 * where they are, so the reader feeds it one physical line at a time and,
 * before each line, asks whether libcsv is between rows: if it is, a row
 * that ends later started on this line.
 *
 * A line ends at LF, at CRLF, or at a CR with no LF after it (old Mac
 * exports, and files stitched from several). Lines are found with memchr,
 * which is what keeps this close to libcsv's own speed. Since a row can only
 * end where a line ends, each line ends at most one row, and csv_in_next()
 * hands rows out one by one.
 *
 * Values are kept verbatim (libcsv would trim spaces and tabs around
 * unquoted ones), so the rejects file gives rows back as they were; the
 * callback that stops the trimming costs about 1.5% of a check.
 */
#include "intake/csv_in.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <iconv.h>

#include "intake/sniff.h"
#include "core/strbuf.h"

/* libcsv's parser states (libcsv.c): no row in progress, and inside a
 * field (for a quoted field: the closing quote not seen yet). */
#define LIBCSV_ROW_NOT_BEGUN 0
#define LIBCSV_FIELD_BEGUN   2
#define BLOCK                (64 * 1024)
/* Raw bytes read per conversion: UTF-8 from Windows-1252 can take three
 * bytes for one, so a block always has room for a raw chunk's worth. */
#define RAW (BLOCK / 4)

struct csv_in {
    FILE *fp;
    char *path; /* the name messages use */
    char *file; /* the file read (a run's private snapshot of `path`) */
    struct csv_parser parser;
    char delim;

    unsigned char block[BLOCK]; /* UTF-8 text, read or converted */
    struct sniffed enc;         /* what the input is in */
    iconv_t cd;                 /* to UTF-8, or (iconv_t)-1 for UTF-8 input */
    unsigned char raw[BLOCK];   /* raw bytes waiting for conversion (and the head) */
    size_t raw_len;
    int raw_eof;        /* nothing more to read from fp */
    size_t pos, end;    /* unconsumed bytes are block[pos..end) */
    int eof;            /* fread hit the end */
    int finished;       /* csv_fini has run */
    int parser_ready;   /* csv_init succeeded: csv_free is due */
    long long consumed; /* bytes handed to libcsv */

    long line;          /* physical line of the next byte to feed */
    int cr_pending;     /* the last byte fed was a CR at the end of the data read so far:
                           whether it ends a line depends on the next byte */
    long pending_start; /* line where the row in progress started */

    struct strbuf values; /* the current row's fields, NUL-separated */
    size_t *offs;         /* start of each field in `values` */
    size_t *lens;
    const char **ptrs;
    size_t n, cap;
    int too_many;    /* the row passed CSV_IN_MAX_FIELDS, or its fields what `values` holds */
    int keep_blank;  /* hand out blank rows too */
    int row_ready;   /* a complete row waits in values/offs */
    long ready_line; /* its first line */
};

static int nothing_is_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* Room for `want` fields; the arrays never grow past CSV_IN_MAX_FIELDS + 1. */
static int reserve(struct csv_in *in, size_t want)
{
    if (want <= in->cap)
        return 0;
    {
        size_t cap = in->cap ? in->cap * 2 : 32;
        if (cap < want)
            cap = want;
        if (cap > CSV_IN_MAX_FIELDS + 1)
            cap = CSV_IN_MAX_FIELDS + 1;
        size_t *offs = realloc(in->offs, cap * sizeof *offs);
        if (offs)
            in->offs = offs;
        size_t *lens = realloc(in->lens, cap * sizeof *lens);
        if (lens)
            in->lens = lens;
        const char **ptrs = realloc(in->ptrs, cap * sizeof *ptrs);
        if (ptrs)
            in->ptrs = ptrs;
        if (!offs || !lens || !ptrs)
            return -1;
        in->cap = cap;
    }
    return 0;
}

/* A field past the row's limits is not stored: the row is marked too big
 * (csv_in.h says how it then looks), so memory stays bounded. */
/* One field into the row being built; libcsv's callback and the fast
 * path both come here (the fast path's bytes are read-only). */
static void add_field(struct csv_in *in, const void *s, size_t len)
{
    if (in->too_many || in->n >= CSV_IN_MAX_FIELDS || reserve(in, in->n + 1) < 0) {
        in->too_many = 1;
        return;
    }
    size_t at = in->values.len;
    if (strbuf_add0(&in->values, s, s ? len : 0) < 0) {
        in->too_many = 1;
        return;
    }
    in->offs[in->n] = at;
    in->lens[in->n] = len;
    in->n++;
}

static void on_field(void *s, size_t len, void *data)
{
    add_field(data, s, len);
}

/* A row too big to hold comes out with one field more than the limit, the
 * missing ones empty (pointing at the last stored NUL): whoever reads it
 * sees the size and rejects it. -1 when even that cannot be stored. */
static int mark_too_many(struct csv_in *in)
{
    if (reserve(in, CSV_IN_MAX_FIELDS + 1) < 0 || in->cap < CSV_IN_MAX_FIELDS + 1)
        return -1;
    if (!in->values.len && strbuf_add0(&in->values, "", 0) < 0)
        return -1;
    for (; in->n < CSV_IN_MAX_FIELDS + 1; in->n++) {
        in->offs[in->n] = in->values.len - 1;
        in->lens[in->n] = 0;
    }
    return 0;
}

static void on_row(int term, void *data)
{
    struct csv_in *in = data;
    (void)term;
    in->row_ready = 1;
    in->ready_line = in->pending_start;
}

static int read_raw(struct csv_in *in, unsigned char *dst, size_t cap, size_t *got,
                    struct cp_error *err)
{
    *got = fread(dst, 1, cap, in->fp);
    if (*got < cap) {
        if (ferror(in->fp))
            return cp_fail(err, CP_EXIT_INPUT, "'%s': read error: %s", in->path, strerror(errno));
        in->raw_eof = 1;
    }
    return 0;
}

/* Convert what is in `raw` into `block`; keep an incomplete character for
 * the next round. A byte the encoding does not define becomes U+FFFD. */
static void convert(struct csv_in *in)
{
    char *src = (char *)in->raw, *dst = (char *)in->block;
    size_t left = in->raw_len, room = BLOCK;
    size_t unit = in->enc.enc == ENC_UTF16LE || in->enc.enc == ENC_UTF16BE   ? 2
                  : in->enc.enc == ENC_UTF32LE || in->enc.enc == ENC_UTF32BE ? 4
                                                                             : 1;
    while (left && room >= 4) {
        if (iconv(in->cd, &src, &left, &dst, &room) != (size_t)-1)
            break;
        if (errno == E2BIG || (errno == EINVAL && !in->raw_eof))
            break; /* out of room, or a character continues in the next read */
        memcpy(dst, "\xEF\xBF\xBD", 3);
        dst += 3;
        room -= 3;
        size_t skip = left < unit ? left : unit;
        src += skip;
        left -= skip;
    }
    in->end = BLOCK - room;
    memmove(in->raw, src, left);
    in->raw_len = left;
}

static int fill(struct csv_in *in, struct cp_error *err)
{
    if (in->pos < in->end || in->eof)
        return 0;
    in->pos = 0;
    in->end = 0;
    if (in->cd == (iconv_t)-1) {
        if (read_raw(in, in->block, BLOCK, &in->end, err) < 0)
            return -1;
    } else {
        size_t got = 0;
        while (in->end == 0) {
            if (!in->raw_eof && in->raw_len < RAW &&
                read_raw(in, in->raw + in->raw_len, RAW - in->raw_len, &got, err) < 0)
                return -1;
            in->raw_len += got;
            got = 0;
            convert(in);
            if (in->raw_eof && (in->end == 0 || in->raw_len == 0))
                break;
        }
    }
    if (in->raw_eof && (in->cd == (iconv_t)-1 || in->raw_len == 0))
        in->eof = 1;
    const unsigned char *nul = memchr(in->block, 0, in->end);
    if (nul)
        return cp_fail(err, CP_EXIT_INPUT,
                       "'%s': byte %lld is a NUL: this is not a text export (if it is "
                       "UTF-16 without a BOM, set input.encoding: utf-16)",
                       in->path, in->consumed + (long long)(nul - in->block));
    return 0;
}

/* The iconv name to convert from. */
static const char *iconv_from(const struct sniffed *e)
{
    switch (e->enc) {
    case ENC_CP1252: return "WINDOWS-1252";
    case ENC_UTF16LE: return "UTF-16LE";
    case ENC_UTF16BE: return "UTF-16BE";
    case ENC_UTF32LE: return "UTF-32LE";
    case ENC_UTF32BE: return "UTF-32BE";
    case ENC_NAMED: return e->name;
    default: return "UTF-8";
    }
}

/* Read the first block, decide the encoding, and set up the conversion. */
static int start(struct csv_in *in, const char *encoding, struct cp_error *err)
{
    size_t head;
    if (read_raw(in, in->raw, BLOCK, &head, err) < 0)
        return -1;
    if (!encoding || strcasecmp(encoding, "auto") == 0) {
        const char *path = in->fp == stdin ? NULL : in->file;
        if (sniff_encoding(path, in->path, in->raw, head, in->raw_eof, &in->enc, err) < 0)
            return -1;
    } else {
        encoding_from_name(encoding, in->raw, head, &in->enc);
    }
    size_t bom_len = in->enc.bom_len;
    in->cd = (iconv_t)-1;
    if (in->enc.enc == ENC_UTF8 || in->enc.enc == ENC_UTF8_BOM) {
        memcpy(in->block, in->raw + bom_len, head - bom_len);
        in->end = head - bom_len;
        in->eof = in->raw_eof;
        const unsigned char *nul = memchr(in->block, 0, in->end);
        if (nul)
            return cp_fail(err, CP_EXIT_INPUT,
                           "'%s': byte %lld is a NUL: this is not a text "
                           "export",
                           in->path, (long long)(nul - in->block + (long)bom_len));
        return 0;
    }
    const char *from = iconv_from(&in->enc);
    in->cd = iconv_open("UTF-8", from);
    if (in->cd == (iconv_t)-1) {
        if (in->enc.enc == ENC_NAMED && errno == EINVAL)
            return cp_fail(err, CP_EXIT_USAGE,
                           "unknown encoding '%s' (auto, utf-8, utf-16, "
                           "utf-32, windows-1252, or any name `iconv -l` lists)",
                           from);
        return cp_fail(err, CP_EXIT_INPUT, "cannot convert '%s' from %s: %s", in->path, from,
                       strerror(errno));
    }
    memmove(in->raw, in->raw + bom_len, head - bom_len);
    in->raw_len = head - bom_len;
    in->end = 0;
    return fill(in, err);
}

struct csv_in *csv_in_open(const char *path, const char *encoding, char delimiter,
                           struct cp_error *err)
{
    return csv_in_open_as(path, path, encoding, delimiter, err);
}

struct csv_in *csv_in_open_as(const char *path, const char *name, const char *encoding,
                              char delimiter, struct cp_error *err)
{
    struct csv_in *in = calloc(1, sizeof *in);
    if (!in) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        return NULL;
    }
    in->cd = (iconv_t)-1;
    in->path = strdup(name);
    in->file = strdup(path);
    in->line = 1;
    in->pending_start = 1;
    strbuf_init(&in->values, (size_t)CSV_IN_MAX_FIELDS * 64 + CSV_IN_MAX_FIELD * 4);
    if (strcmp(path, "-") == 0) {
        in->fp = stdin;
    } else {
        in->fp = fopen(path, "rb");
        if (!in->fp) {
            cp_fail(err, CP_EXIT_INPUT, "cannot open input '%s': %s", path, strerror(errno));
            goto fail;
        }
    }
    if (csv_init(&in->parser, CSV_STRICT_FINI) != 0) {
        cp_fail(err, CP_EXIT_INPUT, "out of memory");
        goto fail;
    }
    in->parser_ready = 1;
    csv_set_space_func(&in->parser, nothing_is_space);
    if (start(in, encoding, err) < 0)
        goto fail;
    in->delim = delimiter ? delimiter : sniff_delimiter(in->block, in->end);
    csv_set_delim(&in->parser, (unsigned char)in->delim);
    return in;
fail:
    csv_in_close(in);
    return NULL;
}

/* The length of the next line in p[0..avail): through its line end, or all
 * of it when the line goes on past what has been read. */
static size_t line_length(const unsigned char *p, size_t avail)
{
    const unsigned char *lf = memchr(p, '\n', avail);
    size_t n = lf ? (size_t)(lf - p) + 1 : avail;
    /* A CR before that, not part of a CRLF, ends a line of its own. */
    const unsigned char *cr = memchr(p, '\r', n);
    while (cr && cr + 1 < p + n && cr[1] == '\n')
        cr = memchr(cr + 1, '\r', (size_t)(p + n - cr - 1));
    if (cr && cr + 1 < p + n)
        return (size_t)(cr - p) + 1;
    return n;
}

/*
 * The common line, split without libcsv: complete (it ends in LF or CRLF),
 * and every field either plain (no quote in it) or wholly quoted (doubled
 * quotes inside are undone). This is several times faster than libcsv's
 * byte-at-a-time state machine. Anything else (a quoted newline, a quote
 * mid-field, text after a closing quote)
 * goes to libcsv, which stays the authority on RFC 4180: the fields already
 * emitted are taken back and 0 is returned.
 */
/* The field just stored held doubled quotes: collapse each "" to ". */
static void undouble_last(struct csv_in *in)
{
    if (in->too_many || !in->n)
        return;
    char *v = in->values.buf + in->offs[in->n - 1];
    size_t len = in->lens[in->n - 1], j = 0;
    for (size_t i = 0; i < len; i++) {
        v[j++] = v[i];
        if (v[i] == '"' && i + 1 < len && v[i + 1] == '"')
            i++;
    }
    v[j] = '\0';
    in->values.len -= len - j;
    in->lens[in->n - 1] = j;
}

/* The first byte in [p, end) that is `d` or a quote, `end` when none;
 * eight bytes a step on a little-endian machine (a word's lowest matching
 * byte is exact: borrows only run upwards). */
static const unsigned char *plain_end(const unsigned char *p, const unsigned char *end,
                                      unsigned char d)
{
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t v, x, y;
        memcpy(&v, p, 8);
        x = v ^ (ones * d);
        y = v ^ (ones * '"');
        uint64_t m = ((x - ones) & ~x & highs) | ((y - ones) & ~y & highs);
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != d && *p != '"')
        p++;
    return p;
}

static int fast_line(struct csv_in *in, const unsigned char *p, size_t n)
{
    if (p[n - 1] != '\n')
        return 0;
    const unsigned char *end = p + n - 1, *q = p;
    if (end > p && end[-1] == '\r')
        end--;
    if (end == p)
        return 1; /* an empty line: feed_segment has dealt with it */
    size_t saved_n = in->n, saved_len = in->values.len;
    unsigned char d = (unsigned char)in->delim;
    for (;;) {
        const unsigned char *next;
        if (q < end && *q == '"') {
            /* The closing quote is the first one not doubled. */
            const unsigned char *close = q;
            int doubled = 0;
            for (;;) {
                close = memchr(close + 1, '"', (size_t)(end - close - 1));
                if (!close)
                    goto fallback; /* the field goes on past this line */
                if (close + 1 < end && close[1] == '"') {
                    doubled = 1;
                    close++;
                    continue;
                }
                break;
            }
            /* Spaces between the closing quote and the delimiter, as in
             * `"Smith, John" ,y`, are layout: Python's csv and most readers
             * drop them, and so does this. Other text there is libcsv's. */
            next = close + 1;
            while (next < end && (*next == ' ' || *next == '\t') && *next != d)
                next++;
            if (next < end && *next != d)
                goto fallback; /* text after the closing quote */
            add_field(in, q + 1, (size_t)(close - q - 1));
            if (doubled)
                undouble_last(in);
        } else {
            next = plain_end(q, end, d);
            if (next < end && *next == '"')
                goto fallback; /* a quote inside a plain field */
            add_field(in, q, (size_t)(next - q));
        }
        if (next == end)
            break;
        q = next + 1; /* past the delimiter; a delimiter at the end means one more empty field */
    }
    on_row('\n', in);
    return 1;
fallback:
    in->n = saved_n;
    in->values.len = saved_len;
    return 0;
}

/* Feed the next line (or the rest of the block) to libcsv. */
static int feed_segment(struct csv_in *in, struct cp_error *err)
{
    const unsigned char *p = in->block + in->pos;
    size_t avail = in->end - in->pos;
    int just_cr = 0; /* p[0] is the LF of a CRLF split across blocks */
    if (in->cr_pending) {
        /* The CR that ended the last block: a line end unless an LF follows. */
        in->cr_pending = 0;
        if (p[0] != '\n')
            in->line++;
        else
            just_cr = 1;
    }
    size_t n = line_length(p, avail);
    int between_rows = in->parser.pstate == LIBCSV_ROW_NOT_BEGUN;
    if (between_rows)
        in->pending_start = in->line;
    /* An empty line is no row to libcsv; it is a blank row to a results
     * file that accounts for every line. (An LF after a CR that ended the
     * previous block is that line end's second half, not a line.) */
    int empty = p[0] == '\n' || (p[0] == '\r' && (n == 1 || p[1] == '\n'));
    if (between_rows && empty && !just_cr) {
        if (in->keep_blank) {
            add_field(in, p, 0);
            on_row('\n', in);
        }
    } else if (between_rows && empty) {
        ;
    } else if (between_rows && fast_line(in, p, n))
        ; /* split without libcsv */
    else if (csv_parse(&in->parser, p, n, on_field, on_row, in) != n)
        return cp_fail(err, CP_EXIT_INPUT, "'%s': line %ld: %s", in->path, in->line,
                       csv_strerror(csv_error(&in->parser)));
    in->pos += n;
    in->consumed += (long long)n;
    unsigned char last = p[n - 1];
    if (last == '\n')
        in->line++;
    else if (last == '\r' && in->pos < in->end)
        in->line++;
    else if (last == '\r')
        in->cr_pending = 1;
    /* A field past the limit keeps its first CSV_IN_MAX_FIELD + 1 bytes:
     * libcsv writes the rest over its tail, so its buffer stays bounded and
     * the row is rejected by its size (csv_in.h). */
    if (in->parser.entry_pos > CSV_IN_MAX_FIELD + 1)
        in->parser.entry_pos = CSV_IN_MAX_FIELD + 1;
    return 0;
}

/* A row with nothing but spaces and tabs in every field (a blank line, or
 * the ",,,," Excel leaves under a table) holds no contact. */
static int is_blank_row(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (v[i] != ' ' && v[i] != '\t' && v[i] != '\0')
            return 0;
    return 1;
}

int csv_row_blank(const struct csv_row *row)
{
    return is_blank_row(row->packed, row->packed_len);
}

void csv_in_keep_blank(struct csv_in *in, int keep)
{
    in->keep_blank = keep;
}

int csv_in_next(struct csv_in *in, struct csv_row *row, struct cp_error *err)
{
    for (;;) {
        in->n = 0;
        in->too_many = 0;
        in->row_ready = 0;
        strbuf_reset(&in->values);
        while (!in->row_ready) {
            if (fill(in, err) < 0)
                return -1;
            if (in->pos < in->end) {
                if (feed_segment(in, err) < 0)
                    return -1;
                continue;
            }
            if (in->finished)
                return 0;
            in->finished = 1;
            /* libcsv flags this only in its strict mode, which would also
             * refuse the stray quotes real exports have inside fields. */
            if ((in->parser.pstate == LIBCSV_FIELD_BEGUN && in->parser.quoted) ||
                csv_fini(&in->parser, on_field, on_row, in) != 0)
                return cp_fail(err, CP_EXIT_INPUT,
                               "'%s': line %ld: unbalanced quote: the quoted field that starts "
                               "on this row is never closed",
                               in->path, in->pending_start);
            if (!in->row_ready)
                return 0;
        }
        if (in->too_many && mark_too_many(in) < 0)
            return cp_fail(err, CP_EXIT_INPUT,
                           "'%s': line %ld: out of memory for a row of "
                           "more than %d fields",
                           in->path, in->ready_line, CSV_IN_MAX_FIELDS);
        if (in->keep_blank || !is_blank_row(in->values.buf, in->values.len))
            break;
    }
    for (size_t i = 0; i < in->n; i++)
        in->ptrs[i] = in->values.buf + in->offs[i];
    row->n = in->n;
    row->fields = in->ptrs;
    row->lens = in->lens;
    row->line = in->ready_line;
    row->packed = in->values.buf;
    row->packed_len = in->values.len;
    return 1;
}

const char *csv_in_encoding(const struct csv_in *in)
{
    return encoding_name(&in->enc);
}

int csv_in_encoding_unsure(const struct csv_in *in)
{
    return in->enc.unsure;
}

char csv_in_delimiter(const struct csv_in *in)
{
    return in->delim;
}

const char *csv_in_path(const struct csv_in *in)
{
    return in->path;
}

long long csv_in_offset(const struct csv_in *in)
{
    return in->consumed;
}

void csv_in_close(struct csv_in *in)
{
    if (!in)
        return;
    if (in->fp && in->fp != stdin)
        fclose(in->fp);
    if (in->parser_ready)
        csv_free(&in->parser);
    if (in->cd != (iconv_t)-1)
        iconv_close(in->cd);
    strbuf_release(&in->values);
    free(in->offs);
    free(in->lens);
    free(in->ptrs);
    free(in->path);
    free(in->file);
    free(in);
}
