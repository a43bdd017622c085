/*
 * The page walk (export.h) against servers played in memory, and the parts
 * it stands on: the JSON scanner, the page reader, the id set, ISO times.
 *
 * Proves: for every list size around the page size (0, 1, L-1, L, L+1, 3L,
 * 3L+5), page sizes 1, 2, 7 and 100, both readings of `offset`, both sort
 * orders, with and without new reviews arriving at the newest end between
 * requests, every review present at the start is written exactly once and
 * nothing else but new arrivals; the reading of `offset` is detected; a
 * server that ignores `offset` or whose total keeps growing is an error
 * after a bounded number of requests; `since` in desc order stops at the
 * first older review; the page reader refuses truncated and malformed
 * JSON and reads `total` tolerantly; the scanner's limits (depth 64,
 * control characters, escapes, number grammar); the id set and time parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export/export.h"
#include "export/idset.h"
#include "core/isotime.h"
#include "api/json_scan.h"
#include "export/review_page.h"
#include "core/strbuf.h"

/* ---- a server in memory ---------------------------------------------------- */

enum srv_mode { SRV_PAGE, SRV_RECORD, SRV_IGNORE };

struct server {
    enum srv_mode mode;
    int asc;
    int *ids;        /* ascending by creation: ids[i] = i-th oldest review */
    int n, cap;
    int insert_each; /* reviews created on the arrival of every request */
    int insert_left;
    int requests;
};

static void srv_init(struct server *s, enum srv_mode mode, int asc, int n, int insert_each)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->asc = asc;
    s->cap = n + 100000;
    s->ids = malloc((size_t)s->cap * sizeof *s->ids);
    for (int i = 0; i < n; i++)
        s->ids[i] = i;
    s->n = n;
    s->insert_each = insert_each;
    s->insert_left = 1000;
}

/* The answer to offset `offset`, limit L, as JSON; createdAt = the id as seconds. */
static void srv_answer(struct server *s, long offset, int L, struct strbuf *out)
{
    s->requests++;
    for (int k = 0; k < s->insert_each && s->insert_left > 0 && s->n < s->cap; k++, s->insert_left--)
        s->ids[s->n] = s->n, s->n++;
    long start = s->mode == SRV_PAGE ? offset * L : s->mode == SRV_RECORD ? offset : 0;
    strbuf_reset(out);
    strbuf_addf(out, "{\"reviews\":[");
    for (long i = start; i < start + L && i < s->n; i++) {
        int id = s->asc ? s->ids[i] : s->ids[s->n - 1 - i];
        strbuf_addf(out, "%s{\"id\":\"r%d\",\"createdAt\":\"2020-01-01T00:00:%02d.%03dZ\",\"x\":[1]}",
                    i > start ? "," : "", id, (id / 1000) % 60, id % 1000);
    }
    strbuf_addf(out, "],\"total\":%d}", s->n);
}

struct seen {
    int *count; /* written, per id */
    int cap;
    long written;
};

static int sink(void *ctx, const struct review_ref *r, struct cp_error *err)
{
    struct seen *sn = ctx;
    (void)err;
    int id = atoi(r->id.p + 2); /* "r123" */
    assert_true(id >= 0 && id < sn->cap);
    sn->count[id]++;
    sn->written++;
    return 0;
}

/* Walk the server to the end; 0 or -1 with err. */
static int walk(struct server *s, struct export_query *q, struct seen *sn, struct cp_error *err,
                enum offset_mode *mode)
{
    struct strbuf body;
    struct review_page pg;
    char why[200];
    long off;
    int rc = 0;
    strbuf_init(&body, 64u << 20);
    review_page_init(&pg);
    struct export_walk *w = export_walk_new(q, err);
    assert_non_null(w);
    while ((off = export_walk_next_offset(w)) >= 0) {
        assert_true(s->requests < 100000);
        srv_answer(s, off, q->page_size, &body);
        assert_int_equal(review_page_parse(&pg, body.buf, body.len, why, sizeof why), 0);
        if ((rc = export_walk_page(w, &pg, sink, sn, err)) < 0)
            break;
    }
    if (mode)
        *mode = export_walk_stats(w)->mode;
    export_walk_free(w);
    review_page_release(&pg);
    strbuf_release(&body);
    return rc;
}

static void check_exact(enum srv_mode mode, int asc, int n, int L, int inserts)
{
    struct server s;
    struct export_query q = {.page_size = L, .sort = asc ? EXPORT_SORT_ASC : EXPORT_SORT_DESC,
                             .show_on_widget = -1};
    struct cp_error err = {0};
    enum offset_mode got;
    srv_init(&s, mode, asc, n, inserts);
    struct seen sn = {.count = calloc((size_t)s.cap, sizeof(int)), .cap = s.cap};
    int rc = walk(&s, &q, &sn, &err, &got);
    if (rc != 0)
        fail_msg("mode %d asc %d n %d L %d inserts %d: %s", mode, asc, n, L, inserts, err.msg);
    for (int i = 0; i < s.n; i++) {
        if (i < n && sn.count[i] != 1)
            fail_msg("mode %d asc %d n %d L %d inserts %d: review %d written %d times", mode, asc,
                     n, L, inserts, i, sn.count[i]);
        if (sn.count[i] > 1)
            fail_msg("review %d written %d times", i, sn.count[i]);
    }
    /* The reading is detected once there was a full first page to compare with. */
    if (n > L && L > 1 && !inserts)
        assert_int_equal(got, mode == SRV_PAGE ? OFFSET_PAGE : OFFSET_RECORD);
    free(sn.count);
    free(s.ids);
}

static void test_walk_is_exact_for_every_shape(void **state)
{
    (void)state;
    static const int sizes[] = {1, 2, 7, 100};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int L = sizes[k];
        int ns[] = {0, 1, L - 1, L, L + 1, 3 * L, 3 * L + 5};
        for (size_t j = 0; j < sizeof ns / sizeof *ns; j++)
            for (int mode = SRV_PAGE; mode <= SRV_RECORD; mode++)
                for (int asc = 0; asc <= 1; asc++)
                    /* Inserts below the page size per request: with a page of
                     * news between every two requests no walk can advance (the
                     * never-ending guard then stops it). */
                    for (int ins = 0; ins <= L / 4; ins += L >= 4 ? L / 4 : 1)
                        check_exact((enum srv_mode)mode, asc, ns[j], L, ins);
    }
}

static void test_walk_with_many_pages_and_inserts(void **state)
{
    (void)state;
    check_exact(SRV_PAGE, 0, 2500, 100, 3);
    check_exact(SRV_RECORD, 0, 2500, 100, 3);
    check_exact(SRV_PAGE, 1, 2500, 100, 3);
    check_exact(SRV_RECORD, 1, 2500, 100, 3);
}

static void test_a_server_ignoring_offset_is_an_error(void **state)
{
    (void)state;
    struct server s;
    struct export_query q = {.page_size = 10, .show_on_widget = -1};
    struct cp_error err = {0};
    srv_init(&s, SRV_IGNORE, 0, 100, 0);
    struct seen sn = {.count = calloc((size_t)s.cap, sizeof(int)), .cap = s.cap};
    assert_int_equal(walk(&s, &q, &sn, &err, NULL), -1);
    assert_int_equal(err.code, CP_EXIT_INPUT);
    assert_non_null(strstr(err.msg, "ignore 'offset'"));
    assert_true(s.requests <= 6);
    free(sn.count);
    free(s.ids);
}

static void test_a_total_that_keeps_growing_is_an_error(void **state)
{
    (void)state;
    struct server s;
    struct export_query q = {.page_size = 10, .sort = EXPORT_SORT_ASC, .show_on_widget = -1};
    struct cp_error err = {0};
    srv_init(&s, SRV_PAGE, 1, 50, 15);
    s.insert_left = 1000000;
    struct seen sn = {.count = calloc((size_t)s.cap, sizeof(int)), .cap = s.cap};
    assert_int_equal(walk(&s, &q, &sn, &err, NULL), -1);
    assert_non_null(strstr(err.msg, "keeps sending pages"));
    assert_true(s.requests < 40);
    free(sn.count);
    free(s.ids);
}

static void test_since_in_desc_stops_at_the_first_older_review(void **state)
{
    (void)state;
    struct server s;
    struct export_query q = {.page_size = 10, .show_on_widget = -1, .has_since = 1};
    struct cp_error err = {0};
    /* Review 950 was created at 00:00:00.950 (see srv_answer). */
    assert_int_equal(isotime_parse("2020-01-01T00:00:00.950Z", 24, &q.since_us), 0);
    q.since_exclusive = 1;
    srv_init(&s, SRV_PAGE, 0, 1000, 0);
    struct seen sn = {.count = calloc((size_t)s.cap, sizeof(int)), .cap = s.cap};
    assert_int_equal(walk(&s, &q, &sn, &err, NULL), 0);
    assert_int_equal(sn.written, 49); /* 951..999 */
    for (int i = 951; i < 1000; i++)
        assert_int_equal(sn.count[i], 1);
    assert_int_equal(s.requests, 5); /* offsets 0 and 1 (the probe), 2, 3, 4 */
    free(sn.count);
    free(s.ids);
}

/* ---- the page reader and the scanner ---------------------------------------- */

static int parse(const char *text, struct review_page *pg, char *why)
{
    return review_page_parse(pg, text, strlen(text), why, 200);
}

static void test_page_reader(void **state)
{
    (void)state;
    struct review_page pg;
    char why[200];
    review_page_init(&pg);
    assert_int_equal(parse(" {\"x\":{\"reviews\":1},\"total\":\"42\",\"reviews\":[{\"id\":7},null,"
                           "{\"createdAt\":\"2021\"},{\"id\":\"a\\\"b\",\"id\":null}]} ", &pg, why), 0);
    assert_int_equal(pg.total, 42);
    assert_int_equal(pg.n, 3);
    assert_int_equal(pg.not_objects, 1);
    size_t len;
    const char *id = review_id_text(&pg.items[0], &len);
    assert_int_equal(len, 1);
    assert_memory_equal(id, "7", 1);
    review_id_text(&pg.items[1], &len);
    assert_int_equal(len, 0);
    assert_int_equal(pg.items[1].created.type, JSON_STRING);
    review_id_text(&pg.items[2], &len);
    assert_int_equal(len, 0); /* the last of a repeated key: null */
    assert_int_equal(parse("{\"total\":null,\"reviews\":[]}", &pg, why), 0);
    assert_int_equal(pg.total, -1);
    assert_int_equal(parse("{\"total\":-3,\"reviews\":[]}", &pg, why), 0);
    assert_int_equal(pg.total, -1);

    static const char *const bad[] = {
        "", "[]", "{\"total\":1}", "{\"reviews\":{}}", "{\"reviews\":[{\"id\":\"x\"}]",
        "{\"reviews\":[{\"id\":\"x\"}]} x", "{\"reviews\":[{\"id\": ", "{\"reviews\":[{\"id\":01}]}",
        "{\"reviews\":[{\"id\":\"a\nb\"}]}", "{\"reviews\":[{\"id\":\"\\x\"}]}",
        "{\"reviews\":[{\"id\":\"\\u12\"}]}", "{\"reviews\":[{\"id\":1.}]}",
        "{\"reviews\":[{\"id\":-}]}", "{\"reviews\":[{\"id\":tru}]}", "{\"reviews\":[{,}]}",
        "{\"reviews\":[{\"a\":1,}]}", "{\"reviews\":[1 2]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (parse(bad[i], &pg, why) == 0)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(parse("{\"reviews\":[{\"id\": ", &pg, why), -1);
    assert_non_null(strstr(why, "byte "));
    review_page_release(&pg);
}

static void test_scanner_depth_limit(void **state)
{
    (void)state;
    char deep[400];
    struct json_scanner s;
    struct json_span v;
    for (int depth = 64; depth <= 65; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        json_scanner_init(&s, deep, (size_t)(2 * depth));
        const char *end = json_value(&s, deep, 0, &v);
        if (depth == 64)
            assert_ptr_equal(end, deep + 2 * depth);
        else
            assert_null(end);
    }
    assert_string_equal(s.err_what, "nested deeper than 64 levels");
}

static void test_string_decode_and_compact(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 1024);
    struct json_span tok = {"\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\udc00\"", 0, JSON_STRING};
    tok.n = strlen(tok.p);
    assert_int_equal(json_string_decode(&tok, &sb), 0);
    assert_string_equal(sb.buf, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
    assert_true(json_string_equals(&(struct json_span){"\"\\u0069d\"", 9, JSON_STRING}, "id", 2));
    assert_false(json_string_equals(&(struct json_span){"\"idx\"", 5, JSON_STRING}, "id", 2));
    strbuf_reset(&sb);
    struct json_span v = {"{ \"a b\" :\n [ 1 , \"\\\" x\" ] }", 0, JSON_OBJECT};
    v.n = strlen(v.p);
    assert_int_equal(json_compact(&v, &sb), 0);
    assert_string_equal(sb.buf, "{\"a b\":[1,\"\\\" x\"]}");
    strbuf_release(&sb);
}

/* ---- ids and times ----------------------------------------------------------- */

static void test_idset(void **state)
{
    (void)state;
    char id[32];
    struct idset *set = idset_new();
    assert_non_null(set);
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(idset_add(set, id, (size_t)n), 1);
    }
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(idset_add(set, id, (size_t)n), 0);
        assert_true(idset_contains(set, id, (size_t)n));
    }
    assert_false(idset_contains(set, "id-200000", 9));
    assert_int_equal(idset_count(set), 200000);
    idset_free(set);
}

static void test_isotime(void **state)
{
    (void)state;
    int64_t a, b;
    assert_int_equal(isotime_parse("1970-01-01", 10, &a), 0);
    assert_int_equal(a, 0);
    assert_int_equal(isotime_parse("2021-02-03T00:00:00.000Z", 24, &a), 0);
    assert_int_equal(a, 1612310400000000LL);
    assert_int_equal(isotime_parse("2021-02-03T10:00:00+10:00", 25, &b), 0);
    assert_int_equal(a, b);
    assert_int_equal(isotime_parse("2021-02-03T00:00:00.1234567Z", 28, &b), 0);
    assert_int_equal(b - a, 123456);
    assert_int_equal(isotime_parse("2024-02-29T23:59", 16, &a), 0);
    static const char *const bad[] = {"2021-02-30", "2023-02-29", "2021-13-01", "2021-1-01",
                                      "2021-01-01T", "2021-01-01T25:00", "2021-01-01T00:00:00.",
                                      "2021-01-01Z1", "2021-01-01T00:00+1", "last_run", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (isotime_parse(bad[i], strlen(bad[i]), &a) == 0)
            fail_msg("accepted: %s", bad[i]);
}

static void test_page_path_encodes_filters(void **state)
{
    (void)state;
    char buf[512];
    struct export_query q = {.page_size = 100, .sort = EXPORT_SORT_ASC, .source = "a b&c=d",
                             .business_id = "44271176-7053-4534-ad6f-b38d132d341e",
                             .show_on_widget = 0};
    export_page_path(&q, 7, buf, sizeof buf);
    assert_string_equal(buf, "/reviews?limit=100&offset=7&sort=asc&source=a%20b%26c%3Dd"
                             "&businessId=44271176-7053-4534-ad6f-b38d132d341e&showOnWidget=false");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_is_exact_for_every_shape),
        cmocka_unit_test(test_walk_with_many_pages_and_inserts),
        cmocka_unit_test(test_a_server_ignoring_offset_is_an_error),
        cmocka_unit_test(test_a_total_that_keeps_growing_is_an_error),
        cmocka_unit_test(test_since_in_desc_stops_at_the_first_older_review),
        cmocka_unit_test(test_page_reader),
        cmocka_unit_test(test_scanner_depth_limit),
        cmocka_unit_test(test_string_decode_and_compact),
        cmocka_unit_test(test_idset),
        cmocka_unit_test(test_isotime),
        cmocka_unit_test(test_page_path_encodes_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
