"""The gopls probe against the real gopls and Go: a passing LSP session, and each failure that can
be produced for real here, classified from gopls's own words, with nothing left running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from goenv_tui.host import LocalHost
from goenv_tui.probes.gopls import probe_gopls
from tests import gotools

pytestmark = pytest.mark.slow


def env_for(home: Path, path: str | None = None, **extra: str) -> dict[str, str]:
    env = {"PATH": path if path is not None else f"{os.path.dirname(gotools.go())}:/usr/bin:/bin",
           "HOME": str(home), "GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPATH": str(home / "go")}
    env.update(extra)
    return env


def nothing_left(marker: str) -> None:
    time.sleep(0.05)
    alive = []
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            text = " ".join(p.info["cmdline"] or []) + " ".join((p.info["environ"] or {}).values())
            if marker in text and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.info["cmdline"])
        except psutil.Error:
            continue
    assert alive == []


def module(tmp: Path, name: str, gomod: str, main: str) -> Path:
    d = tmp / name
    d.mkdir()
    (d / "go.mod").write_text(gomod)
    (d / "main.go").write_text(main)
    return d


def test_passing_session(tmp_path: Path) -> None:
    lines: list[str] = []
    r = probe_gopls(LocalHost(), gotools.gopls(), env_for(tmp_path), "ctx", timeout=60,
                    expected_goroot=gotools.goroot_of(gotools.go()), on_line=lines.append)
    assert r.status == "ok", (r.detail, r.messages)
    assert r.version and r.version.startswith("v0.")
    assert set(r.timings) >= {"initialize_ms", "first_diagnostics_ms", "definition_ms", "hover_ms"}
    assert r.timings["initialize_ms"] <= r.timings["first_diagnostics_ms"] <= r.timings["hover_ms"]
    assert "print.go" in r.detail
    assert lines == list(r.transcript) and any("→ initialize" in ln for ln in lines)
    nothing_left(str(tmp_path))


def test_go_missing_from_path(tmp_path: Path) -> None:
    r = probe_gopls(LocalHost(), gotools.gopls(), env_for(tmp_path, path="/usr/bin:/bin"), "ctx", timeout=60)
    assert (r.status, r.classification) == ("fail", "go-not-found")
    assert any('"go": executable file not found in $PATH' in m for m in r.messages)
    nothing_left(str(tmp_path))


def test_goroot_pointing_at_the_other_go(tmp_path: Path) -> None:
    env = env_for(tmp_path, GOROOT=gotools.goroot_of(gotools.go119()))
    r = probe_gopls(LocalHost(), gotools.gopls(), env, "ctx", timeout=60, expected_goroot=gotools.goroot_of(gotools.go()))
    assert (r.status, r.classification) == ("fail", "goroot-mismatch")
    assert gotools.goroot_of(gotools.go119()) in r.detail
    nothing_left(str(tmp_path))


def test_mod_vendor_without_vendor_dir(tmp_path: Path) -> None:
    ws = module(tmp_path, "ws", "module example.com/ws\n\ngo 1.21\n\nrequire example.com/dep v0.0.0\n\n"
                "replace example.com/dep => ./dep\n",
                'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n)\n\nfunc main() { fmt.Println(dep.X) }\n')
    (ws / "dep").mkdir()
    (ws / "dep" / "go.mod").write_text("module example.com/dep\n\ngo 1.21\n")
    (ws / "dep" / "dep.go").write_text("package dep\n\nconst X = 1\n")
    r = probe_gopls(LocalHost(), gotools.gopls(), env_for(tmp_path, GOFLAGS="-mod=vendor"), "ctx", str(ws), timeout=60)
    assert (r.status, r.classification) == ("fail", "module-blocked")
    assert any("inconsistent vendoring" in m or "-mod=vendor" in m for m in r.messages)
    nothing_left(str(tmp_path))


def test_goproxy_off_with_a_missing_dependency(tmp_path: Path) -> None:
    ws = module(tmp_path, "ws", "module example.com/ws\n\ngo 1.21\n\nrequire example.com/notincache v1.0.0\n",
                'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/notincache"\n)\n\nfunc main() { fmt.Println(notincache.X) }\n')
    r = probe_gopls(LocalHost(), gotools.gopls(), env_for(tmp_path, GOPROXY="off"), "ctx", str(ws), timeout=60)
    assert (r.status, r.classification) == ("fail", "module-blocked")
    # gopls reports the import it could not resolve; the GOPROXY=off finding names the cause.
    assert any("no required module provides package \"example.com/notincache\"" in m for m in r.messages)
    nothing_left(str(tmp_path))


def _fake(tmp: Path, body: str) -> str:
    path = tmp / "fake-gopls"
    path.write_text(f'#!/bin/sh\nif [ "$1" = version ]; then exec {gotools.gopls()} version; fi\n{body}\n')
    path.chmod(0o755)
    return str(path)


def test_gopls_killed_mid_handshake(tmp_path: Path) -> None:
    gopls = _fake(tmp_path, f"exec timeout -s KILL 0.3 {gotools.gopls()} \"$@\"")
    r = probe_gopls(LocalHost(), gopls, env_for(tmp_path), "ctx", timeout=30)
    assert (r.status, r.classification) == ("fail", "crash")
    nothing_left(str(tmp_path))


def test_hang_times_out_and_nothing_remains(tmp_path: Path) -> None:
    gopls = _fake(tmp_path, "exec sleep 6091")
    start = time.monotonic()
    r = probe_gopls(LocalHost(), gopls, env_for(tmp_path), "ctx", timeout=2)
    assert (r.status, r.classification) == ("timeout", "timeout")
    assert time.monotonic() - start < 10
    nothing_left("sleep 6091")
    nothing_left(str(tmp_path))
