/*
 * The read side's commands: `export`, `businesses`, and `run` on a pipeline
 * of kind export. Each returns the process's exit code (SPEC section 2).
 */
#ifndef CLOUTLY_CMD_EXPORT_H
#define CLOUTLY_CMD_EXPORT_H

#include "cli/cli.h"
#include "config/pipeline.h"

int cmd_export(int argc, char **argv);
int cmd_businesses(int argc, char **argv);

/* `cloutly-pipe run P.yaml` when P is `kind: export`: the export as the
 * pipeline describes it. `o` is run's parsed options (--dry-run, --input
 * and --limit do not apply and are refused). */
#endif
