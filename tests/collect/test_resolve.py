"""Resolution of go/gopls/dlv per context, with real Go installs, real symlink chains and loops."""

from __future__ import annotations

import os

from goenv_tui.collect.resolve import follow
from goenv_tui.host import LocalHost
from tests import gotools
from tests.homes import Home


def _res(home: Home, context: str = "bash-nologin-interactive"):
    d = home.diagnose(shells=("bash",))
    return d, d.facts.resolutions[context]


def test_execvp_order_records_shadowed_candidates(home: Home) -> None:
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go119())}:{os.path.dirname(gotools.go())}:$PATH"\n')
    _, res = _res(home)
    go = res["go"]
    assert go.resolved.path == gotools.go119()
    assert [c.path for c in go.candidates][:2] == [gotools.go119(), gotools.go()]
    first, second = go.candidates[:2]
    assert first.goroot == gotools.goroot_of(gotools.go119()) and first.go_install_version.startswith("go1.19")
    assert second.go_install_version == gotools.go_version(gotools.go())
    assert first.info.arch == "amd64" and first.info.format == "elf"


def test_symlink_chain_hop_by_hop(home: Home) -> None:
    home.dir("bin").dir("links")
    home.symlink("links/go-current", gotools.go())
    home.symlink("bin/go", "../links/go-current")
    home.file(".bashrc", 'export PATH="$HOME/bin:$PATH"\n')
    _, res = _res(home)
    c = res["go"].resolved
    assert c.path == home.p("bin/go")
    assert c.chain[:3] == (home.p("bin/go"), home.p("links/go-current"), gotools.go())
    assert c.realpath == os.path.realpath(gotools.go()) and c.problem is None


def test_broken_link_and_loop_are_candidates_not_hangs(home: Home) -> None:
    home.dir("bin")
    home.symlink("bin/gopls", "gopls-a").symlink("bin/gopls-a", "gopls")
    home.symlink("bin/dlv", "/nonexistent/dlv")
    home.file(".bashrc", f'export PATH="$HOME/bin:{os.path.dirname(gotools.gopls())}:$PATH"\n')
    _, res = _res(home)
    loop = res["gopls"].candidates[0]
    assert (loop.path, loop.problem, loop.executable) == (home.p("bin/gopls"), "loop", False)
    assert res["gopls"].resolved.path == gotools.gopls()  # execvp moves on to the next entry
    broken = res["dlv"].candidates[0]
    assert (broken.problem, broken.chain) == ("broken-link", (home.p("bin/dlv"), "/nonexistent/dlv"))


def test_not_executable_and_directory_are_skipped(home: Home) -> None:
    home.file("bin/go", "#!/bin/sh\n", mode=0o644).dir("bin2/go")
    home.file(".bashrc", f'export PATH="$HOME/bin:$HOME/bin2:{os.path.dirname(gotools.go())}:$PATH"\n')
    _, res = _res(home)
    probs = [(c.path, c.problem) for c in res["go"].candidates[:2]]
    assert probs == [(home.p("bin/go"), "not-executable"), (home.p("bin2/go"), "not-a-file")]
    assert res["go"].resolved.path == gotools.go()


def test_tools_module_version_and_builder(home: Home) -> None:
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.gopls())}:{os.path.dirname(gotools.go())}:$PATH"\n')
    _, res = _res(home)
    gopls = res["gopls"].resolved
    assert gopls.info.module_path == "golang.org/x/tools/gopls" and gopls.info.module_version.startswith("v0.")
    assert gopls.info.go_version.startswith("go1.")
    assert res["dlv"].resolved.info.module_path == "github.com/go-delve/delve"


def test_shims_are_named(home: Home) -> None:
    home.dir(".asdf/shims")
    home.file(".asdf/shims/go", "#!/usr/bin/env bash\nexec asdf exec go \"$@\"\n", mode=0o755)
    home.file(".bashrc", 'export PATH="$HOME/.asdf/shims:$PATH"\n')
    _, res = _res(home)
    c = res["go"].resolved
    assert c.shim == "asdf" and c.info.format == "script" and c.info.interpreter == "/usr/bin/env bash"


def test_follow_never_hangs_on_long_chains(tmp_path) -> None:
    for i in range(60):
        os.symlink(f"l{i + 1}", tmp_path / f"l{i}")
    chain, real, problem = follow(LocalHost(), str(tmp_path / "l0"))
    assert problem == "loop" and real is None and len(chain) <= 42
