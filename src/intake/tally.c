/* Row counts and reason examples: see tally.h. */
#include "intake/tally.h"

#include <ctype.h>
#include <string.h>

void tally_init(struct tally *t)
{
    memset(t, 0, sizeof *t);
    t->sms_left = -1;
}

/* 'invalid email "bob@@x" (sent...)' -> 'invalid email "..." (sent...)':
 * quoted values become "..." and numbers N, so rows with the same problem
 * share a key that still reads as a sentence with its values' places. */
static void reason_key(const char *s, char *key, size_t cap)
{
    size_t j = 0;
    int quoted = 0;
    for (; *s && j + 4 < cap; s++) {
        if (*s == '"') {
            if (!quoted) {
                memcpy(key + j, "\"...\"", 5);
                j += 5;
            }
            quoted = !quoted;
            continue;
        }
        if (quoted)
            continue;
        if (isdigit((unsigned char)*s)) {
            if (!j || key[j - 1] != 'N')
                key[j++] = 'N';
            continue;
        }
        if (*s == ' ' && j && key[j - 1] == ' ')
            continue;
        key[j++] = *s;
    }
    while (j && key[j - 1] == ' ')
        j--;
    key[j] = '\0';
}

/* The kind of a row's reason, added when new; NULL when `kinds` is full. */
static struct tally_kind *find_kind(struct tally *t, const struct row_result *r)
{
    char key[sizeof t->kinds[0].key];
    reason_key(strbuf_str(&r->reason), key, sizeof key);
    for (int i = 0; i < t->n_kinds; i++)
        if (t->kinds[i].status == r->status && strcmp(t->kinds[i].key, key) == 0)
            return &t->kinds[i];
    if (t->n_kinds == TALLY_KINDS)
        return NULL;
    struct tally_kind *k = &t->kinds[t->n_kinds++];
    k->status = r->status;
    memcpy(k->key, key, sizeof key);
    return k;
}

void tally_add(struct tally *t, const struct row_result *r)
{
    t->rows++;
    t->by_status[r->status]++;
    /* This run's answers only (a resumed row carries an old balance), and
     * the lowest: answers settle out of order. */
    if (r->status == ROW_SENT && r->sms_left >= 0 && (t->sms_left < 0 || r->sms_left < t->sms_left))
        t->sms_left = r->sms_left;
    /* Valid rows count by reason only when they carry a note for a person
     * (an email typo, a channel dropped): check shows those too. */
    if (r->status == ROW_SENT || r->status == ROW_DRY_RUN ||
        (r->status == ROW_PENDING && !r->reason.len))
        return;
    struct tally_kind *k = NULL;
    const size_t n_seen = sizeof t->seen / sizeof *t->seen;
    size_t i_seen = 0;
    for (; i_seen < n_seen; i_seen++) {
        const struct tally_seen *s = &t->seen[i_seen];
        if (s->len && s->len == r->reason.len && s->status == r->status &&
            memcmp(s->reason, r->reason.buf, s->len) == 0)
            break;
    }
    if (i_seen < n_seen) {
        if (t->seen[i_seen].kind < 0) {
            t->other++;
            return;
        }
        k = &t->kinds[t->seen[i_seen].kind];
    } else {
        k = find_kind(t, r);
        if (r->reason.len < sizeof t->seen[0].reason) {
            struct tally_seen *s = &t->seen[t->next_seen];
            t->next_seen = (t->next_seen + 1) % (int)n_seen;
            s->status = r->status;
            s->kind = k ? (int)(k - t->kinds) : -1;
            s->len = r->reason.len;
            memcpy(s->reason, r->reason.buf, r->reason.len);
        }
        if (!k) {
            t->other++;
            return;
        }
    }
    if (k->count < TALLY_EXAMPLES) {
        k->rows[k->count] = r->input_row;
        snprintf(k->examples[k->count], sizeof k->examples[0], "%s", strbuf_str(&r->reason));
    }
    k->count++;
}

void tally_line(const struct tally *t, char *buf, size_t len)
{
    /* A dry run's rows are dry_run, a real run's are sent: name the one there is. */
    int dry = t->dry_run || (t->by_status[ROW_DRY_RUN] && !t->by_status[ROW_SENT]);
    snprintf(buf, len, "%s %ld, skipped %ld, rejected %ld, failed %ld, in doubt %ld",
             dry ? "dry run" : "sent", t->by_status[dry ? ROW_DRY_RUN : ROW_SENT],
             t->by_status[ROW_SKIPPED], t->by_status[ROW_REJECTED], t->by_status[ROW_FAILED],
             t->by_status[ROW_IN_DOUBT]);
    if (t->by_status[ROW_DEFERRED]) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, ", deferred %ld", t->by_status[ROW_DEFERRED]);
    }
}

void tally_print_reasons(const struct tally *t, FILE *out)
{
    static const enum row_status order[] = {ROW_REJECTED, ROW_FAILED,  ROW_IN_DOUBT,
                                            ROW_DEFERRED, ROW_SKIPPED, ROW_PENDING};
    for (size_t o = 0; o < sizeof order / sizeof *order; o++) {
        for (int i = 0; i < t->n_kinds; i++) {
            const struct tally_kind *k = &t->kinds[i];
            if (k->status != order[o])
                continue;
            fprintf(out, "  %-8s %6ld  %s\n",
                    k->status == ROW_PENDING ? "note" : row_status_name(k->status), k->count,
                    k->key);
            for (long e = 0; e < k->count && e < TALLY_EXAMPLES; e++)
                fprintf(out, "                   row %ld: %s\n", k->rows[e], k->examples[e]);
        }
    }
    if (t->other)
        fprintf(out, "  %ld more rows with other reasons (see the results file)\n", t->other);
}
