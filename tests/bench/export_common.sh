# Shared by bench_export.sh and bench_mirror.sh (sourced, not run): the
# Release binary, a work folder removed on exit, the simulator serving N
# generated reviews, and one measured run's line of figures.
#
# The caller sets ROOT, SIM, PY, KEY, PAGE, BIN (may be empty: a Release
# build of its own) and defines die(); bench_setup NAME then sets T.

# shellcheck source=release_bin.sh
. "$(dirname "${BASH_SOURCE[0]}")/release_bin.sh"

bench_setup() { # NAME: builds BIN when unset, makes $T
  release_bin
  T=$(mktemp -d "/tmp/cloutly-bench-$1.XXXXXX")
  SIM_PID=""
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$T"
}

# CPU seconds (user + system) a process has used so far, from /proc.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

start_sim() { # N reviews
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

# measure_run WIDTH LABEL N COMMAND...: run it under /usr/bin/time and print
# label, reviews, seconds, reviews/s, client CPU s, us/review, peak RSS MB,
# simulator CPU s. Leaves $T/us.LABEL (CPU us a review) and $T/rss.LABEL (KB).
measure_run() {
  local width=$1 label=$2 n=$3; shift 3
  local before after secs user sys rss
  before=$(cpu_of "$SIM_PID")
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" 2>"$T/err" || die "$label failed: $(tail -3 "$T/err")"
  after=$(cpu_of "$SIM_PID")
  read -r secs user sys rss <"$T/time"
  awk -v w="$width" -v l="$label" -v n="$n" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" -v b="$before" -v a="$after" \
    'BEGIN { cpu = u + y; printf "%-*s %8d %7.2f %10.0f %8.2f %9.2f %8.1f %8.2f\n",
             w, l, n, s, (s > 0 ? n / s : 0), cpu, cpu * 1e6 / n, r / 1024, a - b }'
  awk -v n="$n" -v u="$user" -v y="$sys" 'BEGIN { printf "%.3f", (u + y) * 1e6 / n }' >"$T/us.$label"
  echo "$rss" >"$T/rss.$label"
}
