/*
 * The progress line (cli/progress.h), on a controlled clock.
 *
 * Proves: after a resume the ETA is the rows still to be worked through at
 * the pace of the fresh rows (rows an earlier run settled count for
 * nothing), where counting every row as progress gives the wrong
 * 25-second answer; live sent/failed/in-doubt counts are on the line; the
 * line never reaches the terminal's last column at any width from 10 to 300
 * (so it cannot wrap); the bar appears only when there is room for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/progress.h"

/* The case: 2000 rows, 475 sent by the interrupted run; the resumed
 * run has worked through 100 fresh rows in 60 s. */
static struct progress resumed(void)
{
    struct progress pg;
    memset(&pg, 0, sizeof pg);
    pg.total = 2000;
    pg.prior = 475;
    pg.started = 40.0;
    pg.fresh_at = 100.0;
    pg.fresh_base = 476;
    pg.c = (struct progress_counts){.done = 576, .sent = 97, .failed = 2, .in_doubt = 1};
    return pg;
}

static void test_eta_after_resume(void **state)
{
    (void)state;
    struct progress pg = resumed();
    char line[512];
    progress_format(&pg, 160.0, 200, line, sizeof line);
    /* 1424 rows left at 0.6 s a row: 854 s. */
    assert_non_null(strstr(line, "ETA 14m14s"));
    assert_non_null(strstr(line, "576/2000 rows"));
    assert_non_null(strstr(line, "sent 97"));
    assert_non_null(strstr(line, "failed 2"));
    assert_non_null(strstr(line, "in doubt 1"));
    assert_non_null(strstr(line, "97/min"));
    /* The bar counts the fresh work: 101 of 1525 rows, 1 of 30 cells. */
    assert_non_null(strstr(line, "[#....."));
}

static void test_eta_unknown_until_fresh_rows(void **state)
{
    (void)state;
    struct progress pg = resumed();
    pg.fresh_at = 0;
    pg.c.done = 300; /* still passing rows the earlier run sent */
    char line[512];
    progress_format(&pg, 60.0, 200, line, sizeof line);
    assert_non_null(strstr(line, "ETA ?"));
}

static void test_never_wraps(void **state)
{
    (void)state;
    struct progress pg = resumed();
    pg.total = 12345678;
    pg.c.done = 1234567;
    pg.c.sent = 1234000;
    char line[512];
    for (int w = 10; w <= 300; w++) {
        progress_format(&pg, 160.0, w, line, sizeof line);
        assert_true(strlen(line) <= (size_t)(w - 1));
        assert_null(strchr(line, '\n'));
    }
    progress_format(&pg, 160.0, 60, line, sizeof line);
    assert_null(strchr(line, '[')); /* no room for a bar at 60 */
    assert_non_null(strstr(line, "sent 1234000"));
    progress_format(&pg, 160.0, 160, line, sizeof line);
    assert_int_equal(line[0], '[');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_after_resume),
        cmocka_unit_test(test_eta_unknown_until_fresh_rows),
        cmocka_unit_test(test_never_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
