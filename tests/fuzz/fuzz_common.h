/*
 * Helpers shared by the fuzz targets: a private temporary folder per process
 * (removed at exit) and a way to put the fuzzer's bytes in a file there,
 * since the CSV reader and the pipeline loader take paths.
 *
 * Header-only so that each target stays one file for the libFuzzer build
 * (tests/fuzz/run.sh) as well as the replay build (CMakeLists.txt).
 */
#ifndef CLOUTLY_FUZZ_COMMON_H
#define CLOUTLY_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#define FUZZ_MAX_FILES 8

static char fuzz_dir[4096];
static char fuzz_files[FUZZ_MAX_FILES][64];
static int fuzz_n_files;

static inline void fuzz_cleanup(void)
{
    char path[8192];
    for (int i = 0; i < fuzz_n_files; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, fuzz_files[i]);
        unlink(path);
    }
    if (fuzz_dir[0])
        rmdir(fuzz_dir);
}

/* Once per process: the folder, quiet logging. Exits on failure: a fuzz
 * target that cannot write its input would report nothing. */
static inline void fuzz_init(void)
{
    if (fuzz_dir[0])
        return;
    const char *base = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/cloutly-fuzz-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        exit(2);
    }
    atexit(fuzz_cleanup);
    log_setup(-1, 0); /* warnings and errors only: the fuzzer's output stays readable */
}

/* Write `size` bytes to <dir>/<name> (replacing it); the path is in a static buffer
 * per name slot, valid until the next call with the same name. */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char paths[FUZZ_MAX_FILES][8192];
    int slot = -1;
    fuzz_init();
    for (int i = 0; i < fuzz_n_files; i++)
        if (strcmp(fuzz_files[i], name) == 0)
            slot = i;
    if (slot < 0) {
        if (fuzz_n_files == FUZZ_MAX_FILES) {
            fprintf(stderr, "fuzz: too many file names\n");
            exit(2);
        }
        slot = fuzz_n_files++;
        snprintf(fuzz_files[slot], sizeof fuzz_files[slot], "%s", name);
    }
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fuzz_dir, name);
    int fd = open(paths[slot], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("fuzz: open");
        exit(2);
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            perror("fuzz: write");
            exit(2);
        }
        done += (size_t)n;
    }
    close(fd);
    return paths[slot];
}

/* A fixed "now" (2025-11-26 03:00 UTC) so that runs are reproducible. */
#define FUZZ_NOW ((time_t)1764126000)

#endif
