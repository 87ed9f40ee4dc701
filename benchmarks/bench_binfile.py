"""Benchmark: reading format, arch and Go build info from real binaries (no execution).

    python benchmarks/bench_binfile.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.collect.binfile import BUILDINFO_MAGIC, inspect, inspect_bytes  # noqa: E402
from goenv_tui.host import LocalHost  # noqa: E402


def main() -> None:
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True).stdout.strip()
    for path in ("/usr/local/go/bin/go", f"{gopath}/bin/gopls", f"{gopath}/bin/dlv"):
        if not os.path.exists(path):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        parse = [_t(lambda d=data, p=path: inspect_bytes(p, d)) for _ in range(10)]
        full = [_t(lambda p=path: inspect(LocalHost(), p)) for _ in range(5)]
        print(f"{path} ({len(data) / 1e6:.1f} MB): parse median {statistics.median(parse):.1f} ms, "
              f"read+parse median {statistics.median(full):.1f} ms")
    fake = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(44) + (BUILDINFO_MAGIC + b"\0\0") * 200_000
    print(f"3.2 MB of false build-info magic: {statistics.median(_t(lambda: inspect_bytes('/x', fake)) for _ in range(5)):.1f} ms")


def _t(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    main()
