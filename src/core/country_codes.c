/* Region codes: see country_codes.h. */
#include "core/country_codes.h"

#include <string.h>

/* Per first letter A..Z, the second letters that make a known code
 * (245 regions, libphonenumber's list). */
static const char *const second[26] = {
    ['A' - 'A'] = "CDEFGILMORSTUWXZ",
    ['B' - 'A'] = "ABDEFGHIJLMNOQRSTWYZ",
    ['C' - 'A'] = "ACDFGHIKLMNORUVWXYZ",
    ['D' - 'A'] = "EJKMOZ",
    ['E' - 'A'] = "CEGHRST",
    ['F' - 'A'] = "IJKMOR",
    ['G' - 'A'] = "ABDEFGHILMNPQRTUWY",
    ['H' - 'A'] = "KNRTU",
    ['I' - 'A'] = "DELMNOQRST",
    ['J' - 'A'] = "EMOP",
    ['K' - 'A'] = "EGHIMNPRWYZ",
    ['L' - 'A'] = "ABCIKRSTUVY",
    ['M' - 'A'] = "ACDEFGHKLMNOPQRSTUVWXYZ",
    ['N' - 'A'] = "ACEFGILOPRUZ",
    ['O' - 'A'] = "M",
    ['P' - 'A'] = "AEFGHKLMRSTWY",
    ['Q' - 'A'] = "A",
    ['R' - 'A'] = "EOSUW",
    ['S' - 'A'] = "ABCDEGHIJKLMNORSTVXYZ",
    ['T' - 'A'] = "ACDGHJKLMNORTVWZ",
    ['U' - 'A'] = "AGSYZ",
    ['V' - 'A'] = "ACEGINU",
    ['W' - 'A'] = "FS",
    ['X' - 'A'] = "K",
    ['Y' - 'A'] = "ET",
    ['Z' - 'A'] = "AMW",
};

bool country_code_known(const char *code)
{
    if (!code || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
        code[1] > 'Z')
        return false;
    const char *row = second[code[0] - 'A'];
    return row && strchr(row, code[1]) != NULL;
}

/* Codes people write that ISO does not use: the UK is GB, Greece is GR in
 * ISO though the EU writes EL. */
static const struct {
    const char *wrong, *right;
} aliases[] = {
    {"UK", "GB"},
    {"EL", "GR"},
    {"EN", "GB"},
};

const char *country_code_alias(const char *code)
{
    for (size_t i = 0; code && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(code, aliases[i].wrong) == 0)
            return aliases[i].right;
    return NULL;
}
