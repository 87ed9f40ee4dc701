"""The go smoke probe: `go version`, `go env`, then `go build` and `go vet` of a scratch module,
all in one context's environment — so "works in the terminal, fails over Remote-SSH" becomes a
concrete failed build in the right context."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from goenv_tui.host import Host, RunResult
from goenv_tui.model import ProbeResult
from goenv_tui.probes.scratch import make_scratch

CLASSES: list[tuple[str, re.Pattern[str]]] = [
    ("go-not-found", re.compile(r"executable file not found|No such file or directory.*\bgo\b|cannot start", re.I)),
    ("goroot-mismatch", re.compile(r"does not match go tool version|cannot find GOROOT|"
                                   r"package \S+ is not in (std|GOROOT)", re.I)),
    ("cache-not-writable", re.compile(r"GOCACHE is not defined|GOCACHE is not an absolute path|GOCACHE=off|"
                                      r"build cache is (disabled|required)|"
                                      r"(mkdir|open) \S*(go-build|pkg/mod)\S*: (permission denied|read-only file system)|"
                                      r"failed to initialize build cache", re.I)),
    ("go-version", re.compile(r"go\.mod requires go >=|requires go >=|module requires Go \d|toolchain not available",
                              re.I)),
    ("module-blocked", re.compile(r"GOPROXY=off|module lookup disabled|inconsistent vendoring|"
                                  r"cannot find module providing|missing go\.sum entry", re.I)),
    ("no-module", re.compile(r"go\.mod file not found|modules disabled|GO111MODULE=off", re.I)),
]


def classify(text: str) -> str | None:
    for name, pattern in CLASSES:
        if pattern.search(text):
            return name
    return None


def probe_go(host: Host, go: str, env: dict[str, str], context: str, go_version: str | None = None,
             timeout: float = 120.0, on_line: Callable[[str], None] | None = None,
             workdir: str | None = None) -> ProbeResult:
    start = time.monotonic()
    transcript: list[str] = []
    timings: dict[str, float] = {}

    def note(line: str) -> None:
        transcript.append(line)
        if on_line is not None:
            on_line(line)

    def step(argv: list[str], cwd: str | None, name: str) -> tuple[RunResult, str]:
        note(f"$ {' '.join(argv)}")
        left = max(1.0, timeout - (time.monotonic() - start))
        res = host.run(argv, env=env, cwd=cwd, timeout=left)
        out = (res.stdout + res.stderr).decode(errors="replace").strip()
        for line in out.splitlines()[:40]:
            note(f"  {line}")
        timings[f"{name}_ms"] = res.duration_ms
        return res, out

    scratch = None
    version = None
    try:
        res, out = step([go, "version"], None, "version")
        m = re.search(r"go version (go\S+)", out)
        version = m.group(1) if m else None
        if not res.ok:
            return _fail(context, res, out, version, timings, transcript, start, "`go version`")
        res, out = step([go, "env", "GOROOT", "GOCACHE", "GOMODCACHE"], None, "env")
        if not res.ok:
            return _fail(context, res, out, version, timings, transcript, start, "`go env`")
        if workdir is None:
            scratch = make_scratch(host, version or go_version)
        cwd = workdir or scratch
        res, out = step([go, "build", "-o", "/dev/null", "."], cwd, "build")
        if not res.ok:
            return _fail(context, res, out, version, timings, transcript, start, "`go build`")
        res, out = step([go, "vet", "."], cwd, "vet")
        if not res.ok:
            return _fail(context, res, out, version, timings, transcript, start, "`go vet`")
    finally:
        if scratch is not None:
            host.remove_tree(scratch)
    return ProbeResult("go", context, "ok", (time.monotonic() - start) * 1000, version,
                       f"{version}: build and vet of a scratch module passed", None, timings, (), tuple(transcript))


def _fail(context: str, res: RunResult, out: str, version: str | None, timings: dict[str, float],
          transcript: list[str], start: float, what: str) -> ProbeResult:
    status = "timeout" if res.timed_out else "fail"
    classification = "timeout" if res.timed_out else (classify(out + " " + (res.error or "")) or "build-failed")
    first = next((ln for ln in out.splitlines() if ln.strip()), res.error or f"exit status {res.returncode}")
    return ProbeResult("go", context, status, (time.monotonic() - start) * 1000, version,
                       f"{what} failed: {first[:300]}", classification, timings,
                       tuple(ln for ln in out.splitlines() if ln.strip())[:8] or ((res.error,) if res.error else ()),
                       tuple(transcript))
