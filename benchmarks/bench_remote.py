"""Benchmark: the report of a home over SSH (loopback sshd, one multiplexed connection) against
the report of the same home locally. Target: remote ≤ 1.3× local, connecting and closing
included (what a user waits for).

Needs root (it starts a throwaway sshd and user account, like tests/remote).

    python benchmarks/bench_remote.py [--runs 5] [--probes] [--cli]

With --cli the whole command is timed instead, as a user runs it: `goenv-tui report --json` against
`goenv-tui report --json --ssh root@host` (python's start and imports included; the CLI connects
while it imports the diagnosis core).
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
from tests.remote.conftest import SSHServer, start_sshd, stop_sshd  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--probes", action="store_true", help="with the go, gopls and dlv probes")
    ap.add_argument("--cli", action="store_true", help="time the goenv-tui command end to end")
    args = ap.parse_args()
    proc, server = start_sshd()
    try:
        for rel, text in FILES.items():
            path = server.home / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.lstrip("\n"))
        subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)
        if args.cli:
            cli(server, args)
            return
        opts = TraceOptions(home=str(server.home), shells=("bash", "zsh"), login_shell="/bin/bash")
        local, remote, connect, close = [], [], [], []
        diagnose(LocalHost(), opts, probes=args.probes)  # warm both sides' caches alike
        # As the home's owner, as a user connects to diagnose their own home: sshd runs the login
        # shell of whoever connects, and root's startup files on this machine (pyenv init: ~0.1 s
        # per connection) are not what is measured.
        target = f"{server.user}@goenvtest"
        with SSHHost(target, server.options()) as host:
            diagnose(host, opts, probes=args.probes)
        for _ in range(args.runs):
            t = time.perf_counter()
            diagnose(LocalHost(), opts, probes=args.probes)
            local.append(time.perf_counter() - t)
            t = time.perf_counter()
            host = SSHHost(target, server.options())
            c = time.perf_counter()
            diagnose(host, opts, probes=args.probes)
            e = time.perf_counter()
            host.close()
            remote.append(time.perf_counter() - t)
            connect.append(c - t)
            close.append(time.perf_counter() - e)
        floor = []
        for _ in range(args.runs):  # what any remote command costs: one ssh login, nothing of ours
            t = time.perf_counter()
            subprocess.run(["ssh", *server.options(), target, "true"], capture_output=True, timeout=60)
            floor.append(time.perf_counter() - t)
        lo, re_ = statistics.median(local), statistics.median(remote)
        fl = statistics.median(floor)
        co, cl = statistics.median(connect), statistics.median(close)
        label = "with probes" if args.probes else "without probes"
        print(f"local report ({label}):  median {lo * 1000:.0f} ms")
        print(f"remote report ({label}): median {re_ * 1000:.0f} ms, connecting ({co * 1000:.0f} ms) and closing "
              f"({cl * 1000:.0f} ms) included")
        print(f"ratio remote / local: {re_ / lo:.2f}x (target <= 1.3x)")
        print(f"a bare `ssh {target} true`: median {fl * 1000:.0f} ms; remote without it / local: "
              f"{(re_ - fl) / lo:.2f}x")
    finally:
        stop_sshd(proc, server)


def cli(server: SSHServer, args: argparse.Namespace) -> None:
    base = [sys.executable, "-m", "goenv_tui", "report", "--json", "--home", str(server.home), "--shell", "bash,zsh",
            "--login-shell", "/bin/bash", *([] if args.probes else ["--no-probes"])]
    remote_argv = [*base, "--ssh", f"{server.user}@goenvtest", "--ssh-config", server.options()[1]]
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))

    def timed(argv: list[str]) -> float:
        t = time.perf_counter()
        res = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        took = time.perf_counter() - t
        assert res.returncode in (0, 1), res.stderr.decode()[-2000:]  # 1: findings
        return took

    timed(base)  # warm both sides' caches alike
    timed(remote_argv)
    local, remote = [], []
    for _ in range(args.runs):
        local.append(timed(base))
        remote.append(timed(remote_argv))
    lo, re_ = statistics.median(local), statistics.median(remote)
    label = "with probes" if args.probes else "without probes"
    print(f"local `goenv-tui report --json` ({label}):  median {lo * 1000:.0f} ms")
    print(f"remote `goenv-tui report --json --ssh` ({label}): median {re_ * 1000:.0f} ms")
    print(f"ratio remote / local: {re_ / lo:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
