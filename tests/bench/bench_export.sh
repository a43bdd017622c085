#!/usr/bin/env bash
# The export benchmark (SPEC section 7): reviews/s end to end from the local
# simulator with its rate limit off, NDJSON and CSV, client CPU per review,
# peak RSS at N and 10N reviews, and beside it in the same run the baseline a
# user would otherwise write: curl fetching the same pages piped to
# `jq -c '.reviews[]'`. The simulator's own CPU time is shown next to each,
# so that a simulator bottleneck is visible rather than hidden in the figure.
#
#   tests/bench/bench_export.sh [--reviews N] [--page-size L] [--bin PATH]
#
# Default N = 20000 (and 10N = 200000), page_size 100 (the default), the
# client's rate_limit at its ceiling (1000/s). Targets: >= 20,000 reviews/s,
# faster than curl+jq, client CPU < 10 us a review, RSS flat from N to 10N.
#
# Not part of the test suite. The simulator listens on 127.0.0.1 only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIM="$ROOT/tests/sim/cloutly_sim.py"
PY=python3
N=20000
PAGE=100
BIN=""
KEY=bench-key

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --reviews) N=$2; shift 2 ;;
    --page-size) PAGE=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench_export.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done

die() { echo "bench_export.sh: $*" >&2; exit 2; }
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
command -v curl >/dev/null || die "needs curl (apt-get install curl)"
if ! command -v jq >/dev/null; then
  [ "$(id -u)" = 0 ] || die "needs jq (apt-get install jq)"
  apt-get install -y jq >/dev/null || die "could not install jq"
fi

if [ -z "$BIN" ]; then
  BIN="$ROOT/build-bench/cloutly-pipe"
  echo "building $BIN (Release)..." >&2
  cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-bench" -j2 --target cloutly-pipe >/dev/null
fi
[ -x "$BIN" ] || die "no binary at $BIN"

T=$(mktemp -d /tmp/cloutly-bench-export.XXXXXX)
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# CPU seconds (user + system) a process has used so far, from /proc.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

start_sim() {
  rm -f "$T/port"
  "$PY" "$SIM" --port 0 --port-file "$T/port" --api-key "$KEY" --reviews "$1" --seed 1 \
    2>"$T/sim.err" &
  SIM_PID=$!
  for _ in $(seq 1 1200); do
    [ -s "$T/port" ] && return 0
    kill -0 "$SIM_PID" 2>/dev/null || die "simulator died: $(cat "$T/sim.err")"
    sleep 0.1
  done
  die "simulator did not start"
}

stop_sim() { kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""; }

pipeline() { # format output
  cat >"$T/bench.yaml" <<EOF
version: 1
kind: export
name: bench
api:
  api_key: \${CLOUTLY_API_KEY}
  rate_limit: 1000/s
export:
  format: $1
  output: $2
  page_size: $PAGE
state:
  path: $T/state.sqlite
EOF
}

# One measured run: label, expected lines, output file, command...
# Prints: label, seconds, reviews/s, client CPU s, us/review, peak RSS MB, simulator CPU s.
measure() {
  local label=$1 n=$2 out=$3; shift 3
  local before after
  before=$(cpu_of "$SIM_PID")
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" 2>"$T/err" || die "$label failed: $(tail -3 "$T/err")"
  after=$(cpu_of "$SIM_PID")
  local lines
  lines=$(wc -l <"$out")
  [ "$label" = "cloutly-pipe csv" ] && lines=$((lines - 1)) # the header
  [ "$lines" -ge "$n" ] || die "$label wrote $lines reviews, expected $n (a CSV text may span lines: see below)"
  read -r secs user sys rss <"$T/time"
  awk -v l="$label" -v n="$n" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" -v b="$before" -v a="$after" \
    'BEGIN { cpu = u + y; printf "%-18s %8d %7.2f %10.0f %8.2f %9.2f %8.1f %8.2f\n",
             l, n, s, (s > 0 ? n / s : 0), cpu, cpu * 1e6 / n, r / 1024, a - b }'
}

printf "%-18s %8s %7s %10s %8s %9s %8s %8s\n" "" reviews seconds reviews/s "cpu s" "us/review" "RSS MB" "sim cpu"
for n in "$N" $((N * 10)); do
  echo "generating $n reviews in the simulator..." >&2
  start_sim "$n"
  base="http://127.0.0.1:$(cat "$T/port")/api/v1"
  export CLOUTLY_API_KEY=$KEY CLOUTLY_BASE_URL=$base
  pages=$(( (n + PAGE - 1) / PAGE ))

  pipeline ndjson "$T/reviews.ndjson"
  measure "cloutly-pipe ndjson" "$n" "$T/reviews.ndjson" "$BIN" run -q "$T/bench.yaml"
  pipeline csv "$T/reviews.csv"
  # CSV rows: the csv module counts records, not lines (texts hold newlines).
  measure "cloutly-pipe csv" "$n" "$T/reviews.csv" "$BIN" run -q "$T/bench.yaml"
  rows=$("$PY" -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$T/reviews.csv")
  [ "$rows" = "$n" ] || die "CSV has $rows records, expected $n"
  # The baseline: the same pages, one curl on one keep-alive connection, into jq.
  measure "curl | jq" "$n" "$T/jq.ndjson" sh -c \
    "curl -sf -H 'x-api-key: $KEY' '$base/reviews?limit=$PAGE&offset=[0-$((pages - 1))]&sort=desc' | jq -c '.reviews[]' > '$T/jq.ndjson'"
  # The same reviews in the same order. Not the same bytes: jq re-serialises, and
  # rewrites numbers on the way (12345678901234567890 -> 12345678901234567000, -0.0 -> -0).
  "$PY" - "$T/reviews.ndjson" "$T/jq.ndjson" <<'EOF' || die "the outputs differ"
import json, sys
a = [json.loads(l)["id"] for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l)["id"] for l in open(sys.argv[2], encoding="utf-8")]
sys.exit(0 if a == b else 1)
EOF
  stop_sim
done
echo "(cpu s: the client's user+sys; sim cpu: the simulator's user+sys during that run)"
