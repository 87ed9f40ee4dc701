"""Command fixes with the real go: `go env -u`, `go mod init`, `go work edit -dropuse`,
`go install` of dlv with the context's go — each backed up first, so it undoes like an edit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from goenv_tui.fixes.engine import undo
from goenv_tui.host import LocalHost
from tests import gotools
from tests.fixes.test_engine import apply, plan
from tests.homes import Home

GO_DIR = os.path.dirname(gotools.GO)


def go_rc(home: Home, extra: str = "") -> Home:
    home.file(".bashrc", f'export PATH="{GO_DIR}:$HOME/go/bin:$PATH"\nexport GOTOOLCHAIN=local\n{extra}')
    return home


def test_go_env_u_removes_a_go_env_w_value(home: Home) -> None:
    go_rc(home)
    home.file(".config/go/env", "GOPROXY=off\nGOPRIVATE=example.com/*\n")
    original = Path(home.p(".config/go/env")).read_bytes()
    d, f, planned = plan(home, "GOENV-PROXY-001", "go-env-u-GOPROXY")
    assert planned.argv[1:] == ("env", "-u", "GOPROXY") and planned.fix.kind == "command"
    out = apply(home, d, planned)
    assert out.applied and out.cleared, out.verdict
    assert Path(home.p(".config/go/env")).read_text() == "GOPRIVATE=example.com/*\n"
    undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p(".config/go/env")).read_bytes() == original


def test_go_mod_init_in_a_folder_with_go_files(home: Home, tmp_path: Path) -> None:
    go_rc(home)
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "main.go").write_text("package main\n\nfunc main() {}\n")
    d, f, planned = plan(home, "GOENV-WORKSPACE-001", "go-mod-init", workspace=str(ws))
    out = apply(home, d, planned, workspace=str(ws))
    assert out.applied and out.cleared, out.verdict
    assert (ws / "go.mod").read_text().startswith("module example.com/proj\n")
    undo(LocalHost(), home.path, out.entry.id)
    assert not (ws / "go.mod").exists()


def test_go_work_dropuse(home: Home, tmp_path: Path) -> None:
    go_rc(home)
    ws = tmp_path / "w"
    (ws / "a").mkdir(parents=True)
    (ws / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.21\n")
    (ws / "go.mod").write_text("module example.com/w\n\ngo 1.21\n")
    (ws / "go.work").write_text("go 1.21\n\nuse (\n\t.\n\t./a\n\t./gone\n)\n")
    original = (ws / "go.work").read_bytes()
    d, f, planned = plan(home, "GOENV-WORKSPACE-002", "go-work-dropuse", workspace=str(ws))
    out = apply(home, d, planned, workspace=str(ws))
    assert out.applied and out.cleared, out.verdict
    assert "./gone" not in (ws / "go.work").read_text() and "./a" in (ws / "go.work").read_text()
    undo(LocalHost(), home.path, out.entry.id)
    assert (ws / "go.work").read_bytes() == original


@pytest.mark.slow
def test_go_install_dlv_with_the_contexts_go(home: Home, old_dlv: str) -> None:
    """A dlv built with go1.19 on PATH: the fix reinstalls it with the context's go (streamed output)."""
    old = old_dlv
    cache = subprocess.run([gotools.go(), "env", "GOMODCACHE", "GOCACHE"], capture_output=True, text=True).stdout.split()
    home.dir("go/bin")
    Path(home.p("go/bin/dlv")).write_bytes(Path(old).read_bytes())
    os.chmod(home.p("go/bin/dlv"), 0o755)
    go_rc(home, f"export GOMODCACHE={cache[0]}\nexport GOCACHE={cache[1]}\nexport GOFLAGS=-mod=mod\n")
    old_bytes = Path(home.p("go/bin/dlv")).read_bytes()
    d, f, planned = plan(home, "GOENV-TOOLS-003", "install-dlv")
    # Pinned to the newest release this Go can build (asked of the proxy), not @latest.
    assert planned.argv[0] == gotools.GO and planned.argv[1] == "install"
    assert planned.argv[2].startswith("github.com/go-delve/delve/cmd/dlv@v1.")
    lines: list[str] = []
    from goenv_tui.fixes.engine import apply_fix
    from goenv_tui.shells.tracer import TraceOptions

    out = apply_fix(LocalHost(), TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash"), None, d,
                    planned, on_line=lines.append)
    assert out.applied and out.cleared, (out.verdict, lines[-5:])
    assert lines[-1] == "(exit status 0)"
    new = subprocess.run([gotools.GO, "version", home.p("go/bin/dlv")], capture_output=True, text=True).stdout
    assert gotools.go_version(gotools.GO) in new
    undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p("go/bin/dlv")).read_bytes() == old_bytes
