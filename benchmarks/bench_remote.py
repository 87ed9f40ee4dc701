"""Benchmark: the report of a home over SSH (loopback sshd, one multiplexed connection) against
the report of the same home locally. Target: remote ≤ 1.5× local.

Needs root (it starts a throwaway sshd and user account, like tests/remote).

    python benchmarks/bench_remote.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.bench_report import FILES  # noqa: E402
from goenv_tui.diagnose import diagnose  # noqa: E402
from goenv_tui.host import LocalHost  # noqa: E402
from goenv_tui.host.ssh import SSHHost  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402
from tests.remote.conftest import start_sshd  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    proc, server = start_sshd()
    try:
        for rel, text in FILES.items():
            path = server.home / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.lstrip("\n"))
        subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)
        opts = TraceOptions(home=str(server.home), shells=("bash", "zsh"), login_shell="/bin/bash")
        local, remote, connect = [], [], []
        diagnose(LocalHost(), opts)
        for _ in range(args.runs):
            t = time.perf_counter()
            diagnose(LocalHost(), opts)
            local.append(time.perf_counter() - t)
            t = time.perf_counter()
            with SSHHost("root@goenvtest", server.options()) as host:  # the same user as the local run
                c = time.perf_counter()
                diagnose(host, opts)
                remote.append(time.perf_counter() - c)
            connect.append(c - t)
        lo, re_, co = statistics.median(local), statistics.median(remote), statistics.median(connect)
        print(f"local report:  median {lo * 1000:.0f} ms")
        print(f"remote report: median {re_ * 1000:.0f} ms over one connection ({re_ / lo:.2f}x local, target <= 1.5x)"
              f"; connecting once: {co * 1000:.0f} ms")
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
