"""The seed articles' other stories, on real homes with real bash and the real Go: CRLF startup
files, GOBIN inside GOROOT, a GOROOT that is a dangling link."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from goenv_tui.fixes.engine import undo
from goenv_tui.host import LocalHost
from goenv_tui.model import Severity
from tests import gotools
from tests.fixes.test_engine import apply, plan
from tests.homes import Home

GO126 = os.path.dirname(gotools.GO)


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def tools(home: Home) -> Home:
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '. "$HOME/.bashrc"\n')
    return home


def test_crlf_startup_file_names_the_line_endings_and_converts_it(home: Home) -> None:
    tools(home).raw(".bashrc", b'export GOROOT=/usr/local/go\r\nexport PATH="$GOROOT/bin:$HOME/go/bin:$PATH"\r\n')
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-CRLF-001")
    assert f.severity is Severity.ERROR and "CRLF" in f.title and "'/usr/local/go\\r'" in f.detail
    assert [(loc.path, loc.line) for loc in f.locations][:2] == [(home.p(".bashrc"), 1), (home.p(".bashrc"), 2)]
    # Not the misleading "GOROOT does not exist" / "PATH entry does not exist".
    assert not fired(d, "GOENV-GODIR-001") and not fired(d, "GOENV-PATH-005")
    original = Path(home.p(".bashrc")).read_bytes()
    d, f, planned = plan(home, "GOENV-CRLF-001", "crlf-to-lf")
    out = apply(home, d, planned)
    assert out.applied and out.cleared, out.verdict
    assert Path(home.p(".bashrc")).read_bytes() == original.replace(b"\r\n", b"\n")
    assert out.after is not None and not fired(out.after, "GOENV-GO-001")
    undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p(".bashrc")).read_bytes() == original


def test_gobin_inside_goroot(home: Home, tmp_path: Path) -> None:
    # A private copy of a Go layout (a link to the real bin), so GOBIN can point inside it.
    root = tmp_path / "goroot"
    root.mkdir()
    for name in os.listdir("/usr/local/go"):
        os.symlink(f"/usr/local/go/{name}", root / name)
    tools(home).file(".bashrc", f'export PATH="{root}/bin:$HOME/go/bin:$PATH"\nexport GOBIN={root}/bin\n')
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GOBIN-003")
    assert f.severity is Severity.WARNING and [(loc.path, loc.line) for loc in f.locations] == [(home.p(".bashrc"), 2)]


def test_goroot_dangling_symlink_says_where_it_points(home: Home, tmp_path: Path) -> None:
    tools(home).symlink("sdk/go", str(tmp_path / "go1.21-removed"))
    home.file(".bashrc", f'export GOROOT="$HOME/sdk/go"\nexport PATH="{GO126}:$HOME/go/bin:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-GODIR-001")
    assert f"a symbolic link to {tmp_path}/go1.21-removed, which is gone" in f.title


def test_healthy_symlinked_goroot_and_homebrew_layout_have_no_problems(home: Home, tmp_path: Path) -> None:
    """GOROOT reached through links (Homebrew's opt/go/libexec → Cellar/go/X/libexec): no mismatch."""
    cellar = tmp_path / "brew" / "Cellar" / "go" / "1.26.8"
    cellar.mkdir(parents=True)
    os.symlink("/usr/local/go", cellar / "libexec")
    (tmp_path / "brew" / "opt").mkdir()
    os.symlink("../Cellar/go/1.26.8", tmp_path / "brew" / "opt" / "go")
    libexec = tmp_path / "brew" / "opt" / "go" / "libexec"
    tools(home).file(".bashrc", f'export GOROOT="{libexec}"\nexport PATH="$GOROOT/bin:$HOME/go/bin:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    assert [(f.check, f.title) for f in d.findings if f.severity is not Severity.INFO] == []


def gowork_home(home: Home, tmp_path: Path, work_go: str) -> Path:
    tools(home).file(".bashrc", f'export PATH="{GO126}:$HOME/go/bin:$PATH"\nexport GOTOOLCHAIN=local\n')
    ws = tmp_path / "ws"
    (ws / "a").mkdir(parents=True)
    (ws / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.21\n")
    (ws / "a" / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    (ws / "go.work").write_text(f"go {work_go}\n\nuse ./a\n")
    return ws


def test_gowork_requires_newer_go_points_at_its_go_line(home: Home, tmp_path: Path) -> None:
    ws = gowork_home(home, tmp_path, "1.99")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-WORKSPACE-004")
    assert f.severity is Severity.ERROR and [(loc.path, loc.line) for loc in f.locations] == [(str(ws / "go.work"), 1)]
    original = (ws / "go.work").read_bytes()
    d, f, planned = plan(home, "GOENV-WORKSPACE-004", "go-work-go-line", workspace=str(ws))
    assert planned.argv[1:] == ("work", "edit", "-go=1.21")
    out = apply(home, d, planned, workspace=str(ws))
    assert out.applied and out.cleared, (out.verdict, out.output)
    assert (ws / "go.work").read_text().startswith("go 1.21\n")
    undo(LocalHost(), home.path, out.entry.id)
    assert (ws / "go.work").read_bytes() == original


def test_healthy_go_work_has_no_problems(home: Home, tmp_path: Path) -> None:
    ws = gowork_home(home, tmp_path, "1.21")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    assert [(f.check, f.title) for f in d.findings if f.severity is not Severity.INFO] == []


@pytest.mark.slow
def test_gopls_probe_go_work_failure_links_to_go_work_not_a_reinstall(home: Home, tmp_path: Path) -> None:
    ws = gowork_home(home, tmp_path, "1.99")
    d = home.diagnose(shells=("bash",), workspace=str(ws), probes=True)
    probes = [f for f in fired(d, "GOENV-PROBE-001")]
    assert probes, [(f.check, f.title) for f in d.findings]
    for f in probes:
        assert f.data["classification"] == "gowork-version", f.title
        assert (str(ws / "go.work"), 1) in [(loc.path, loc.line) for loc in f.locations]
        assert [p.id for p in d.plans.get(f.id, [])] == ["go-work-go-line"]


@pytest.mark.slow
def test_healthy_setups_with_probes_have_no_errors_or_warnings(home: Home, tmp_path: Path) -> None:
    """Debian's Go (GOROOT reached through its src link), a GOROOT path with a space (gopls
    percent-encodes it), a go.work workspace: 0 errors, 0 warnings with gopls, dlv and go probed."""
    spaced = tmp_path / "Go SDK"
    os.symlink("/usr/local/go", spaced)
    ws = gowork_home(home, tmp_path, "1.21")
    # The machine's build cache: a cold one makes `go build` of the probe take minutes on 2 cores.
    gocache = subprocess.run([gotools.go(), "env", "GOCACHE"], capture_output=True, text=True).stdout.strip()
    home.file(".bashrc", f'export GOROOT="{spaced}"\nexport PATH="$GOROOT/bin:$HOME/go/bin:$PATH"\n'
                         f"export GOTOOLCHAIN=local\nexport GOCACHE={gocache}\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws), probes=True)
    assert [(f.check, f.title) for f in d.findings if f.severity is not Severity.INFO] == []
    assert {p.tool for p in d.facts.probes if p.status == "ok"} == {"go", "gopls", "dlv"}
