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
