"""The scratch module probes build, debug and open: created fresh in a temp dir on the host, with
a `go` line the context's go can build, and removed afterwards."""

from __future__ import annotations

import re

from goenv_tui.host import Host

MAIN_GO = """package main

import "fmt"

func main() {
\tanswer := 42
\tfmt.Println("goenv-tui probe", answer)
}
"""
# Where `Println` is in MAIN_GO (0-based line and character), for hover/definition.
PRINTLN = (6, 5)
# The line of `answer := 42` and a later line to stop at, for dlv.
ANSWER_LINE = 7


def go_line(go_version: str | None) -> str:
    m = re.search(r"go(\d+)\.(\d+)", go_version or "")
    if not m:
        return "1.18"
    return f"{m.group(1)}.{m.group(2)}"


def make_scratch(host: Host, go_version: str | None = None) -> str:
    """Create the module; returns its directory. The caller removes it (host.remove_tree)."""
    d = host.make_temp_dir("goenv-tui-probe-")
    host.write_atomic(f"{d}/go.mod", f"module goenvprobe\n\ngo {go_line(go_version)}\n".encode())
    host.write_atomic(f"{d}/main.go", MAIN_GO.encode())
    return d
