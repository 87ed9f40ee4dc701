"""Benchmark: building the environment graph and asking it questions, on the demo home and on
homes with more and more startup files (build time should grow linearly with files +
assignments), plus the size of `goenv-tui graph` exports.

    python benchmarks/bench_graph.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.diagnose import diagnose  # noqa: E402
from goenv_tui.graph import EnvGraph  # noqa: E402
from goenv_tui.graph_export import export  # noqa: E402
from goenv_tui.host import LocalHost  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402


def _t(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def measure(label: str, home: str) -> None:
    d = diagnose(LocalHost(), TraceOptions(home=home, shells=("bash", "zsh"), timeout=10, login_shell="/bin/bash"))
    g = d.graph
    build = statistics.median(_t(lambda: EnvGraph.from_facts(d.facts)) for _ in range(7))
    cids = g.g.graph["contexts"]
    queries = statistics.median(_t(lambda: [
        (g.set_by("PATH", c), g.why_runs(c, "go"), g.differences(cids[0], c)) for c in cids]) for _ in range(5))
    assignments = sum(len(t.assignments) for t in d.facts.contexts)
    files = len({f.path for t in d.facts.contexts for f in t.files})
    sizes = {fmt: len(export(g, fmt, home=home)) for fmt in ("json", "graphml", "dot")}
    print(f"{label}: {files} files, {assignments} assignments → {g.g.number_of_nodes()} nodes, "
          f"{g.g.number_of_edges()} edges; build median {build:.1f} ms; set_by+why_runs+differences "
          f"for {len(cids)} contexts {queries:.1f} ms; export json {sizes['json'] / 1024:.0f} KiB, "
          f"graphml {sizes['graphml'] / 1024:.0f} KiB, dot {sizes['dot'] / 1024:.0f} KiB")


def main() -> None:
    from goenv_tui.demo import build_demo_home

    home = build_demo_home()
    try:
        measure("demo home", home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for n in (10, 40, 160):
        home = tempfile.mkdtemp(prefix="goenv-tui-bench-graph-")
        try:
            os.makedirs(f"{home}/.bashrc.d")
            for i in range(n):
                with open(f"{home}/.bashrc.d/{i:03}.sh", "w") as fh:
                    fh.write(f'export PATH="$HOME/t{i}/bin:$PATH"\nexport GOFLAGS=-p={i}\n')
            with open(f"{home}/.bashrc", "w") as fh:
                fh.write('for f in ~/.bashrc.d/*.sh; do . "$f"; done\n')
            measure(f"{n} files in ~/.bashrc.d", home)
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
