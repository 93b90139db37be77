#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need when
# it is missing (PostgreSQL from Debian's packages, moto server from PyPI,
# tmux), checks formatting and lints (cargo fmt --check, cargo clippy
# --all-targets -D warnings), starts a throwaway PostgreSQL cluster and moto
# on 127.0.0.1, runs every test including the #[ignore]d service tests, and
# stops the servers.
#
#   bash tests/run-all.sh [extra cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[run-all] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  log "installing PostgreSQL (Debian package postgresql)"
  apt_install postgresql
fi
if ! command -v tmux >/dev/null; then
  log "installing tmux"
  apt_install tmux
fi
# cbor2: the moto wrapper re-encodes the Rust SDK's CBOR CloudWatch calls.
if ! python3 -c 'import moto.server, flask, flask_cors, cbor2' 2>/dev/null; then
  log "installing moto[server] and cbor2 from PyPI"
  # A Debian-managed python refuses plain pip installs (PEP 668).
  python3 -m pip install -q 'moto[server]>=5.2,<6' 'cbor2>=5,<7' \
    || python3 -m pip install -q --break-system-packages 'moto[server]>=5.2,<6' 'cbor2>=5,<7'
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

work=$(mktemp -d /tmp/dms-cockpit-tests.XXXXXX)
chmod 755 "$work"
pg_pid=""
moto_pid=""
cleanup() {
  set +e
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null; fi
  if [ -f "$work/pg/postmaster.pid" ]; then run_pg "$(pg_bin)/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# PostgreSQL refuses to run as root: run the throwaway cluster as `postgres`.
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_port=$(free_port)
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg" 2>/dev/null || true
log "starting PostgreSQL on 127.0.0.1:$pg_port"
run_pg "$(pg_bin)/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 >/dev/null
run_pg "$(pg_bin)/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c wal_level=logical -c max_connections=200" start >/dev/null

# Every test runs in a zone far from UTC (UTC+14): nothing shown or
# compared may depend on the machine's zone, and the moto wrapper must not
# either (it runs under the same zone).
export TZ=Pacific/Kiritimati

moto_port=$(free_port)
log "starting moto server on 127.0.0.1:$moto_port"
python3 tests/support/moto_server.py "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/')" 2>/dev/null; then break; fi
  sleep 0.1
done

export DMSC_TEST_PG_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export DMSC_TEST_PG_BIN="$(pg_bin)"
export DMSC_TEST_PG_DATA="$work/pg"
export DMSC_TEST_MOTO_URL="http://127.0.0.1:$moto_port"

# Hygiene first: formatting and lints fail the run (CI's exit status) but
# the tests still run, so one run reports everything that is wrong.
lint_status=0
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 && command -v rustup >/dev/null; then
    log "installing $component"
    rustup component add "$component"
  fi
done
log "cargo fmt --check"
cargo fmt --check || { log "cargo fmt --check failed: run cargo fmt"; lint_status=1; }
log "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings || { log "clippy found warnings"; lint_status=1; }

log "cargo test (all targets, ignored service tests included)"
set +e
cargo test --all-targets --no-fail-fast "$@" -- --include-ignored 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary (cargo prints one per binary,
# and the benchmarks, run once as a check, print last).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$work/test.log"
if [ "$status" = 0 ] && [ "$lint_status" != 0 ]; then status=1; fi
exit "$status"
