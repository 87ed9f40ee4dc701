"""What a planned fix reaches, read from the graph of a real traced home before anything is written."""

from __future__ import annotations

from pathlib import Path

from goenv_tui.fixes.impact import describe, reach
from goenv_tui.fixes.plan import FileEdit, PlannedFix
from goenv_tui.model import Fix
from tests.homes import Home


def _plan(*edits: FileEdit, touches: tuple[str, ...] = ()) -> PlannedFix:
    return PlannedFix(Fix("x", "x", "edit", ""), "F", "GOENV-X-001", edits=edits, touches=touches)


def _home(home: Home) -> Home:
    home.dir("tools/bin").file("tools/bin/gopls", "#!/bin/sh\n", mode=0o755)
    home.file(".bash_profile", "export GOROOT=/opt/go\n. ~/.bashrc\n")
    home.file(".bashrc", 'export PATH="$HOME/tools/bin:$PATH"\nexport GOROOT=/usr/local/go\n')
    return home


def test_removing_a_path_line_reaches_the_binaries_found_through_it(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    text = Path(home.p(".bashrc")).read_text()
    after = text.replace('export PATH="$HOME/tools/bin:$PATH"\n', "")
    r = reach(d.graph, _plan(FileEdit(home.p(".bashrc"), text, after)))
    assert set(r.contexts) == {"bash-login-interactive", "bash-login-noninteractive", "bash-nologin-interactive", "bash-sshd-command"}
    assert {name for _, name in r.variables} == {"PATH"}
    assert ("bash-nologin-interactive", "gopls", home.p("tools/bin/gopls")) in r.binaries
    lines = describe(r, home.path)
    assert any(line.startswith("Binaries: gopls → ~/tools/bin/gopls (in 4 contexts)") for line in lines), lines


def test_commenting_out_an_override_reaches_only_that_variable(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    text = Path(home.p(".bashrc")).read_text()
    after = text.replace("export GOROOT=/usr/local/go\n", "# goenv-tui: disabled\n# export GOROOT=/usr/local/go\n")
    r = reach(d.graph, _plan(FileEdit(home.p(".bashrc"), text, after)))
    assert {name for _, name in r.variables} == {"GOROOT"} and not r.binaries
    assert "bash-login-interactive" in r.contexts


def test_an_added_line_reaches_every_context_that_reads_the_file(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    text = Path(home.p(".bash_profile")).read_text()
    r = reach(d.graph, _plan(FileEdit(home.p(".bash_profile"), text, text + "export GOFLAGS=-mod=mod\n")))
    assert set(r.contexts) == {"bash-login-interactive", "bash-login-noninteractive"}
    assert set(r.variables) == {("bash-login-interactive", "GOFLAGS"), ("bash-login-noninteractive", "GOFLAGS")}


def test_a_go_env_file_command_reaches_the_values_it_holds(home: Home) -> None:
    from tests import gotools

    home.file(".config/go/env", "GOFLAGS=-mod=mod\n")
    home.file(".bashrc", f'export PATH="{gotools.go().rsplit("/", 1)[0]}:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    r = reach(d.graph, _plan(touches=(home.p(".config/go/env"),)))
    assert ("bash-nologin-interactive", "GOFLAGS") in r.goenv
    assert "bash-nologin-interactive" in r.contexts


def test_a_line_no_context_runs_reaches_nothing(home: Home) -> None:
    home.file(".profile", "export GOPATH=$HOME/gopath\n")  # ~/.bash_profile exists: never read
    d = _home(home).diagnose(shells=("bash",))
    text = Path(home.p(".profile")).read_text()
    r = reach(d.graph, _plan(FileEdit(home.p(".profile"), text, "")))
    assert r.empty and describe(r, home.path)[0].startswith("Reaches no traced context")
