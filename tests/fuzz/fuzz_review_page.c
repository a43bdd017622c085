/*
 * Fuzz target: the response parsers (SPEC section 7, reliability).
 *
 * The bytes are an API answer body. They go
 *   - to review_page_parse() (GET /reviews, the export), twice into the same
 *     page so its reused arrays are exercised; each review found is then
 *     written as NDJSON and as CSV (default and dotted-path columns) the way
 *     `export` writes it, and its id and member keys are decoded;
 *   - to invite_decide() as the answer to POST /send-review-invite with
 *     status 200, 400, 429 (then 201, 404, 500 and 503), and
 *   - to api_error_message() with a roomy and a tiny buffer;
 *   - to business_list_read(), as a GET /businesses answer, twice (a
 *     retried answer reuses the list).
 * The page parser gets an exact-size copy with no NUL after it, so a read
 * past the end shows under AddressSanitizer; the api_result body is
 * NUL-terminated as api_take() promises.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/backoff.h"
#include "api/businesses.h"
#include "invite/invite.h"
#include "api/json_scan.h"
#include "config/pipeline.h"
#include "export/review_page.h"
#include "export/reviews_out.h"
#include "core/row.h"
#include "core/strbuf.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const custom_fields[] = {
    "id", "response.comment", "response", "reviewer.name.first", "a.b.c.d.e.f", "rating",
    "photo", "text",
};

static FILE *devnull(void)
{
    static FILE *fp;
    if (!fp && !(fp = fopen("/dev/null", "w"))) {
        perror("fuzz: /dev/null");
        exit(2);
    }
    return fp;
}

static void write_reviews(const struct review_page *pg, const struct reviews_out_options *o)
{
    struct cp_error err = {0};
    struct reviews_out *w = reviews_out_new(devnull(), o, &err);
    if (!w)
        return;
    for (size_t i = 0; i < pg->n; i++)
        if (reviews_out_write(w, &pg->items[i], &err) < 0)
            break;
    reviews_out_finish(w, &err);
    reviews_out_free(w);
}

static void page(const char *body, size_t len)
{
    struct review_page pg;
    char why[256];
    review_page_init(&pg);
    (void)review_page_parse(&pg, body, len, why, sizeof why);
    if (review_page_parse(&pg, body, len, why, sizeof why) == 0) {
        struct strbuf sb;
        strbuf_init(&sb, 16u * 1024 * 1024);
        for (size_t i = 0; i < pg.n; i++) {
            const struct review_ref *r = &pg.items[i];
            size_t idlen;
            const char *id = review_id_text(r, &idlen);
            if (idlen && !id)
                abort();
            for (size_t k = 0; k < r->n_members; k++) {
                strbuf_reset(&sb);
                (void)json_string_decode(&r->members[k].key, &sb);
                (void)json_string_equals(&r->members[k].key, "createdAt", 9);
                if (r->members[k].value.type == JSON_STRING) {
                    strbuf_reset(&sb);
                    (void)json_string_decode(&r->members[k].value, &sb);
                }
            }
            strbuf_reset(&sb);
            (void)json_compact(&r->raw, &sb);
            (void)ndjson_line_write(devnull(), &r->raw, &sb);
        }
        strbuf_release(&sb);

        struct reviews_out_options o = {.format = EXPORT_NDJSON, .name = "fuzz.ndjson"};
        write_reviews(&pg, &o);
        o = (struct reviews_out_options){.format = EXPORT_CSV, .formula_guard = true,
                                         .excel_bom = true, .name = "fuzz.csv"};
        write_reviews(&pg, &o);
        o = (struct reviews_out_options){.format = EXPORT_CSV, .fields = custom_fields,
                                         .n_fields = sizeof custom_fields / sizeof *custom_fields,
                                         .name = "fuzz-fields.csv"};
        write_reviews(&pg, &o);
    }
    review_page_release(&pg);
}

static void decide(const struct pipeline *p, long status, const char *body, size_t len,
                   int attempts, int single)
{
    struct api_result res;
    memset(&res, 0, sizeof res);
    res.http_status = status;
    res.request_sent = 1;
    res.retry_after = -1;
    res.body = body;
    res.body_len = len;
    struct row_result r;
    row_result_init(&r);
    r.attempts = attempts;
    r.sms_left = -1;
    (void)invite_decide(p, &res, &r, single);
    (void)row_status_name(r.status);
    row_result_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();

    /* Exactly `size` bytes, nothing after them. */
    char *exact = malloc(size ? size : 1);
    if (!exact)
        return 0;
    if (size)
        memcpy(exact, data, size);
    page(exact, size);
    free(exact);

    /* As api_take() hands it out: NUL-terminated (the body may hold NULs too). */
    char *body = malloc(size + 1);
    if (!body)
        return 0;
    if (size)
        memcpy(body, data, size);
    body[size] = '\0';

    struct pipeline p;
    memset(&p, 0, sizeof p);
    p.file = "fuzz.yaml";
    p.kind = PIPELINE_INVITE;
    p.api.retries = 5;
    p.invite.min_sms_left = -1;
    decide(&p, 200, body, size, 1, 1);
    decide(&p, 400, body, size, 1, 1);
    decide(&p, 429, body, size, 1, 1);
    decide(&p, 429, body, size, API_MAX_429, 0);
    decide(&p, 201, body, size, 1, 0);
    decide(&p, 404, body, size, 1, 1);
    decide(&p, 404, body, size, 1, 0);
    decide(&p, 500, body, size, 1, 1);
    decide(&p, 503, body, size, 6, 1);

    char msg[300], tiny[4];
    api_error_message(body, size, msg, sizeof msg);
    api_error_message(body, size, tiny, sizeof tiny);

    struct api_result res;
    memset(&res, 0, sizeof res);
    res.http_status = 200;
    res.body = body;
    res.body_len = size;
    struct business_list list = {0};
    char why[200];
    business_list_read(&list, &res, why, sizeof why);
    business_list_read(&list, &res, why, sizeof why);
    business_list_release(&list);
    free(body);
    return 0;
}
