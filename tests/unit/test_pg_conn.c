/*
 * Connecting to PostgreSQL: URLs are recognised, written into messages
 * without their password, and (when the test server is there:
 * CLOUTLY_TEST_PG_URL, see tests/pg/with_db.py) a connection is made with
 * the password from state.password_file, and a refused one says why without
 * the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_conn.h"

static void redacts(const char *url, const char *want)
{
    char out[256];
    pg_conn_redact(url, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_is_url(void **state)
{
    (void)state;
    assert_true(pg_is_url("postgresql://db/x"));
    assert_true(pg_is_url("postgres://db/x"));
    assert_false(pg_is_url("out/ledger.sqlite"));
    assert_false(pg_is_url("postgresql:/x"));
    assert_false(pg_is_url(NULL));
}

static void test_redact(void **state)
{
    (void)state;
    redacts("postgresql://cp:s3cr3t@db.example:5433/ledger?sslmode=require",
            "postgresql://cp@db.example:5433/ledger?sslmode=require");
    redacts("postgres://cp@db/ledger", "postgres://cp@db/ledger");
    redacts("postgresql://db/ledger?password=s3cr3t&sslmode=verify-full",
            "postgresql://db/ledger?sslmode=verify-full");
    redacts("postgresql://db/ledger?sslmode=require&password=s3cr3t",
            "postgresql://db/ledger?sslmode=require");
    /* An '@' inside the password: the user-info ends at the last one. */
    redacts("postgresql://cp:a@b:c@db/x", "postgresql://cp@db/x");
    redacts("postgresql:///x?host=/run/pg&user=cp", "postgresql:///x?host=/run/pg&user=cp");
    redacts("/var/lib/x.sqlite", "(not a URL)");
    char small[12];
    pg_conn_redact("postgresql://cp:s3cr3t@db/x", small, sizeof small);
    assert_string_equal(small, "postgresql:");
}

static void test_unreachable(void **state)
{
    (void)state;
    struct cp_error err = {0};
    PGconn *c = NULL;
    assert_int_equal(
        pg_conn_open("postgresql://cp:s3cr3t@/x?host=/nonexistent-cloutly-dir", NULL, &c, &err),
        -1);
    assert_null(c);
    assert_int_equal(err.code, CP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "cannot connect to the database 'postgresql://cp@/x"));
    assert_null(strstr(err.msg, "s3cr3t"));
}

static void test_password_file_missing(void **state)
{
    (void)state;
    struct cp_error err = {0};
    PGconn *c = NULL;
    assert_int_equal(pg_conn_open("postgresql:///x", "/nonexistent/pw.txt", &c, &err), -1);
    assert_non_null(strstr(err.msg, "state.password_file '/nonexistent/pw.txt'"));
}

/* Against the test server: the password role with the file connects; with a
 * wrong password it is refused, and the message has neither password. */
static void test_server_password(void **state)
{
    (void)state;
    const char *url = getenv("CLOUTLY_TEST_PG_URL"), *pw_url = getenv("CLOUTLY_TEST_PG_PW_URL"),
               *pw_file = getenv("CLOUTLY_TEST_PG_PW_FILE");
    if (!url || !pw_url || !pw_file) {
        skip();
        return;
    }
    struct cp_error err = {0};
    PGconn *c = NULL;
    assert_int_equal(pg_conn_open(url, NULL, &c, &err), 0);
    PQfinish(c);
    assert_int_equal(pg_conn_open(pw_url, pw_file, &c, &err), 0);
    assert_string_equal(PQuser(c), "cp_pw");
    PQfinish(c);

    /* No password at all: the message says where one comes from. */
    char *saved = getenv("PGPASSWORD") ? strdup(getenv("PGPASSWORD")) : NULL;
    unsetenv("PGPASSWORD");
    setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
    assert_int_equal(pg_conn_open(pw_url, NULL, &c, &err), -1);
    assert_non_null(strstr(err.msg, "state.password_file"));

    /* A wrong password in the URL: refused, and not shown. */
    char bad[1024];
    const char *q = strchr(pw_url, '?');
    assert_non_null(q);
    snprintf(bad, sizeof bad, "postgresql://cp_pw:Wr0ngPassw0rd@%.*s", (int)(q - pw_url - 13),
             pw_url + 13);
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "%s", q);
    assert_int_equal(pg_conn_open(bad, NULL, &c, &err), -1);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_null(strstr(err.msg, "Wr0ngPassw0rd"));
    if (saved)
        setenv("PGPASSWORD", saved, 1);
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_url),          cmocka_unit_test(test_redact),
        cmocka_unit_test(test_unreachable),     cmocka_unit_test(test_password_file_missing),
        cmocka_unit_test(test_server_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
