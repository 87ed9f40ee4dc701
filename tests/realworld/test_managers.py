"""Version managers as their installers leave them (issue 10 item 6): symlinked version folders,
shims, generated environment files, GOROOT set to "" — on the real shells and the real Go."""

from __future__ import annotations

import os

from goenv_tui.frameworks import owned_line, owner_of
from tests import gotools
from tests.homes import Home
from tests.realworld import corpus

REAL_GO = os.path.realpath(gotools.go())
REAL_ROOT = os.path.realpath(gotools.goroot_of(gotools.go()))
VERSION = gotools.go_version(gotools.go())


def _go(d, cid: str):
    return d.facts.resolutions[cid]["go"].resolved


def _checks(d) -> set[str]:
    return {f.check for f in d.findings}


def test_versions_folder_symlink_resolves_to_the_real_go(home: Home) -> None:
    # goenv exec puts ~/.goenv/versions/X/bin on PATH; versions/X is a link to an existing Go.
    corpus.goenv(home, rc_files=())
    home.file(".bashrc", f'export PATH="$HOME/.goenv/versions/{VERSION.removeprefix("go")}/bin:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    c = _go(d, "bash-nologin-interactive")
    assert c.path == home.p(f".goenv/versions/{VERSION.removeprefix('go')}/bin/go")
    assert c.realpath == REAL_GO and c.chain[-1] == REAL_GO
    assert c.goroot == REAL_ROOT and c.go_install_version == VERSION
    assert c.shim == "goenv"


def test_usr_local_go_is_an_install_not_a_shim(home: Home) -> None:
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    c = _go(d, "bash-nologin-interactive")
    assert c.path == gotools.go() and c.shim is None and c.goroot == gotools.goroot_of(gotools.go())


def test_g_layout_resolves_through_folder_links_and_keeps_its_goroot(home: Home) -> None:
    corpus.g(home, rc_files=(".bashrc",))
    d = home.diagnose(shells=("bash",))
    c = _go(d, "bash-nologin-interactive")
    assert c.path == home.p("go/bin/go") and c.chain[1] == home.p(".go/bin/go")
    assert c.realpath == REAL_GO and c.goroot == REAL_ROOT and c.go_install_version == VERSION
    # GOROOT=~/.go is a folder of links to the same Go, and g's own line needs it: neither a
    # mismatch nor "not needed".
    assert not {"GOENV-GOROOT-001", "GOENV-GOROOT-002"} & _checks(d)


def test_goenv_shim_shows_the_go_it_really_runs(home: Home) -> None:
    corpus.goenv(home, rc_files=(".bashrc",))
    d = home.diagnose(shells=("bash",))
    c = _go(d, "bash-nologin-interactive")
    assert c.path == home.p(".goenv/shims/go") and c.info.format == "script" and c.shim == "goenv"
    assert c.goroot == home.p(f".goenv/versions/{VERSION.removeprefix('go')}")
    assert c.go_install_version == VERSION and c.shim_target == REAL_GO
    gofmt = d.facts.resolutions["bash-nologin-interactive"]["gofmt"].resolved
    assert gofmt.goroot == c.goroot and gofmt.shim_target == os.path.join(os.path.dirname(REAL_GO), "gofmt")
    # goenv sets GOROOT on purpose: not "set but not needed", not a mismatch.
    assert not {"GOENV-GOROOT-001", "GOENV-GOROOT-002"} & _checks(d)


def test_asdf_shim_shows_the_go_it_really_runs(home: Home) -> None:
    corpus.asdf(home, rc_files=(".bashrc",))
    d = home.diagnose(shells=("bash",))
    c = _go(d, "bash-nologin-interactive")
    assert c.path == home.p(".asdf/shims/go") and c.shim == "asdf"
    assert c.goroot == home.p(f".asdf/installs/golang/{VERSION.removeprefix('go')}/go")
    assert c.go_install_version == VERSION and c.shim_target == REAL_GO


def test_path_fix_names_the_managers_variable_not_a_version_folder(home: Home) -> None:
    corpus.goenv(home, rc_files=(".bashrc",))
    d = home.diagnose(shells=("bash",))
    gobin = next(f for f in d.findings if f.check == "GOENV-GOBIN-001")
    (plan,) = d.plans[gobin.id]
    (edit,) = plan.edits
    added = [ln for ln in edit.after.splitlines() if ln not in edit.before.splitlines()]
    assert 'export PATH="$PATH:$GOPATH/bin"' in added
    assert not any(VERSION.removeprefix("go") in ln for ln in added if not ln.startswith("#"))


def test_gvm_generated_environment_is_never_edited(home: Home) -> None:
    corpus.gvm(home, rc_files=(".zshrc",))
    # `gvm use` wrote a GOROOT of another Go than the one its PATH runs.
    env = home.root / ".gvm/environments/default"
    env.write_text(env.read_text().replace('GOROOT="$GVM_ROOT/gos/', f'GOROOT="{gotools.goroot_of(gotools.go119())}" #'))
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    mismatch = next(f for f in d.findings if f.check == "GOENV-GOROOT-001")
    assert mismatch.locations[0].path == str(env)
    assert "belongs to gvm" in mismatch.detail and "~/.zshrc:1" in mismatch.detail
    assert mismatch.data["owned_by"] == "gvm" and mismatch.data["user_line"] == "~/.zshrc:1"
    touched = {e.path for plans in d.plans.values() for p in plans for e in p.edits}
    assert not any(p.startswith(home.p(".gvm/")) for p in touched), touched


def test_goroot_set_empty_by_gvm_is_a_finding(home: Home) -> None:
    corpus.gvm(home, default="system-empty", rc_files=(".zshrc",))
    home.file(".zshenv", f'export PATH="$PATH:{os.path.dirname(gotools.go())}"\n')
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    f = next(f for f in d.findings if f.check == "GOENV-MANAGER-001")
    assert f.locations[0].path == home.p(".gvm/environments/default")
    assert 'set to ""' in f.detail and "gvm use" in f.detail and '"/bin"' in f.detail
    assert not d.plans.get(f.id)


def test_ownership_predicate(tmp_path) -> None:
    home = str(tmp_path)
    assert owner_of(home, f"{home}/.gvm/environments/default").framework == "gvm"
    assert owner_of(home, f"{home}/.oh-my-zsh/oh-my-zsh.sh").framework == "oh-my-zsh"
    assert owner_of(home, f"{home}/.zprezto/modules/environment/init.zsh").framework == "prezto"
    # prezto's runcoms are the user's, reached through ~/.zshrc or directly.
    assert owner_of(home, f"{home}/.zshrc", f"{home}/.zprezto/runcoms/zshrc") is None
    assert owner_of(home, f"{home}/.zprezto/runcoms/zprofile") is None
    # stow: the real file lives in the user's dotfiles repository.
    assert owner_of(home, f"{home}/.bashrc", f"{home}/dotfiles/bash/.bashrc") is None
    # a link into a framework's folder is the framework's.
    assert owner_of(home, f"{home}/.zshrc", f"{home}/.oh-my-zsh/templates/zshrc.zsh-template").framework == "oh-my-zsh"
    gen = owner_of(home, f"{home}/.config/foo/env.sh", head="#!/bin/sh\n# Automatically generated file. DO NOT EDIT!\n")
    assert gen is not None and gen.reason == "generated file"
    assert owner_of(home, f"{home}/.bashrc", head="# ~/.bashrc: executed by bash(1)\n") is None
    assert owner_of("/home/al", "/home/alice/.gvm/x") is None
    assert owned_line(corpus.G_LINE) and not owned_line('export PATH="$HOME/go/bin:$PATH"')


def test_installer_marked_line_is_never_edited(home: Home) -> None:
    # g's one line sets GOPATH, GOROOT and PATH together ("g-install: do NOT edit"); a later line
    # puts an older Go first, so GOROOT (from g's line) names another Go than the one that runs.
    corpus.g(home, rc_files=(".bashrc",))
    corpus.append(home, ".bashrc", f'export PATH="{os.path.dirname(gotools.go119())}:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    mismatch = next(f for f in d.findings if f.check == "GOENV-GOROOT-001")
    assert mismatch.locations[0] == type(mismatch.locations[0])(home.p(".bashrc"), 1)
    for p in d.plans.get(mismatch.id, []):
        for e in p.edits:
            assert e.before.splitlines()[0] == e.after.splitlines()[0], p.fix.preview
