/* A read-only ledger check for doctor: see ledger_health.h. */
#include "store/ledger_health.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/pg_conn.h"

static void check_lock(const char *state_path, struct ledger_health *h)
{
    char path[4200], line[64] = "";
    snprintf(path, sizeof path, "%s.lock", state_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        h->lock_held = 1;
        ssize_t n = read(fd, line, sizeof line - 1);
        if (n > 0) {
            line[n] = '\0';
            h->lock_pid = strtol(line, NULL, 10);
        }
    } else {
        flock(fd, LOCK_UN);
    }
    close(fd);
}

void ledger_health_check(const char *state_path, struct ledger_health *h)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    memset(h, 0, sizeof *h);
    if (access(state_path, F_OK) != 0)
        return;
    h->exists = 1;
    check_lock(state_path, h);
    if (sqlite3_open_v2(state_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(h->problem, sizeof h->problem, "%s", db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    h->readable = 1;
    h->schema = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(h->problem, sizeof h->problem, "%s", sqlite3_errmsg(db));
        goto out;
    }
    int rc = sqlite3_step(st);
    const char *first = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (first && strcmp(first, "ok") == 0)
        h->intact = 1;
    else
        snprintf(h->problem, sizeof h->problem, "%s", first ? first : sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
}

void ledger_health_check_pg(const char *url, const char *password_file, struct ledger_health *h)
{
    struct cp_error err = {0};
    PGconn *c;
    memset(h, 0, sizeof *h);
    h->exists = 1;
    if (pg_conn_open(url, password_file, &c, &err) < 0) {
        snprintf(h->problem, sizeof h->problem, "%s", err.msg);
        return;
    }
    h->readable = 1;
    h->intact = 1;
    PGresult *r = PQexec(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        h->schema = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    else
        h->exists = 0; /* no schema_version: no pipeline of the account has run */
    PQclear(r);
    PQfinish(c);
}
