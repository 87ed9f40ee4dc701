"""Go tools not installed, install fixes that can succeed, Go too old for the tools — on real
homes with the real Go 1.26 and Debian's Go 1.19, a local module proxy (file://) for releases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from goenv_tui.collect import toolversions
from goenv_tui.fixes.engine import undo
from goenv_tui.host import LocalHost
from goenv_tui.model import Severity
from tests import gotools
from tests.fixes.test_engine import apply, plan
from tests.homes import Home
from tests.modproxy import NOSUMDB, tools_proxy

GO126 = os.path.dirname(gotools.GO)
GO119 = os.path.dirname(gotools.GO119)


@pytest.fixture(autouse=True)
def _fresh_cache():
    toolversions.clear_cache()
    yield
    toolversions.clear_cache()


def go_home(home: Home, go_dir: str, proxy_url: str, extra: str = "") -> Home:
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{go_dir}:$HOME/go/bin:$PATH"\nexport GOPROXY={proxy_url}\n'
                         f'export GONOSUMDB={NOSUMDB}\n{extra}')
    return home


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def test_no_gopls_no_dlv_is_an_error_with_a_pinned_install(home: Home, tmp_path: Path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19", "v0.11.0": "1.27.0"}, {"v1.27.2": "1.25.0"})
    d = go_home(home, GO126, proxy.url).diagnose(shells=("bash",))
    found = {f.data["tool"]: f for f in fired(d, "GOENV-TOOLS-005")}
    assert set(found) == {"gopls", "dlv"} and all(f.severity is Severity.ERROR for f in found.values())
    assert "bash-sshd-command" in found["gopls"].contexts
    [g] = d.plans[found["gopls"].id]
    # v0.11.0 needs Go 1.27: the newest the context's Go 1.26 can build is v0.10.0 — decided before running anything.
    assert g.argv == (gotools.GO, "install", "golang.org/x/tools/gopls@v0.10.0"), g.argv
    assert "v0.11.0 needs Go 1.27.0" in g.fix.title
    [v] = d.plans[found["dlv"].id]
    assert v.argv[-1] == "github.com/go-delve/delve/cmd/dlv@v1.27.2"


def test_install_fix_runs_clears_the_finding_and_undoes(home: Home, tmp_path: Path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19", "v0.11.0": "1.27.0"})
    # The machine's build cache (shared, concurrency-safe): compiling fmt afresh takes a minute.
    gocache = subprocess.run([gotools.go(), "env", "GOCACHE"], capture_output=True, text=True).stdout.strip()
    go_home(home, GO126, proxy.url, f"export GOMODCACHE={tmp_path}/modcache\nexport GOCACHE={gocache}\n"
                                    "export GOFLAGS=-modcacherw\n")
    d, f, planned = plan(home, "GOENV-TOOLS-005")
    assert f.data["tool"] == "gopls"
    out = apply(home, d, planned)
    assert out.applied and out.cleared, (out.verdict, out.output)
    ran = subprocess.run([home.p("go/bin/gopls")], capture_output=True, text=True).stdout
    assert ran.strip() == "golang.org/x/tools/gopls v0.10.0"
    undo(LocalHost(), home.path, out.entry.id)
    assert not os.path.exists(home.p("go/bin/gopls"))


def test_no_release_builds_with_go_119_so_the_newer_go_installs_it(home: Home, tmp_path: Path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.24", "v0.11.0": "1.27.0"})
    d = go_home(home, GO119, proxy.url).diagnose(shells=("bash",))
    [f] = [x for x in fired(d, "GOENV-TOOLS-005") if x.data["tool"] == "gopls"]
    [p] = d.plans[f.id]
    assert p.argv == (gotools.GO, "install", "golang.org/x/tools/gopls@v0.10.0")
    assert "no gopls release builds with Go 1.19" in p.fix.title and "Go 1.26" in p.fix.title
    assert "GOROOT" not in p.env and p.env["GOTOOLCHAIN"] == "local"


def test_failed_install_shows_the_installers_output(home: Home, tmp_path: Path) -> None:
    # The release is listed (its go.mod says Go 1.19) but its source is gone from the proxy.
    proxy = tools_proxy(tmp_path / "proxy", {})
    proxy.add("golang.org/x/tools/gopls", "v0.10.0", "1.19", zip_ok=False)
    go_home(home, GO126, proxy.url, f"export GOMODCACHE={tmp_path}/modcache\nexport GOFLAGS=-modcacherw\n")
    d = home.diagnose(shells=("bash",))
    [f] = [x for x in fired(d, "GOENV-TOOLS-005") if x.data["tool"] == "gopls"]
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "fix", f.id, "--yes", "--home", home.path,
                          "--shell", "bash", "--login-shell", "/bin/bash"],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_COLOR="1"))
    assert res.returncode != 0
    assert "gopls@v0.10.0" in res.stdout and "zip" in res.stdout.lower(), res.stdout[-2000:]
    assert "The command failed" in res.stdout


def test_gopls_switched_off_or_pointed_elsewhere_is_not_missing(home: Home, tmp_path: Path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19"})
    go_home(home, GO126, proxy.url)
    home.file(".config/Code/User/settings.json", '{"go.useLanguageServer": false}\n')
    d = home.diagnose(shells=("bash",))
    assert [f.data["tool"] for f in fired(d, "GOENV-TOOLS-005")] == ["dlv"]


def test_installed_but_not_on_path_is_not_called_missing(home: Home, tmp_path: Path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19"})
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO126}:$PATH"\nexport GOPROXY={proxy.url}\n')
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    d = home.diagnose(shells=("bash",))
    assert fired(d, "GOENV-TOOLS-005") == []
    assert {f.data["tool"] for f in fired(d, "GOENV-TOOLS-001")} == {"gopls", "dlv"}


@pytest.mark.slow
def test_go_119_too_old_for_real_gopls_and_dlv(home: Home, tmp_path: Path) -> None:
    """Debian's Go 1.19 first on PATH with the real gopls v0.23 and dlv v1.27: dlv refuses it, gopls
    warns — said as "Go 1.19 is not supported", with the PATH line and the Go 1.26 already installed;
    no false GOROOT mismatch although /usr/lib/go-1.19/src is a symlink."""
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO119}:$HOME/go/bin:$PATH"\n')
    d = home.diagnose(shells=("bash",), probes=True)
    old = fired(d, "GOENV-TOOLS-006")
    by_tool = {f.data["tool"]: f for f in old}
    assert set(by_tool) == {"gopls", "dlv"}, [f.title for f in d.findings]
    dlv = by_tool["dlv"]
    assert dlv.severity is Severity.ERROR and dlv.title.startswith("Go 1.19.8 is not supported by this dlv")
    assert [(loc.path, loc.line) for loc in dlv.locations] == [(home.p(".bashrc"), 1)]
    assert f"Go {gotools.go_version(gotools.GO).removeprefix('go')} is already installed at /usr/local/go" in dlv.detail
    assert not fired(d, "GOENV-PROBE-001") and not fired(d, "GOENV-GOROOT-001")
    [fix] = d.plans[dlv.id]
    assert fix.id == "use-newer-go" and f"-export PATH=\"{GO119}:" in fix.fix.preview
    assert f"+export PATH=\"{GO126}:" in fix.fix.preview
