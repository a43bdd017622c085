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

# The binary, $T, the simulator and measure_run: shared with bench_mirror.sh.
. "$HERE/export_common.sh"
bench_setup export

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

# One measured run: label, expected lines, output file, command...; the
# output must hold at least that many reviews.
measure() {
  local label=$1 n=$2 out=$3; shift 3
  local line lines
  line=$(measure_run 18 "$label" "$n" "$@")
  lines=$(wc -l <"$out")
  [ "$label" = "cloutly-pipe csv" ] && lines=$((lines - 1)) # the header
  [ "$lines" -ge "$n" ] || die "$label wrote $lines reviews, expected $n (a CSV text may span lines: see below)"
  echo "$line"
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
