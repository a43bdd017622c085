#!/usr/bin/env bash
# The demo: install what is missing, build, start the bundled Cloutly
# simulator on a free loopback port, run pipelines/demo-invites.yaml over
# samples/square-customers.csv, print the summary and the results, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null

work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 tests/sim/cloutly_sim.py --port 0 --port-file "$work/port" --api-key demo-key \
  --latency-ms 40 --log "$work/requests.ndjson" 2>"$work/sim.log" &
sim=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "demo: the simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }

# Every demo starts from an empty ledger, so it shows invites going out; a
# real pipeline keeps its ledger, and a second run would skip them all.
rm -f out/demo.ledger.sqlite out/demo.ledger.sqlite-wal out/demo.ledger.sqlite-shm
export CLOUTLY_BASE_URL="http://127.0.0.1:$(cat "$work/port")/api/v1"
export CLOUTLY_API_KEY=demo-key
echo "== cloutly-pipe check pipelines/demo-invites.yaml"
build/cloutly-pipe check pipelines/demo-invites.yaml
echo
echo "== cloutly-pipe run pipelines/demo-invites.yaml"
set +e
build/cloutly-pipe run pipelines/demo-invites.yaml
rc=$?
set -e
echo "exit code: $rc"
results=$(ls -t out/demo-*-results.csv 2>/dev/null | head -1)
echo
echo "== the simulator received $(grep -c '"accepted": *true' "$work/requests.ndjson" || true) invites"
if [ -n "$results" ]; then
  echo "== $results (first rows)"
  head -8 "$results" | cut -c1-160
fi
exit "$rc"
