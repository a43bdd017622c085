#!/usr/bin/env bash
# `check` throughput and memory, side by side with its baselines, in one run.
# See tests/bench/README.md for what each figure means and the targets.
#
#   tests/bench/bench_check.sh [--quick] [--runs N] [--fast-runs N] [--rows N]
#                              [--small-rows N] [--big-rows N] [--bin PATH] [--cache DIR]
#
# --runs N: runs of the Python phonenumbers script (about 90 s each);
# --fast-runs N (default 5): runs of every other contender (a few seconds
# each), so a shared machine's noise is met with more samples where they
# are cheap. Every figure is the best of its runs, contenders interleaved.
#
# Not part of the test suite (ctest does not run it). Needs mlr, /usr/bin/time,
# gcc, libcsv and /usr/bin/python3 with phonenumbers: scripts/deps.sh --bench.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=3
FAST_RUNS=5
ROWS=1000000
SMALL=100000
BIG=10000000 # the memory rows: check and run --dry-run once each; 0 = none
QUICK=0
BIN=""
CACHE="${TMPDIR:-/tmp}/cloutly-bench-cache"
PY=/usr/bin/python3 # Debian's python3-phonenumbers is importable by this one

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --fast-runs) FAST_RUNS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --small-rows) SMALL=$2; shift 2 ;;
    --big-rows) BIG=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --bin) BIN=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench_check.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done

# --quick: a fast look (a minute or two): one run of 200,000 rows, memory
# at 20,000 / 200,000 rows, no 10-million-row pass. The targets still print.
if [ "$QUICK" = 1 ]; then
  RUNS=1; FAST_RUNS=1; ROWS=200000; SMALL=20000; BIG=0
fi
[ "$FAST_RUNS" -ge "$RUNS" ] || FAST_RUNS=$RUNS

die() { echo "bench_check.sh: $*" >&2; exit 2; }
command -v mlr >/dev/null || die "mlr missing: run scripts/deps.sh --bench"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: run scripts/deps.sh --bench"
command -v gcc >/dev/null || die "gcc missing: run scripts/deps.sh"
"$PY" -c 'import phonenumbers' 2>/dev/null ||
  die "$PY cannot import phonenumbers: run scripts/deps.sh --bench"

# The binary: a Release build of its own unless --bin names one.
# shellcheck source=release_bin.sh
. "$HERE/release_bin.sh"
release_bin
SRC_REV=""
if [ "$BIN" = "$ROOT/build-bench/cloutly-pipe" ] && git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
  SRC_REV=", built from $(git -C "$ROOT" rev-parse --short HEAD)"
  [ -z "$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt)" ] || SRC_REV="$SRC_REV with uncommitted changes in src/"
fi

mkdir -p "$CACHE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cloutly-bench-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/rec"

# The bare libcsv baseline, built with the same optimisation as Release.
CSVCOUNT="$WORK/csvcount-bin"
gcc -O2 -std=c11 -Wall -Wextra -o "$CSVCOUNT" "$HERE/csvcount.c" -lcsv

# Generated inputs, cached by row count, flags and the generator's content.
GEN_SUM=$(md5sum "$HERE/gen_contacts.py" | cut -c1-8)
gen() { # gen ROWS KIND -> path (KIND: names | phones | one: one contact on every row)
  local f="$CACHE/contacts-$2-$1-$GEN_SUM.csv"
  if [ ! -s "$f" ]; then
    echo "generating $f..." >&2
    local flags=()
    [ "$2" = phones ] && flags=(--phones)
    [ "$2" = one ] && flags=(--phones --one-contact)
    "$PY" "$HERE/gen_contacts.py" "$1" "$f.tmp" "${flags[@]}"
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
NAMES=$(gen "$ROWS" names)
PHONES=$(gen "$ROWS" phones)
SMALLF=$(gen "$SMALL" names)
ONEF=$(gen "$ROWS" one)
BIGF=""
[ "$BIG" -gt 0 ] && BIGF=$(gen "$BIG" names)

export CLOUTLY_API_KEY=x # check needs no key, but the pipeline names ${CLOUTLY_API_KEY}
PIPE="$HERE/bench-check.yaml"

# time_cmd ID CMD...: one timed run; appends "wall_s rss_kb" to $WORK/rec/ID.
# Wall clock from a nanosecond clock (finer than %e's 10 ms), peak RSS
# from /usr/bin/time -f '%e %M'. The command's stdout goes to $WORK/rec/ID.out.
time_cmd() {
  local id=$1; shift
  # A dry run's files (a few hundred MB at 1M rows, some GB at 10M) go
  # before the next command: their writeback would run in the middle of
  # whichever contender came next, and they would fill the disk.
  rm -rf "$WORK/out"
  local t0 t1
  t0=$(date +%s%N)
  if ! /usr/bin/time -f '%e %M' -o "$WORK/rec/$id.time" "$@" >"$WORK/rec/$id.out" 2>"$WORK/rec/$id.err"; then
    echo "bench_check.sh: '$*' failed:" >&2
    cat "$WORK/rec/$id.err" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}') $(tail -n1 "$WORK/rec/$id.time" | cut -d' ' -f2)" >>"$WORK/rec/$id"
}
best() { sort -n "$WORK/rec/$1" | head -n1 | cut -d' ' -f1; }         # fastest wall
rss() { sort -n -k2 "$WORK/rec/$1" | tail -n1 | cut -d' ' -f2; }      # highest peak RSS
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN{printf "%.1f", b/1e6}'; }
mbs() { awk -v b="$(stat -c %s "$1")" -v t="$2" 'BEGIN{printf "%.1f", b/1e6/t}'; }
rows_of() { awk '/^rows:/{print $2; exit}' "$WORK/rec/$1.out" | tr -d :; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm the page cache so every contender reads from memory.
cat "$NAMES" "$PHONES" "$SMALLF" "$ONEF" >/dev/null

# run --dry-run writes its results and rejects files next to the pipeline
# (out/): a copy of the pipeline in $WORK keeps them there.
cp "$PIPE" "$WORK/bench-check.yaml"
# The same pipeline with no send window: what the per-row zone lookup costs.
# (bench-check.yaml ends in its invite: section, so the key lands there.)
cp "$PIPE" "$WORK/bench-any.yaml"
printf '  send_window: any\n' >>"$WORK/bench-any.yaml"
DRY="$WORK/dry.sh"
printf '#!/bin/sh\nexec "%s" run "%s" --dry-run --no-progress -q --input "$1"\n' \
  "$BIN" "$WORK/bench-check.yaml" >"$DRY"
chmod +x "$DRY"

echo "timing: best of $FAST_RUNS runs each ($RUNS of the Python phonenumbers script), contenders interleaved..." >&2
for r in $(seq "$FAST_RUNS"); do
  echo "  run $r/$FAST_RUNS" >&2
  time_cmd check_names "$BIN" check "$PIPE" --input "$NAMES"
  time_cmd py_csv "$PY" "$HERE/py_csv_pass.py" "$NAMES"
  time_cmd mlr mlr --icsv --ocsv cat "$NAMES"
  time_cmd csvcount "$CSVCOUNT" "$NAMES"
  time_cmd check_small "$BIN" check "$PIPE" --input "$SMALLF"
  time_cmd check_phones "$BIN" check "$PIPE" --input "$PHONES"
  [ "$r" -le "$RUNS" ] && time_cmd py_phones "$PY" "$HERE/py_phone_validate.py" "$PHONES" AU
  time_cmd check_phones_1t env CLOUTLY_THREADS=1 "$BIN" check "$PIPE" --input "$PHONES"
  time_cmd check_phones_any "$BIN" check "$WORK/bench-any.yaml" --input "$PHONES"
  time_cmd version "$BIN" --version
  time_cmd dry_phones "$DRY" "$PHONES"
  time_cmd check_one "$BIN" check "$PIPE" --input "$ONEF"
done
# Memory at three sizes, check and run --dry-run, names + emails. The big
# file once: its RSS is the figure, and it takes minutes.
time_cmd dry_small "$DRY" "$SMALLF"
time_cmd dry_names "$DRY" "$NAMES"
time_cmd dry_one "$DRY" "$ONEF"
if [ -n "$BIGF" ]; then
  echo "  $BIG rows: check, then run --dry-run..." >&2
  cat "$BIGF" >/dev/null
  time_cmd check_big "$BIN" check "$PIPE" --input "$BIGF"
  time_cmd dry_big "$DRY" "$BIGF"
fi

verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ok = op == ">=" ? v >= t : op == "<=" ? v <= t : v < t; print ok ? "PASS" : "FAIL"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
row() { printf '  %-34s %8s %9s %12s\n' "$@"; }

T_CHECK=$(best check_names); T_PY=$(best py_csv); T_MLR=$(best mlr); T_CC=$(best csvcount)
T_CHECK_P=$(best check_phones); T_PY_P=$(best py_phones); T_SMALL=$(best check_small)
T_CHECK_P1=$(best check_phones_1t); T_DRY_P=$(best dry_phones)

echo
echo "binary:  $BIN ($("$BIN" --version 2>&1 | head -n1))$SRC_REV"
echo "machine: $(nproc) cores, $(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo); load average at start $LOAD0 (other work on the machine skews every figure)"
echo
echo "== check over names + emails: $(basename "$NAMES"): $(rows_of check_names) rows, $(mb "$NAMES") MB (1 MB = 10^6 bytes), best of $FAST_RUNS"
row "contender" "wall s" "MB/s" "peak RSS KB"
row "cloutly-pipe check" "$T_CHECK" "$(mbs "$NAMES" "$T_CHECK")" "$(rss check_names)"
row "python csv pass ($PY)" "$T_PY" "$(mbs "$NAMES" "$T_PY")" "$(rss py_csv)"
row "mlr --icsv --ocsv cat" "$T_MLR" "$(mbs "$NAMES" "$T_MLR")" "$(rss mlr)"
row "csvcount (bare libcsv)" "$T_CC" "$(mbs "$NAMES" "$T_CC")" "$(rss csvcount)"
echo
echo "== check over names + emails + phones: $(basename "$PHONES"): $(rows_of check_phones) rows, $(mb "$PHONES") MB, best of $FAST_RUNS ($RUNS for the Python script)"
row "contender" "wall s" "MB/s" "peak RSS KB"
row "cloutly-pipe check" "$T_CHECK_P" "$(mbs "$PHONES" "$T_CHECK_P")" "$(rss check_phones)"
row "cloutly-pipe check, 1 thread" "$T_CHECK_P1" "$(mbs "$PHONES" "$T_CHECK_P1")" "$(rss check_phones_1t)"
row "cloutly-pipe check, send_window any" "$(best check_phones_any)" "$(mbs "$PHONES" "$(best check_phones_any)")" "$(rss check_phones_any)"
row "cloutly-pipe run --dry-run" "$T_DRY_P" "$(mbs "$PHONES" "$T_DRY_P")" "$(rss dry_phones)"
row "python phonenumbers script" "$T_PY_P" "$(mbs "$PHONES" "$T_PY_P")" "$(rss py_phones)"
awk -v t="$T_CHECK_P" -v n="$(rows_of check_phones)" 'BEGIN{printf "  (check: %.1f us a row, phone parsing included)\n", t/n*1e6}'
awk -v t="$T_CHECK_P" -v a="$(best check_phones_any)" -v n="$(rows_of check_phones)" \
  'BEGIN{printf "  (the default send window: %.2fx of send_window any, %.1f us a row for the zones)\n", t/a, (t-a)/n*1e6}'
echo
echo "== peak RSS of check and run --dry-run"
row "input" "wall s" "MB/s" "peak RSS KB"
row "--version alone (start-up)" "$(best version)" "-" "$(rss version)"
row "check, names, $SMALL rows" "$T_SMALL" "$(mbs "$SMALLF" "$T_SMALL")" "$(rss check_small)"
row "check, names, $ROWS rows" "$T_CHECK" "$(mbs "$NAMES" "$T_CHECK")" "$(rss check_names)"
[ -n "$BIGF" ] && row "check, names, $BIG rows" "$(best check_big)" "$(mbs "$BIGF" "$(best check_big)")" "$(rss check_big)"
row "check, phones, $ROWS rows" "$T_CHECK_P" "$(mbs "$PHONES" "$T_CHECK_P")" "$(rss check_phones)"
row "check, one contact x $ROWS" "$(best check_one)" "$(mbs "$ONEF" "$(best check_one)")" "$(rss check_one)"
row "run --dry-run, names, $SMALL" "$(best dry_small)" "$(mbs "$SMALLF" "$(best dry_small)")" "$(rss dry_small)"
row "run --dry-run, names, $ROWS" "$(best dry_names)" "$(mbs "$NAMES" "$(best dry_names)")" "$(rss dry_names)"
[ -n "$BIGF" ] && row "run --dry-run, names, $BIG" "$(best dry_big)" "$(mbs "$BIGF" "$(best dry_big)")" "$(rss dry_big)"
row "run --dry-run, one contact x $ROWS" "$(best dry_one)" "$(mbs "$ONEF" "$(best dry_one)")" "$(rss dry_one)"

R_PY=$(ratio "$T_PY" "$T_CHECK"); R_MLR=$(ratio "$T_MLR" "$T_CHECK"); R_CC=$(ratio "$T_CC" "$T_CHECK")
R_PH=$(ratio "$T_PY_P" "$T_CHECK_P"); R_PH1=$(ratio "$T_PY_P" "$T_CHECK_P1")
R_DRY=$(ratio "$T_DRY_P" "$T_CHECK_P")
LARGEST=check_names; LARGEST_DRY=dry_names; LARGEST_ROWS=$ROWS
[ -n "$BIGF" ] && { LARGEST=check_big; LARGEST_DRY=dry_big; LARGEST_ROWS=$BIG; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
RSS_MAX=$(printf '%s\n' "$(rss check_small)" "$(rss check_names)" "$(rss check_phones)" "$(rss check_one)" \
  $([ -n "$BIGF" ] && rss check_big) | sort -n | tail -n1)
RSS_MB=$(mib "$RSS_MAX")
R_RSS=$(ratio "$(rss $LARGEST)" "$(rss check_small)")
RSS_DRY_MAX=$(printf '%s\n' "$(rss dry_small)" "$(rss dry_names)" "$(rss dry_phones)" "$(rss dry_one)" \
  $([ -n "$BIGF" ] && rss dry_big) | sort -n | tail -n1)
RSS_DRY_MB=$(mib "$RSS_DRY_MAX")
R_RSS_DRY=$(ratio "$(rss $LARGEST_DRY)" "$(rss dry_small)")
FAILS=0
target() { # target NAME VALUE OP LIMIT SHOWN
  local v; v=$(verdict "$2" "$3" "$4")
  [ "$v" = PASS ] || FAILS=$((FAILS + 1))
  printf '  %-46s %9s  %-10s %s\n' "$1" "$5" "$3 $4" "$v"
}
echo
echo "== targets (SPEC section 7)"
printf '  %-46s %9s  %-10s %s\n' "figure" "measured" "target" ""
target "check / python csv (speed, names+emails)" "$R_PY" ">=" 2 "${R_PY}x"
target "check / mlr cat (speed, names+emails)" "$R_MLR" ">=" 2 "${R_MLR}x"
target "check / csvcount (speed, names+emails)" "$R_CC" ">=" 0.5 "${R_CC}x"
target "check / python phonenumbers (phones, all cores)" "$R_PH" ">=" 10 "${R_PH}x"
target "check / python phonenumbers (phones, 1 thread)" "$R_PH1" ">=" 10 "${R_PH1}x"
target "run --dry-run / check (time, phones)" "$R_DRY" "<=" 1.2 "${R_DRY}x"
target "peak RSS of check, largest (MiB)" "$RSS_MB" "<" 32 "$RSS_MB"
target "RSS of check ${LARGEST_ROWS} / ${SMALL} rows" "$R_RSS" "<=" 1.1 "${R_RSS}x"
target "peak RSS of run --dry-run, largest (MiB)" "$RSS_DRY_MB" "<" 32 "$RSS_DRY_MB"
target "RSS of run --dry-run ${LARGEST_ROWS} / ${SMALL} rows" "$R_RSS_DRY" "<=" 1.1 "${R_RSS_DRY}x"
echo
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$FAILS target(s) missed"
[ "$FAILS" -eq 0 ]
