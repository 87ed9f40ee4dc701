"""Hostile startup files: unreadable, binary, invalid UTF-8, huge, symlink loops. A clear status
or finding each time, never a crash."""

from __future__ import annotations

import os

from goenv_tui.model import TraceStatus
from tests.homes import Home, changes


def _finding(d, check: str, path: str):
    return [f for f in d.findings if f.check == check and any(loc.path == path for loc in f.locations)]


def test_symlink_loop_among_startup_files(home: Home) -> None:
    home.symlink(".loop1", ".loop2").symlink(".loop2", ".loop1").symlink(".bashrc", ".loop1")
    d = home.diagnose(shells=("bash",))
    assert all(c.status is TraceStatus.OK for c in d.facts.contexts)
    found = _finding(d, "GOENV-TRACE-003", home.p(".bashrc"))
    assert len(found) == 1 and "symlink" in found[0].title


def test_dangling_symlink_and_directory_in_place_of_a_file(home: Home) -> None:
    home.symlink(".zshrc", "dotfiles/zshrc-that-moved").dir(".bashrc")
    d = home.diagnose()
    assert len(_finding(d, "GOENV-TRACE-003", home.p(".zshrc"))) == 1
    assert len(_finding(d, "GOENV-TRACE-003", home.p(".bashrc"))) == 1


def test_binary_garbage(home: Home) -> None:
    home.raw(".bashrc", bytes(range(256)) * 64 + b"\nexport GOFLAGS=-v\n")
    d = home.diagnose(shells=("bash",))
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert t.status is TraceStatus.OK
    # bash gives up on the file at the first syntax error: the export after the garbage never runs.
    assert "GOFLAGS" not in t.env
    found = _finding(d, "GOENV-TRACE-003", home.p(".bashrc"))
    assert len(found) == 1 and "binary" in found[0].title


def test_invalid_utf8(home: Home) -> None:
    home.raw(".bashrc", b"# caf\xe9 latin-1 comment\nexport GOPROXY=direct\n")
    d = home.diagnose(shells=("bash",))
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert changes(t, "GOPROXY", home) == [("~/.bashrc", 2, "export", "direct")]
    assert "UTF-8" in _finding(d, "GOENV-TRACE-003", home.p(".bashrc"))[0].title


def test_ten_megabyte_startup_file(home: Home) -> None:
    filler = ("# " + "x" * 97 + "\n") * (10 * 1024 * 1024 // 100)
    home.file(".bashrc", filler + "export GOROOT=/opt/big\n")
    lines = filler.count("\n") + 1
    d = home.diagnose(shells=("bash",), timeout=20)
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert t.status is TraceStatus.OK
    assert changes(t, "GOROOT", home) == [("~/.bashrc", lines, "export", "/opt/big")]
    big = [f for f in d.findings if f.check == "GOENV-TRACE-003" and "very large" in f.title]
    assert len(big) == 1


def test_unreadable_file_is_reported_not_crashed_on(home: Home) -> None:
    home.file(".bashrc", "export GOFLAGS=-v\n", mode=0)
    d = home.diagnose(shells=("bash",))
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert t.status is TraceStatus.OK
    if os.geteuid() == 0 and "GOFLAGS" in t.env:
        # root read it (no user namespace in the way): nothing to report, nothing crashed.
        assert t.env["GOFLAGS"] == "-v"
    else:
        assert "GOFLAGS" not in t.env
