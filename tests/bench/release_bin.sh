# Shared by every benchmark (sourced, not run): the binary to measure.
# The caller sets ROOT and BIN (empty: a Release build of its own in
# build-bench/) and defines die().
release_bin() {
  if [ -z "$BIN" ]; then
    BIN="$ROOT/build-bench/cloutly-pipe"
    echo "building $BIN (Release)..." >&2
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$ROOT/build-bench" -j2 --target cloutly-pipe >/dev/null
  fi
  [ -x "$BIN" ] || die "no binary at $BIN"
}
