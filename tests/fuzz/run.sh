#!/usr/bin/env bash
# Fuzz with clang's libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer
# (+ LeakSanitizer): SPEC section 7, "fuzzing of the CSV intake, the pipeline
# parser and the response parser finds no crash".
#
#   tests/fuzz/run.sh [SECONDS]     each target for SECONDS (default 60)
#   tests/fuzz/run.sh 0             build, and run the seeds once (no fuzzing)
#
# Environment:
#   FUZZ_TARGETS   which targets, default all: "csv_in pipeline review_page retry_after
#                  isotime sniff results"
#   FUZZ_OUT       work folder, default build-fuzz-libfuzzer/ (git-ignored)
#   FUZZ_MAX_LEN   libFuzzer -max_len for every target (default: per target)
#   FUZZ_ARGS      more libFuzzer options, e.g. "-fork=2" or "-use_value_profile=1"
#   FUZZ_KEEP_CORPUS=1  start from the corpus a previous run grew, not the seeds alone
#   FUZZ_CFLAGS    more compiler flags, e.g. to fuzz past a known, reported bug:
#                    FUZZ_CFLAGS=-fsanitize-recover=float-cast-overflow \
#                    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=known.supp
#
# The project's sources are compiled here with clang and the sanitizers (the
# library must be instrumented too, so the CMake build is not used). Each
# target runs on a copy of its seed corpus (corpus/<target>/); a crash, leak,
# timeout or UBSan report stops that target, its input is saved in
# FUZZ_OUT/crashes/<target>/ and the script ends with status 1. To keep a
# crash as a regression test: minimise it (the command is printed), copy it
# into corpus/<target>/ as crash-<what>, and ctest's fuzz.<target> replays it.
# Replay one input without libFuzzer: build/tests/fuzz/fuzz_<target>_replay FILE.
# Flags and pkg-config output are word-split on purpose; artifact names are libFuzzer's hex.
# shellcheck disable=SC2054,SC2206,SC2207,SC2012
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
targets=${FUZZ_TARGETS:-csv_in pipeline review_page retry_after isotime sniff results}
out=${FUZZ_OUT:-$root/build-fuzz-libfuzzer}

case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

# ---- the compiler --------------------------------------------------------------
fuzzer_rt() {
  local f
  f=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null) || return 1
  [ -f "$f" ] || f=$(clang --print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-x86_64.a
  [ -f "$f" ] || ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1
}
if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null || ! fuzzer_rt; then
  echo "run.sh: installing clang and libFuzzer (clang, libclang-rt-14-dev)" >&2
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }; then
    echo "run.sh: cannot install clang" >&2
    exit 2
  fi
fi

# ---- the build -----------------------------------------------------------------
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
common=(-g -O1 "${san[@]}" -fsanitize=fuzzer-no-link -D_GNU_SOURCE '-DCLOUTLY_VERSION="fuzz"'
        -I"$root/src" $(pkg-config --cflags libcurl yaml-0.1 sqlite3 libcjson) ${FUZZ_CFLAGS:-})
libs=($(pkg-config --libs libcurl yaml-0.1 sqlite3 libcjson) -lcsv -lphonenumber -lpthread -lm)

obj=$out/obj
mkdir -p "$obj" "$out/bin"
# Other flags than last time: build everything again.
if [ "$(cat "$obj/flags" 2>/dev/null)" != "${common[*]}" ]; then
  rm -f "$obj"/*.o
  printf '%s' "${common[*]}" >"$obj/flags"
fi
echo "run.sh: compiling src/ with clang into $obj" >&2
pids=() objs=()
jobs=$(nproc 2>/dev/null || echo 2)
for src in $(find "$root/src" -mindepth 2 \( -name '*.c' -o -name '*.cc' \) | sort); do
  rel=${src#"$root"/src/}
  o=$obj/${rel//\//_}
  o=${o%.*}.o
  objs+=("$o")
  # Rebuild what changed (sources only: the headers are few and small, so
  # any header change rebuilds everything).
  if [ -f "$o" ] && [ "$o" -nt "$src" ] && [ -z "$(find "$root/src" -name '*.h' -newer "$o" -print -quit)" ]; then
    continue
  fi
  if [ "${src##*.}" = cc ]; then
    clang++ -std=c++17 "${common[@]}" -c "$src" -o "$o" &
  else
    clang -std=c11 "${common[@]}" -c "$src" -o "$o" &
  fi
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || { echo "run.sh: compile failed" >&2; exit 2; }; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || { echo "run.sh: compile failed" >&2; exit 2; }; done

for t in $targets; do
  clang++ -g -O1 "${san[@]}" -fsanitize=fuzzer -x c -std=c11 "${common[@]}" "$here/fuzz_$t.c" -x none \
    "${objs[@]}" "${libs[@]}" -o "$out/bin/fuzz_$t" || { echo "run.sh: cannot build fuzz_$t" >&2; exit 2; }
done

# ---- the runs ------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out/tmp"
export TMPDIR=$out/tmp # the targets' files; a crash leaves its folder here

max_len_of() {
  [ -n "${FUZZ_MAX_LEN:-}" ] && { echo "$FUZZ_MAX_LEN"; return; }
  case $1 in csv_in) echo 16384 ;; pipeline) echo 8192 ;; retry_after | isotime) echo 128 ;; *) echo 16384 ;; esac
}

status=0
summary=()
for t in $targets; do
  corpus=$out/corpus/$t
  crashes=$out/crashes/$t
  [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$corpus"
  mkdir -p "$corpus" "$crashes"
  cp "$here/corpus/$t"/* "$corpus/"
  log=$out/fuzz_$t.log
  echo "run.sh: fuzz_$t for ${secs}s (log: $log)" >&2
  before=$(ls "$crashes" | wc -l)
  start=$(date +%s)
  if [ "$secs" -eq 0 ]; then limit=-runs=0; else limit=-max_total_time=$secs; fi
  # -timeout: one input may take at most 25 s; -rss_limit_mb: 2 GiB.
  # shellcheck disable=SC2086
  (cd "$crashes" && "$out/bin/fuzz_$t" "$limit" -timeout=25 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$t")" -dict="$here/dict/$t.dict" -artifact_prefix="$crashes/" \
      -print_final_stats=1 ${FUZZ_ARGS:-} "$corpus") >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  line=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  units=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$line")
  after=$(ls "$crashes" | wc -l)
  verdict=ok
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    verdict=CRASH
    status=1
    echo "run.sh: fuzz_$t found a problem:" >&2
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|Test unit written' "$log" | head -20 >&2
    for f in $(ls -t "$crashes" | head -1); do
      echo "  minimise: TMPDIR=$out/tmp $out/bin/fuzz_$t -minimize_crash=1 -runs=20000 -exact_artifact_path=$crashes/min-$f $crashes/$f" >&2
    done
  fi
  summary+=("$(printf '%-12s %-6s %5ss  execs %-10s cov %-6s ft %-6s corpus %s' "$t" "$verdict" "$took" \
                "${execs:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}")")
done

echo
echo "libFuzzer results (ASan + UBSan + LSan, ${secs}s per target):"
printf '  %s\n' "${summary[@]}"
[ "$status" -eq 0 ] || echo "crashing inputs: $out/crashes/" >&2
exit "$status"
