"""Benchmark: how long `goenv-tui report` takes on homes whose startup never finishes (issue 13.9,
issue 10's "an endless loop costs up to 60 s per context"), and what it costs in CPU.

Homes: a ~/.bashrc and a ~/.zshrc that source themselves, a bash function that calls itself, an
endless `while true` loop in ~/.bashrc and in ~/.zshrc, every one of them at once (all shells), and,
for contrast, a long but finite loop (slow, not endless: it must run to its end and be `ok`).
Each is reported with `--timeout 5` (the default) and `--no-probes`; wall time and the CPU time of
goenv-tui and every process it started (RUSAGE_CHILDREN) are printed, with the context statuses
and the runaway finding's title.

Bound (issue 13.9): a self-sourcing ~/.bashrc under 45 s; tracing as a whole within
max(60, 12 × --timeout) s whatever the home.

    python benchmarks/bench_runaway.py [--runs 3] [--home NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HOMES: dict[str, tuple[str, dict[str, str]]] = {
    "self-sourcing-bashrc": ("bash", {".bashrc": "export GOFLAGS=-v\n. ~/.bashrc\n"}),
    "self-sourcing-zshrc": ("zsh", {".zshrc": "export GOFLAGS=-v\n. ~/.zshrc\n"}),
    "bash-function-recursion": ("bash", {".bashrc": "export GOFLAGS=-v\nf() {\n  f\n}\nf\n"}),
    "bash-endless-loop": ("bash", {".bashrc": "export GOFLAGS=-v\nwhile true; do\n  x=1\ndone\n"}),
    "zsh-endless-loop": ("zsh", {".zshrc": "export GOFLAGS=-v\nwhile true; do\n  x=1\ndone\n"}),
    "all-at-once": ("bash,zsh", {".bashrc": "export GOFLAGS=-v\n. ~/.bashrc\n",
                                 ".zshrc": "while true; do\n  x=1\ndone\n",
                                 ".profile": "f() {\n  f\n}\nf\n"}),
    "finite-slow-loop": ("bash", {".bashrc": "i=0\nwhile [ $i -lt 100000 ]; do\n  i=$((i+1))\ndone\n"
                                             "export GOFLAGS=-v\n"}),
}


def build(name: str) -> str:
    home = tempfile.mkdtemp(prefix=f"goenv-bench-{name}-")
    for rel, text in HOMES[name][1].items():
        with open(os.path.join(home, rel), "w") as fh:
            fh.write(text)
    return home


def once(name: str, home: str) -> tuple[float, float, dict]:
    shells = HOMES[name][0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--home", home,
                          "--shell", shells, "--login-shell", f"/bin/{shells.split(',')[0]}", "--timeout", "5"],
                         capture_output=True, text=True, timeout=600,
                         cwd=os.path.join(os.path.dirname(__file__), "..")).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--home", choices=sorted(HOMES))
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name in [args.home] if args.home else list(HOMES):
        home = build(name)
        try:
            runs = [once(name, home) for _ in range(args.runs)]
        finally:
            shutil.rmtree(home, ignore_errors=True)
        walls = [r[0] for r in runs]
        cpus = [r[1] for r in runs]
        doc = runs[-1][2]
        statuses = ", ".join(f"{c['id'].split('-', 1)[1]}={c['status']}" for c in doc["contexts"]
                             if c["status"] != "ok")
        titles = [f["title"] for f in doc["findings"] if f["check"] == "GOENV-TRACE-001"]
        print(f"{name:24s} wall median {statistics.median(walls):5.1f}s (max {max(walls):5.1f}s)  "
              f"cpu median {statistics.median(cpus):5.1f}s  not ok: {statuses or 'none'}")
        for t in titles:
            print(f"{'':24s}   {t}")


if __name__ == "__main__":
    main()
