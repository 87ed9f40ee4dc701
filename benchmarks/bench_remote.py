"""Benchmark: the report of a home over SSH (loopback sshd) against the report of the same home
locally. Target: remote ≤ 1.3× local, connecting and closing included (what a user waits for).

Needs root (it starts a throwaway sshd and user account, like tests/remote).

    python benchmarks/bench_remote.py [--runs 5] [--skip-probes] [--skip-cli] [--cold-build]

One screen, medians of --runs runs each (local and remote alternate, so both see the same load):
- in-process: diagnose() through LocalHost against SSHHost (connect + diagnose + close), with
  and without the go/gopls/dlv probes;
- the login floor: a bare `ssh owner@host true` (key exchange, authentication, sshd running the
  login shell: what any remote command pays, and what the user's ssh config decides: KEX,
  ciphers), and remote minus that floor ÷ local;
- through the user's own ControlMaster (their config keeps one and it is up): no login at all;
- whole command: `goenv-tui report --json` against the same with `--ssh` (python's start and
  imports included in both; the CLI connects while it imports the core), with and without probes,
  and through the user's master.
--cold-build first empties the remote user's build cache of the tool (GOCACHE of the tool's own
go runs, /tmp/goenv-tui-gocache-<uid> on the remote side: this benchmark's throwaway user's) and
times one remote report with probes, then a second one with that cache warm: the go-build probe's
build and vet steps, cold and warm.
It connects as the home's owner, as a user diagnosing their own home (sshd runs the login shell
of whoever connects; root's startup files on a build machine are not the product).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.bench_report import FILES  # noqa: E402
from goenv_tui.diagnose import diagnose  # noqa: E402
from goenv_tui.host import LocalHost  # noqa: E402
from goenv_tui.host.ssh import SSHHost  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402
from tests.remote.conftest import SSHServer, start_sshd, stop_sshd  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class Bench:
    def __init__(self, server: SSHServer, runs: int) -> None:
        self.server = server
        self.runs = runs
        self.target = f"{server.user}@goenvtest"
        self.opts = TraceOptions(home=str(server.home), shells=("bash", "zsh"), login_shell="/bin/bash")
        self.lines: list[str] = []

    def inproc(self, probes: bool, options: list[str]) -> tuple[float, float, float, float, float]:
        """Medians: local, remote, connecting, closing, and a bare login timed beside each run
        (so that remote minus the login compares runs made under the same load)."""
        local, remote, connect, close, floor = [], [], [], [], []
        diagnose(LocalHost(), self.opts, probes=probes)  # warm both sides' caches alike
        with SSHHost(self.target, options) as host:
            diagnose(host, self.opts, probes=probes)
        for _ in range(self.runs):
            t = time.perf_counter()
            diagnose(LocalHost(), self.opts, probes=probes)
            local.append(time.perf_counter() - t)
            t = time.perf_counter()
            host = SSHHost(self.target, options)
            c = time.perf_counter()
            diagnose(host, self.opts, probes=probes)
            e = time.perf_counter()
            host.close()
            remote.append(time.perf_counter() - t)
            connect.append(c - t)
            close.append(time.perf_counter() - e)
            floor.append(self.login(options))
        return tuple(statistics.median(x) for x in (local, remote, connect, close, floor))  # type: ignore[return-value]

    def login(self, options: list[str]) -> float:
        """A bare `ssh host true` (through the user's master when their config keeps one up)."""
        t = time.perf_counter()
        subprocess.run(["ssh", *options, self.target, "true"], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t

    def cli(self, probes: bool, config: str) -> tuple[float, float]:
        base = [sys.executable, "-m", "goenv_tui", "report", "--json", "--home", str(self.server.home),
                "--shell", "bash,zsh", "--login-shell", "/bin/bash", *([] if probes else ["--no-probes"])]
        remote_argv = [*base, "--ssh", self.target, "--ssh-config", config]
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
        for _ in range(self.runs):
            local.append(timed(base))
            remote.append(timed(remote_argv))
        return statistics.median(local), statistics.median(remote)

    def row(self, label: str, local: float, remote: float, note: str = "") -> None:
        self.lines.append(f"{label:<50} {ms(local):>8} {ms(remote):>8} {remote / local:6.2f}x  {note}")


def user_master_config(server: SSHServer) -> tuple[str, str]:
    """An ssh config that keeps a master per host (as users write it); returns (config, folder)."""
    folder = tempfile.mkdtemp(prefix="goenv-cm-")
    config = os.path.join(folder, "config")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(f"Host goenvtest\n  ControlMaster auto\n  ControlPath {folder}/%C\n  ControlPersist 600\n"
                 + server.config.read_text())
    return config, folder


def cold_build(b: Bench) -> list[str]:
    """The remote go-build probe with the tool's build cache empty, then warm (one run each)."""
    import pwd

    uid = pwd.getpwnam(b.server.user).pw_uid
    cache = f"{tempfile.gettempdir()}/goenv-tui-gocache-{uid}"
    if os.path.isdir(cache) and os.stat(cache).st_uid == uid:  # the throwaway user's own, nobody else's
        shutil.rmtree(cache)
    out = []
    for label in ("cold", "warm"):
        with SSHHost(b.target, b.server.options()) as host:
            t = time.perf_counter()
            d = diagnose(host, b.opts, probes=True)
            took = time.perf_counter() - t
        for p in d.facts.probes:
            if p.tool == "go" and p.status != "skipped":  # skipped: a context without go
                steps = ", ".join(f"{k.removesuffix('_ms')} {v / 1000:.1f} s" for k, v in p.timings.items())
                out.append(f"remote go-build probe, {label} build cache: {p.status}, {(p.duration_ms or 0) / 1000:.1f} s "
                           f"({steps}; {p.detail}); whole remote report {took:.1f} s")
    return list(dict.fromkeys(out))  # contexts that share a go share its probe


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-probes", action="store_true", help="only the runs without probes")
    ap.add_argument("--skip-cli", action="store_true", help="only the in-process runs")
    ap.add_argument("--cold-build", action="store_true",
                    help="only: the remote go-build probe with the tool's build cache emptied, then warm")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    proc, server = start_sshd()
    config, folder = user_master_config(server)
    try:
        for rel, text in FILES.items():
            path = server.home / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.lstrip("\n"))
        subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)
        b = Bench(server, args.runs)
        if args.cold_build:
            lines = cold_build(b)
            print(f"bench_remote --cold-build: load {load0:.2f} before, {os.getloadavg()[0]:.2f} after; "
                  f"{os.cpu_count()} cores")
            print("\n".join(lines))
            return
        own = server.options()
        b.login(own)
        lines = b.lines
        floors = []
        kinds = [False] if args.skip_probes else [False, True]
        for probes in kinds:
            label = "probes" if probes else "no probes"
            lo, re_, co, cl, fl = b.inproc(probes, own)
            floors.append(fl)
            b.row(f"in-process, {label}", lo, re_, f"(connect {ms(co)}, close {ms(cl)})")
            b.row("  remote minus a bare login timed beside it", lo, re_ - fl, f"(login {ms(fl)})")
        # The user's own master: started the way ssh starts one for them (their first `ssh host cmd`).
        subprocess.run(["ssh", "-F", config, b.target, "true"], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL, check=True)
        for probes in kinds:
            label = "probes" if probes else "no probes"
            lo, re_, co, cl, _ = b.inproc(probes, ["-F", config])
            b.row(f"in-process, {label}, via the user's master", lo, re_, f"(connect {ms(co)}, close {ms(cl)})")
        if not args.skip_cli:
            for probes in kinds:
                label = "probes" if probes else "no probes"
                lo, re_ = b.cli(probes, str(server.config))
                b.row(f"whole command, {label}", lo, re_)
                lo, re_ = b.cli(probes, config)
                b.row(f"whole command, {label}, via the user's master", lo, re_)
        subprocess.run(["ssh", "-F", config, "-O", "exit", b.target], capture_output=True, timeout=30)
        load1 = os.getloadavg()[0]
        version = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip().split(",")[0]
        print(f"bench_remote: {args.runs} runs each, medians; load {load0:.2f} before, {load1:.2f} after; "
              f"{os.cpu_count()} cores; {version}")
        print(f"bare `ssh {b.target} true` (the login floor: KEX, auth, login shell), median beside the "
              f"in-process runs: {', '.join(ms(f) for f in floors)}")
        print(f"{'':<50} {'local':>8} {'remote':>8} {'ratio':>7}  (target <= 1.3x)")
        for line in lines:
            print(line)
    finally:
        subprocess.run(["ssh", "-F", config, "-O", "exit", f"{server.user}@goenvtest"], capture_output=True, timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        stop_sshd(proc, server)


if __name__ == "__main__":
    main()
