#!/usr/bin/env bash
# What an idle cockpit costs: the real release binary on the lab in an
# 80x24 tmux terminal, left alone for 10 s, then its CPU time (utime+stime
# from /proc/PID/stat, all threads) and peak memory (VmHWM from
# /proc/PID/status). Then the same with the lab's traffic generator writing
# 20 rows/s, and the ratio of the two. "An idle cockpit costs next to
# nothing": these are the figures that say whether it does.
#
# Usage: bash benches/idle.sh [SECONDS]   (default 10; needs tmux)
#
# It runs its own tmux server on a private socket and kills that server,
# the cockpit processes and its temporary directory on exit, whatever
# happens.
set -euo pipefail

IDLE_SECS="${1:-10}"
case "$IDLE_SECS" in
  '' | *[!0-9]*) echo "idle.sh: SECONDS must be a whole number of seconds, got '$IDLE_SECS'" >&2; exit 2 ;;
esac
command -v tmux >/dev/null || { echo "idle.sh: tmux is needed (apt-get install tmux)" >&2; exit 2; }

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin dms-cockpit
BIN="$PWD/target/release/dms-cockpit"
[[ -n "${CARGO_TARGET_DIR:-}" ]] && BIN="$CARGO_TARGET_DIR/release/dms-cockpit"

WORK="$(mktemp -d -t dmsc-idle.XXXXXX)"
SOCKET="dmsc-idle-$$"
PIDS=()
cleanup() {
  tmux -L "$SOCKET" kill-server 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

TICK="$(getconf CLK_TCK)"

# utime+stime of PID in clock ticks. The command name may hold spaces and
# parentheses, so the fields are counted from after its closing ')'.
cpu_ticks() {
  local stat rest
  stat="$(cat "/proc/$1/stat")"
  rest="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$rest"
}

hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Runs the cockpit with extra lab arguments "$2" in session "$1"; sets
# CPU_IDLE (ticks in the window), CPU_START (ticks before it), HWM, RSS.
measure() {
  local name="$1" extra="$2" pid deadline before after
  tmux -L "$SOCKET" new-session -d -s "$name" -x 80 -y 24 \
    "exec env TERM=xterm-256color '$BIN' lab --data-dir '$WORK/$name' --log-file '$WORK/$name.log' $extra"
  pid="$(tmux -L "$SOCKET" display-message -p -t "$name" '#{pane_pid}')"
  PIDS+=("$pid")
  # Up means: the screen shows the lab and both tasks have been described.
  deadline=$((SECONDS + 20))
  until tmux -L "$SOCKET" capture-pane -p -t "$name" | grep -q 'lab-backward'; do
    if ((SECONDS > deadline)); then
      echo "idle.sh: the cockpit ($name) did not draw the lab within 20 s; screen:" >&2
      tmux -L "$SOCKET" capture-pane -p -t "$name" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  before="$(cpu_ticks "$pid")"
  sleep "$IDLE_SECS"
  after="$(cpu_ticks "$pid")"
  CPU_START="$before"
  CPU_IDLE=$((after - before))
  HWM="$(hwm_kib "$pid")"
  RSS="$(rss_kib "$pid")"
  tmux -L "$SOCKET" send-keys -t "$name" q
}

report() {
  awk -v label="$1" -v start="$2" -v idle="$3" -v hwm="$4" -v rss="$5" -v tick="$TICK" -v secs="$IDLE_SECS" 'BEGIN {
    printf "%-22s CPU %6.2f s in %d s = %5.2f %% of one core (startup %.2f s);  max RSS %6.1f MiB (now %.1f MiB)\n",
      label, idle / tick, secs, 100 * idle / tick / secs, start / tick, hwm / 1024, rss / 1024
  }'
}

echo "dms-cockpit lab, 80x24 in tmux, default refresh (1 s), ${IDLE_SECS} s without a key press"
echo "CPU clock tick: 1/${TICK} s; CPU time = utime+stime of every thread"
measure quiet ""
Q_START=$CPU_START Q_IDLE=$CPU_IDLE Q_HWM=$HWM Q_RSS=$RSS
report "lab, no traffic:" "$Q_START" "$Q_IDLE" "$Q_HWM" "$Q_RSS"
measure traffic "--traffic 20"
T_START=$CPU_START T_IDLE=$CPU_IDLE T_HWM=$HWM T_RSS=$RSS
report "lab, --traffic 20:" "$T_START" "$T_IDLE" "$T_HWM" "$T_RSS"
awk -v qi="$Q_IDLE" -v ti="$T_IDLE" -v qh="$Q_HWM" -v th="$T_HWM" 'BEGIN {
  if (qi > 0) cpu = sprintf("%.1fx", ti / qi); else cpu = "n/a (no tick used when idle)";
  printf "ratio traffic/no traffic: CPU %s, max RSS %.2fx\n", cpu, th / qh
}'
