#!/usr/bin/env bash
# `report` on a big account: 100,000 reviews in the mirror and a year of
# daily runs in the ledger. Prints the page's size (target < 1 MB), the time
# to make it (target < 1 s), and the ratio against a baseline measured in
# the same run: Python's sqlite3 reading once every row the report reads
# (the reviews' business, email, phone, date and rating, and the sent
# invites), doing nothing with them.
#
#   tests/bench/bench_report.sh [--runs N] [--reviews N] [--per-day N] [--bin PATH]
#                               [--cache DIR]
#
# Not part of the test suite (ctest does not run it). The data is synthetic
# and cached: the mirror is built with the e2e test's stand-in
# (tests/e2e/test_report.py build_mirror, the mirror's schema version 1).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=3
REVIEWS=100000
PER_DAY=400
BIN="$ROOT/build/cloutly-pipe"
CACHE="${TMPDIR:-/tmp}/cloutly-bench-report"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --reviews) REVIEWS=$2; shift 2 ;;
    --per-day) PER_DAY=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench_report.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
[ -x "$BIN" ] || { echo "bench_report.sh: no binary at $BIN: run scripts/build.sh" >&2; exit 2; }

DATA="$CACHE/r$REVIEWS-d$PER_DAY"
mkdir -p "$DATA"
if [ ! -f "$DATA/ready" ]; then
  echo "bench_report.sh: building the data in $DATA (once)" >&2
  rm -f "$DATA"/*.sqlite
  python3 - "$DATA" "$REVIEWS" "$PER_DAY" "$ROOT" <<'PY'
import random, sqlite3, sys
data, n_reviews, per_day, root = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, root + "/tests/e2e")
from test_report import build_mirror, iso
rnd = random.Random(17)
end = 1796083200  # 2026-12-01
start = end - 365 * 86400
bizs = [f"biz-{i:02d}" for i in range(20)]
camps = [f"camp-{i}" for i in range(6)]
db = sqlite3.connect(data + "/ledger.sqlite")
db.executescript("""
CREATE TABLE attempts (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, file_path TEXT NOT NULL,
 file_hash TEXT NOT NULL, input_row INTEGER NOT NULL, email TEXT, phone TEXT, first_name TEXT,
 business_id TEXT NOT NULL, campaign_id TEXT NOT NULL, status TEXT NOT NULL, contact_id TEXT,
 http_status INTEGER, sms_left INTEGER, sms_renews TEXT, reason TEXT,
 created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX attempts_file_row ON attempts(file_hash, input_row);
CREATE TABLE runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, file_path TEXT,
 file_hash TEXT, pid INTEGER, started_at INTEGER NOT NULL, finished_at INTEGER, exit_code INTEGER);
CREATE TABLE watermarks (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
PRAGMA user_version = 2;
""")
invited = []
rows = []
sms = 100000
for d in range(365):
    t = start + d * 86400 + 3 * 3600
    for p in ("stores-nsw", "stores-vic"):
        run = f"{p}-{d}"
        db.execute("INSERT INTO runs VALUES (?, ?, 'in.csv', ?, 1, ?, ?, 0)", (run, p, run, t, t + 600))
        for i in range(per_day // 2):
            n = len(invited)
            email = f"person{n}@example.com" if rnd.random() < 0.8 else None
            phone = f"+614{n:08d}" if rnd.random() < 0.7 or not email else None
            status = rnd.choices(["sent", "failed", "skipped", "in_doubt"], [90, 4, 5, 1])[0]
            if phone and status == "sent":
                sms -= 1
            biz = rnd.choice(bizs)
            rows.append((run, run, i, email, phone, biz, rnd.choice(camps), status,
                         sms if phone else None, t + i, t + i))
            if status == "sent":
                invited.append((biz, email, phone, t + i))
            else:
                invited.append(None)
db.executemany("INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, phone,"
               " business_id, campaign_id, status, sms_left, created_at, updated_at)"
               " VALUES (?, 'in.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.commit()
db.close()
sent = [x for x in invited if x]
reviews = []
r_start = end - 3 * 365 * 86400
for i in range(n_reviews):
    r = {"id": f"rev-{i:06d}", "rating": rnd.choices([1, 2, 3, 4, 5], [5, 5, 10, 25, 55])[0],
         "source": rnd.choice(["google", "facebook", "cloutly", "yelp"]),
         "authorName": f"Reviewer {i}", "text": "Lovely service <3 " * rnd.randint(1, 8),
         "reviewUrl": f"https://reviews.example/{i}"}
    if rnd.random() < 0.3:  # an invited contact, within a few weeks of the invite
        biz, email, phone, t = rnd.choice(sent)
        r["businessId"] = biz
        if email:
            r["email"] = email.upper() if rnd.random() < 0.1 else email
        if phone:
            r["phoneNumber"] = ("0" + phone[3:]) if rnd.random() < 0.05 else phone
        created = t + rnd.randint(0, 30 * 86400)
    else:
        r["businessId"] = rnd.choice(bizs)
        created = rnd.randint(r_start, end)
    r["createdAt"] = iso(created)
    if rnd.random() < 0.6:
        r["response"] = {"name": "Owner", "comment": "Thank you!",
                         "date": iso(created + rnd.randint(600, 5 * 86400))}
    reviews.append(r)
build_mirror(data + "/mirror.sqlite", reviews, run_at=iso(end))
PY
  touch "$DATA/ready"
fi

cat > "$DATA/pipeline.yaml" <<YAML
version: 1
kind: invite
name: stores-nsw
api:
  api_key: bench-not-used
input:
  path: in.csv
  columns:
    email: Email
validate:
  default_country: AU
invite:
  business_id: 44271176-7053-4534-ad6f-b38d132d341e
  campaign_id: 2c07094a-ed58-4cf2-9595-cf1b1d303d9d
output:
  results: results.csv
  rejects: rejects.csv
state:
  path: ledger.sqlite
YAML

# Wall and CPU (user + sys) seconds of a command, best of RUNS: on a shared
# machine the CPU figure is the one that says what the work costs.
measure() {
  local best_wall=999 best_cpu=999 out
  for _ in $(seq 1 "$RUNS"); do
    rm -f "$DATA/report.html" "$DATA/report.html.state"
    /usr/bin/time -o "$DATA/time.out" -f "%e %U %S" "$@" >/dev/null 2>&1
    out=$(tail -1 "$DATA/time.out")
    best_wall=$(echo "$out $best_wall" | awk '{print ($1<$4)?$1:$4}')
    best_cpu=$(echo "$out $best_cpu" | awk '{c=$2+$3; print (c<$4)?c:$4}')
  done
  echo "$best_wall $best_cpu"
}
cat > "$DATA/baseline.py" <<'PY'
import sqlite3, sys
m = sqlite3.connect(f"file:{sys.argv[1]}/mirror.sqlite?mode=ro", uri=True)
for row in m.execute("SELECT business_id, email, phone_number, created_at, rating, response_date"
                     " FROM reviews WHERE deleted_at IS NULL"):
    pass
l = sqlite3.connect(f"file:{sys.argv[1]}/ledger.sqlite?mode=ro", uri=True)
for row in l.execute("SELECT business_id, campaign_id, email, phone, created_at, status FROM attempts"):
    pass
PY
[ -x /usr/bin/time ] || { echo "bench_report.sh: /usr/bin/time missing: scripts/deps.sh --bench" >&2; exit 2; }
read -r rep_wall rep_cpu < <(measure "$BIN" report "$DATA/pipeline.yaml" --mirror "$DATA/mirror.sqlite" --output "$DATA/report.html")
read -r base_wall base_cpu < <(measure python3 "$DATA/baseline.py" "$DATA")
"$BIN" report "$DATA/pipeline.yaml" --mirror "$DATA/mirror.sqlite" --output "$DATA/report.html" >/dev/null
size=$(stat -c %s "$DATA/report.html")
attempts=$(sqlite3 "$DATA/ledger.sqlite" "SELECT count(*) FROM attempts")
runs=$(sqlite3 "$DATA/ledger.sqlite" "SELECT count(*) FROM runs")
reviews=$(sqlite3 "$DATA/mirror.sqlite" "SELECT count(*) FROM review_state")
echo "data:      $reviews reviews, $attempts attempts in $runs runs (a year, two pipelines)"
printf 'page:      %d bytes (%.0f KB; target < 1 MB)\n' "$size" "$(echo "$size / 1024" | bc -l)"
printf 'report:    %.2f s CPU, %.2f s wall (best of %d; target < 1 s)\n' "$rep_cpu" "$rep_wall" "$RUNS"
printf 'baseline:  %.2f s CPU, %.2f s wall (python3 sqlite3 reading the same rows once)\n' "$base_cpu" "$base_wall"
printf 'ratio:     %.2fx the baseline (CPU)\n' "$(echo "$rep_cpu / $base_cpu" | bc -l)"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (wall times stretch with it)"
