"""Picking the release of gopls/dlv a Go can build, asked of a real module proxy (a local
file:// one, and proxy.golang.org in the slow test) with the real go commands."""

from __future__ import annotations

import os

import pytest

from goenv_tui.collect import toolversions
from goenv_tui.collect.goinstalls import find_go_installs
from goenv_tui.host import LocalHost
from tests import gotools
from tests.modproxy import NOSUMDB, tools_proxy


@pytest.fixture(autouse=True)
def _fresh_cache():
    toolversions.clear_cache()
    yield
    toolversions.clear_cache()


def env_for(home, proxy_url: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": home.path, "GOPROXY": proxy_url, "GONOSUMDB": NOSUMDB}


def snapshot(path: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), path) for d, _, fs in os.walk(path) for f in [*fs, "."])


def test_newest_release_the_go_can_build(home, tmp_path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.9.0": "1.18", "v0.10.0": "1.19", "v0.11.0": "1.25.0"})
    env = env_for(home, proxy.url)
    before = snapshot(home.path)
    old = toolversions.pick(LocalHost(), gotools.go119(), "go1.19.8", "gopls", env, proxy.url)
    new = toolversions.pick(LocalHost(), gotools.go(), gotools.go_version(gotools.go()), "gopls", env, proxy.url)
    assert (old.version, old.latest, old.spec) == ("v0.10.0", "v0.11.0", "golang.org/x/tools/gopls@v0.10.0")
    assert toolversions.go_tuple(old.latest_needs) == (1, 25, 0) and old.error is None
    assert new.version == "v0.11.0"
    # Asking wrote nothing into the home (private HOME/GOMODCACHE/GOCACHE, removed afterwards).
    assert snapshot(home.path) == before


def test_no_release_for_that_go_says_which_go_it_needs(home, tmp_path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {}, {"v1.25.0": "1.21", "v1.27.2": "1.25.0"})
    p = toolversions.pick(LocalHost(), gotools.go119(), "go1.19.8", "dlv", env_for(home, proxy.url), proxy.url)
    assert p.version is None and p.spec is None and p.latest == "v1.27.2"
    assert p.oldest_needs is not None and toolversions.go_tuple(p.oldest_needs)[:2] == (1, 21)


def test_answers_are_cached(home, tmp_path) -> None:
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19"})
    env = env_for(home, proxy.url)
    first = toolversions.pick(LocalHost(), gotools.go119(), "go1.19.8", "gopls", env, proxy.url)
    import shutil

    shutil.rmtree(proxy.root)  # the second answer cannot come from the proxy
    second = toolversions.pick(LocalHost(), gotools.go119(), "go1.19.8", "gopls", env, proxy.url)
    assert first == second and second.version == "v0.10.0"


def test_unreachable_proxy_is_an_error_not_a_guess(home, tmp_path) -> None:
    url = f"file://{tmp_path}/no-proxy-here"
    p = toolversions.pick(LocalHost(), gotools.go(), "go1.26.8", "gopls", env_for(home, url), url)
    assert p.version is None and p.error and "go list -m -versions" in p.error


def test_go_installs_on_this_machine() -> None:
    found = {g.version: g for g in find_go_installs(LocalHost(), "/nonexistent-home")}
    assert gotools.go_version(gotools.go()) in found and gotools.go_version(gotools.go119()) in found
    # Debian's go-1.19 is found through /usr/lib, newest first
    versions = [toolversions.go_tuple(v) for v in found]
    assert versions == sorted(versions, reverse=True)


@pytest.mark.slow
def test_real_proxy_gopls_for_go_126_and_dlv_for_go_119(home) -> None:
    """The facts of the field: gopls v0.24 needs Go 1.27, so Go 1.26 gets v0.23.x; no dlv release
    the proxy lists builds with Go 1.19."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home.path, "GOPROXY": "https://proxy.golang.org,direct"}
    gv = gotools.go_version(gotools.go())
    g = toolversions.pick(LocalHost(), gotools.go(), gv, "gopls", env, env["GOPROXY"])
    assert g.error is None and g.version is not None and g.version.startswith("v0.23."), g
    d = toolversions.pick(LocalHost(), gotools.go119(), "go1.19.8", "dlv", env, env["GOPROXY"])
    assert d.error is None and d.latest is not None
    assert d.version is None or toolversions.go_tuple(d.needs) <= (1, 19, 8)
