"""Modules not downloaded yet vs downloads blocked vs a private module without GOPRIVATE, with the
real go and a local module proxy (file://)."""

from __future__ import annotations

import os
from pathlib import Path

from goenv_tui.model import Severity
from tests import gotools
from tests.fixes.test_engine import apply, plan
from tests.homes import Home
from tests.modproxy import ModProxy

GO126 = os.path.dirname(gotools.GO)


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def setup(home: Home, tmp_path: Path, extra: str = "", requires: str = "example.com/lib v1.0.0") -> Path:
    proxy = ModProxy(tmp_path / "proxy").add("example.com/lib", "v1.0.0", "1.21")
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO126}:$HOME/go/bin:$PATH"\nexport GOPROXY={proxy.url}\n'
                         f"export GONOSUMDB=example.com,git.corp.example\nexport GOMODCACHE={tmp_path}/modcache\n"
                         f"export GOFLAGS=-modcacherw\n{extra}")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text(f"module example.com/app\n\ngo 1.21\n\nrequire (\n\t{requires}\n)\n")
    (ws / "main.go").write_text('package main\n\nfunc main() {}\n')
    return ws


def test_fresh_clone_is_not_downloaded_yet_and_go_mod_download_fixes_it(home: Home, tmp_path: Path) -> None:
    ws = setup(home, tmp_path)
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-MODDL-001")
    assert f.severity is Severity.WARNING and not fired(d, "GOENV-MODDL-002")
    assert [(loc.path, loc.line) for loc in f.locations] == [(str(ws / "go.mod"), 6)]
    # Asking wrote nothing into the module cache the home uses.
    assert not (tmp_path / "modcache").exists()
    d, f, planned = plan(home, "GOENV-MODDL-001", "go-mod-download", workspace=str(ws))
    assert planned.argv[1:] == ("mod", "download") and planned.cwd == str(ws)
    out = apply(home, d, planned, workspace=str(ws))
    assert out.applied and out.cleared, (out.verdict, out.output)
    assert (tmp_path / "modcache" / "example.com" / "lib@v1.0.0").is_dir()


def test_goproxy_off_is_blocked_in_gos_words(home: Home, tmp_path: Path) -> None:
    ws = setup(home, tmp_path, "export GOPROXY=off\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-MODDL-002")
    assert f.severity is Severity.ERROR and "GOPROXY=off" in f.detail and not fired(d, "GOENV-MODDL-001")
    assert any("GOPROXY=off (set at" in line for line in f.chain)


def test_private_module_without_goprivate(home: Home, tmp_path: Path) -> None:
    ws = setup(home, tmp_path, requires="example.com/lib v1.0.0\n\tgit.corp.example/team/x v1.2.0")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-MODDL-003")
    assert "GOPRIVATE=git.corp.example/*" in f.title and [(loc.line) for loc in f.locations] == [7]
    assert not fired(d, "GOENV-MODDL-002")


def test_healthy_private_modules_and_vendor_and_go_work(home: Home, tmp_path: Path) -> None:
    """GOPRIVATE names the private module, both modules already downloaded; then offline with
    vendor/ (nothing downloaded at all); then a go.work over the module: 0 errors, 0 warnings."""
    ws = setup(home, tmp_path, "export GOPRIVATE=git.corp.example\n",
               requires="example.com/lib v1.0.0\n\tgit.corp.example/team/x v1.2.0")
    for m in ("example.com/lib@v1.0.0", "git.corp.example/team/x@v1.2.0"):
        (tmp_path / "modcache" / m).mkdir(parents=True)
    d = home.diagnose(shells=("bash",), workspace=str(ws), probes=False)
    assert [(f.check, f.title) for f in d.findings if f.severity is not Severity.INFO] == []
    import shutil

    shutil.rmtree(tmp_path / "modcache")
    (ws / "vendor").mkdir()
    (ws / "vendor" / "modules.txt").write_text("# example.com/lib v1.0.0\n## explicit\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    assert [(f.check, f.title) for f in d.findings if f.severity is not Severity.INFO] == []
