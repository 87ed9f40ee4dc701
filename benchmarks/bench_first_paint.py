"""Benchmark: first paint of `goenv-tui` as a user meets it, from the moment the command starts to
the first frame on a real terminal (a pty, 80x24), the interpreter start and every import
included. Target: 0.5 s (issue 17).

    python benchmarks/bench_first_paint.py [--runs 7] [--wizard]

It runs this checkout's `python -m goenv_tui --demo --no-probes` (or `wizard --demo`) in a pty,
waits for text of the first frame (the tab bar's "Findings"; "How do you run" in the
wizard), then quits with `q`. Printed: the median and the range over the runs, and the CPU time
the process had used by the first frame (from /proc; steady when the machine is busy, where the
wall clock is not).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: unlike the wall clock, it hardly
    changes when other work loads the machine."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def once(wizard: bool) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=ROOT, TERM="xterm-256color", COLUMNS="80", LINES="24")
    args = ["-m", "goenv_tui", "wizard", "--demo", "--start-over"] if wizard else ["-m", "goenv_tui", "--demo", "--no-probes"]
    start = time.monotonic()
    # cwd=ROOT: `python -m` puts the working directory first on sys.path, so this checkout's
    # goenv_tui runs, not the one of wherever the benchmark was started from.
    child = pexpect.spawn(sys.executable, args, env=env, cwd=ROOT, dimensions=(24, 80), encoding="utf-8", timeout=30)
    try:
        # Text that only the first frame has (the window title also says "goenv-tui").
        child.expect("How do you run" if wizard else "Findings")
        painted = time.monotonic() - start
        cpu = cpu_seconds(child.pid)
        child.send("q")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    return painted, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--wizard", action="store_true")
    args = ap.parse_args()
    once(args.wizard)  # warm-up: the page cache, .pyc files
    runs = [once(args.wizard) for _ in range(args.runs)]
    times, cpus = [r[0] for r in runs], [r[1] for r in runs]
    what = "goenv-tui wizard --demo" if args.wizard else "goenv-tui --demo --no-probes"
    print(f"{what}: first paint median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; CPU used by then: median "
          f"{statistics.median(cpus) * 1000:.0f} ms; {args.runs} runs, 80x24 pty, load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
