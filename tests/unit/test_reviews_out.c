/*
 * Reviews -> NDJSON and CSV (reviews_out.h, SPEC section 4).
 *
 * Proves: NDJSON is the review's bytes exactly as sent (key order, 2.50,
 * 1E+3, -0.0, \u escapes, unknown fields), and a pretty-printed object is
 * put on one line with only the whitespace between tokens removed; CSV has
 * the default header, flattens response.name/date/comment, writes null and
 * absent as empty, booleans and numbers as written, strings decoded;
 * RFC 4180 quoting of commas, quotes, CR, LF and edge spaces; the formula
 * guard prefixes ' to strings starting with = + - @ tab CR (not to numbers),
 * and is off when asked; dotted paths pick nested values, objects come out
 * as compact JSON, an escaped key still matches, a repeated key counts
 * last; the Excel BOM; a bad field path and a failing write are errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export/review_page.h"
#include "export/reviews_out.h"

/* Run `reviews` (the inside of a page's array) through a writer; returns
 * the output, malloc'd. */
static char *render(const char *reviews, const struct reviews_out_options *o)
{
    char page[8192], why[200], *buf = NULL;
    size_t len = 0;
    struct review_page pg;
    struct cp_error err = {0};

    snprintf(page, sizeof page, "{\"total\":1,\"reviews\":[%s]}", reviews);
    review_page_init(&pg);
    assert_int_equal(review_page_parse(&pg, page, strlen(page), why, sizeof why), 0);
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    struct reviews_out *w = reviews_out_new(fp, o, &err);
    assert_non_null(w);
    for (size_t i = 0; i < pg.n; i++)
        assert_int_equal(reviews_out_write(w, &pg.items[i], &err), 0);
    assert_int_equal(reviews_out_finish(w, &err), 0);
    reviews_out_free(w);
    fclose(fp);
    review_page_release(&pg);
    return buf;
}

static const struct reviews_out_options ndjson = {.format = EXPORT_NDJSON, .name = "t"};

static void test_ndjson_is_the_bytes_as_sent(void **state)
{
    (void)state;
    const char *r = "{\"z\":1,\"a\":2.50,\"e\":1E+3,\"n\":-0.0,\"id\":\"x\",\"s\":\"Zo\\u00eb \\\"q\\\" \\ud83d\\ude00\","
                    "\"unknown\":{\"deep\":[null,true,{\"k\":\"v\"}]}}";
    char in[1024];
    snprintf(in, sizeof in, "%s,%s", r, r);
    char *out = render(in, &ndjson);
    char want[2100];
    snprintf(want, sizeof want, "%s\n%s\n", r, r);
    assert_string_equal(out, want);
    free(out);
}

static void test_ndjson_puts_a_pretty_object_on_one_line(void **state)
{
    (void)state;
    char *out = render("{\n  \"id\" : \"a b\",\r\n\t\"list\": [ 1 , 2 ],\n  \"s\": \"x\\ny , z\"\n}", &ndjson);
    assert_string_equal(out, "{\"id\":\"a b\",\"list\":[1,2],\"s\":\"x\\ny , z\"}\n");
    free(out);
}

static const char full_review[] =
    "{\"authorName\":\"Tim, \\\"T\\\" Crowel\",\"businessId\":\"b1\",\"createdAt\":\"2021-02-03T00:00:00.000Z\","
    "\"email\":null,\"id\":\"r1\",\"isArchived\":false,\"name\":\" Tim \",\"phoneNumber\":\"+61412345678\","
    "\"photo\":\"p\",\"rating\":5,\"showOnWidget\":true,\"response\":{\"name\":\"My Biz\",\"date\":\"2021-02-04\","
    "\"comment\":\"Line 1\\nLine 2\"},\"shield\":false,\"source\":\"google\",\"sourceFeedbackId\":\"f\","
    "\"status\":\"Responded\",\"reviewUrl\":null,\"text\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\","
    "\"type\":null,\"videoRef\":\"v\",\"gifRef\":\"g\",\"updatedAt\":\"2021-03-01T00:02:21.739Z\","
    "\"brandNew\":\"ignored by default\"}";

static void test_csv_default_columns_flatten_response(void **state)
{
    (void)state;
    struct reviews_out_options o = {.format = EXPORT_CSV, .formula_guard = true, .name = "t"};
    char in[4096];
    snprintf(in, sizeof in, "%s,{\"id\":\"r2\",\"response\":null,\"rating\":\"3\"}", full_review);
    char *out = render(in, &o);
    assert_string_equal(
        out,
        "id,createdAt,updatedAt,businessId,source,rating,authorName,name,email,phoneNumber,text,"
        "status,showOnWidget,isArchived,shield,type,photo,videoRef,gifRef,reviewUrl,"
        "sourceFeedbackId,response.name,response.date,response.comment\r\n"
        "r1,2021-02-03T00:00:00.000Z,2021-03-01T00:02:21.739Z,b1,google,5,\"Tim, \"\"T\"\" Crowel\","
        "\" Tim \",,'+61412345678,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",Responded,true,false,"
        "false,,p,v,g,,f,My Biz,2021-02-04,\"Line 1\nLine 2\"\r\n"
        "r2,,,,,3,,,,,,,,,,,,,,,,,,\r\n");
    free(out);
}

static void check_cell(const char *json_value, bool guard, const char *want)
{
    char in[512], expect[512];
    const char *fields[] = {"v"};
    struct reviews_out_options o = {.format = EXPORT_CSV, .fields = fields,
                                    .n_fields = 1, .formula_guard = guard, .name = "t"};
    snprintf(in, sizeof in, "{\"v\":%s}", json_value);
    snprintf(expect, sizeof expect, "v\r\n%s\r\n", want);
    char *out = render(in, &o);
    assert_string_equal(out, expect);
    free(out);
}

static void test_csv_quoting_rfc4180(void **state)
{
    (void)state;
    check_cell("\"plain\"", true, "plain");
    check_cell("\"a,b\"", true, "\"a,b\"");
    check_cell("\"say \\\"hi\\\"\"", true, "\"say \"\"hi\"\"\"");
    check_cell("\"cr\\rlf\\n\"", true, "\"cr\rlf\n\"");
    check_cell("\" edge\"", true, "\" edge\"");
    check_cell("\"edge \"", true, "\"edge \"");
    check_cell("\"tab\\tinside;semi\"", true, "tab\tinside;semi");
    check_cell("\"\\u00e9t\\u00e9 \\ud83d\\ude00\"", true, "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
    check_cell("\"\\ud800 lone\"", true, "\xef\xbf\xbd lone");
    check_cell("null", true, "");
    check_cell("\"\"", true, "");
    check_cell("true", true, "true");
    check_cell("12345678901234567890", true, "12345678901234567890");
    check_cell("{ \"a\" : [1, \"x y\"] }", true, "\"{\"\"a\"\":[1,\"\"x y\"\"]}\"");
}

static void test_csv_formula_guard(void **state)
{
    (void)state;
    check_cell("\"=1+1\"", true, "'=1+1");
    check_cell("\"+61 2 9999\"", true, "'+61 2 9999");
    check_cell("\"-- meh --\"", true, "'-- meh --");
    check_cell("\"@SUM(1)\"", true, "'@SUM(1)");
    check_cell("\"\\t=x\"", true, "'\t=x");
    check_cell("\"\\r=x\"", true, "\"'\r=x\"");
    check_cell("\"=a,b\"", true, "\"'=a,b\"");
    check_cell("\"a=1\"", true, "a=1");
    check_cell("-5", true, "-5"); /* a number is data, not a formula */
    check_cell("\"=1+1\"", false, "=1+1");
    check_cell("\"@x\"", false, "@x");
}

static void test_csv_dotted_paths(void **state)
{
    (void)state;
    const char *fields[] = {"response.comment", "id", "response", "text.deep", "a.b.c", "text",
                            "missing.x"};
    struct reviews_out_options o = {.format = EXPORT_CSV, .fields = fields,
                                    .n_fields = 7, .formula_guard = true, .name = "t"};
    char *out = render("{\"\\u0069d\":\"first\",\"text\":\"t\",\"response\":{\"comment\":\"c\",\"x\":null},"
                       "\"a\":{\"b\":{\"c\":2.50}},\"text\":\"t2\"}",
                       &o);
    assert_string_equal(out, "response.comment,id,response,text.deep,a.b.c,text,missing.x\r\n"
                             "c,first,\"{\"\"comment\"\":\"\"c\"\",\"\"x\"\":null}\",,2.50,t2,\r\n");
    free(out);
}

static void test_excel_bom(void **state)
{
    (void)state;
    const char *fields[] = {"id"};
    struct reviews_out_options o = {.format = EXPORT_CSV, .fields = fields,
                                    .n_fields = 1, .excel_bom = true, .name = "t"};
    char *out = render("{\"id\":\"Zo\xc3\xab\"}", &o);
    assert_string_equal(out, "\xEF\xBB\xBFid\r\nZo\xc3\xab\r\n");
    free(out);
}

static void test_bad_field_path_and_failing_write(void **state)
{
    (void)state;
    struct cp_error err = {0};
    const char *fields[] = {"a..b"};
    struct reviews_out_options o = {.format = EXPORT_CSV, .fields = fields,
                                    .n_fields = 1, .name = "t"};
    assert_null(reviews_out_new(stdout, &o, &err));
    assert_non_null(strstr(err.msg, "invalid export field 'a..b'"));

    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    struct reviews_out_options n = {.format = EXPORT_NDJSON, .name = "full.ndjson"};
    struct reviews_out *w = reviews_out_new(full, &n, &err);
    assert_non_null(w);
    char page[] = "{\"reviews\":[{\"id\":\"x\"}]}", why[100];
    struct review_page pg;
    review_page_init(&pg);
    assert_int_equal(review_page_parse(&pg, page, strlen(page), why, sizeof why), 0);
    int rc = reviews_out_write(w, &pg.items[0], &err);
    if (rc == 0)
        rc = reviews_out_finish(w, &err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "cannot write 'full.ndjson'"));
    reviews_out_free(w);
    review_page_release(&pg);
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_is_the_bytes_as_sent),
        cmocka_unit_test(test_ndjson_puts_a_pretty_object_on_one_line),
        cmocka_unit_test(test_csv_default_columns_flatten_response),
        cmocka_unit_test(test_csv_quoting_rfc4180),
        cmocka_unit_test(test_csv_formula_guard),
        cmocka_unit_test(test_csv_dotted_paths),
        cmocka_unit_test(test_excel_bom),
        cmocka_unit_test(test_bad_field_path_and_failing_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
