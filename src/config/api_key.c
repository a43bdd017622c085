/*
 * The API key at run time: api.api_key as loaded, else the first line of
 * api.api_key_file (read now, never at load time, and refused when group or
 * others can read it, as ssh refuses such a private key), else
 * CLOUTLY_API_KEY. A key read from a file or the environment is copied into
 * the pipeline's own key buffer, wiped by pipeline_release(): no process-wide
 * buffer holds it. The key never appears in a message.
 */
#include "config/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/diag.h"
#include "config/load.h"

/* Up to `size` - 1 bytes of `fd`, NUL-terminated; -1 on a read error. */
static ssize_t read_head(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n < size - 1) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return (ssize_t)n;
}

/* The first line of `buf`, without a UTF-8 BOM and surrounding blanks. */
static char *first_line_trimmed(char *buf)
{
    char *line = buf + (strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    line[strcspn(line, "\r\n")] = '\0';
    line += strspn(line, " \t");
    size_t len = strlen(line);
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    return line;
}

/* First line of `path`, trimmed, into `key_buf` (`key_size` bytes); refused
 * when group or others have any access to the file. */
static int read_key_file(const char *path, char *key_buf, size_t key_size, const char **key,
                         struct cp_error *err)
{
    char buf[4096], why[128];
    struct stat st;
    int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    const char *line;

    if (fd < 0)
        return cp_fail(err, CP_EXIT_USAGE, "cannot open api key file '%s': %s", path,
                       diag_errtext(errno, why, sizeof why));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = cp_fail(err, CP_EXIT_USAGE, "api key file '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        unsigned mode = (unsigned)st.st_mode & 07777;
        rc = cp_fail(err, CP_EXIT_USAGE,
                     "api key file '%s' is %s by others (mode %04o): run "
                     "chmod 600 '%s'",
                     path, mode & 044 ? "readable" : "accessible", mode, path);
        goto out;
    }
    if (read_head(fd, buf, sizeof buf) < 0) {
        rc = cp_fail(err, CP_EXIT_USAGE, "cannot read api key file '%s': %s", path,
                     diag_errtext(errno, why, sizeof why));
        goto out;
    }
    line = first_line_trimmed(buf);
    if (!*line)
        rc = cp_fail(err, CP_EXIT_USAGE,
                     "api key file '%s' is empty (the key goes on its first "
                     "line)",
                     path);
    else if (strlen(line) >= key_size || cfg_has_control(line))
        rc = cp_fail(err, CP_EXIT_USAGE,
                     "api key file '%s' does not hold a key on its first "
                     "line (too long, or control characters)",
                     path);
    else {
        memcpy(key_buf, line, strlen(line) + 1);
        *key = key_buf;
        rc = 0;
    }
out:
    explicit_bzero(buf, sizeof buf);
    close(fd);
    return rc;
}

int pipeline_api_key(const struct pipeline *p, const char **key, struct cp_error *err)
{
    const char *env = getenv("CLOUTLY_API_KEY");

    *key = NULL;
    if (p->api.api_key) {
        *key = p->api.api_key;
        return 0;
    }
    if (p->api.api_key_error)
        return cp_fail(err, CP_EXIT_USAGE, "%s", p->api.api_key_error);
    if (!p->api.key_buf) /* not made by pipeline_load or pipeline_defaults */
        return cp_fail(err, CP_EXIT_USAGE, "no API key: this pipeline was not loaded");
    if (p->api.api_key_file)
        return read_key_file(p->api.api_key_file, p->api.key_buf, p->api.key_buf_size, key, err);
    if (!env || !*env)
        return cp_fail(err, CP_EXIT_USAGE,
                       "no API key: set CLOUTLY_API_KEY, or api.api_key / api.api_key_file in %s",
                       p->file ? p->file : "the pipeline");
    if (strlen(env) >= p->api.key_buf_size || cfg_has_control(env))
        return cp_fail(err, CP_EXIT_USAGE,
                       "CLOUTLY_API_KEY does not hold a key (too long, or control characters)");
    memcpy(p->api.key_buf, env, strlen(env) + 1);
    *key = p->api.key_buf;
    return 0;
}
