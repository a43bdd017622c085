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

if [ -z "$BIN" ]; then
  BIN="$ROOT/build-bench/cloutly-pipe"
  echo "building $BIN (Release)..." >&2
  cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-bench" -j2 --target cloutly-pipe >/dev/null
fi
[ -x "$BIN" ] || die "no binary at $BIN"

T=$(mktemp -d /tmp/cloutly-bench-mirror.XXXXXX)
SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

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

pipeline() { # file, export lines...
  local f=$1; shift
  {
    printf 'version: 1\nkind: export\nname: bench\napi:\n  api_key: ${CLOUTLY_API_KEY}\n'
    printf '  rate_limit: 1000/s\nexport:\n  page_size: %s\n' "$PAGE"
    for l in "$@"; do printf '  %s\n' "$l"; done
    printf 'state:\n  path: %s/state.sqlite\n' "$T"
  } >"$f"
}

# label, reviews counted, command...: one line of figures; the CPU per review
# of the run goes to $T/us.<label>.
measure() {
  local label=$1 n=$2; shift 2
  local before after
  before=$(cpu_of "$SIM_PID")
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" 2>"$T/err" || die "$label failed: $(tail -3 "$T/err")"
  after=$(cpu_of "$SIM_PID")
  read -r secs user sys rss <"$T/time"
  awk -v l="$label" -v n="$n" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" -v b="$before" -v a="$after" \
    'BEGIN { cpu = u + y; printf "%-20s %8d %7.2f %10.0f %8.2f %9.2f %8.1f %8.2f\n",
             l, n, s, (s > 0 ? n / s : 0), cpu, cpu * 1e6 / n, r / 1024, a - b }'
  awk -v n="$n" -v u="$user" -v y="$sys" 'BEGIN { printf "%.3f", (u + y) * 1e6 / n }' >"$T/us.$label"
  echo "$rss" >"$T/rss.$label"
}

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
