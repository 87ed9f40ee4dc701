"""Benchmark: trying fixes on a private copy (issue 11) on the demo home, against a full diagnosis.

Every edit fix the demo home offers is tried (private overlay home, only the affected contexts
traced, the rest of the diagnosis re-run) without the cache; the figure is the time per trial,
and the same again from the cache (what the fix dialog and `F` pay the second time).

Target: a trial costs at most one full diagnosis of the home (it traces fewer contexts).

    python benchmarks/bench_trial.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.demo import build_demo_home  # noqa: E402
from goenv_tui.diagnose import diagnose  # noqa: E402
from goenv_tui.fixes.trial import run_trial  # noqa: E402
from goenv_tui.host import LocalHost  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    host = LocalHost()
    with tempfile.TemporaryDirectory(prefix="bench-trial-") as tmp:
        opts = TraceOptions(home=build_demo_home(tmp), shells=("bash", "zsh", "fish"), login_shell="/bin/bash")
        full: list[float] = []
        per: dict[str, list[float]] = {}
        cached: list[float] = []
        for _ in range(args.runs):
            t0 = time.monotonic()
            d = diagnose(host, opts)
            full.append(time.monotonic() - t0)
            for f in d.findings:
                for p in d.plans.get(f.id, []):
                    if p.argv:
                        continue
                    t0 = time.monotonic()
                    t = run_trial(host, opts, None, d, p, use_cache=False)
                    per.setdefault(f"{p.id} ({len(t.contexts)} ctx, {'safe' if t.safe else 'not safe'})", []).append(
                        time.monotonic() - t0)
                    t0 = time.monotonic()
                    run_trial(host, opts, None, d, p)
                    run_trial(host, opts, None, d, p)
                    cached.append(time.monotonic() - t0)
        print(f"full diagnosis (3 shells, all contexts): median {statistics.median(full):.2f}s")
        for name, times in per.items():
            print(f"trial {name}: median {statistics.median(times):.2f}s")
        allt = [x for v in per.values() for x in v]
        print(f"trials: median {statistics.median(allt):.2f}s, max {max(allt):.2f}s; "
              f"cached (2 lookups): median {statistics.median(cached) * 1000:.2f}ms")
        return 0 if statistics.median(allt) <= statistics.median(full) else 1


if __name__ == "__main__":
    raise SystemExit(main())
