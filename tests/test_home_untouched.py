"""A diagnosis leaves the analysed home exactly as it was: a full report with every shell and
every probe (go build/vet, gopls, dlv), compared path by path (mode, owner, mtime, bytes, link
targets) before and after. And the values `go env` reports for the user are still the user's,
although the tool's own go runs used their own cache and telemetry places."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.host import LocalHost
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import Home, snapshot, snapshot_diff
from tests.modproxy import ModProxy

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
    assert {("go", "ok"), ("gopls", "ok")} <= ran, [(p.tool, p.status, p.detail) for p in d.facts.probes]
    assert any(p.tool == "dlv" and p.status != "skipped" for p in d.facts.probes)
    # go env still reports the user's own places, not the tool's.
    ge = d.facts.goenvs["bash-login-interactive"]
    assert ge.values["GOCACHE"].value == f"{home.path}/.cache/go-build"
    assert ge.values["GOPROXY"].value == "off" and ge.values["GOPROXY"].source == "goenv-file"
    assert ge.values["GOENV"].value == f"{home.path}/.config/go/env"
    assert ge.values["GOTELEMETRY"].value == "off"
    assert ge.values["GOTELEMETRYDIR"].value == f"{home.path}/.config/go/telemetry"


# --- a home whose module cache holds downloads, and a workspace that needs modules --------------

LIB = 'package {name}\n\n// Hello says hello.\nfunc Hello() string {{ return "{name}" }}\n'


def module_home(root: Path, scratch: Path, goproxy: str, both: bool, bindir: str | None = None) -> Path:
    """A home (at `root`) whose ~/go/pkg/mod holds example.com/dep (downloaded the real way,
    read-only files and all) but not example.com/dep2, and a workspace ~/proj requiring dep (and
    dep2 when `both`), with a complete go.sum. The user's shell sets GOFLAGS=-mod=mod (go may
    download) and `goproxy`; gopls and dlv are on PATH from `bindir`. Returns the module proxy's directory."""
    godir = os.path.dirname(gotools.go())
    bindir = bindir or os.path.dirname(gotools.gopls())
    proxy = ModProxy(scratch / "proxy")
    proxy.add_library("example.com/dep", "v1.0.0", "1.21", {"dep.go": LIB.format(name="dep")})
    proxy.add_library("example.com/dep2", "v1.0.0", "1.21", {"dep2.go": LIB.format(name="dep2")})
    if goproxy == "proxy":
        goproxy = proxy.url
    home = Home(root)
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f"export PATH={godir}:{bindir}:$PATH\nexport GOFLAGS=-mod=mod\nexport GOPROXY={goproxy}\n"
                         "export GONOSUMDB=example.com\n")
    home.file(".config/go/telemetry/mode", "off 2026-01-01")
    mods = ["dep", "dep2"] if both else ["dep"]
    requires = "".join(f"\texample.com/{m} v1.0.0\n" for m in mods)
    home.file("proj/go.mod", f"module example.com/proj\n\ngo 1.21\n\nrequire (\n{requires})\n")
    imports = "".join(f'\t"example.com/{m}"\n' for m in mods)
    calls = ", ".join(f"{m}.Hello()" for m in mods)
    home.file("proj/main.go", f'package main\n\nimport (\n\t"fmt"\n\n{imports})\n\nfunc main() {{ fmt.Println({calls}) }}\n')
    # The setup's own go runs keep their cache and telemetry out of the home.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "GOPROXY": proxy.url, "GONOSUMDB": "example.com",
           "GOFLAGS": "-mod=mod", "GOCACHE": str(scratch / "gocache"), "TEST_TELEMETRY_DIR": str(scratch / "tele")}
    go = gotools.go()
    # go.sum from a throwaway module cache; then the user's cache gets dep only.
    subprocess.run([go, "mod", "download", "-x", *[f"example.com/{m}" for m in mods]], cwd=root / "proj", check=True,
                   env={**env, "GOMODCACHE": str(scratch / "throwaway"), "GOFLAGS": "-mod=mod -modcacherw"},
                   capture_output=True, timeout=120)
    subprocess.run([go, "mod", "tidy"], cwd=root / "proj", check=True, capture_output=True, timeout=120,
                   env={**env, "GOMODCACHE": str(scratch / "throwaway"), "GOFLAGS": "-mod=mod -modcacherw"})
    subprocess.run([go, "mod", "download", "example.com/dep"], cwd=root / "proj", check=True, capture_output=True,
                   env={**env, "GOMODCACHE": str(root / "go/pkg/mod")}, timeout=120)
    assert (root / "go/pkg/mod/example.com/dep@v1.0.0/dep.go").exists()
    assert not (root / "go/pkg/mod/example.com/dep2@v1.0.0").exists()
    assert "example.com/dep v1.0.0 h1:" in (root / "proj/go.sum").read_text()
    return scratch / "proxy"


def make_writable(root: Path) -> None:
    """Go leaves module files read-only; the temp dir's cleanup needs them writable."""
    subprocess.run(["chmod", "-R", "u+w", str(root)], check=False)


# (the user's GOPROXY, whether the workspace also needs dep2, which the cache lacks) → gopls's verdict.
# Every case must conclude what the user's own go concludes with their own module cache:
MODULE_CASES = [
    ("proxy", True, "ok"),  # dep from the cache, dep2 downloaded (into the probes' own cache)
    ("off", False, "ok"),  # offline, and everything needed is in the user's cache
    ("off", True, "module-blocked"),  # offline, dep2 is not in the cache: blocked, in go's words
]


@pytest.mark.parametrize(("goproxy", "both", "verdict"), MODULE_CASES)
def test_probes_needing_modules_leave_the_users_module_cache_as_it_was(tmp_path: Path, goproxy: str, both: bool,
                                                                     verdict: str) -> None:
    root = tmp_path / "home"
    module_home(root, tmp_path / "scratch", goproxy, both)
    try:
        before = snapshot(root)
        opts = TraceOptions(home=str(root), shells=("bash",), login_shell="/bin/bash")
        d = diagnose(LocalHost(), opts, str(root / "proj"), probes=True)
        diff = snapshot_diff(before, snapshot(root))
        assert diff == [], "\n".join(diff)
        gopls = [p for p in d.facts.probes if p.tool == "gopls"]
        assert gopls, [(p.tool, p.status, p.detail) for p in d.facts.probes]
        got = {(p.classification or "ok") if p.status == "ok" else p.classification for p in gopls}
        assert got == {verdict}, [(p.status, p.classification, p.detail, p.messages) for p in gopls]
        if verdict != "ok":
            # gopls's own words, the same as with the user's module cache itself (checked before the change)
            want = 'could not import example.com/dep2 (no required module provides package "example.com/dep2")'
            assert all(want in p.messages for p in gopls), [p.messages for p in gopls]
    finally:
        make_writable(tmp_path)


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


# GOPRIVATE modules skip every proxy, the probes' file:// read-through included: the ones the
# user's cache holds are copied into the probes' own cache (gosandbox.copy_private_modules).
PRIVATE_CASES = [
    (False, "ok"),  # offline, dep is private and in the user's cache: the user's go builds
    (True, "module-blocked"),  # dep2 is private and not in the cache: blocked for the user's go too
]


@pytest.mark.parametrize(("both", "verdict"), PRIVATE_CASES)
def test_private_modules_in_the_users_cache_are_read_through_without_writing_it(tmp_path: Path, both: bool,
                                                                             verdict: str) -> None:
    root = tmp_path / "home"
    module_home(root, tmp_path / "scratch", "off", both)
    with open(root / ".bashrc", "a", encoding="utf-8") as fh:
        fh.write("export GOPRIVATE=example.com\n")
    try:
        before = snapshot(root)
        opts = TraceOptions(home=str(root), shells=("bash",), login_shell="/bin/bash")
        d = diagnose(LocalHost(), opts, str(root / "proj"), probes=True)
        diff = snapshot_diff(before, snapshot(root))
        assert diff == [], "\n".join(diff)
        assert d.facts.goenvs["bash-login-interactive"].values["GONOPROXY"].value == "example.com"
        gopls = [p for p in d.facts.probes if p.tool == "gopls"]
        assert gopls, [(p.tool, p.status, p.detail) for p in d.facts.probes]
        got = {(p.classification or "ok") if p.status == "ok" else p.classification for p in gopls}
        assert got == {verdict}, [(p.status, p.classification, p.detail, p.messages) for p in gopls]
        # What the user's own go concludes from their own cache (on a copy: theirs stays as it was).
        mine = tmp_path / "copy-of-cache"
        shutil.copytree(root / "go/pkg/mod/cache/download", mine / "cache/download")
        env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "GOPROXY": "off", "GOPRIVATE": "example.com",
               "GOFLAGS": "-mod=mod -modcacherw", "GOMODCACHE": str(mine), "GOCACHE": str(tmp_path / "gocache"),
               "TEST_TELEMETRY_DIR": str(tmp_path / "tele")}
        res = subprocess.run([gotools.go(), "build", "./..."], cwd=root / "proj", env=env, capture_output=True,
                             text=True, timeout=120)
        assert (res.returncode == 0) == (verdict == "ok"), res.stderr
    finally:
        make_writable(tmp_path)


def test_private_module_patterns_match_as_go_matches_them() -> None:
    """module.MatchPrefixPatterns: leading path elements against each glob; the cache's escaping."""
    from goenv_tui.collect.gosandbox import matches_prefix_patterns, unescape_module_path

    assert matches_prefix_patterns("example.com", "example.com/dep")
    assert matches_prefix_patterns("*.corp.example.com,rsc.io/private", "git.corp.example.com/a/b")
    assert matches_prefix_patterns(" rsc.io/private ", "rsc.io/private/quux")
    assert not matches_prefix_patterns("rsc.io/private", "rsc.io/public")
    assert not matches_prefix_patterns("*.corp.example.com", "corp.example.com/a")  # '*' needs a label
    assert not matches_prefix_patterns("example.com/a/b", "example.com/a")  # the glob is longer
    assert not matches_prefix_patterns("", "example.com/dep")
    assert matches_prefix_patterns("github.com/[^x]*", "github.com/me/repo")
    assert unescape_module_path("github.com/!burnt!sushi/toml") == "github.com/BurntSushi/toml"
