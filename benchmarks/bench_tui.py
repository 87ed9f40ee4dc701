"""Benchmark: the full-screen app on the demo home — time to first paint, and to every finding
shown (headless, 80x24).

    python benchmarks/bench_tui.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.demo import build_demo_home  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402
from goenv_tui.ui.app import GoenvApp  # noqa: E402


async def once(home: str) -> tuple[float, float]:
    start = time.monotonic()
    app = GoenvApp(TraceOptions(home=home, login_shell="/bin/bash"), stable=True)
    app.started = start
    async with app.run_test(size=(80, 24)) as pilot:
        while app.diagnosis is None:
            await pilot.pause(0.005)
        await pilot.pause()
        shown = time.monotonic() - start
    return app.first_paint or 0.0, shown


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    home = build_demo_home()
    asyncio.run(once(home))  # warm-up
    results = [asyncio.run(once(home)) for _ in range(args.runs)]
    paint = statistics.median(r[0] for r in results)
    ready = statistics.median(r[1] for r in results)
    print(f"demo home, 9 contexts: first paint median {paint * 1000:.0f} ms; all findings shown median {ready * 1000:.0f} ms")


if __name__ == "__main__":
    main()
