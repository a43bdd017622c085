#!/usr/bin/env bash
# Configure and build into build/ (or build-asan/ with --sanitize).
# Warnings are errors here: the tree builds clean or not at all.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCLOUTLY_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  flags=(-DCLOUTLY_WERROR=ON -DCLOUTLY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
