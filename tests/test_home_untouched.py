"""A diagnosis leaves the analysed home exactly as it was: a full report with every shell and
every probe (go build/vet, gopls, dlv), compared path by path (mode, owner, mtime, bytes, link
targets) before and after. And the values `go env` reports for the user are still the user's,
although the tool's own go runs used their own cache and telemetry places."""

from __future__ import annotations

import os
import shutil

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.host import LocalHost
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import Home, snapshot, snapshot_diff

pytestmark = pytest.mark.slow


def go_home(home: Home) -> Home:
    godir = os.path.dirname(gotools.go())
    bindir = os.path.dirname(gotools.gopls())
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f"export PATH={godir}:{bindir}:$PATH\nexport GOFLAGS=-mod=mod\n")
    home.file(".zshenv", f"path=({godir} {bindir} $path)\n")
    home.file(".config/fish/config.fish", f"fish_add_path {godir} {bindir}\n")  # no fish_variables yet
    home.file(".config/go/env", "GOPROXY=off\nGOCACHE=\n")
    home.file(".config/go/telemetry/mode", "off 2026-01-01")
    home.file("proj/go.mod", "module example.com/proj\n\ngo 1.21\n")
    home.file("proj/main.go", 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    home.symlink("link-to-proj", "proj")
    home.symlink("dangling", "nowhere")
    return home


def test_full_report_with_probes_leaves_the_home_as_it_was(home: Home) -> None:
    go_home(home)
    if shutil.which("fish") is None and not os.environ.get("GOENV_TUI_CI"):
        pytest.fail("fish is required (scripts/install-test-deps.sh)")
    before = snapshot(home.root)
    opts = TraceOptions(home=home.path, shells=("bash", "zsh", "fish"), login_shell="/bin/bash")
    d = diagnose(LocalHost(), opts, home.p("proj"), probes=True)
    after = snapshot(home.root)
    assert snapshot_diff(before, after) == [], "\n".join(snapshot_diff(before, after))
    assert before == after
    # The probes really ran (a home left alone by doing nothing proves nothing).
    ran = {(p.tool, p.status) for p in d.facts.probes}
    assert {("go", "ok"), ("gopls", "ok")} <= ran, [(p.tool, p.status, p.summary) for p in d.facts.probes]
    assert any(p.tool == "dlv" and p.status != "skipped" for p in d.facts.probes)
    # go env still reports the user's own places, not the tool's.
    ge = d.facts.goenvs["bash-login-interactive"]
    assert ge.values["GOCACHE"].value == f"{home.path}/.cache/go-build"
    assert ge.values["GOPROXY"].value == "off" and ge.values["GOPROXY"].source == "goenv-file"
    assert ge.values["GOENV"].value == f"{home.path}/.config/go/env"
    assert ge.values["GOTELEMETRY"].value == "off"
    assert ge.values["GOTELEMETRYDIR"].value == f"{home.path}/.config/go/telemetry"


def test_go_env_reports_the_users_gocache_and_telemetry_from_every_source(home: Home) -> None:
    """GOCACHE from the environment, from the go env file, and Go's default; telemetry from the
    mode file or Go's default ("local" without one)."""
    godir = os.path.dirname(gotools.go())
    home.file(".bashrc", f"export PATH={godir}:$PATH\nexport XDG_CACHE_HOME=$HOME/xc\n")
    home.file(".zshenv", f"path=({godir} $path)\nexport XDG_CONFIG_HOME=$HOME/cfg\n")
    home.file("cfg/go/env", "GOCACHE=/elsewhere/gocache\n")
    home.file(".config/fish/config.fish", f"set -gx PATH {godir} $PATH\nset -gx GOCACHE $HOME/gc\n")
    before = snapshot(home.root)
    d = home.diagnose(shells=("bash", "zsh", "fish"), login_shell="/bin/bash")
    assert snapshot_diff(before, snapshot(home.root)) == []
    bash = d.facts.goenvs["bash-nologin-interactive"].values
    assert (bash["GOCACHE"].value, bash["GOCACHE"].source) == (f"{home.path}/xc/go-build", "default")
    assert bash["GOTELEMETRY"].value == "local" and bash["GOTELEMETRYDIR"].value == f"{home.path}/.config/go/telemetry"
    zsh = d.facts.goenvs["zsh-nologin-noninteractive"].values
    assert (zsh["GOCACHE"].value, zsh["GOCACHE"].source) == ("/elsewhere/gocache", "goenv-file")
    assert zsh["GOTELEMETRYDIR"].value == f"{home.path}/cfg/go/telemetry"
    assert zsh["GOENV"].value == f"{home.path}/cfg/go/env"
    fish = d.facts.goenvs["fish-nologin-noninteractive"].values
    assert (fish["GOCACHE"].value, fish["GOCACHE"].source) == (f"{home.path}/gc", "env")
