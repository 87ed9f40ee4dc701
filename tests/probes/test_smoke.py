"""The go smoke probe (go version, go env, build and vet of a scratch module) per environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from goenv_tui.host import LocalHost
from goenv_tui.probes.smoke import probe_go
from tests import gotools

pytestmark = pytest.mark.slow


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": f"{os.path.dirname(gotools.go())}:/usr/bin:/bin", "HOME": str(home), "GOTOOLCHAIN": "local",
           "GOFLAGS": "", "GOPATH": str(home / "go")}
    env.update(extra)
    return env


def test_build_and_vet_pass(tmp_path: Path) -> None:
    r = probe_go(LocalHost(), gotools.go(), env_for(tmp_path), "ctx")
    assert r.status == "ok" and r.version == gotools.go_version(gotools.go())
    assert set(r.timings) == {"version_ms", "env_ms", "build_ms", "vet_ms"}
    assert [ln for ln in r.transcript if ln.startswith("$ ")][-1].endswith("go vet .")


def test_goroot_mismatch_fails_the_build(tmp_path: Path) -> None:
    r = probe_go(LocalHost(), gotools.go(), env_for(tmp_path, GOROOT=gotools.goroot_of(gotools.go119())), "ctx")
    assert (r.status, r.classification) == ("fail", "goroot-mismatch")
    assert any("does not match go tool version" in m for m in r.messages)


@pytest.mark.parametrize("gocache", ["off", "relative/cache"])
def test_unusable_build_cache(tmp_path: Path, gocache: str) -> None:
    r = probe_go(LocalHost(), gotools.go(), env_for(tmp_path, GOCACHE=gocache), "ctx")
    assert (r.status, r.classification) == ("fail", "cache-not-writable")


def test_old_go_for_a_newer_module(tmp_path: Path) -> None:
    work = tmp_path / "mod"
    work.mkdir()
    (work / "go.mod").write_text("module m\n\ngo 1.22\n")
    # Range over an int needs Go 1.22; go1.19 fails and says the module wants a newer Go.
    (work / "main.go").write_text("package main\n\nfunc main() {\n\tfor range 3 {\n\t}\n}\n")
    env = env_for(tmp_path, PATH=f"{os.path.dirname(gotools.go119())}:/usr/bin:/bin")
    r = probe_go(LocalHost(), gotools.go119(), env, "ctx", workdir=str(work))
    assert r.status == "fail" and r.version.startswith("go1.19")
    assert r.classification == "go-version"
    assert "note: module requires Go 1.22" in r.messages
