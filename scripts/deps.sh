#!/usr/bin/env bash
# Install what cloutly-pipe needs to build and test, from Debian's packages,
# only when something is missing. Safe to run again. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config g++ python3 openssl
  libcurl4-openssl-dev libcsv-dev libcjson-dev libyaml-dev libsqlite3-dev
  libphonenumber-dev libcmocka-dev libre2-dev libprotobuf-dev libuchardet-dev
  libicu-dev tzdata clang-format
)
# Test tools (issue 14): promtool (prometheus) parses the metrics file, tmux
# drives the progress-line test, man-db/groff render the man pages, dpkg-dev
# builds and inspects the .deb, systemd-analyze rates the units, zsh and
# fish check their completions.
PACKAGES+=(prometheus tmux man-db groff-base dpkg-dev systemd zsh fish)
# The report's page is loaded in a real browser by tests/e2e/test_report.py
# (no console error, no network request, screenshots); it skips without one.
PACKAGES+=(chromium)
# The ledger on PostgreSQL (issue 16): libpq to build against, and a real
# PostgreSQL server that tests/pg/pg_server.py starts in a temp folder.
PACKAGES+=(libpq-dev postgresql)
# The Kubernetes manifests (deploy/kubernetes) are checked against the API's
# schemas by tests/e2e/test_deploy_kubernetes.py: node runs the validators
# of the kubernetes-models npm package (installed below), python3-yaml reads
# the manifests. Debian's nodejs comes without npm (its own package), other
# builds of nodejs bring theirs: npm is installed only when missing.
PACKAGES+=(nodejs python3-yaml)
# Extra tools for the tests and benchmarks: curl as an HTTP peer in tests,
# Miller and Python's phonenumbers as benchmark baselines.
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(miller python3-phonenumbers time)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
npm_missing() {
  [ -d "$(npm root -g 2>/dev/null)/kubernetes-models/batch/v1" ] &&
    [ -d "$(npm root -g 2>/dev/null)/yaml/dist" ] && return 1
  return 0
}
npm_install() {
  npm_missing || return 0
  if ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null ||
      { echo "deps.sh: warning: npm could not be installed" >&2; return 0; }
  fi
  echo "deps.sh: installing kubernetes-models and yaml (npm, global)" >&2
  # Only the manifests' schema check needs it: a failure here is a warning,
  # and that test says it was skipped.
  $SUDO npm install -g --no-fund --no-audit --loglevel=error kubernetes-models@5.1.0 yaml@2.9.1 >/dev/null ||
    echo "deps.sh: warning: npm install of kubernetes-models failed; the manifests' schema check will be skipped" >&2
}
SUDO=""
if [ ${#missing[@]} -eq 0 ]; then
  if npm_missing && [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  npm_install
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_install
