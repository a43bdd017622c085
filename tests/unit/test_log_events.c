/*
 * Structured events (core/log.h) and the metrics file (store/metrics.h).
 *
 * Proves: a JSON-mode line holds the common keys in order, with run_id and
 * pipeline null before log_context and set after it, every control
 * character, quote and backslash escaped, and typed fields (string, null
 * string, integer, number, raw JSON); log_record writes run_start/run_end
 * even under -q while log_event is filtered; text mode prints only the text
 * and nothing for a text-less event; the progress line's hooks run around
 * every message; row_drop_note removes exactly one whole note; the metrics
 * file escapes label values and carries the last success over a failed run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "core/log.h"
#include "core/row.h"
#include "store/metrics.h"
#include "unit_tmp.h"

static char *dir;

/* Run fn with stderr going to a file; returns what was written (malloc'd). */
static char *capture(void (*fn)(void))
{
    char *path = unit_path(dir, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    dup2(fileno(f), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    unlink(path);
    free(path);
    return buf;
}

static void emit_events(void)
{
    log_setup(0, 1);
    log_context(NULL, NULL);
    log_msg(LOG_WARN, "before \"ctx\"\t\x01\\");
    log_context("20261126T030000-4f2a", "night\"ly");
    struct log_field f[] = {LOG_STR("s", "a\nb"), LOG_STR("none", NULL), LOG_INT("i", -42),
                            LOG_NUM("d", 1.5), LOG_JSON("o", "{\"sent\":3}")};
    log_event(LOG_INFO, "run_end", "done", f, sizeof f / sizeof *f);
    log_context(NULL, NULL);
}

static void test_json_lines(void **state)
{
    (void)state;
    char *out = capture(emit_events);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(out, "\",\"level\":\"warning\",\"event\":\"message\",\"run_id\":null,"
                                "\"pipeline\":null,\"msg\":\"before \\\"ctx\\\"\\u0009\\u0001\\\\\"}"));
    assert_memory_equal(out, "{\"time\":\"", 9);
    assert_non_null(strstr(second, "\"event\":\"run_end\",\"run_id\":\"20261126T030000-4f2a\","
                                   "\"pipeline\":\"night\\\"ly\",\"msg\":\"done\",\"s\":\"a\\u000ab\","
                                   "\"none\":null,\"i\":-42,\"d\":1.500,\"o\":{\"sent\":3}}\n"));
    free(out);
}

static void emit_quiet(void)
{
    log_setup(-1, 1);
    log_event(LOG_INFO, "row", "filtered", NULL, 0);
    log_record(LOG_INFO, "run_start", NULL, NULL, 0);
    log_setup(-1, 0);
    log_record(LOG_INFO, "run_end", "text mode, quiet: filtered", NULL, 0);
    log_setup(0, 0);
    log_event(LOG_INFO, "http", NULL, NULL, 0); /* no text: nothing in text mode */
    log_event(LOG_INFO, "message", "plain", NULL, 0);
    log_msg(LOG_ERROR, "bad %d", 7);
}

static void test_levels_and_text_mode(void **state)
{
    (void)state;
    char *out = capture(emit_quiet);
    assert_null(strstr(out, "filtered"));
    assert_non_null(strstr(out, "\"event\":\"run_start\""));
    assert_non_null(strstr(out, "}\nplain\ncloutly-pipe: error: bad 7\n"));
    free(out);
}

static int clears, redraws;
static void on_clear(void *ctx) { (void)ctx; clears++; }
static void on_redraw(void *ctx) { (void)ctx; redraws++; }

static void emit_with_line(void)
{
    log_setup(0, 0);
    log_set_line(on_clear, on_redraw, NULL);
    log_msg(LOG_WARN, "one");
    log_msg(LOG_DEBUG, "not shown: no redraw either");
    log_set_line(NULL, NULL, NULL);
    log_msg(LOG_WARN, "two");
}

static void test_line_hooks(void **state)
{
    (void)state;
    clears = redraws = 0;
    free(capture(emit_with_line));
    assert_int_equal(clears, 1);
    assert_int_equal(redraws, 1);
}

static void drop(const char *reason, const char *note, const char *want)
{
    struct row_result r;
    row_result_init(&r);
    strbuf_addstr(&r.reason, reason);
    row_drop_note(&r, note);
    assert_string_equal(strbuf_str(&r.reason), want);
    assert_int_equal(r.reason.len, strlen(want));
    row_result_release(&r);
}

static void test_row_drop_note(void **state)
{
    (void)state;
    drop("sent by email only", "sent by email only", "");
    drop("a; sent by email only", "sent by email only", "a");
    drop("sent by email only; b", "sent by email only", "b");
    drop("a; sent by email only; b", "sent by email only", "a; b");
    drop("not sent by email only here", "sent by email only", "not sent by email only here");
    drop("a; b", "sent by email only", "a; b");
}

static void test_metrics_file(void **state)
{
    (void)state;
    char *path = unit_path(dir, "m/x.prom");
    struct metrics_count rows[] = {{"sent", 3}};
    struct metrics_run m = {.pipeline = "a\"b\\c\nd", .business = "", .finished_at = 100,
                            .exit_code = 0, .duration_s = 2, .rows = rows, .n_rows = 1,
                            .sms_left = -1};
    struct cp_error err = {0};
    assert_int_equal(metrics_write(path, &m, &err), 0);
    assert_true(metrics_last_success(path) == 100);
    m.finished_at = 200;
    m.exit_code = 3;
    assert_int_equal(metrics_write(path, &m, &err), 0);
    assert_true(metrics_last_success(path) == 100);
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    assert_true(fread(text, 1, sizeof text - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(text, "cloutly_pipe_rows{pipeline=\"a\\\"b\\\\c\\nd\",business=\"\","
                                 "status=\"sent\"} 3\n"));
    assert_non_null(strstr(text, "cloutly_pipe_last_exit_code{pipeline=\"a\\\"b\\\\c\\nd\","
                                 "business=\"\"} 3\n"));
    assert_null(strstr(text, "sms_limits_left{"));
    free(path);
}

static int setup(void **state)
{
    (void)state;
    dir = unit_tmpdir();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unit_rmtree(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_levels_and_text_mode),
        cmocka_unit_test(test_line_hooks),
        cmocka_unit_test(test_row_drop_note),
        cmocka_unit_test(test_metrics_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
