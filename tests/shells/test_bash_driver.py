"""bash as root without a user namespace (a root container): the startup files are sourced by a
driver in bash's own order. The results must match tracing bash itself."""

from __future__ import annotations

import os

import pytest

from goenv_tui.host import LocalHost
from goenv_tui.shells.contexts import all_specs
from goenv_tui.shells.tracer import TraceOptions, trace_all
from tests.homes import Home

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the driver is only used when running as root")


def both(home: Home) -> tuple[dict, dict]:
    out = []
    for force in (False, True):
        opts = TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash", force_driver=force)
        traces, _ = trace_all(LocalHost(), opts, all_specs(("bash",)))
        out.append({t.id: t for t in traces})
    return out[0], out[1]


SYSTEM = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/games", "/usr/games"}


def mine(value):
    """Values without the system directories: /etc/profile gives root (the driver runs as root)
    sbin directories that the user-namespace trace (as the home's owner) does not get."""
    return ":".join(e for e in (value or "").split(":") if e not in SYSTEM) if value is not None else None


def shape(t):
    env = {k: mine(v) if k == "PATH" else v for k, v in t.env.items()}
    return (t.status, env, [(f.path, f.sourced_from) for f in t.files],
            [(a.var, a.op, mine(a.value) if a.var == "PATH" else a.value, a.location, a.via, a.call_site)
             for a in t.assignments if not a.location.path.startswith("/etc/")])


def test_driver_matches_bash_itself(home: Home) -> None:
    home.file(".bash_profile", "export GOPATH=$HOME/go\n[ -f ~/.bashrc ] && . ~/.bashrc\n")
    home.file(".bashrc.d/go.sh", "export GOFLAGS=-mod=mod\n")
    home.file(".bashrc", """
        addpath() { PATH="$1:$PATH"; }
        export GOPROXY=direct
        eval "$(echo export GOBIN=/x/bin)"
        for f in ~/.bashrc.d/*.sh; do . "$f"; done
        case $- in *i*) ;; *) return;; esac
        addpath /opt/go/bin
    """)
    real, driven = both(home)
    for cid in real:
        assert shape(driven[cid]) == shape(real[cid]), cid
        assert any("sourcing the startup files" in n for n in driven[cid].notes)
    assert [(r.path, r.line) for r in driven["bash-sshd-command"].early_returns if r.path.startswith(home.path)] == [
        (home.p(".bashrc"), 5)]


class NoUserNamespaces(LocalHost):
    """This machine, as a root container sees it: unshare exists but is not permitted."""

    def __init__(self, fake: str) -> None:
        super().__init__()
        self.fake = fake

    def which(self, name, path=None):
        return self.fake if name == "unshare" else super().which(name, path)


def test_falls_back_to_the_driver_when_unshare_is_refused(home: Home, tmp_path) -> None:
    fake = tmp_path / "unshare"
    fake.write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n")
    fake.chmod(0o755)
    home.file(".bashrc", "export GOFLAGS=-v\n")
    opts = TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash")
    traces, _ = trace_all(NoUserNamespaces(str(fake)), opts, [s for s in all_specs(("bash",)) if s.id == "bash-nologin-interactive"])
    t = traces[0]
    assert t.status.value == "ok" and t.env["GOFLAGS"] == "-v"
    assert [(a.location.path, a.location.line) for a in t.assignments if a.var == "GOFLAGS"] == [(home.p(".bashrc"), 1)]
    assert any("sourcing the startup files" in n for n in t.notes)
