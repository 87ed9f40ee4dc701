"""`go env -json` per context with each value's source: environment (startup file:line), the
go env file (`go env -w`, file:line), or Go's default."""

from __future__ import annotations

import os

from tests import gotools
from tests.homes import Home


def test_sources_env_file_and_default(home: Home) -> None:
    home.file(".config/go/env", "GOPROXY=off\nGOFLAGS=-mod=mod\n")
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$PATH"\nexport GOFLAGS=-v\n')
    d = home.diagnose(shells=("bash",))
    ge = d.facts.goenvs["bash-nologin-interactive"]
    assert ge.error is None and ge.file == home.p(".config/go/env")
    v = ge.values
    assert (v["GOFLAGS"].value, v["GOFLAGS"].source, v["GOFLAGS"].location.line) == ("-v", "env", 2)
    assert v["GOFLAGS"].location.path == home.p(".bashrc")
    assert (v["GOPROXY"].value, v["GOPROXY"].source, v["GOPROXY"].location.line) == ("off", "goenv-file", 1)
    assert v["GOPATH"].source == "default" and v["GOPATH"].value == home.p("go")
    assert v["GOVERSION"].value == gotools.go_version(gotools.go())


def test_goenv_variable_moves_the_file(home: Home) -> None:
    home.file("custom-go-env", "GOPRIVATE=example.com/*\n")
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$PATH"\nexport GOENV="$HOME/custom-go-env"\n')
    ge = home.diagnose(shells=("bash",)).facts.goenvs["bash-nologin-interactive"]
    assert ge.file == home.p("custom-go-env")
    assert (ge.values["GOPRIVATE"].source, ge.values["GOPRIVATE"].location.line) == ("goenv-file", 1)


def test_context_without_go_says_so(home: Home) -> None:
    home.file(".bashrc", "export GOFLAGS=-v\n")
    d = home.diagnose(shells=("bash",))
    assert "no `go`" in d.facts.goenvs["bash-nologin-noninteractive"].error


def test_old_go_reports_its_own_version(home: Home) -> None:
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go119())}:$PATH"\n')
    ge = home.diagnose(shells=("bash",)).facts.goenvs["bash-nologin-interactive"]
    assert ge.values["GOVERSION"].value.startswith("go1.19")
    assert ge.values["GOROOT"].value == gotools.goroot_of(gotools.go119())


def _logging_go(home: Home) -> None:
    """A `go` on PATH that logs each run (and the PATH it ran with) and runs the real go."""
    home.file("bin/go", f'#!/bin/sh\nprintf "%s\\n" "$PATH" >> "$HOME/go-runs"\nexec {gotools.go()} "$@"\n', mode=0o755)


def _go_env_runs(home: Home) -> list[str]:
    with open(home.p("go-runs")) as fh:
        return fh.read().splitlines()


def test_contexts_whose_path_differs_only_in_order_share_one_go_env(home: Home) -> None:
    """go reads PATH only to find the C compiler (and a toolchain a go.mod asks for): contexts
    whose PATHs differ but find the same compiler get one `go env` run, with the same values."""
    _logging_go(home)
    home.file(".profile", 'export PATH="$HOME/bin:$PATH"\n')
    home.file(".bashrc", 'export PATH="$HOME/bin:/usr/games:$PATH"\n')
    d = home.diagnose(shells=("bash",))
    mine = {cid: ge for cid, ge in d.facts.goenvs.items() if ge.go == home.p("bin/go")}
    assert len({t.env["PATH"] for t in d.facts.contexts if t.id in mine}) >= 2  # PATHs that differ
    assert len(mine) >= 3 and all(ge.error is None for ge in mine.values())
    assert len(_go_env_runs(home)) == 1
    assert len({tuple(sorted((k, v.value) for k, v in ge.values.items())) for ge in mine.values()}) == 1


def test_a_context_that_finds_another_c_compiler_gets_its_own_go_env(home: Home) -> None:
    _logging_go(home)
    home.file("cc/gcc", '#!/bin/sh\nexec /usr/bin/gcc "$@"\n', mode=0o755)
    home.file(".profile", 'export PATH="$HOME/bin:$PATH"\n')
    home.file(".bashrc", 'export PATH="$HOME/bin:$HOME/cc:$PATH"\n')
    home.diagnose(shells=("bash",))
    runs = _go_env_runs(home)
    assert len(runs) == 2 and sum(home.p("cc") in r.split(":") for r in runs) == 1, runs


def test_with_a_go_mod_where_go_env_runs_path_counts_whole(home: Home) -> None:
    """A go.mod asking for a newer Go makes go look for that toolchain on PATH first."""
    _logging_go(home)
    home.file("go.mod", "module example.com/h\n\ngo 1.21\n")
    home.file(".profile", 'export PATH="$HOME/bin:$PATH"\n')
    home.file(".bashrc", 'export PATH="$HOME/bin:/usr/games:$PATH"\n')
    home.diagnose(shells=("bash",))
    runs = _go_env_runs(home)
    assert len(runs) == len(set(runs)) >= 2, runs
