/*
 * Temporary files for the unit tests: a private folder per test program
 * (mkdtemp), files written into it, and a cleanup that removes the folder
 * and everything in it. Header-only so each test_*.c stays one program.
 */
#ifndef CLOUTLY_UNIT_TMP_H
#define CLOUTLY_UNIT_TMP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create a fresh folder under $TMPDIR (or /tmp); the result is malloc'd. */
static inline char *unit_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/cloutly-unit-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    return dir ? strdup(dir) : NULL;
}

/* dir + "/" + name, malloc'd. */
static inline char *unit_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Write exactly `len` bytes to dir/name; returns the malloc'd path or NULL. */
static inline char *unit_write(const char *dir, const char *name, const void *data, size_t len)
{
    char *p = unit_path(dir, name);
    FILE *fp = p ? fopen(p, "wb") : NULL;
    if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* Write a unique file from a mkstemp template in `dir`; malloc'd path or NULL. */
static inline char *unit_mkstemp(const char *dir, const void *data, size_t len)
{
    char *p = unit_path(dir, "in-XXXXXX");
    if (!p)
        return NULL;
    int fd = mkstemp(p);
    if (fd < 0) {
        free(p);
        return NULL;
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* The whole file into a malloc'd NUL-terminated buffer (NULL if unreadable). */
static inline char *unit_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(fp);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Names in `dir` (not . or ..), for "nothing else was left behind" checks. */
static inline int unit_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* rm -r dir (files and folders it holds). */
static inline void unit_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = unit_path(dir, e->d_name);
            struct stat st;
            if (p && lstat(p, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                    unit_rmtree(p);
                else
                    unlink(p);
            }
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The temporary folder of a test group, made by unit_setup_tmpdir() and
 * removed with everything in it by unit_teardown_tmpdir(): cmocka group
 * fixtures shared by the tests that write files. */
static char *tmpdir;

static inline int unit_setup_tmpdir(void **state)
{
    (void)state;
    tmpdir = unit_tmpdir();
    return tmpdir ? 0 : -1;
}

static inline int unit_teardown_tmpdir(void **state)
{
    (void)state;
    unit_rmtree(tmpdir);
    free(tmpdir);
    tmpdir = NULL;
    return 0;
}

#endif
