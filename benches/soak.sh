#!/usr/bin/env bash
# The lab under load for a long time: both tasks running, the traffic
# generator writing RATE application rows/s, the release binary's TUI in a
# pseudo-terminal for MINUTES. Then it says whether memory stayed flat (mean
# resident set of the last minute against the second minute: goal within
# 10 %), whether the change log stayed bounded (rows left in dms_changes
# against all changes ever captured), and, after a quiet minute for the
# tasks to catch up, whether both sites hold the same application rows.
#
# Usage: bash benches/soak.sh [MINUTES] [RATE]   (default 10 minutes, 200/s)
#
# Needs python3 with pyte (installed from PyPI when missing); removes its
# temporary directory on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES="${1:-10}"
RATE="${2:-200}"
case "$MINUTES$RATE" in
  *[!0-9]*) echo "soak.sh: MINUTES and RATE must be whole numbers, got '$MINUTES' '$RATE'" >&2; exit 2 ;;
esac
[ "$MINUTES" -ge 2 ] || { echo "soak.sh: MINUTES must be at least 2 (the second minute is the baseline)" >&2; exit 2; }

log() { printf '[soak] %s\n' "$*" >&2; }
python3 -c 'import pyte' 2>/dev/null || python3 -m pip install -q pyte 2>/dev/null \
  || python3 -m pip install -q --break-system-packages pyte

cargo build --release --quiet --bin dms-cockpit
BIN="$PWD/target/release/dms-cockpit"
[[ -n "${CARGO_TARGET_DIR:-}" ]] && BIN="$CARGO_TARGET_DIR/release/dms-cockpit"

WORK="$(mktemp -d -t dmsc-soak.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
DATA="$WORK/lab"
export HOME="$WORK/home"
mkdir -p "$HOME"
lab() { "$BIN" --log-file "$WORK/cockpit.log" --audit-log "$WORK/audit.jsonl" "$@"; }

log "starting both lab tasks (data in $DATA)"
lab task start forward --lab --data-dir "$DATA" --yes --force --wait --timeout 60s >/dev/null
lab task start backward --lab --data-dir "$DATA" --yes --force --wait --timeout 60s >/dev/null

# `--wait` returns when a task runs, before its full load: let the full
# load finish with no traffic. A full load while the applications write and
# the other direction applies truncates rows only the target holds (the
# start checklist says so; --force above skips it), which is a setup
# mistake, not what this soak measures.
log "15 s without traffic for the forward task's full load"
python3 benches/support/pty_run.py idle 15 100 30 -- \
  "$BIN" --log-file "$WORK/cockpit.log" --audit-log "$WORK/audit.jsonl" \
  lab --data-dir "$DATA" >/dev/null

log "lab --traffic $RATE for $MINUTES min in a 100x30 pseudo-terminal"
python3 benches/support/pty_run.py soak "$((MINUTES * 60))" 100 30 5 -- \
  "$BIN" --log-file "$WORK/cockpit.log" --audit-log "$WORK/audit.jsonl" \
  lab --data-dir "$DATA" --traffic "$RATE" >"$WORK/soak.json"

log "one quiet minute for both tasks to catch up (no traffic)"
python3 benches/support/pty_run.py idle 60 100 30 -- \
  "$BIN" --log-file "$WORK/cockpit.log" --audit-log "$WORK/audit.jsonl" \
  lab --data-dir "$DATA" >/dev/null

python3 - "$WORK/soak.json" "$DATA" "$MINUTES" "$RATE" "$WORK/cockpit.log" <<'PY'
import json, os, sqlite3, sys
soak = json.load(open(sys.argv[1]))
data, minutes, rate, logfile = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
print(f"lab soak: --traffic {rate} for {minutes} min, both tasks running")
ratio = soak["last_over_second"]
verdict = "flat" if ratio is not None and abs(ratio - 1) <= 0.10 else "NOT flat"
print(f"  RSS: second minute {soak['second_minute_mib']} MiB, last minute {soak['last_minute_mib']} MiB, ratio {ratio} ({verdict}; goal within 10 %)")
same = True
for side in ("a", "b"):
    db = sqlite3.connect(os.path.join(data, f"site_{side}.db"))
    left = db.execute("SELECT count(*) FROM dms_changes").fetchone()[0]
    ever = db.execute("SELECT coalesce(max(seq), 0) FROM dms_changes").fetchone()[0]
    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'dms_changes'").fetchone()
    ever = max(ever, seq[0] if seq else 0)
    size = os.path.getsize(os.path.join(data, f"site_{side}.db")) / 1024 / 1024
    print(f"  site {side}: change log holds {left} of {ever} changes ever captured; file {size:.1f} MiB")
rows = {}
for side in ("a", "b"):
    db = sqlite3.connect(os.path.join(data, f"site_{side}.db"))
    rows[side] = {
        t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("customers", "orders")
    }
for t in ("customers", "orders"):
    a, b = rows["a"][t], rows["b"][t]
    equal = a == b
    same &= equal
    print(f"  {t}: site a {len(a)} rows, site b {len(b)} rows, {'identical' if equal else 'DIFFERENT'}")
print(f"  log file: {os.path.getsize(logfile) / 1024 / 1024:.1f} MiB")
print(f"  samples (s, MiB): {soak['samples_mib']}")
sys.exit(0 if same else 1)
PY
