/* Connecting to PostgreSQL without ever showing the password: see pg_conn.h. */
#include "store/pg_conn.h"

#include <stdio.h>
#include <string.h>

int pg_is_url(const char *s)
{
    return s && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/* Append `n` bytes of `s` to out[*o], keeping room for the NUL. */
static void put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
    while (n-- && *o + 1 < len)
        out[(*o)++] = *s++;
    out[*o] = '\0';
}

/* Query parameters without any password=...: "a=1&password=x&b=2" -> "a=1&b=2". */
static void put_query(char *out, size_t len, size_t *o, const char *q)
{
    int first = 1;
    while (*q) {
        size_t n = strcspn(q, "&");
        if (!(n >= 9 && strncmp(q, "password=", 9) == 0)) {
            put(out, len, o, first ? "?" : "&", 1);
            put(out, len, o, q, n);
            first = 0;
        }
        q += n;
        if (*q == '&')
            q++;
    }
}

void pg_conn_redact(const char *url, char *out, size_t len)
{
    size_t o = 0;
    if (!len)
        return;
    out[0] = '\0';
    if (!pg_is_url(url)) {
        put(out, len, &o, "(not a URL)", 11);
        return;
    }
    const char *rest = strstr(url, "://") + 3;
    put(out, len, &o, url, (size_t)(rest - url));
    /* The authority ends at the path or the query; its user-info at the last '@'. */
    size_t alen = strcspn(rest, "/?");
    const char *at = NULL;
    for (const char *p = rest; p < rest + alen; p++)
        if (*p == '@')
            at = p;
    const char *host = rest;
    if (at) {
        size_t ulen = strcspn(rest, ":@");
        if (rest + ulen > at)
            ulen = (size_t)(at - rest);
        put(out, len, &o, rest, ulen);
        put(out, len, &o, "@", 1);
        host = at + 1;
    }
    const char *q = strchr(host, '?');
    put(out, len, &o, host, q ? (size_t)(q - host) : strlen(host));
    if (q)
        put_query(out, len, &o, q + 1);
}

/* libpq prints NOTICEs (e.g. "relation already exists, skipping") on stderr
 * by default: they are for the database's own log, not the run's output. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The first line of `path` into pw: 0, or -1 with err. */
static int read_password(const char *path, char *pw, size_t len, struct cp_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cp_fail(err, CP_EXIT_USAGE,
                       "cannot read state.password_file '%s': %m (it holds the database "
                       "password on its first line)",
                       path);
    pw[0] = '\0';
    if (!fgets(pw, (int)len, f))
        pw[0] = '\0';
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    if (!pw[0])
        return cp_fail(err, CP_EXIT_USAGE,
                       "state.password_file '%s' is empty: its first line is the database "
                       "password",
                       path);
    return 0;
}

/* Replace every occurrence of `secret` in msg by "***": libpq's messages do
 * not quote passwords today, and this keeps it so whatever a version says. */
static void scrub(char *msg, const char *secret, size_t n)
{
    char *p;
    if (n < 1)
        return;
    while ((p = memmem(msg, strlen(msg), secret, n)) != NULL) {
        memmove(p + 3, p + n, strlen(p + n) + 1);
        memcpy(p, "***", 3);
    }
}

/* The user-info password of `url` (user:PASS@host), as written: start and length. */
static const char *url_password(const char *url, size_t *n)
{
    const char *rest = strstr(url, "://");
    *n = 0;
    if (!rest)
        return NULL;
    rest += 3;
    size_t alen = strcspn(rest, "/?");
    const char *at = memrchr(rest, '@', alen), *colon;
    if (!at || !(colon = memchr(rest, ':', (size_t)(at - rest))))
        return NULL;
    *n = (size_t)(at - colon - 1);
    return colon + 1;
}

int pg_conn_open(const char *url, const char *password_file, PGconn **out, struct cp_error *err)
{
    char shown[512], pw[1024] = "";
    *out = NULL;
    pg_conn_redact(url, shown, sizeof shown);
    if (!pg_is_url(url))
        return cp_fail(err, CP_EXIT_USAGE, "'%s' is not a postgresql:// URL", shown);
    if (password_file && read_password(password_file, pw, sizeof pw, err) < 0)
        return -1;
    /* Keywords before dbname are defaults the URL may override; the
     * password file comes after it, so it wins over the URL's. */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                          pw[0] ? "password" : NULL, NULL};
    const char *vals[] = {"10", "cloutly-pipe", url, pw[0] ? pw : NULL, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c) {
        memset(pw, 0, sizeof pw);
        return cp_fail(err, CP_EXIT_USAGE, "database '%s': out of memory", shown);
    }
    if (PQstatus(c) != CONNECTION_OK) {
        char why[600];
        size_t un;
        const char *up = url_password(url, &un);
        snprintf(why, sizeof why, "%s", PQerrorMessage(c));
        why[strcspn(why, "\n")] = '\0';
        scrub(why, pw, strlen(pw));
        if (up)
            scrub(why, up, un);
        memset(pw, 0, sizeof pw);
        int asks = PQconnectionNeedsPassword(c);
        PQfinish(c);
        return cp_fail(err, CP_EXIT_USAGE, "cannot connect to the database '%s': %s%s", shown, why,
                       asks ? " (the server asks for a password: set PGPASSWORD or PGPASSFILE, "
                              "or state.password_file)"
                            : "");
    }
    memset(pw, 0, sizeof pw);
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    *out = c;
    return 0;
}
