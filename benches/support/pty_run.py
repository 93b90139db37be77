"""Runs a full-screen program in a pseudo-terminal and measures it from the
outside, as a person at a terminal would see it. Used by benches/live.sh
(`tui` and `idle`) and benches/soak.sh; the screen is emulated with pyte,
so a "frame" is what the terminal would show, not what the program says it
drew.

  pty_run.py frame RUNS COLS ROWS FIRST READY COUNT -- CMD...
      RUNS times: spawn CMD, note when the screen first matches the regex
      FIRST (the first frame) and when READY matches COUNT times (e.g. both
      tasks' status), then press q (or kill). Prints one JSON object with
      the medians in milliseconds.

  pty_run.py idle SECONDS COLS ROWS -- CMD...
      Spawn CMD, keep reading its output for SECONDS, then stop it (q,
      then SIGTERM) and print its CPU seconds (user+system of it and every
      process it waited for: `watch` waits for the script it runs), over
      the whole run and over the window after a 10 s warm-up, and the
      largest resident set among them (ru_maxrss), as JSON.

  pty_run.py soak SECONDS COLS ROWS EVERY -- CMD...
      Like idle, and also samples CMD's resident set (VmRSS) every EVERY
      seconds: JSON with the samples, the mean of the second minute and of
      the last minute, and their ratio.
"""

import fcntl
import json
import os
import pty
import re
import resource
import select
import signal
import statistics
import struct
import sys
import termios
import time

import pyte


def spawn(cmd, cols, rows):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def read_some(fd, timeout):
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:
        return None


def stop(pid, fd):
    try:
        os.write(fd, b"q")
    except OSError:
        pass
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        read_some(fd, 0.05)
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)


def frame(runs, cols, rows, first, ready, count, cmd):
    first_re, ready_re = re.compile(first), re.compile(ready)
    firsts, readies = [], []
    for _ in range(runs):
        screen = pyte.Screen(cols, rows)
        stream = pyte.ByteStream(screen)
        start = time.monotonic()
        pid, fd = spawn(cmd, cols, rows)
        t_first = t_ready = None
        while t_ready is None and time.monotonic() - start < 20:
            data = read_some(fd, 0.5)
            if data is None:
                break
            if not data:
                continue
            stream.feed(data)
            text = "\n".join(screen.display)
            now = time.monotonic()
            if t_first is None and first_re.search(text):
                t_first = now
            if t_first is not None and len(ready_re.findall(text)) >= count:
                t_ready = now
        stop(pid, fd)
        os.close(fd)
        if t_first is None or t_ready is None:
            sys.exit(f"pty_run: no {'first frame' if t_first is None else 'ready frame'} within 20 s from {cmd}; screen:\n" + "\n".join(screen.display))
        firsts.append((t_first - start) * 1000)
        readies.append((t_ready - start) * 1000)
    print(json.dumps({
        "first_ms": round(statistics.median(firsts), 1),
        "ready_ms": round(statistics.median(readies), 1),
        "first_all": [round(x, 1) for x in firsts],
        "ready_all": [round(x, 1) for x in readies],
    }))


def cpu_ticks(pid):
    """utime+stime of pid and of the children it has waited for."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15])


WARM_UP = 10.0


def idle(seconds, cols, rows, cmd):
    """CPU over the whole run (startup included) and over the window after
    a 10 s warm-up (what sitting idle costs), and the peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tick = os.sysconf("SC_CLK_TCK")
    pid, fd = spawn(cmd, cols, rows)
    start = time.monotonic()
    end = start + seconds
    warm = None
    while time.monotonic() < end:
        if read_some(fd, 0.5) is None:
            break
        if warm is None and time.monotonic() - start >= WARM_UP:
            warm = (time.monotonic(), cpu_ticks(pid))
    last = (time.monotonic(), cpu_ticks(pid))
    stop(pid, fd)
    os.close(fd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    window = last[0] - warm[0]
    window_cpu = (last[1] - warm[1]) / tick
    print(json.dumps({
        "seconds": seconds,
        "cpu_s": round(cpu, 3),
        "core_pct": round(100 * cpu / seconds, 2),
        "idle_window_s": round(window, 1),
        "idle_cpu_s": round(window_cpu, 3),
        "idle_core_pct": round(100 * window_cpu / window, 2),
        "max_rss_mib": round(after.ru_maxrss / 1024, 1),
    }))


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def soak(seconds, cols, rows, every, cmd):
    pid, fd = spawn(cmd, cols, rows)
    start = time.monotonic()
    samples = []
    next_sample = start + every
    while time.monotonic() - start < seconds:
        if read_some(fd, 0.5) is None:
            break
        if time.monotonic() >= next_sample:
            kib = rss_kib(pid)
            if kib is not None:
                samples.append((round(time.monotonic() - start, 1), kib))
            next_sample += every
    stop(pid, fd)
    os.close(fd)

    def mean_mib(lo, hi):
        xs = [k for t, k in samples if lo <= t < hi]
        return round(statistics.mean(xs) / 1024, 2) if xs else None

    second = mean_mib(60, 120)
    last = mean_mib(seconds - 60, seconds + 1)
    print(json.dumps({
        "seconds": seconds,
        "second_minute_mib": second,
        "last_minute_mib": last,
        "last_over_second": round(last / second, 3) if second and last else None,
        "samples_mib": [(t, round(k / 1024, 1)) for t, k in samples],
    }))


def main():
    args = sys.argv[1:]
    split = args.index("--")
    opts, cmd = args[:split], args[split + 1:]
    if opts[0] == "frame":
        runs, cols, rows, first, ready, count = opts[1:7]
        frame(int(runs), int(cols), int(rows), first, ready, int(count), cmd)
    elif opts[0] == "idle":
        seconds, cols, rows = opts[1:4]
        idle(float(seconds), int(cols), int(rows), cmd)
    elif opts[0] == "soak":
        seconds, cols, rows, every = opts[1:5]
        soak(float(seconds), int(cols), int(rows), float(every), cmd)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
