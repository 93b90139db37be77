#!/usr/bin/env bash
# Regenerates the pictures in assets/ from their sources:
#   architecture  assets/architecture.svg (hand-written) -> architecture.png
#   screen        the real release binary on the lab in a 100x30 tmux
#                 terminal, after a heartbeat as SITEA, the forward task
#                 started and a heartbeat as SITEB -> screen.txt (plain
#                 `tmux capture-pane -p`) and screen.png (the same capture
#                 with its colours, via ansi2svg.py and rsvg-convert)
#
# Usage: bash assets/regenerate.sh [architecture|screen|all]   (default all)
# Needs: tmux, python3, rsvg-convert and the DejaVu fonts
#   (apt-get install tmux librsvg2-bin fonts-dejavu-core).
# The screen run uses its own tmux server on a private socket and a
# temporary lab, both removed on exit.
set -euo pipefail

what="${1:-all}"
case "$what" in
  architecture | screen | all) ;;
  *) echo "regenerate.sh: unknown picture '$what': expected architecture, screen or all" >&2; exit 2 ;;
esac
for tool in rsvg-convert python3; do
  command -v "$tool" >/dev/null || { echo "regenerate.sh: $tool is needed (see the header of this script)" >&2; exit 2; }
done

cd "$(dirname "$0")/.."
ASSETS="$PWD/assets"

architecture() {
  rsvg-convert -w 1560 "$ASSETS/architecture.svg" -o "$ASSETS/architecture.png"
  echo "wrote assets/architecture.png"
}

screen() {
  command -v tmux >/dev/null || { echo "regenerate.sh: tmux is needed" >&2; exit 2; }
  cargo build --release --quiet --bin dms-cockpit
  local bin="${CARGO_TARGET_DIR:-$PWD/target}/release/dms-cockpit"
  local work socket=dmsc-assets-$$ w=100 h=30
  work="$(mktemp -d -t dmsc-assets.XXXXXX)"
  # shellcheck disable=SC2064 # expand now: the names are fixed for this run
  trap "tmux -L '$socket' kill-server 2>/dev/null || true; rm -rf '$work'" EXIT

  tmux -L "$socket" new-session -d -s cockpit -x "$w" -y "$h" \
    "exec env TERM=xterm-256color '$bin' lab --data-dir '$work/lab' --log-file '$work/cockpit.log'"
  wait_for() { # TEXT: waits up to 20 s for TEXT on the screen
    local deadline=$((SECONDS + 20))
    until tmux -L "$socket" capture-pane -p -t cockpit | grep -qF -- "$1"; do
      if ((SECONDS > deadline)); then
        echo "regenerate.sh: '$1' did not appear within 20 s; screen:" >&2
        tmux -L "$socket" capture-pane -p -t cockpit >&2
        exit 1
      fi
      sleep 0.2
    done
  }
  keys() { tmux -L "$socket" send-keys -t cockpit "$@"; }

  wait_for "lab-backward"
  keys a
  wait_for "as SITEA inserted into database a"
  keys 1
  keys s
  # The first start shows its checklist (database b's heartbeat table is
  # empty, so it passes) and waits for y.
  wait_for "the heartbeat table in database b is empty"
  keys y
  wait_for "start-replication accepted"
  wait_for "● running"
  wait_for "100%"
  wait_for "⇄ replicated"
  keys b
  wait_for "as SITEB inserted into database b"
  wait_for "1000000000 "
  sleep 1.5

  # The plain and the coloured capture must show the same characters:
  # take both until they do (a refresh may land between the two).
  local plain="$work/plain.txt" colour="$work/colour.ans" tries=0
  while :; do
    tmux -L "$socket" capture-pane -p -t cockpit >"$plain"
    tmux -L "$socket" capture-pane -p -e -t cockpit >"$colour"
    if diff -q <(sed -e 's/\x1b\[[0-9;]*m//g' -e 's/[[:space:]]*$//' "$colour") \
      <(sed -e 's/[[:space:]]*$//' "$plain") >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    ((tries < 10)) || { echo "regenerate.sh: the screen kept changing between captures" >&2; exit 1; }
    sleep 0.3
  done
  keys q
  cp "$plain" "$ASSETS/screen.txt"
  python3 "$ASSETS/ansi2svg.py" "$colour" "$w" "$h" >"$work/screen.svg"
  rsvg-convert -z 1.5 "$work/screen.svg" -o "$ASSETS/screen.png"
  echo "wrote assets/screen.txt and assets/screen.png"
}

case "$what" in
  architecture) architecture ;;
  screen) screen ;;
  all) architecture; screen ;;
esac
