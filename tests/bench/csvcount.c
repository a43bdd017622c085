/*
 * csvcount: the parser's ceiling. A bare libcsv pass that only counts
 * fields and rows, reading in 64 KiB blocks, with the options cloutly-pipe's
 * intake uses (CSV_STRICT_FINI, spaces kept verbatim). Whatever `check`
 * does on top of libcsv, it cannot be faster than this.
 *
 *   csvcount FILE      prints "ROWS rows, FIELDS fields"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#define BLOCK (64 * 1024)

struct counts {
    unsigned long long fields, rows;
};

static void on_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    ((struct counts *)data)->fields++;
}

static void on_row(int term, void *data)
{
    (void)term;
    ((struct counts *)data)->rows++;
}

static int keep_spaces(unsigned char c)
{
    (void)c;
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[BLOCK];
    struct csv_parser p;
    struct counts c = {0, 0};
    size_t n;

    if (argc != 2) {
        fprintf(stderr, "usage: csvcount FILE\n");
        return 2;
    }
    FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "csvcount: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (csv_init(&p, CSV_STRICT_FINI) != 0) {
        fprintf(stderr, "csvcount: csv_init failed\n");
        return 1;
    }
    csv_set_space_func(&p, keep_spaces);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_row, &c) != n) {
            fprintf(stderr, "csvcount: %s: %s\n", argv[1], csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "csvcount: %s: read error\n", argv[1]);
        return 1;
    }
    if (csv_fini(&p, on_field, on_row, &c) != 0) {
        fprintf(stderr, "csvcount: %s: %s\n", argv[1], csv_strerror(csv_error(&p)));
        return 1;
    }
    csv_free(&p);
    printf("%llu rows, %llu fields\n", c.rows, c.fields);
    return 0;
}
