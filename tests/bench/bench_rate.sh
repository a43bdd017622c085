#!/usr/bin/env bash
# The sending-rate benchmark: does `run` sustain the configured rate against
# a server whose own sliding-window limit is exactly that rate, without a 429,
# at 200 ms and at 1 s of server latency, and at an exponentially spread
# latency of mean 1.5 s (exp1500: where 8 in flight alone held 0.93 of the
# rate, and the sender raises its in-flight cap)? See tests/bench/README.md.
#
#   tests/bench/bench_rate.sh [--quick] [--rate N] [--in-flight N] [--seconds S]
#                             [--latencies "200 1000 exp1500"] [--bin PATH] [--keep]
#
# Default: rate_limit 300/min, max_in_flight 8, simulator --rate-limit 300
# --window 60, a run of ~70 s at each latency (~4 minutes in all). A latency
# written expN is exponential with mean N ms (the simulator's --latency-exp-ms).
# --quick: ~35 s runs against a 30 s window at the proportional limit
# (150 per 30 s for 300/min), ~75 s in all. (A window much shorter than
# that leaves the 1% pacing margin under one request: with 20 s, evenly
# spaced requests at 297/min put exactly 100 in a 100-request window.)
#
# Not part of the test suite. The simulator listens on 127.0.0.1 only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIM="$ROOT/tests/sim/cloutly_sim.py"
PY=/usr/bin/python3
RATE=300        # configured, per minute
IN_FLIGHT=8
SECONDS_RUN=70
WINDOW=60
LATENCIES="200 1000 exp1500"
BIN=""
QUICK=0
KEEP=0

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --rate) RATE=$2; shift 2 ;;
    --in-flight) IN_FLIGHT=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; SET_SECONDS=1; shift 2 ;;
    --latencies) LATENCIES=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench_rate.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
if [ "$QUICK" = 1 ]; then
  WINDOW=30
  [ -n "${SET_SECONDS:-}" ] || SECONDS_RUN=35
fi
# The server's limit: the configured rate over its window (300/min, 60 s -> 300).
SIM_LIMIT=$(awk -v r="$RATE" -v w="$WINDOW" 'BEGIN{printf "%d", r*w/60}')
# Enough rows for SECONDS_RUN at the configured rate.
ROWS=$(awk -v r="$RATE" -v s="$SECONDS_RUN" 'BEGIN{printf "%d", r*s/60 + 1}')

die() { echo "bench_rate.sh: $*" >&2; exit 2; }
"$PY" -c 'import json' || die "no $PY"

# shellcheck source=release_bin.sh
. "$HERE/release_bin.sh"
release_bin

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cloutly-bench-rate.XXXXXX")
SIM_PID=""
stop_sim() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  SIM_PID=""
}
cleanup() {
  stop_sim
  if [ "$KEEP" = 1 ]; then echo "kept $WORK (pipeline, input, simulator logs, results)" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Every row valid and distinct: each one is a POST.
"$PY" "$HERE/gen_contacts.py" "$ROWS" "$WORK/contacts.csv" --clean --seed 7

API_KEY=bench-rate-key
cat >"$WORK/pipeline.yaml" <<EOF
version: 1
kind: invite
name: bench-rate
api:
  api_key: \${CLOUTLY_API_KEY}
  rate_limit: $RATE/min
  max_in_flight: $IN_FLIGHT
  timeout: 30s
  retries: 5
input:
  path: contacts.csv
  columns:
    firstName: "First Name"
    lastName: "Last Name"
    email: "Email Address"
    phoneNumber: "Phone Number"
    sourceContactId: "Reference ID"
validate:
  default_country: AU
  dedupe: true
invite:
  business_id: 44271176-7053-4534-ad6f-b38d132d341e
  campaign_id: 2c07094a-ed58-4cf2-9595-cf1b1d303d9d
  invite_delay_days: 1
  source: bench
output:
  results: out/{name}-{run_id}-results.csv
  rejects: out/{name}-{run_id}-rejects.csv
state:
  path: out/{name}.ledger.sqlite
EOF

echo "configured: rate_limit $RATE/min, max_in_flight $IN_FLIGHT; simulator --rate-limit $SIM_LIMIT --window $WINDOW; $ROWS rows (~${SECONDS_RUN} s each)" >&2

: >"$WORK/table"
for LAT in $LATENCIES; do
  LOG="$WORK/sim-$LAT.ndjson"
  rm -f "$WORK"/out/*.ledger.sqlite* # each latency sends the whole file afresh
  case "$LAT" in
    exp*) LAT_ARGS=(--latency-exp-ms "${LAT#exp}") ;;
    *) LAT_ARGS=(--latency-ms "$LAT") ;;
  esac
  rm -f "$WORK/port"
  "$PY" "$SIM" --port 0 --port-file "$WORK/port" --log "$LOG" --api-key "$API_KEY" \
    --rate-limit "$SIM_LIMIT" --window "$WINDOW" "${LAT_ARGS[@]}" \
    --sms-limit 1000000 2>"$WORK/sim-$LAT.err" &
  SIM_PID=$!
  for _ in $(seq 500); do
    [ -s "$WORK/port" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim-$LAT.err" >&2; die "simulator did not start"; }
    sleep 0.02
  done
  [ -s "$WORK/port" ] || die "simulator did not start within 10 s"
  PORT=$(cat "$WORK/port")

  echo "latency $LAT ms: running $ROWS invites against 127.0.0.1:$PORT..." >&2
  t0=$(date +%s%N)
  set +e
  CLOUTLY_API_KEY=$API_KEY CLOUTLY_BASE_URL="http://127.0.0.1:$PORT/api/v1" \
    "$BIN" run "$WORK/pipeline.yaml" --no-progress >"$WORK/run-$LAT.out" 2>"$WORK/run-$LAT.err"
  RC=$?
  set -e
  t1=$(date +%s%N)
  stop_sim
  sed 's/^/    /' "$WORK/run-$LAT.err" >&2
  grep -h "in flight" "$WORK/run-$LAT.err" >>"$WORK/inflight" || true

  "$PY" - "$LOG" "$LAT" "$RATE" "$WINDOW" "$SIM_LIMIT" "$RC" "$t0" "$t1" >>"$WORK/table" <<'EOF'
import json, sys
log, lat, rate, window, limit, rc, t0, t1 = sys.argv[1:]
rate, window, limit = float(rate), float(window), int(limit)
posts = []
with open(log) as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            if r["method"] == "POST" and r["path"] == "/api/v1/send-review-invite":
                posts.append(r)
acc = sorted(r["t_arrival"] for r in posts if r.get("accepted"))
n429 = sum(1 for r in posts if r["status"] == 429)
other = sum(1 for r in posts if r["status"] not in (200, 429))
span = acc[-1] - acc[0] if len(acc) > 1 else 0.0
achieved = (len(acc) - 1) / span * 60 if span > 0 else 0.0
# The most requests the server saw in any one window (its limit is `limit`).
arr = sorted(r["t_arrival"] for r in posts)
peak, j = 0, 0
for i, t in enumerate(arr):
    while arr[j] <= t - window:
        j += 1
    peak = max(peak, i - j + 1)
inflight = max((r.get("in_flight") or 0) for r in posts) if posts else 0
ratio = achieved / rate
ok = ratio >= 0.97 and n429 == 0 and rc == "0"
print("%s %d %d %d %d %.1f %.1f %.0f %.3f %d/%d %d %.1f %s %s" % (
    lat, len(posts), len(acc), n429, other, span, achieved, rate, ratio, peak, limit, inflight,
    (int(t1) - int(t0)) / 1e9, rc, "PASS" if ok else "FAIL"))
EOF
done

echo
echo "== sending rate: rate_limit $RATE/min, max_in_flight $IN_FLIGHT; simulator limit $SIM_LIMIT per ${WINDOW} s sliding window"
printf '  %-8s %6s %8s %5s %5s %7s %9s %9s %6s %10s %9s %7s %4s  %s\n' \
  "latency" "POSTs" "accepted" "429s" "other" "span s" "achieved" "config'd" "ratio" "peak/win" "in-flight" "wall s" "exit" "ratio>=0.97, 0 429s, exit 0"
FAILS=0
while read -r lat posts acc n429 other span ach conf ratio peak infl wall rc verdict; do
  printf '  %-8s %6s %8s %5s %5s %7s %9s %9s %6s %10s %9s %7s %4s  %s\n' \
    "$(case $lat in exp*) echo "exp ${lat#exp}";; *) echo "${lat} ms";; esac)" "$posts" "$acc" "$n429" "$other" "$span" "$ach/min" "$conf/min" "$ratio" "$peak" "$infl" "$wall" "$rc" "$verdict"
  [ "$verdict" = PASS ] || FAILS=$((FAILS + 1))
done <"$WORK/table"
[ -s "$WORK/inflight" ] && { echo "  the sender's own words:"; sed 's/^/    /' "$WORK/inflight"; }
echo
echo "$FAILS latenc$([ "$FAILS" = 1 ] && echo y || echo ies) missed the target"
[ "$FAILS" -eq 0 ]
