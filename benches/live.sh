#!/usr/bin/env bash
# The cockpit side by side with the tools it replaces, on moto and a real
# PostgreSQL of the benchmark's own (two databases, a PostgreSQL-to-
# PostgreSQL door set up with the cockpit's own `setup` commands):
#
#   bash benches/live.sh snapshot  [RUNS]  status --json vs aws CLI + psql
#   bash benches/live.sh heartbeat [RUNS]  heartbeat --count 200 vs a Python
#                                          client, one process per insert
#   bash benches/live.sh slowdb    [RUNS]  status --json vs psql with 300 ms
#                                          per round trip to one, then both DBs
#   bash benches/live.sh tui       [RUNS]  the TUI's first frame, and first
#                                          frame with both tasks' status, vs
#                                          `watch -n 2` of the peer script
#   bash benches/live.sh idle      [SECS]  CPU and peak RSS over SECS (60) of
#                                          the idle TUI, live and on the lab,
#                                          vs `watch -n 2` of the peer script
#
# RUNS (default 10) is the number of timed runs per command; figures are
# medians of wall-clock time, and each comparison is printed as a ratio of
# two figures of the same run. It installs what is missing (PostgreSQL and
# tmux from Debian, moto[server], awscli and psycopg2-binary from PyPI),
# starts its own PostgreSQL cluster and moto wrapper on free ports, and
# stops them and removes its files on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

WHAT="${1:-}"
RUNS="${2:-10}"
case "$WHAT" in
  snapshot | heartbeat | slowdb | tui | idle) ;;
  *) echo "usage: bash benches/live.sh snapshot|heartbeat|slowdb|tui|idle [RUNS]" >&2; exit 2 ;;
esac
case "$RUNS" in
  '' | *[!0-9]* | 0) echo "live.sh: RUNS must be a positive whole number, got '$RUNS'" >&2; exit 2 ;;
esac

log() { printf '[bench] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pip_install() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ] || ! command -v psql >/dev/null; then
  log "installing PostgreSQL"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
python3 -c 'import moto.server, flask, flask_cors, cbor2' 2>/dev/null || { log "installing moto[server] and cbor2"; pip_install 'moto[server]>=5.2,<6' 'cbor2>=5,<7'; }
command -v aws >/dev/null || { log "installing the AWS CLI (awscli from PyPI)"; pip_install awscli; }
if [ "$WHAT" = tui ] || [ "$WHAT" = idle ]; then
  python3 -c 'import pyte' 2>/dev/null || { log "installing pyte (a terminal emulator, to see frames)"; pip_install pyte; }
  command -v watch >/dev/null || { log "installing procps (watch)"; as_root apt-get install -y -qq procps >/dev/null; }
fi
if [ "$WHAT" = heartbeat ]; then
  python3 -c 'import psycopg2, boto3' 2>/dev/null || { log "installing psycopg2-binary"; pip_install psycopg2-binary boto3; }
fi

log "building the release binary"
cargo build --release --quiet --bin dms-cockpit
BIN="$PWD/target/release/dms-cockpit"
[[ -n "${CARGO_TARGET_DIR:-}" ]] && BIN="$CARGO_TARGET_DIR/release/dms-cockpit"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

WORK="$(mktemp -d -t dmsc-bench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
cleanup() {
  set +e
  for pid in "${PIDS[@]}" $(cat "$WORK"/*.pid 2>/dev/null); do kill "$pid" 2>/dev/null; done
  if [ -f "$WORK/pg/postmaster.pid" ]; then run_pg "$(pg_bin)/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Starts "$@" in the background, waits for its `ready PORT` line. It runs
# in a command substitution (a subshell): its pid goes to a file for
# cleanup, not to PIDS.
start_ready() {
  local out="$WORK/ready.$RANDOM"
  "$@" >"$out" 2>&1 &
  echo $! >"$out.pid"
  for _ in $(seq 1 100); do
    if grep -q '^ready ' "$out" 2>/dev/null; then awk '/^ready /{print $2; exit}' "$out"; return; fi
    sleep 0.1
  done
  echo "did not start: $* ($(cat "$out"))" >&2
  exit 1
}

PG_PORT=$(free_port)
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
log "PostgreSQL on 127.0.0.1:$PG_PORT"
run_pg "$(pg_bin)/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >/dev/null
run_pg "$(pg_bin)/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg -c wal_level=logical" start >/dev/null

MOTO_PORT=$(free_port)
log "moto on 127.0.0.1:$MOTO_PORT"
python3 tests/support/moto_server.py "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
MOTO="http://127.0.0.1:$MOTO_PORT"
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$MOTO/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
STANDIN_PORT=$(start_ready python3 benches/support/stats_standin.py 0 "$MOTO" 10)
STANDIN="http://127.0.0.1:$STANDIN_PORT"

ID="bench$$"
DB_A="dmsc_${ID}_a"
DB_B="dmsc_${ID}_b"
APPMAP="dmsc-$ID-appmap"
FWD="$ID-fwd"
BWD="$ID-bwd"
for db in "$DB_A" "$DB_B"; do psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE $db" postgres; done

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" HOME="$WORK/home" DMSC_BENCH_PASSWORD="bench-pw"
mkdir -p "$HOME"
unset AWS_PROFILE DMS_COCKPIT_CONFIG || true

# A config naming database a on port $1 and b on port $2.
write_config() {
  cat >"$3" <<EOF
[tasks]
forward = "$FWD"
backward = "$BWD"

[appmap]
table = "$APPMAP"

[databases.a]
engine = "postgresql"
endpoint = "127.0.0.1"
port = $1
dbname = "$DB_A"
username = "postgres"
password_env = "DMSC_BENCH_PASSWORD"
dms_password_env = "DMSC_BENCH_PASSWORD"
ssl_mode = "disable"

[databases.b]
engine = "postgresql"
endpoint = "127.0.0.1"
port = $2
dbname = "$DB_B"
username = "postgres"
password_env = "DMSC_BENCH_PASSWORD"
dms_password_env = "DMSC_BENCH_PASSWORD"
ssl_mode = "disable"

[refresh]
every = "2s"
timeout = "5s"

[dms]
replication_instance = "dmsc-$ID"
instance_class = "dms.t3.micro"
allocated_storage = 20
EOF
}
CFG="$WORK/cockpit.toml"
write_config "$PG_PORT" "$PG_PORT" "$CFG"
cockpit() { "$BIN" --config "$CFG" --log-file "$WORK/cockpit.log" "$@"; }

log "setting the door up with the cockpit's own setup commands"
export AWS_ENDPOINT_URL="$MOTO"
cockpit setup sql --database a --apply >/dev/null
cockpit setup sql --database b --apply >/dev/null
cockpit setup appmap >/dev/null
cockpit setup dms --write-config >/dev/null
cockpit heartbeat SITEA --count 3 --every 10ms >/dev/null
cockpit heartbeat SITEB --count 3 --every 10ms >/dev/null

LATEST_SQL="SELECT heartbeat_id, last_update_dt, last_update_site FROM customer_orders.heartbeat ORDER BY last_update_dt DESC LIMIT 5"
psql_latest() { psql "host=127.0.0.1 port=$1 dbname=$2 user=postgres" -Atc "$LATEST_SQL"; }

# median_s "command" : median wall-clock seconds of RUNS runs of a shell
# command (output discarded; a failing run stops the benchmark).
median_s() {
  python3 - "$RUNS" "$1" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2]
subprocess.run(["bash", "-c", cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm-up
times = []
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(["bash", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append(time.perf_counter() - t)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {cmd}\n{r.stderr.decode()}")
print(f"{statistics.median(times):.4f}")
PY
}
ratio() { python3 -c "print(f'{$1/$2:.1f}x')"; }
export -f cockpit psql_latest
export BIN CFG WORK LATEST_SQL

snapshot() {
  local ep="$1" label="$2"
  export AWS_ENDPOINT_URL="$ep"
  local tasks="aws dms describe-replication-tasks --filters Name=replication-task-id,Values=$FWD,$BWD"
  local scan="aws dynamodb scan --table-name $APPMAP"
  local qa="psql_latest $PG_PORT $DB_A" qb="psql_latest $PG_PORT $DB_B"
  cockpit status --json >"$WORK/status.json" || true
  local c s p
  # Exit 1 is status's answer when a call fails (moto's missing
  # statistics): the snapshot was still taken and printed.
  c=$(median_s "cockpit status --json; [ \$? -le 1 ]")
  s=$(median_s "$tasks; $scan; $qa; $qb")
  p=$(median_s "$tasks & $scan & $qa & $qb & wait")
  printf '%-34s cockpit %7.3f s | peer sequential %7.3f s (%s) | peer parallel %7.3f s (%s)\n' \
    "$label" "$c" "$s" "$(ratio "$s" "$c")" "$p" "$(ratio "$p" "$c")"
}

case "$WHAT" in
  snapshot)
    log "snapshot: medians of $RUNS runs (ratios: peer / cockpit)"
    snapshot "$STANDIN" "statistics answered (stand-in):"
    python3 -c "import json,sys; d=json.load(open('$WORK/status.json')); t=d['tasks']['forward']; print('  forward task tables in status:', len(t.get('tables') or []))" || true
    snapshot "$MOTO" "statistics unsupported (moto):"
    ;;
  heartbeat)
    export AWS_ENDPOINT_URL="$MOTO"
    n=200
    peer_n=$(( RUNS * 2 ))
    log "heartbeat: cockpit heartbeat --count $n vs $peer_n runs of a one-insert Python process"
    start=$(date +%s.%N)
    cockpit heartbeat SITEA --count "$n" --every 1ms >/dev/null
    end=$(date +%s.%N)
    cockpit_rate=$(python3 -c "print($n/($end-$start))")
    start=$(date +%s.%N)
    for _ in $(seq 1 "$peer_n"); do
      python3 benches/support/peer_heartbeat.py "$APPMAP" SITEA >/dev/null
    done
    end=$(date +%s.%N)
    peer_rate=$(python3 -c "print($peer_n/($end-$start))")
    printf 'inserts/s: cockpit %.1f | Python one process per insert %.2f | ratio %s\n' \
      "$cockpit_rate" "$peer_rate" "$(ratio "$cockpit_rate" "$peer_rate")"
    ;;
  tui)
    export AWS_ENDPOINT_URL="$MOTO" TMPDIR="$WORK"
    STATUS='[●■○◌✖] (ready|running|stopped|starting|stopping|failed|creating)'
    PEER="watch -n 2 bash $PWD/benches/support/peer_snapshot.sh $FWD $BWD $APPMAP $PG_PORT $DB_A $DB_B"
    log "tui: medians of $RUNS starts in an 80x24 pseudo-terminal, frames as a terminal (pyte) shows them"
    c=$(python3 benches/support/pty_run.py frame "$RUNS" 80 24 'dms-cockpit' "$STATUS" 2 -- \
      "$BIN" --config "$CFG" --log-file "$WORK/cockpit.log")
    p=$(python3 benches/support/pty_run.py frame "$RUNS" 80 24 'Every 2' "$ID-(fwd|bwd)\s+(ready|running|stopped|creating)" 2 -- \
      bash -c "$PEER")
    python3 - "$c" "$p" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"first frame:            cockpit {c['first_ms']:7.1f} ms (goal < 100) | watch peer {p['first_ms']:7.1f} ms")
print(f"both tasks' status:     cockpit {c['ready_ms']:7.1f} ms (goal < 150) | watch peer {p['ready_ms']:7.1f} ms | peer / cockpit {p['ready_ms'] / c['ready_ms']:.1f}x")
print(f"  cockpit runs (ms): first {c['first_all']} status {c['ready_all']}")
print(f"  peer runs (ms):    first {p['first_all']} status {p['ready_all']}")
PY
    ;;
  idle)
    export AWS_ENDPOINT_URL="$MOTO" TMPDIR="$WORK"
    SECS="$RUNS"; [ "$SECS" = 10 ] && SECS=60
    PEER="watch -n 2 bash $PWD/benches/support/peer_snapshot.sh $FWD $BWD $APPMAP $PG_PORT $DB_A $DB_B"
    log "idle: $SECS s each, 80x24 pseudo-terminal, refresh every 2 s for all three"
    live=$(python3 benches/support/pty_run.py idle "$SECS" 80 24 -- "$BIN" --config "$CFG" --log-file "$WORK/cockpit.log")
    lab=$(python3 benches/support/pty_run.py idle "$SECS" 80 24 -- "$BIN" --log-file "$WORK/lab.log" lab --data-dir "$WORK/lab" --refresh 2s)
    peer=$(python3 benches/support/pty_run.py idle "$SECS" 80 24 -- bash -c "$PEER")
    python3 - "$live" "$lab" "$peer" <<'PY'
import json, sys
live, lab, peer = (json.loads(a) for a in sys.argv[1:4])
for name, r in (("cockpit live (moto + PostgreSQL)", live), ("cockpit lab", lab), ("watch -n 2 peer script", peer)):
    print(f"{name:34} idle CPU {r['idle_cpu_s']:6.2f} s in {r['idle_window_s']:.0f} s = {r['idle_core_pct']:5.2f} % of a core (whole run with startup: {r['core_pct']:5.2f} %) | peak RSS {r['max_rss_mib']:6.1f} MiB")
print(f"peer / cockpit live: idle CPU {peer['idle_cpu_s'] / max(live['idle_cpu_s'], 0.001):.0f}x, peak RSS {peer['max_rss_mib'] / live['max_rss_mib']:.1f}x (goals: cockpit < 0.5 % of a core, < 40 MiB)")
PY
    ;;
  slowdb)
    export AWS_ENDPOINT_URL="$STANDIN"
    SLOW_A=$(start_ready python3 benches/support/delay_proxy.py 0 "$PG_PORT" 300)
    SLOW_B=$(start_ready python3 benches/support/delay_proxy.py 0 "$PG_PORT" 300)
    log "slowdb: 300 ms per round trip (medians of $RUNS runs)"
    fast=$(median_s "cockpit status --json")
    for case in b both; do
      if [ "$case" = b ]; then pa=$PG_PORT; else pa=$SLOW_A; fi
      write_config "$pa" "$SLOW_B" "$WORK/slow-$case.toml"
      c=$(median_s "$BIN --config $WORK/slow-$case.toml --log-file $WORK/slow.log status --json")
      one=$(median_s "psql_latest $SLOW_B $DB_B")
      seq=$(median_s "psql_latest $pa $DB_A; psql_latest $SLOW_B $DB_B")
      par=$(median_s "psql_latest $pa $DB_A & psql_latest $SLOW_B $DB_B & wait")
      printf 'slow %-4s: status %.3f s (%.3f s with no delay) | psql on the slow db alone %.3f s | psql both sequential %.3f s | parallel %.3f s | status / parallel psql %s\n' \
        "$case" "$c" "$fast" "$one" "$seq" "$par" "$(python3 -c "print(f'{$c/$par:.2f}x')")"
    done
    ;;
esac
