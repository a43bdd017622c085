#!/usr/bin/env bash
# The test command: install what is missing, build, run every test.
#   scripts/test.sh             the normal build (build/)
#   scripts/test.sh --sanitize  the same suite under ASan + UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh "${1:-}"
dir=build
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  # Leaks are errors; libphonenumber's and libcurl's process-lifetime
  # singletons are not leaks of ours.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cd "$dir"
# Twice the cores, at most 8: many end-to-end tests spend their time waiting
# on the simulator's pacing, not on a CPU (the suite is kept green at -j8).
jobs=$(( $(nproc) * 2 )); [ "$jobs" -gt 8 ] && jobs=8
ctest --output-on-failure -j"$jobs" --timeout 600
