/* `cloutly-pipe --version`: the tool's version, the libraries it runs on
 * (as linked at run time, not as compiled against) and its build options,
 * for bug reports. */
#ifndef CLOUTLY_VERSION_H
#define CLOUTLY_VERSION_H

#include <stdio.h>

void cli_print_version(FILE *out);

#endif
