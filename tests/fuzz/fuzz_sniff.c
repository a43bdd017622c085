/*
 * Fuzz target: the encoding and delimiter sniffers, on the first block of
 * an export (the whole-file scan is covered by fuzz_csv_in, which reads
 * files). The delimiter is always one of , ; TAB |; the encoding, when the
 * bytes are accepted, has a name and a BOM no longer than the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char d = sniff_delimiter(data, size);
    if (!strchr(",;\t|", d) || d == '\0') {
        fprintf(stderr, "sniff_delimiter gave %d\n", d);
        abort();
    }
    enum text_encoding enc;
    size_t bom = 0;
    struct cp_error err = {0};
    if (sniff_encoding(NULL, "fuzz.csv", data, size, 1, &enc, &bom, &err) == 0) {
        if (bom > size || !encoding_name(enc)) {
            fprintf(stderr, "sniff_encoding: bom %zu of %zu\n", bom, size);
            abort();
        }
    } else if (!err.msg[0]) {
        fprintf(stderr, "sniff_encoding failed without a message\n");
        abort();
    }
    return 0;
}
