"""The seed articles' other stories, on real homes with real bash and the real Go: CRLF startup
files, GOBIN inside GOROOT, a GOROOT that is a dangling link."""

from __future__ import annotations

import os
from pathlib import Path

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
