"""`go env -json` per context with each value's source: environment (startup file:line), the
go env file (`go env -w`, file:line), or Go's default."""

from __future__ import annotations

import os
import time

from goenv_tui.collect.goenv import GoEnvPipeline
from goenv_tui.host import LocalHost
from goenv_tui.model import ContextTrace, TraceStatus
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


def _age(home: Home) -> None:
    """Every file and folder of the home an hour old: the early resolution trusts only mtimes
    that were not moving at that moment."""
    old = time.time() - 3600
    for root, dirs, files in os.walk(home.path):
        for name in dirs + files:
            os.utime(os.path.join(root, name), (old, old), follow_symlinks=False)
    os.utime(home.path, (old, old))


def _pipeline(home: Home, traces: dict[str, ContextTrace]) -> GoEnvPipeline:
    pipeline = GoEnvPipeline(LocalHost(), home.path, home.path)
    for t in traces.values():
        pipeline.submit(t)
    for t in traces.values():
        pipeline.started[t.id].result()
    return pipeline


def test_a_go_that_appears_after_the_early_resolution_is_seen(home: Home) -> None:
    """Each context is resolved as soon as its trace is in, and again at the end only where
    something it looked at changed (another context's startup may rewrite shims meanwhile)."""
    home.file(".bashrc", 'export PATH="$HOME/shims:$PATH"\n')
    os.makedirs(home.p("shims"))
    _age(home)
    traces = {t.id: t for t in home.trace(shells=("bash",)).values() if t.status is TraceStatus.OK}
    pipeline = _pipeline(home, traces)
    try:
        cid = "bash-nologin-interactive"
        assert cid in pipeline.valid  # nothing had moved: its early resolution may be kept
        os.symlink(gotools.go(), home.p("shims/go"))  # a rehash, after the early resolution
        resolutions, _ = pipeline.results(list(traces.values()))
    finally:
        pipeline.close()
    go = resolutions[cid]["go"].resolved
    assert go is not None and go.path == home.p("shims/go")


def test_an_early_resolution_nothing_changed_is_kept(home: Home) -> None:
    home.file(".bashrc", 'export PATH="$HOME/shims:$PATH"\n')
    os.makedirs(home.p("shims"))
    os.symlink(gotools.go(), home.p("shims/go"))
    _age(home)
    traces = {t.id: t for t in home.trace(shells=("bash",)).values() if t.status is TraceStatus.OK}
    pipeline = _pipeline(home, traces)
    try:
        early = {cid: pipeline.started[cid].result()[0] for cid in traces}
        resolutions, goenvs = pipeline.results(list(traces.values()))
    finally:
        pipeline.close()
    cid = "bash-nologin-interactive"
    assert resolutions[cid] is early[cid]  # kept, not looked up again
    assert resolutions[cid]["go"].resolved.path == home.p("shims/go") and goenvs[cid].error is None
