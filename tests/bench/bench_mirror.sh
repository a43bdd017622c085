#!/usr/bin/env bash
# The mirror benchmark (issue 15): a mirror update of N reviews against the
# plain NDJSON export of the same reviews, measured side by side in one run
# from the local simulator with the client's rate at its ceiling: reviews/s,
# client CPU per review, and peak RSS at N/10 and N (flat: the mirror's memory
# must not grow with the archive). Three mirror runs per size:
#   fill    the first run into an empty mirror (every review created)
#   sweep   a full sweep over the filled mirror, nothing changed (every review
#           compared canonically, hashed, looked up and touched)
#   nightly an incremental run with the default-style lookback (5 pages)
#
#   tests/bench/bench_mirror.sh [--reviews N] [--page-size L] [--bin PATH]
#
# Default N = 200000, page_size 100. Target: the sweep's client CPU per review
# within 2x of the NDJSON export's; RSS flat from N/10 to N.
#
# Not part of the test suite. The simulator listens on 127.0.0.1 only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIM="$ROOT/tests/sim/cloutly_sim.py"
PY=python3
N=200000
PAGE=100
BIN=""
KEY=bench-key

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --reviews) N=$2; shift 2 ;;
    --page-size) PAGE=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench_mirror.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done

die() { echo "bench_mirror.sh: $*" >&2; exit 2; }
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
command -v sqlite3 >/dev/null || die "needs sqlite3 (apt-get install sqlite3)"

# The binary, $T, the simulator and measure_run: shared with bench_export.sh.
. "$HERE/export_common.sh"
bench_setup mirror

pipeline() { # file, export lines...
  local f=$1; shift
  {
    printf 'version: 1\nkind: export\nname: bench\napi:\n  api_key: ${CLOUTLY_API_KEY}\n'
    printf '  rate_limit: 1000/s\nexport:\n  page_size: %s\n' "$PAGE"
    for l in "$@"; do printf '  %s\n' "$l"; done
    printf 'state:\n  path: %s/state.sqlite\n' "$T"
  } >"$f"
}

measure() { measure_run 20 "$@"; } # label, reviews counted, command...

printf "%-20s %8s %7s %10s %8s %9s %8s %8s\n" "" reviews seconds reviews/s "cpu s" "us/review" "RSS MB" "sim cpu"
for n in $((N / 10)) "$N"; do
  echo "generating $n reviews in the simulator..." >&2
  start_sim "$n"
  export CLOUTLY_API_KEY=$KEY CLOUTLY_BASE_URL="http://127.0.0.1:$(cat "$T/port")/api/v1"
  rm -f "$T"/m.sqlite*
  pipeline "$T/plain.yaml" "format: ndjson" "output: $T/reviews.ndjson"
  pipeline "$T/mirror.yaml" "mirror: $T/m.sqlite" "lookback: 5 pages"
  measure "ndjson export $n" "$n" "$BIN" run -q "$T/plain.yaml"
  measure "mirror fill $n" "$n" "$BIN" run -q "$T/mirror.yaml"
  measure "mirror sweep $n" "$n" "$BIN" export -q --full "$T/mirror.yaml"
  measure "mirror nightly $n" 500 "$BIN" run -q "$T/mirror.yaml"
  got=$(sqlite3 "$T/m.sqlite" "SELECT count(*) FROM reviews WHERE deleted_at IS NULL")
  [ "$got" = "$n" ] || die "the mirror holds $got reviews, expected $n"
  [ "$(wc -l <"$T/reviews.ndjson")" = "$n" ] || die "the NDJSON export is short"
  stop_sim
done
ratio() { awk -v a="$(cat "$T/us.$1")" -v b="$(cat "$T/us.$2")" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "client CPU per review, mirror / ndjson export at $N: sweep $(ratio "mirror sweep $N" "ndjson export $N")x, fill $(ratio "mirror fill $N" "ndjson export $N")x (target: within 2x)"
awk -v a="$(cat "$T/rss.mirror sweep $((N / 10))")" -v b="$(cat "$T/rss.mirror sweep $N")" \
  'BEGIN { printf "peak RSS of the sweep, %s -> %s reviews: %.1f MB -> %.1f MB (%.2fx)\n", "N/10", "N", a/1024, b/1024, b/a }'
echo "(cpu s: the client's user+sys; sim cpu: the simulator's user+sys during that run)"
