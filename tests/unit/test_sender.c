/*
 * The send loop, driven directly through a fake transport: no process, no
 * network, and a clock that moves only when the loop waits.
 *
 * Proves: the intent of every request is committed to the ledger before
 * the transport is handed the request; every outcome is recorded after
 * the answer; a 401 stops the run with no further request and settles
 * every row read (each one in the results exactly once); a pipeline stop
 * (404 on a single target) mid-window leaves the rows after it skipped for
 * a later run; 429 is retried for the same row; a dry run hands nothing to
 * the transport.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit_tmp.h"

#include "api/transport.h"
#include "intake/engine.h"
#include "intake/parallel.h"
#include "invite/results.h"
#include "invite/sender.h"
#include "store/filehash.h"
#include "store/ledger.h"

#define MAX_POSTS 64

/* A scripted server: answer number i is script[i] (the last one repeats). */
struct fake {
    const char *ledger_path;
    long script[16];
    int n_script;
    int posts;
    uint64_t tags[MAX_POSTS];
    char bodies[MAX_POSTS][512];
    int intents_seen[MAX_POSTS]; /* intents without an outcome when post() was called */
    int posts_after_401;
    int answered_401;
    /* requests in flight, answered at the next poll */
    uint64_t flight[MAX_POSTS];
    int n_flight;
    struct api_result done[MAX_POSTS];
    char done_body[MAX_POSTS][128];
    int n_done, taken;
    double now;
};

static struct fake *g_fake; /* for the clock: the fake owns time */

static double fake_now(void)
{
    return g_fake->now;
}

static int open_intents(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM attempts WHERE status = 'intent'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int f_post(void *ctx, uint64_t tag, const char *path, const char *json,
                  struct cp_error *err)
{
    struct fake *f = ctx;
    (void)path;
    (void)err;
    assert_true(f->posts < MAX_POSTS);
    if (f->answered_401)
        f->posts_after_401++;
    f->tags[f->posts] = tag;
    snprintf(f->bodies[f->posts], sizeof f->bodies[0], "%s", json);
    f->intents_seen[f->posts] = open_intents(f->ledger_path);
    f->posts++;
    f->flight[f->n_flight++] = tag;
    return 0;
}

static int f_in_flight(void *ctx)
{
    return ((struct fake *)ctx)->n_flight;
}

static int f_poll(void *ctx, int timeout_ms, struct cp_error *err)
{
    struct fake *f = ctx;
    (void)err;
    f->now += timeout_ms / 1000.0;
    /* Everything in flight is answered, in the order it was sent. */
    for (int i = 0; i < f->n_flight; i++) {
        int k = f->posts - f->n_flight + i;
        long code = f->script[k < f->n_script ? k : f->n_script - 1];
        struct api_result *r = &f->done[f->n_done];
        memset(r, 0, sizeof *r);
        r->tag = f->flight[i];
        r->http_status = code;
        r->request_sent = 1;
        r->retry_after = code == 429 ? 0.01 : -1;
        snprintf(f->done_body[f->n_done], sizeof f->done_body[0], "%s",
                 code == 200 ? "{\"contact\":{\"id\":\"c-1\"},\"usage\":{\"smsLimitsLeft\":50}}"
                             : "{\"message\":\"no\"}");
        r->body = f->done_body[f->n_done];
        r->body_len = strlen(r->body);
        f->n_done++;
    }
    f->n_flight = 0;
    return 0;
}

static int f_take(void *ctx, struct api_result *out)
{
    struct fake *f = ctx;
    if (f->taken == f->n_done)
        return 0;
    *out = f->done[f->taken++];
    if (out->http_status == 401)
        f->answered_401 = 1;
    return 1;
}

static void f_abort_all(void *ctx)
{
    (void)ctx;
}

struct world {
    char *dir;
    char *pipeline_path;
    char *input;
    char *ledger_path;
    struct pipeline p;
    struct engine *eng;
    struct vpool *rows;
    struct results *out;
    struct ledger *ledger;
    char hash[17];
    struct fake fake;
    struct api_transport t;
};

static void world_open(struct world *w, int n_rows, int in_flight)
{
    struct cp_error err = {0};
    memset(w, 0, sizeof *w);
    w->dir = unit_tmpdir();
    assert_non_null(w->dir);
    char csv[8192] = "First Name,Email Address\n";
    for (int i = 1; i <= n_rows; i++) {
        char line[128];
        snprintf(line, sizeof line, "Ann%d,ann%d@example.com\n", i, i);
        strcat(csv, line);
    }
    w->input = unit_write(w->dir, "in.csv", csv, strlen(csv));
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "version: 1\nkind: invite\nname: t\n"
             "api: {base_url: 'http://127.0.0.1:9/api/v1', api_key: k, rate_limit: 1000/s, "
             "max_in_flight: %d}\n"
             "input: {path: in.csv, columns: {firstName: First Name, email: Email Address}}\n"
             "validate: {default_country: AU, cooldown_days: 0}\n"
             "invite: {business_id: 44271176-7053-4534-ad6f-b38d132d341e, "
             "campaign_id: 2c07094a-ed58-4cf2-9595-cf1b1d303d9d}\n"
             "output: {results: res.csv, rejects: rej.csv}\n"
             "state: {path: ledger.sqlite}\n",
             in_flight);
    w->pipeline_path = unit_write(w->dir, "p.yaml", yaml, strlen(yaml));
    assert_int_equal(pipeline_load(w->pipeline_path, time(NULL), &w->p, &err), 0);
    w->ledger_path = unit_path(w->dir, "ledger.sqlite");
    w->eng = engine_open(&w->p, NULL, 0, &err);
    assert_non_null(w->eng);
    w->rows = vpool_open(w->eng, 1, &err);
    assert_non_null(w->rows);
    size_t nh;
    char *const *h = engine_header(w->eng, &nh);
    w->out = results_open(&w->p, w->p.output.results, w->p.output.rejects, h, nh, &err);
    assert_non_null(w->out);
    assert_int_equal(file_hash(w->input, w->hash, &err), 0);
    assert_int_equal(ledger_open(w->ledger_path, 0, &w->ledger, &err), 0);
    w->fake.ledger_path = w->ledger_path;
    w->fake.now = 1000.0;
    g_fake = &w->fake;
    w->t = (struct api_transport){.ctx = &w->fake,
                                  .post = f_post,
                                  .in_flight = f_in_flight,
                                  .poll = f_poll,
                                  .take = f_take,
                                  .abort_all = f_abort_all};
}

static struct sender *world_sender(struct world *w, int dry_run)
{
    struct cp_error err = {0};
    struct sender_config c = {.p = &w->p,
                              .rows = w->rows,
                              .out = w->out,
                              .ledger = w->ledger,
                              .transport = dry_run ? NULL : &w->t,
                              .input_path = w->input,
                              .file_hash = w->hash,
                              .dry_run = dry_run,
                              .single_target = 1,
                              .now = fake_now};
    struct sender *s = sender_new(&c, &err);
    assert_non_null(s);
    return s;
}

static int ledger_count(struct world *w, const char *status)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_open(w->ledger_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM attempts WHERE status = ?1", -1,
                                        &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The results file's data lines, after commit. */
static int result_lines(struct world *w, const char *status)
{
    struct cp_error err = {0};
    assert_int_equal(results_commit(w->out, &err), 0);
    w->out = NULL;
    char *path = unit_path(w->dir, "res.csv");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[1024];
    int n = 0;
    char want[32];
    snprintf(want, sizeof want, ",%s,", status);
    assert_non_null(fgets(line, sizeof line, fp)); /* header */
    while (fgets(line, sizeof line, fp))
        n += !status || strstr(line, want) != NULL;
    fclose(fp);
    free(path);
    return n;
}

static void world_close(struct world *w)
{
    results_abort(w->out);
    ledger_close(w->ledger);
    vpool_close(w->rows);
    engine_close(w->eng);
    pipeline_release(&w->p);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w->dir);
    free(w->pipeline_path);
    free(w->input);
    free(w->ledger_path);
}

static void test_intent_is_committed_before_the_transport_sees_the_request(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 6, 1);
    w.fake.script[0] = 200;
    w.fake.n_script = 1;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(w.fake.posts, 6);
    /* With one request in flight at a time, exactly this request's intent
     * was on disk, without an outcome, when the transport got it. */
    for (int i = 0; i < w.fake.posts; i++)
        assert_int_equal(w.fake.intents_seen[i], 1);
    /* And every outcome was recorded after its answer. */
    assert_int_equal(ledger_count(&w, "intent"), 0);
    assert_int_equal(ledger_count(&w, "sent"), 6);
    assert_int_equal(sender_stop_code(s), 0);
    assert_int_equal(sender_tally(s)->by_status[ROW_SENT], 6);
    assert_int_equal(result_lines(&w, "sent"), 6);
    sender_free(s);
    world_close(&w);
}

static void test_intents_pile_up_to_max_in_flight_only(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 12, 4);
    w.fake.script[0] = 200;
    w.fake.n_script = 1;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(w.fake.posts, 12);
    for (int i = 0; i < w.fake.posts; i++) {
        /* its own intent, plus at most the others in flight with it */
        assert_true(w.fake.intents_seen[i] >= 1);
        assert_true(w.fake.intents_seen[i] <= 4);
    }
    assert_int_equal(ledger_count(&w, "sent"), 12);
    sender_free(s);
    world_close(&w);
}

static void test_401_stops_with_no_further_request_and_settles_every_row(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 20, 4);
    w.fake.script[0] = 401;
    w.fake.n_script = 1;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(sender_stop_code(s), CP_EXIT_AUTH);
    assert_int_equal(w.fake.posts_after_401, 0);
    /* The first request goes alone: a refused key costs exactly one. */
    assert_int_equal(w.fake.posts, 1);
    /* Every row read is in the results exactly once: the ones sent as
     * failed, the rest skipped for a later run. */
    assert_int_equal(sender_tally(s)->rows, 20);
    assert_int_equal(ledger_count(&w, "intent"), 0);
    assert_int_equal(result_lines(&w, NULL), 20);
    sender_free(s);
    world_close(&w);
}

static void test_a_404_on_the_first_request_costs_exactly_one(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 8, 4);
    w.fake.script[0] = 404;
    w.fake.n_script = 1;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(sender_stop_code(s), CP_EXIT_USAGE);
    assert_int_equal(w.fake.posts, 1);
    assert_int_equal(result_lines(&w, NULL), 8);
    sender_free(s);
    world_close(&w);
}

static void test_404_single_target_stops_mid_window_and_skips_the_rest(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 10, 2);
    w.fake.script[0] = 200;
    w.fake.script[1] = 200;
    w.fake.script[2] = 404;
    w.fake.n_script = 3;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(sender_stop_code(s), CP_EXIT_USAGE);
    /* After the first success, two in flight: the 404 (third) may have
     * had the fourth beside it, never more. */
    assert_true(w.fake.posts >= 3);
    assert_true(w.fake.posts <= 4);
    const struct tally *t = sender_tally(s);
    assert_int_equal(t->rows, 10);
    assert_int_equal(t->by_status[ROW_SENT], 2);
    assert_int_equal(t->by_status[ROW_SENT] + t->by_status[ROW_FAILED] +
                         t->by_status[ROW_SKIPPED],
                     10);
    assert_true(strlen(sender_stop_reason(s)) > 0);
    assert_int_equal(result_lines(&w, NULL), 10);
    sender_free(s);
    world_close(&w);
}

static void test_429_retries_the_same_row(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 3, 1);
    w.fake.script[0] = 429;
    w.fake.script[1] = 200;
    w.fake.n_script = 2;
    struct sender *s = world_sender(&w, 0);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(w.fake.posts, 4);
    assert_int_equal(w.fake.tags[0], w.fake.tags[1]);
    assert_string_equal(w.fake.bodies[0], w.fake.bodies[1]);
    assert_int_equal(sender_tally(s)->by_status[ROW_SENT], 3);
    assert_int_equal(ledger_count(&w, "sent"), 3);
    sender_free(s);
    world_close(&w);
}

static void test_dry_run_hands_nothing_to_a_transport(void **state)
{
    struct world w;
    struct cp_error err = {0};
    (void)state;
    world_open(&w, 5, 2);
    struct sender *s = world_sender(&w, 1);
    assert_int_equal(sender_run(s, &err), 0);
    assert_int_equal(w.fake.posts, 0);
    assert_int_equal(sender_tally(s)->by_status[ROW_DRY_RUN], 5);
    assert_int_equal(ledger_count(&w, "intent"), 0);
    assert_int_equal(result_lines(&w, "dry_run"), 5);
    sender_free(s);
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intent_is_committed_before_the_transport_sees_the_request),
        cmocka_unit_test(test_intents_pile_up_to_max_in_flight_only),
        cmocka_unit_test(test_401_stops_with_no_further_request_and_settles_every_row),
        cmocka_unit_test(test_a_404_on_the_first_request_costs_exactly_one),
        cmocka_unit_test(test_404_single_target_stops_mid_window_and_skips_the_rest),
        cmocka_unit_test(test_429_retries_the_same_row),
        cmocka_unit_test(test_dry_run_hands_nothing_to_a_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
