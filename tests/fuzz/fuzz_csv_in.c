/*
 * Fuzz target: the CSV intake (SPEC section 7, reliability).
 *
 * The bytes are an export file. They are read
 *   - through csv_in with the encoding sniffed, then forced to utf-16,
 *     windows-1252 and utf-8 (with a forced delimiter);
 *   - through the engine (mapping, input.where, channels, validation with
 *     libphonenumber, dedupe in memory and through the spill files `check`
 *     uses) with three pipelines built by hand: explicit columns, auto-mapped,
 *     and one with every per-row feature (fullName, country, location,
 *     business_map, where, channels);
 *   - through `guess` (guess_read, starter_init, starter_write), and the
 *     engine again with the pipeline the starter makes.
 * Everything is freed: LeakSanitizer finds what is not.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/csv_in.h"
#include "intake/dedupe_spill.h"
#include "intake/engine.h"
#include "guess/guess.h"
#include "config/pipeline.h"
#include "core/row.h"
#include "guess/starter.h"

#include "fuzz_common.h"

#define BIZ "44271176-7053-4534-ad6f-b38d132d341e"
#define CAMPAIGN "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"
#define BONDI "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4"
#define MANLY "a1b2c3d4-0000-4000-8000-00000000abcd"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- csv_in alone ---- */

static void read_all(const char *path, const char *encoding, char delimiter)
{
    struct cp_error err = {0};
    struct csv_in *in = csv_in_open(path, encoding, delimiter, &err);
    if (!in)
        return;
    (void)csv_in_encoding(in);
    (void)csv_in_delimiter(in);
    struct csv_row row;
    long last_line = 0;
    while (csv_in_next(in, &row, &err) == 1) {
        /* Touch every byte the row claims, so a stale or short buffer shows. */
        size_t sum = 0;
        for (size_t i = 0; i < row.n; i++)
            sum += strlen(row.fields[i]) == row.lens[i] ? 0 : 1;
        (void)sum;
        if (row.line < last_line) {
            fprintf(stderr, "fuzz_csv_in: row line %ld after line %ld\n", row.line, last_line);
            abort();
        }
        last_line = row.line;
        (void)csv_in_offset(in);
    }
    csv_in_close(in);
}

/* ---- the engine ---- */

static void on_dup(void *ctx, long row, long first)
{
    (void)ctx;
    (void)row;
    (void)first;
}

static void run_engine(const struct pipeline *p, const char *path, long limit, int spill)
{
    struct cp_error err = {0};
    struct engine *e = engine_open(p, path, limit, &err);
    if (!e)
        return;
    struct dedupe_spill *ds = NULL;
    if (spill && (ds = dedupe_spill_new(&err)))
        engine_defer_dedupe(e, ds);
    (void)engine_mapping(e);
    (void)engine_delimiter(e);
    (void)engine_encoding(e);
    size_t nh;
    (void)engine_header(e, &nh);
    struct row_result r;
    row_result_init(&r);
    while (engine_next(e, &r, &err) == 1) {
        (void)row_status_name(r.status);
        row_result_reset(&r);
    }
    row_result_release(&r);
    if (ds) {
        dedupe_spill_resolve(ds, on_dup, NULL, &err);
        dedupe_spill_free(ds);
    }
    engine_close(e);
}

static char *first_name_cols[] = {"First Name"};
static char *last_name_cols[] = {"Last Name"};
static char *email_cols[] = {"Email", "E-mail"};
static char *phone_cols[] = {"Phone", "Mobile"};
static char *full_name_cols[] = {"Name"};
static char *country_cols[] = {"Country"};
static char *location_cols[] = {"Location"};
static char *status_not_in[] = {"inactive", "deleted"};
static char *sms_in[] = {"yes", "y", "true", "1"};
static char *email_not_in[] = {"yes", "true"};

static void set_cols(struct pipeline *p, enum map_field f, char **names, size_t n)
{
    p->input.columns[f].names = names;
    p->input.columns[f].n = n;
}

static void base(struct pipeline *p)
{
    memset(p, 0, sizeof *p);
    p->file = "fuzz.yaml";
    p->kind = PIPELINE_INVITE;
    strcpy(p->validate.default_country, "AU");
    p->validate.landlines = LANDLINES_SKIP;
    p->validate.dedupe = true;
    p->invite.business_id = BIZ;
    p->invite.campaign_id = CAMPAIGN;
    p->invite.min_sms_left = -1;
}

/* First Name, Last Name, Email (or E-mail), Phone (or Mobile). */
static void pipeline_explicit(struct pipeline *p)
{
    base(p);
    set_cols(p, MAP_FIRST_NAME, first_name_cols, 1);
    set_cols(p, MAP_LAST_NAME, last_name_cols, 1);
    set_cols(p, MAP_EMAIL, email_cols, 2);
    set_cols(p, MAP_PHONE, phone_cols, 2);
}

/* Every column found by the presets; landlines sent, typos fixed. */
static void pipeline_auto(struct pipeline *p)
{
    base(p);
    p->validate.landlines = LANDLINES_SEND;
    p->validate.fix_email_typos = true;
}

/* Name, Email, Phone, Country, Location, Status, SMS, Email Opt Out. */
static struct where_rule where_status = {.column = "Status", .not_in = status_not_in, .n_not_in = 2};
static struct where_rule consent_sms = {.column = "SMS", .in = sms_in, .n_in = 4};
static struct where_rule consent_email = {.column = "Email Opt Out", .not_in = email_not_in,
                                          .n_not_in = 2};
static struct business_map_entry locations[] = {{"Bondi", BONDI, NULL}, {"Manly Wharf", MANLY, NULL}};

static void pipeline_full(struct pipeline *p)
{
    base(p);
    p->invite.business_id = NULL; /* every row names its location */
    set_cols(p, MAP_FULL_NAME, full_name_cols, 1);
    set_cols(p, MAP_EMAIL, email_cols, 1);
    set_cols(p, MAP_PHONE, phone_cols, 2);
    set_cols(p, MAP_COUNTRY, country_cols, 1);
    set_cols(p, MAP_BUSINESS_ID, location_cols, 1);
    p->invite.business_map = locations;
    p->invite.n_business_map = 2;
    p->input.where = &where_status;
    p->input.n_where = 1;
    p->channels.sms = &consent_sms;
    p->channels.email = &consent_email;
}

/* ---- guess and its starter pipeline ---- */

static void run_guess(const char *path)
{
    struct cp_error err = {0};
    struct guess g;
    if (guess_read(&g, path, &err) < 0)
        return;
    struct starter s;
    if (starter_init(&s, &g, path, &err) == 0) {
        starter_add_business(&s, BIZ, "Bondi \"Beach\": Cafe #1\n{date}");
        char *yaml = NULL;
        size_t yaml_len = 0;
        FILE *out = open_memstream(&yaml, &yaml_len);
        if (out) {
            starter_write(&s, out);
            fclose(out);
        }
        free(yaml);
        struct pipeline p;
        memset(&p, 0, sizeof p);
        if (starter_pipeline(&s, FUZZ_NOW, &p, &err) == 0) {
            run_engine(&p, path, 0, 0);
            pipeline_release(&p);
        }
        starter_release(&s);
    }
    guess_release(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("export.csv", data, size);

    read_all(path, "auto", 0);
    read_all(path, "utf-16", 0);
    read_all(path, "windows-1252", 0);
    read_all(path, "utf-8", size ? "\t,;|"[data[0] & 3] : ',');

    struct pipeline p;
    pipeline_explicit(&p);
    run_engine(&p, path, 0, 0);
    run_engine(&p, path, 0, 1); /* `check`: dedupe through the spill files */
    pipeline_auto(&p);
    run_engine(&p, path, 0, 0);
    pipeline_full(&p);
    run_engine(&p, path, 0, 0);

    run_guess(path);
    return 0;
}
