"""The Go checks on real Go installs (the preinstalled Go and Debian's golang-1.19-go), real gopls
and dlv: each fires with its evidence, and stays quiet on a healthy set-up."""

from __future__ import annotations

import os

import pytest

from goenv_tui.model import Severity
from tests import gotools
from tests.homes import Home

GOBIN_DIR = os.path.dirname(gotools.GO)


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def locs(f, home: Home):
    return [(loc.path.replace(home.path, "~"), loc.line) for loc in f.locations]


def go_home(home: Home, extra: str = "", path: str | None = None) -> Home:
    """Go installed the documented way, in ~/.profile and ~/.bashrc (read by every bash context)."""
    path = path or f"{GOBIN_DIR}:$HOME/go/bin"
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{path}:$PATH"\n{extra}')
    return home


def with_tools(home: Home) -> Home:
    home.dir("go/bin")
    home.symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    return home


def test_healthy_go_home_has_no_errors_or_warnings(home: Home) -> None:
    d = with_tools(go_home(home)).diagnose()
    assert [(f.id, f.title) for f in d.findings if f.severity is not Severity.INFO] == []
    res = d.facts.resolutions["bash-sshd-command"]
    assert res["go"].resolved.path == gotools.GO and res["gopls"].resolved.path == home.p("go/bin/gopls")


def test_goroot_points_at_another_go(home: Home) -> None:
    d = go_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\n").diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GOROOT-001")
    assert f.severity is Severity.ERROR and locs(f, home) == [("~/.bashrc", 2)]
    assert "go1.19" in f.title and gotools.go_version(gotools.GO) in f.title


def test_goroot_set_but_not_needed(home: Home) -> None:
    d = go_home(home, f"export GOROOT={gotools.goroot_of(gotools.GO)}\n").diagnose(shells=("bash",))
    assert fired(d, "GOENV-GOROOT-001") == []
    [f] = fired(d, "GOENV-GOROOT-002")
    assert f.severity is Severity.INFO and locs(f, home) == [("~/.bashrc", 2)]


def test_gopath_equal_to_goroot(home: Home) -> None:
    d = go_home(home, f"export GOPATH={gotools.goroot_of(gotools.GO)}\n").diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GOROOT-003")
    assert f.severity is Severity.ERROR and locs(f, home) == [("~/.bashrc", 2)]


def test_no_go_anywhere(home: Home) -> None:
    home.file(".bashrc", "export GOFLAGS=-v\n")
    assert len(fired(home.diagnose(shells=("bash",)), "GOENV-GO-001")) == 1


def test_go_missing_in_sshd_only(home: Home) -> None:
    home.file(".bashrc", f"case $- in *i*) ;; *) return;; esac\nexport PATH={GOBIN_DIR}:$PATH\n")
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GO-002")
    assert "bash-sshd-command" in f.title
    assert fired(d, "GOENV-GO-001") == []


def test_several_go_versions(home: Home) -> None:
    d = go_home(home, path=f"{os.path.dirname(gotools.go119())}:{GOBIN_DIR}").diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GO-003")
    assert f.severity is Severity.WARNING and "go1.19" in f.title
    assert any("(shadowed)" in c for c in f.chain)


def test_gobin_not_on_path(home: Home) -> None:
    d = go_home(home, 'export GOBIN="$HOME/tools"\n').diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GOBIN-001")
    assert locs(f, home) == [("~/.bashrc", 2)]


def test_gobin_list(home: Home) -> None:
    d = go_home(home, 'export GOBIN="$HOME/a:$HOME/b"\n').diagnose(shells=("bash",))
    assert [locs(f, home) for f in fired(d, "GOENV-GOBIN-002")] == [[("~/.bashrc", 2)]]


def test_tool_installed_but_not_on_path(home: Home) -> None:
    with_tools(go_home(home, path=GOBIN_DIR))
    d = home.diagnose(shells=("bash",))
    titles = sorted(f.title for f in fired(d, "GOENV-TOOLS-001"))
    assert titles == [f"dlv is installed at ~/go/bin/dlv but not found on PATH in {ids}" for ids in [
        "bash-login-interactive, bash-nologin-interactive, bash-sshd-command"]][:1] + [
        "gopls is installed at ~/go/bin/gopls but not found on PATH in bash-login-interactive, bash-nologin-interactive, bash-sshd-command"]


def test_stale_dlv_built_with_old_go_shadows_new(home: Home, old_dlv: str) -> None:
    home.dir("old")
    home.symlink("old/dlv", old_dlv)
    d = with_tools(go_home(home, path=f"$HOME/old:{GOBIN_DIR}:$HOME/go/bin")).diagnose(shells=("bash",))
    [stale] = fired(d, "GOENV-TOOLS-002")
    assert "v1.20.2" in stale.title and "~/old/dlv" in stale.title
    built = [f for f in fired(d, "GOENV-TOOLS-003") if "dlv" in f.title]
    assert len(built) == 1 and "go1.19" in built[0].title


def test_tool_for_another_cpu(home: Home, tmp_path) -> None:
    arm = gotools.build(tmp_path, "gopls", goarch="arm64")
    home.dir("arm")
    home.symlink("arm/gopls", arm)
    d = go_home(home, path=f"$HOME/arm:{GOBIN_DIR}").diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-TOOLS-004")
    assert "arm64" in f.title and f.severity is Severity.ERROR


@pytest.mark.parametrize("line,check,severity", [
    ("export GO111MODULE=off", "GOENV-MOD-001", Severity.ERROR),
    ("export GO111MODULE=auto", "GOENV-MOD-001", Severity.INFO),
    ("export GOFLAGS=-mod=vendor", "GOENV-MOD-002", Severity.WARNING),
    ("export GOPROXY=off", "GOENV-PROXY-001", Severity.WARNING),
    ("export GOPROXY=https://goproxy.corp.example", "GOENV-PROXY-002", Severity.WARNING),
])
def test_go_settings(home: Home, line: str, check: str, severity: Severity) -> None:
    d = go_home(home, line + "\n").diagnose(shells=("bash",))
    [f] = fired(d, check)
    assert f.severity is severity and locs(f, home) == [("~/.bashrc", 2)]


def test_private_proxy_with_goprivate_is_quiet(home: Home) -> None:
    d = go_home(home, "export GOPROXY=https://goproxy.corp.example\nexport GOPRIVATE=corp.example/*\n").diagnose(shells=("bash",))
    assert fired(d, "GOENV-PROXY-002") == []


def test_settings_from_go_env_w_are_attributed_to_the_file(home: Home) -> None:
    home.file(".config/go/env", "GOFLAGS=-mod=vendor\nGOPROXY=https://proxy.golang.org\n")
    d = go_home(home).diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-MOD-002")
    assert locs(f, home) == [("~/.config/go/env", 1)] and "go env -w" in f.title
    [w] = fired(d, "GOENV-GOENVW-001")
    assert w.chain == ("~/.config/go/env:1 GOFLAGS=-mod=vendor", "~/.config/go/env:2 GOPROXY=https://proxy.golang.org")


def test_toolchain_that_cannot_be_had(home: Home) -> None:
    d = go_home(home, "export GOTOOLCHAIN=go1.99.0\nexport GOPROXY=off\n").diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-TOOLCHAIN-001")
    assert f.severity is Severity.ERROR and locs(f, home) == [("~/.bashrc", 2)]
    d = go_home(home, "export GOTOOLCHAIN=go1.99.0\n").diagnose(shells=("bash",))
    assert [x.severity for x in fired(d, "GOENV-TOOLCHAIN-001")] == [Severity.INFO]


def test_workspace_checks(home: Home, tmp_path) -> None:
    go_home(home)
    ws = tmp_path / "ws"
    (ws / "a").mkdir(parents=True)
    (ws / "b").mkdir()
    (ws / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.22\n")
    (ws / "b" / "go.mod").write_text("module example.com/b\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-WORKSPACE-001")
    assert f.severity is Severity.WARNING and "2 module(s)" in f.title
    (ws / "go.work").write_text("go 1.22\n\nuse (\n\t./a\n\t./gone\n)\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    assert fired(d, "GOENV-WORKSPACE-001") == []
    [w] = fired(d, "GOENV-WORKSPACE-002")
    assert [(loc.path, loc.line) for loc in w.locations] == [(str(ws / "go.work"), 5)]


def test_go_older_than_the_go_line(home: Home, tmp_path) -> None:
    ws = tmp_path / "mod"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    go_home(home, path=os.path.dirname(gotools.go119()))
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-WORKSPACE-003")
    assert f.severity is Severity.ERROR and [(loc.path, loc.line) for loc in f.locations] == [(str(ws / "go.mod"), 3)]
    go_home(home)
    assert fired(home.diagnose(shells=("bash",), workspace=str(ws)), "GOENV-WORKSPACE-003") == []
