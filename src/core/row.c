/* Row results: see row.h. */
#include "core/row.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FIELD_MAX (4u * 1024 * 1024)

const char *row_status_name(enum row_status s)
{
    switch (s) {
    case ROW_PENDING: return "pending";
    case ROW_SENT: return "sent";
    case ROW_DRY_RUN: return "dry_run";
    case ROW_REJECTED: return "rejected";
    case ROW_SKIPPED: return "skipped";
    case ROW_FAILED: return "failed";
    case ROW_IN_DOUBT: return "in_doubt";
    case ROW_DEFERRED: return "deferred";
    }
    return "unknown";
}

/* One buffer a line reads best, and clang-format 14 does not settle on a
 * layout for this macro. */
/* clang-format off */
#define EACH_BUF(r, X)         \
    X(&(r)->reason)            \
    X(&(r)->first_name)        \
    X(&(r)->last_name)         \
    X(&(r)->email)             \
    X(&(r)->phone)             \
    X(&(r)->source_contact_id) \
    X(&(r)->business_id)       \
    X(&(r)->contact_id)        \
    X(&(r)->sms_renews)        \
    X(&(r)->raw)               \
    X(&(r)->timezone)
/* clang-format on */

#define INIT_ONE(b) strbuf_init(b, FIELD_MAX);
/* An empty field is left alone: its buffer already ends at 0 (the strbuf
 * keeps its NUL), and not touching it saves a cache miss a field a row. */
#define RESET_ONE(b)                                                                               \
    if ((b)->len)                                                                                  \
        strbuf_reset(b);
#define RELEASE_ONE(b) strbuf_release(b);

static void clear_scalars(struct row_result *r)
{
    r->input_row = 0;
    r->status = ROW_PENDING;
    r->sms_left = -1;
    r->http_status = 0;
    r->processed_at[0] = '\0';
    r->phone_region[0] = '\0';
    r->n_raw = 0;
    r->attempts = 0;
    r->key_fp[0] = r->key_fp[1] = 0;
}

void row_result_init(struct row_result *r)
{
    EACH_BUF(r, INIT_ONE)
    clear_scalars(r);
}

void row_result_reset(struct row_result *r)
{
    EACH_BUF(r, RESET_ONE)
    clear_scalars(r);
}

void row_result_release(struct row_result *r)
{
    EACH_BUF(r, RELEASE_ONE)
}

void row_note(struct row_result *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (r->reason.len)
        strbuf_add(&r->reason, "; ", 2);
    strbuf_addstr(&r->reason, buf);
}

void row_drop_note(struct row_result *r, const char *note)
{
    size_t n = strlen(note);
    char *s = r->reason.buf;
    if (!s || !n)
        return;
    for (char *at = strstr(s, note); at; at = strstr(at + 1, note)) {
        char *end = at + n;
        int starts = at == s || (at >= s + 2 && at[-2] == ';' && at[-1] == ' ');
        int ends = *end == '\0' || (end[0] == ';' && end[1] == ' ');
        if (!starts || !ends)
            continue;
        /* Take the note out with one of its separators. */
        char *from = at, *to = end;
        if (*to == ';')
            to += 2;
        else if (from > s)
            from -= 2;
        memmove(from, to, strlen(to) + 1);
        r->reason.len -= (size_t)(to - from);
        return;
    }
}

int row_result_copy(struct row_result *dst, const struct row_result *src)
{
    int rc = 0;
#define COPY_ONE(field)                                                                            \
    strbuf_reset(&dst->field);                                                                     \
    if (strbuf_add(&dst->field, strbuf_str(&src->field), src->field.len) < 0)                      \
        rc = -1;
    /* clang-format off */
    COPY_ONE(reason)
    COPY_ONE(first_name)
    COPY_ONE(last_name)
    COPY_ONE(email)
    COPY_ONE(phone)
    COPY_ONE(source_contact_id)
    COPY_ONE(business_id)
    COPY_ONE(contact_id)
    COPY_ONE(sms_renews)
    COPY_ONE(raw)
    COPY_ONE(timezone)
    /* clang-format on */
#undef COPY_ONE
    dst->input_row = src->input_row;
    dst->status = src->status;
    dst->sms_left = src->sms_left;
    dst->http_status = src->http_status;
    memcpy(dst->processed_at, src->processed_at, sizeof dst->processed_at);
    memcpy(dst->phone_region, src->phone_region, sizeof dst->phone_region);
    dst->n_raw = src->n_raw;
    dst->attempts = src->attempts;
    return rc;
}
