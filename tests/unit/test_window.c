/*
 * Send windows: the grammar, the us_state_rules table, the zones of a
 * phone number, local time across DST changes, and the decision for a row
 * (inside, deferred with when it opens, every zone of a multi-zone number,
 * invite_delay_days across a weekend rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "unit_tmp.h"

#include "config/send_window.h"
#include "intake/phone_zone.h"
#include "invite/state_rules.h"
#include "invite/window.h"
#include "store/ledger.h"

static double utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (double)timegm(&tm);
}

static void test_grammar(void **state)
{
    (void)state;
    struct send_window w;
    char why[200], text[120];
    assert_int_equal(send_window_parse("09:00-20:00", &w, why, sizeof why), 0);
    assert_int_equal(w.kind, SEND_WINDOW_HOURS);
    assert_true(send_window_holds(&w, 0, 9 * 60));
    assert_false(send_window_holds(&w, 0, 20 * 60)); /* the end is exclusive */
    assert_false(send_window_holds(&w, 3, 8 * 60 + 59));
    send_window_describe(&w, text, sizeof text);
    assert_string_equal(text, "09:00-20:00");

    assert_int_equal(send_window_parse("mon-fri 09:00-21:00, sat 10:00-18:00", &w, why, sizeof why),
                     0);
    assert_true(send_window_holds(&w, 5, 20 * 60 + 30));  /* Friday 20:30 */
    assert_false(send_window_holds(&w, 6, 20 * 60 + 30)); /* Saturday 20:30 */
    assert_false(send_window_holds(&w, 0, 12 * 60));      /* Sunday: no clause */
    send_window_describe(&w, text, sizeof text);
    assert_string_equal(text, "mon-fri 09:00-21:00, sat 10:00-18:00");

    assert_int_equal(send_window_parse("fri-mon 10:00-24:00", &w, why, sizeof why), 0);
    assert_true(send_window_holds(&w, 0, 23 * 60 + 59));
    assert_false(send_window_holds(&w, 2, 12 * 60));

    assert_int_equal(send_window_parse("any", &w, why, sizeof why), 0);
    assert_int_equal(w.kind, SEND_WINDOW_ANY);
    assert_int_equal(send_window_parse("20:00-09:00", &w, why, sizeof why), -1);
    assert_non_null(strstr(why, "end after it starts"));
    assert_int_equal(send_window_parse("9-17", &w, why, sizeof why), -1);
    assert_int_equal(send_window_parse("funday 09:00-17:00", &w, why, sizeof why), -1);
    assert_int_equal(send_window_parse("09:00-25:00", &w, why, sizeof why), -1);
}

static void test_state_rules_table(void **state)
{
    (void)state;
    int n;
    const struct state_rule *t = state_rules_table(&n);
    char why[200];
    struct send_window w;
    assert_true(n >= 2);
    assert_string_equal(t[0].state, "");
    for (int i = 0; i < n; i++) {
        assert_int_equal(send_window_parse(t[i].hours, &w, why, sizeof why), 0);
        assert_true(strlen(t[i].source) > 10);
    }
    /* Federal hours everywhere; Florida is stricter in the evening. */
    state_rules_window("GB", "", &w);
    assert_true(send_window_holds(&w, 1, 8 * 60));
    assert_true(send_window_holds(&w, 1, 20 * 60 + 59));
    assert_false(send_window_holds(&w, 1, 21 * 60));
    state_rules_window("US", "FL", &w);
    assert_true(send_window_holds(&w, 1, 8 * 60));
    assert_false(send_window_holds(&w, 1, 20 * 60));
    /* Texas: Sunday from noon. */
    state_rules_window("US", "TX", &w);
    assert_false(send_window_holds(&w, 0, 11 * 60));
    assert_true(send_window_holds(&w, 0, 12 * 60));
    assert_false(send_window_holds(&w, 1, 8 * 60 + 30));
    /* Kentucky from 10:00; Alabama, Louisiana, Mississippi never on a
     * Sunday; Nevada to 20:00, Michigan from 09:00 to the federal 21:00. */
    state_rules_window("US", "KY", &w);
    assert_false(send_window_holds(&w, 2, 9 * 60 + 59));
    assert_true(send_window_holds(&w, 2, 10 * 60));
    assert_true(send_window_holds(&w, 2, 20 * 60 + 59));
    state_rules_window("US", "AL", &w);
    assert_false(send_window_holds(&w, 0, 12 * 60));
    assert_true(send_window_holds(&w, 6, 12 * 60));
    state_rules_window("US", "NV", &w);
    assert_false(send_window_holds(&w, 3, 20 * 60));
    state_rules_window("US", "MI", &w);
    assert_false(send_window_holds(&w, 3, 8 * 60 + 30));
    assert_true(send_window_holds(&w, 3, 20 * 60 + 30));
    /* A state with no line of its own: the federal hours. */
    state_rules_window("US", "NY", &w);
    assert_true(send_window_holds(&w, 0, 8 * 60));
    assert_true(send_window_holds(&w, 0, 20 * 60 + 59));
    /* A US number of unknown state: every state's rule at once. */
    state_rules_window("US", "", &w);
    assert_false(send_window_holds(&w, 0, 11 * 60));     /* Texas Sunday */
    assert_false(send_window_holds(&w, 1, 8 * 60 + 30)); /* Connecticut, Texas: 9:00 */
    assert_false(send_window_holds(&w, 1, 20 * 60));     /* Florida and others: 20:00 */
    assert_false(send_window_holds(&w, 1, 9 * 60 + 59)); /* Kentucky: 10:00 */
    assert_true(send_window_holds(&w, 1, 19 * 60 + 59));
    assert_false(send_window_holds(&w, 0, 15 * 60)); /* Alabama: no Sundays */
}

static int has_zone(const struct zone_set *zs, const char *z)
{
    for (int i = 0; i < zs->n; i++)
        if (strcmp(zs->zone[i], z) == 0)
            return 1;
    return 0;
}

static void test_phone_zones(void **state)
{
    (void)state;
    struct cp_error err = {0};
    struct zone_db *db = zone_db_open(&err);
    assert_non_null(db);
    struct zone_set zs;
    assert_int_equal(zone_for_phone(db, "+12124567890", &zs), 0);
    assert_int_equal(zs.n, 1);
    assert_string_equal(zs.zone[0], "America/New_York");
    assert_string_equal(zs.state, "NY");
    assert_string_equal(zs.country, "US");
    assert_int_equal(zone_for_phone(db, "+13104567890", &zs), 0);
    assert_string_equal(zs.zone[0], "America/Los_Angeles");
    assert_int_equal(zone_for_phone(db, "+18084567890", &zs), 0);
    assert_string_equal(zs.zone[0], "Pacific/Honolulu");
    /* Texas spans two zones: both. */
    assert_int_equal(zone_for_phone(db, "+19154567890", &zs), 0);
    assert_int_equal(zs.n, 2);
    assert_true(has_zone(&zs, "America/Chicago") && has_zone(&zs, "America/Denver"));
    assert_int_equal(zone_for_phone(db, "+61293744000", &zs), 0);
    assert_int_equal(zs.n, 1);
    assert_string_equal(zs.zone[0], "Australia/Sydney");
    assert_int_equal(zone_for_phone(db, "+61892345678", &zs), 0);
    assert_string_equal(zs.zone[0], "Australia/Perth");
    /* An Australian mobile could be anywhere in Australia. */
    assert_int_equal(zone_for_phone(db, "+61412345678", &zs), 0);
    assert_true(zs.n >= 8);
    assert_true(has_zone(&zs, "Australia/Perth") && has_zone(&zs, "Australia/Sydney") &&
                has_zone(&zs, "Australia/Lord_Howe"));
    assert_int_equal(zone_for_phone(db, "+447400123456", &zs), 0);
    assert_int_equal(zs.n, 1);
    assert_string_equal(zs.zone[0], "Europe/London");
    assert_int_equal(zone_for_name(db, "Not/AZone", &zs), -1);
    assert_int_equal(zone_for_name(db, "Australia/Perth", &zs), 0);
    zone_db_close(db);
}

static void test_local_time_follows_dst(void **state)
{
    (void)state;
    struct cp_error err = {0};
    struct zone_db *db = zone_db_open(&err);
    struct zone_set zs;
    struct zone_local lt;
    char ab[16];
    assert_int_equal(zone_for_name(db, "Australia/Sydney", &zs), 0);
    /* Sydney moves to AEDT at 02:00 on Sunday 2026-10-04 (16:00Z on the 3rd). */
    assert_int_equal(zone_local_time(db, zs.zone[0], utc(2026, 10, 3, 15, 59), &lt), 0);
    assert_int_equal(lt.offset_min, 600);
    assert_int_equal(lt.minute, 60 + 59);
    assert_int_equal(zone_local_time(db, zs.zone[0], utc(2026, 10, 3, 16, 0), &lt), 0);
    assert_int_equal(lt.offset_min, 660);
    assert_int_equal(lt.minute, 3 * 60);
    assert_int_equal(lt.wday, 0);
    zone_abbrev(db, zs.zone[0], utc(2026, 12, 1, 0, 0), ab, sizeof ab);
    assert_string_equal(ab, "AEDT");
    /* New York leaves EDT at 02:00 on 2026-11-01 (06:00Z). */
    assert_int_equal(zone_for_name(db, "America/New_York", &zs), 0);
    assert_int_equal(zone_local_time(db, zs.zone[0], utc(2026, 11, 1, 5, 59), &lt), 0);
    assert_int_equal(lt.offset_min, -240);
    assert_int_equal(zone_local_time(db, zs.zone[0], utc(2026, 11, 1, 6, 0), &lt), 0);
    assert_int_equal(lt.offset_min, -300);
    assert_int_equal(lt.minute, 60);
    zone_db_close(db);
}

/* A pipeline with only what the window reads. */
static void pipeline_for(struct pipeline *p, const char *window, int delay)
{
    char why[200];
    memset(p, 0, sizeof *p);
    p->api.rate_per_sec = 100 / 60.0;
    p->invite.invite_delay_days = delay;
    if (window)
        assert_int_equal(send_window_parse(window, &p->invite.send_window, why, sizeof why), 0);
}

static enum window_verdict decide(struct window *w, const char *phone, const char *email,
                                  double now, struct window_decision *d, struct row_result *r)
{
    struct cp_error err = {0};
    row_result_reset(r);
    r->status = ROW_PENDING;
    strbuf_addstr(&r->phone, phone);
    strbuf_addstr(&r->email, email);
    strbuf_addstr(&r->business_id, "b1");
    assert_int_equal(window_decide(w, r, now, d, &err), 0);
    return d->verdict;
}

static void test_decisions(void **state)
{
    (void)state;
    struct pipeline p;
    struct cp_error err = {0};
    struct row_result r;
    struct window_decision d;
    row_result_init(&r);
    pipeline_for(&p, NULL, 0); /* the default: 09:00-20:00 for phones */
    struct window *w = window_open(&p, NULL, &err);
    assert_non_null(w);
    /* 2026-12-01 23:00Z: 10:00 in Sydney, 07:00 in Perth. */
    double t = utc(2026, 12, 1, 23, 0);
    assert_int_equal(decide(w, "+61293744000", "", t, &d, &r), WINDOW_SEND);
    assert_int_equal(decide(w, "+61892345678", "", t, &d, &r), WINDOW_DEFER);
    assert_int_equal(r.status, ROW_DEFERRED);
    assert_true(d.opens_at == utc(2026, 12, 2, 1, 0)); /* 09:00 AWST */
    assert_non_null(strstr(strbuf_str(&r.reason), "2026-12-02T01:00:00Z"));
    /* A mobile that could be in any Australian zone waits for the last to open. */
    assert_int_equal(decide(w, "+61412345678", "", t, &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 12, 2, 1, 0));
    assert_non_null(strstr(strbuf_str(&r.reason), "every zone"));
    /* ...and is out again once the first closes: 20:00 at Lord Howe is 09:00Z. */
    assert_int_equal(decide(w, "+61412345678", "", utc(2026, 12, 2, 8, 59), &d, &r), WINDOW_SEND);
    assert_int_equal(decide(w, "+61412345678", "", utc(2026, 12, 2, 9, 0), &d, &r), WINDOW_DEFER);
    /* Email-only contacts: email_window, default any. */
    assert_int_equal(decide(w, "", "a@example.com", t, &d, &r), WINDOW_SEND);
    /* Christmas Island shares +61 8 9 with Perth but not its zone (UTC+7):
     * at 01:30Z Perth is at 09:30, the island at 08:30. */
    assert_int_equal(decide(w, "+61892345678", "", utc(2026, 12, 2, 1, 30), &d, &r), WINDOW_SEND);
    assert_int_equal(decide(w, "+61891641234", "", utc(2026, 12, 2, 1, 30), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 12, 2, 2, 0));
    window_close(w);

    /* invite_delay_days 1 at 20:30 Sydney: the invite arrives the next day. */
    pipeline_for(&p, "mon-fri 09:00-21:00, sat-sun 10:00-18:00", 1);
    w = window_open(&p, NULL, &err);
    assert_non_null(w);
    /* Thursday 2026-12-03 20:30 AEDT = 09:30Z: arrives Friday 20:30, inside. */
    assert_int_equal(decide(w, "+61293744000", "", utc(2026, 12, 3, 9, 30), &d, &r), WINDOW_SEND);
    /* Friday 20:30: arrives Saturday 20:30, after Saturday's 18:00: it may be
     * posted from Saturday 10:00 AEDT (Friday 23:00Z) to arrive Sunday 10:00. */
    assert_int_equal(decide(w, "+61293744000", "", utc(2026, 12, 4, 9, 30), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 12, 4, 23, 0));
    assert_non_null(strstr(strbuf_str(&r.reason), "would arrive Sat"));
    window_close(w);

    /* DST: on 2026-10-04 Sydney's 09:00 is 22:00Z on the 3rd, not 23:00Z. */
    pipeline_for(&p, "09:00-20:00", 0);
    w = window_open(&p, NULL, &err);
    assert_int_equal(decide(w, "+61293744000", "", utc(2026, 10, 3, 21, 59), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 10, 3, 22, 0));
    assert_int_equal(decide(w, "+61293744000", "", utc(2026, 10, 3, 22, 0), &d, &r), WINDOW_SEND);
    /* The night before, a deferral crosses the change: 09:00 AEDT again. */
    assert_int_equal(decide(w, "+61293744000", "", utc(2026, 10, 3, 10, 0), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 10, 3, 22, 0));
    /* New York on 2026-11-01: 09:00 EST is 14:00Z. */
    assert_int_equal(decide(w, "+12124567890", "", utc(2026, 11, 1, 13, 30), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 11, 1, 14, 0));
    window_close(w);

    /* us_state_rules: Texas on a Sunday morning waits for noon (in both of
     * its zones: noon in Denver is 18:00Z in December). */
    pipeline_for(&p, "us_state_rules", 0);
    w = window_open(&p, NULL, &err);
    assert_int_equal(decide(w, "+19154567890", "", utc(2026, 12, 6, 17, 0), &d, &r), WINDOW_DEFER);
    assert_true(d.opens_at == utc(2026, 12, 6, 19, 0));
    assert_int_equal(decide(w, "+12124567890", "", utc(2026, 12, 6, 17, 0), &d, &r), WINDOW_SEND);
    window_close(w);
    row_result_release(&r);
}

/* The ledger's side: deferrals are recorded but never count against the
 * cap; sends count per business and in the day asked. */
static void test_ledger_deferrals_and_day_counts(void **state)
{
    (void)state;
    struct cp_error err = {0};
    char *dir = unit_tmpdir();
    char *path = unit_path(dir, "l.sqlite");
    struct ledger *l;
    struct row_result r;
    int64_t id;
    long n = -1;
    row_result_init(&r);
    strbuf_addstr(&r.email, "a@example.com");
    strbuf_addstr(&r.business_id, "b1");
    assert_int_equal(ledger_open(path, 0, &l, &err), 0);
    setenv("CLOUTLY_NOW", "2026-12-01T01:00:00Z", 1);
    r.input_row = 2;
    assert_int_equal(ledger_intent(l, "run1", "f.csv", "h1", "c1", &r, &id, &err), 0);
    assert_int_equal(ledger_outcome(l, id, "sent", &r, &err), 0);
    r.input_row = 3;
    assert_int_equal(ledger_defer(l, "run1", "f.csv", "h1", "c1", &r, 1764554400, &err), 0);
    /* Deferrals are batched: another connection sees them once flushed. */
    sqlite3 *peek;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &peek, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *q = "SELECT count(*) FROM attempts WHERE status = 'deferred'";
    assert_int_equal(sqlite3_prepare_v2(peek, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    assert_int_equal(ledger_flush_deferrals(l, &err), 0);
    assert_int_equal(sqlite3_prepare_v2(peek, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(peek);
    setenv("CLOUTLY_NOW", "2026-12-02T01:00:00Z", 1);
    r.input_row = 4;
    assert_int_equal(ledger_intent(l, "run2", "f.csv", "h1", "c1", &r, &id, &err), 0);
    unsetenv("CLOUTLY_NOW");
    double day1 = utc(2026, 12, 1, 0, 0);
    assert_int_equal(ledger_count_sends(l, "b1", (time_t)day1, (time_t)day1 + 86400, &n, &err), 0);
    assert_int_equal(n, 1); /* the sent one; not the deferral */
    assert_int_equal(
        ledger_count_sends(l, "b1", (time_t)day1 + 86400, (time_t)day1 + 2 * 86400, &n, &err), 0);
    assert_int_equal(n, 1); /* an intent may have been sent: it counts */
    assert_int_equal(ledger_count_sends(l, "b2", (time_t)day1, (time_t)day1 + 2 * 86400, &n, &err),
                     0);
    assert_int_equal(n, 0);
    /* A deferred row is the latest word on it: resume sends it again. */
    struct ledger_prior pr;
    assert_int_equal(ledger_file_row(l, "h1", 3, &pr, &err), 1);
    assert_string_equal(pr.status, "deferred");
    ledger_close(l);
    row_result_release(&r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar),     cmocka_unit_test(test_state_rules_table),
        cmocka_unit_test(test_phone_zones), cmocka_unit_test(test_local_time_follows_dst),
        cmocka_unit_test(test_decisions),   cmocka_unit_test(test_ledger_deferrals_and_day_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
