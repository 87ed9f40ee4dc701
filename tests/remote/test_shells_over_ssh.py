"""Remote diagnosis for zsh and fish users, and the remote home left as it was.

sshd runs `ssh host cmd` as `$SHELL -c cmd` with its own environment, whatever the login shell:
the traced `{shell}-sshd-command` context must give exactly what the real sshd gives (so no false
GOENV-SSH-001), and a full remote report with probes must leave the home byte-for-byte as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.host.ssh import SSHHost
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import snapshot, snapshot_diff
from tests.test_home_untouched import make_writable, module_home

pytestmark = pytest.mark.slow

GODIR = os.path.dirname(gotools.GO)
HOMES = {
    "zsh": {
        ".zshenv": f"export GOPROXY=direct\npath=({GODIR} $path)\n",
        ".zshrc": "export GOFLAGS=-mod=mod\n",  # interactive only: not for `ssh host cmd`
        ".zprofile": "export GOPATH=$HOME/gp\n",  # login only
    },
    "fish": {
        ".config/fish/conf.d/go.fish": f"set -gx GOPROXY direct\nfish_add_path {GODIR}\n",
        ".config/fish/config.fish": "if status is-interactive\n    set -gx GOFLAGS -mod=mod\nend\n",
    },
}


def fill(server, files: dict[str, str]) -> None:
    for child in server.home.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for rel, text in files.items():
        path = server.home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_sshd_command_context_is_what_sshd_really_gives(sshd_all, shell: str) -> None:
    server = sshd_all[shell]
    fill(server, HOMES[shell])
    login = shutil.which(shell)
    if shell == "fish":  # a user whose fish has run before (see the next test for one whose has not)
        subprocess.run(["ssh", *server.options(), server.target(), "true"], check=True, timeout=60,
                       stdin=subprocess.DEVNULL)
        assert (server.home / ".config/fish/fish_variables").exists()
    before = snapshot(server.home)
    with SSHHost(server.target(), server.options()) as host:
        assert host.login_shell() and host.login_shell().endswith(f"/{shell}")
        d = diagnose(host, TraceOptions(home=str(server.home), shells=(shell,), login_shell=login))
    ctx = {t.id: t for t in d.facts.contexts}
    traced = ctx[f"{shell}-sshd-command"]
    real = d.facts.sshd_env
    assert real is not None and traced.status.value == "ok", traced.error
    assert f"{shell}-sshd-command" in d.facts.primary and f"{shell}-nologin-noninteractive" not in d.facts.primary
    # Like with like: sshd's PATH with what `$SHELL -c` adds, the same GO* values.
    assert real["PATH"] == traced.env["PATH"] and real["PATH"].startswith(f"{GODIR}:")
    assert real["GOPROXY"] == traced.env["GOPROXY"] == "direct"
    assert "GOFLAGS" not in real and "GOFLAGS" not in traced.env and "GOPATH" not in real
    assert [f.title for f in d.findings if f.check == "GOENV-SSH-001"] == []
    assert "`ssh host cmd`" in traced.used_by
    assert snapshot_diff(before, snapshot(server.home)) == []


def test_fish_user_whose_fish_never_ran(sshd_all) -> None:
    """sshd starts every command through the login shell, so connecting at all starts the real
    fish, which creates its universal variables file and data folder the first time (as any
    `ssh host cmd` would). The diagnosis itself adds nothing to that, and the trace credits
    conf.d, not the universal variable that fish start stored."""
    server = sshd_all["fish"]
    fill(server, HOMES["fish"])
    with SSHHost(server.target(), server.options()) as host:
        assert (server.home / ".config/fish/fish_variables").exists()  # sshd's fish -c made it
        before = snapshot(server.home)
        d = diagnose(host, TraceOptions(home=str(server.home), shells=("fish",), login_shell=shutil.which("fish")))
    assert snapshot_diff(before, snapshot(server.home)) == []
    assert [f for f in d.findings if f.check == "GOENV-SSH-001"] == []
    paths = [a for a in {t.id: t for t in d.facts.contexts}["fish-sshd-command"].assignments if a.var == "PATH"
             and not a.location.path.startswith("/usr/")]
    assert paths and paths[0].via == "universal"  # fish_add_path of conf.d stored it on that first start


def test_sshd_env_difference_is_still_found_for_zsh(sshd_all) -> None:
    """What sshd adds that no startup file explains (~/.ssh/environment with
    PermitUserEnvironment) is still a GOENV-SSH-001 for a zsh user."""
    server = sshd_all["zsh"]
    fill(server, {".zshenv": f"path=({GODIR} $path)\n", ".ssh/environment": "GOFLAGS=-from-ssh-environment\n"})
    with SSHHost(server.target(), server.options()) as host:
        d = diagnose(host, TraceOptions(home=str(server.home), shells=("zsh",), login_shell=shutil.which("zsh")))
    real = d.facts.sshd_env or {}
    traced = {t.id: t for t in d.facts.contexts}["zsh-sshd-command"].env
    assert real.get("GOFLAGS") == "-from-ssh-environment" and "GOFLAGS" not in traced
    assert real["PATH"] == traced["PATH"]
    [f] = [f for f in d.findings if f.check == "GOENV-SSH-001"]
    assert f.contexts == ("zsh-sshd-command",) and "GOFLAGS" in f.title


def test_remote_report_with_probes_leaves_the_home_as_it_was(sshd_all) -> None:
    server = sshd_all["bash"]
    bindir = server.home / "bin"
    fill(server, {".bashrc": f"export PATH={GODIR}:$HOME/bin:$PATH\n",
                  ".profile": '. "$HOME/.bashrc"\n',
                  "proj/go.mod": "module example.com/p\n\ngo 1.21\n",
                  "proj/main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(1) }\n'})
    bindir.mkdir()
    for tool in (gotools.gopls(), gotools.dlv()):
        shutil.copy2(tool, bindir)
    subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)
    before = snapshot(server.home)
    with SSHHost(server.target(), server.options()) as host:
        d = diagnose(host, TraceOptions(home=str(server.home), shells=("bash",), login_shell="/bin/bash"),
                     str(server.home / "proj"), probes=True)
    assert snapshot_diff(before, snapshot(server.home)) == []
    ran = {(p.tool, p.status) for p in d.facts.probes}
    assert ("go", "ok") in ran and ("gopls", "ok") in ran, [(p.tool, p.status, p.detail) for p in d.facts.probes]
    ge = d.facts.goenvs["bash-sshd-command"].values
    assert ge["GOCACHE"].value == f"{server.home}/.cache/go-build"
    assert ge["GOTELEMETRYDIR"].value == f"{server.home}/.config/go/telemetry"


@pytest.mark.parametrize(("both", "private", "verdict"),
                         [(False, False, "ok"), (True, False, "module-blocked"), (False, True, "ok")])
def test_remote_probes_needing_modules_leave_the_users_module_cache_as_it_was(sshd_all, tmp_path: Path, both: bool,
                                                                            private: bool, verdict: str) -> None:
    """Over ssh too: the remote user's ~/go/pkg/mod holds example.com/dep, the workspace needs it
    (and dep2, which it lacks), GOPROXY=off. gopls reads dep through the user's cache into its
    own (copied from it when dep is private: GOPRIVATE skips every proxy), and is blocked on dep2
    as the user's go is; the remote home is byte for byte unchanged."""
    server = sshd_all["bash"]
    fill(server, {})
    module_home(server.home, tmp_path / "scratch", "off", both, bindir="$HOME/bin")
    if private:
        with open(server.home / ".bashrc", "a", encoding="utf-8") as fh:
            fh.write("export GOPRIVATE=example.com\n")
    bindir = server.home / "bin"
    bindir.mkdir()
    for tool in (gotools.gopls(), gotools.dlv()):
        shutil.copy2(tool, bindir)
    subprocess.run(["chown", "-R", f"{server.user}:{server.user}", str(server.home)], check=True)
    try:
        before = snapshot(server.home)
        with SSHHost(server.target(), server.options()) as host:
            d = diagnose(host, TraceOptions(home=str(server.home), shells=("bash",), login_shell="/bin/bash"),
                         str(server.home / "proj"), probes=True)
        diff = snapshot_diff(before, snapshot(server.home))
        assert diff == [], "\n".join(diff)
        gopls = [p for p in d.facts.probes if p.tool == "gopls"]
        got = {(p.classification or "ok") if p.status == "ok" else p.classification for p in gopls}
        assert got == {verdict}, [(p.status, p.classification, p.detail, p.messages) for p in gopls]
        if both:
            want = 'could not import example.com/dep2 (no required module provides package "example.com/dep2")'
            assert all(want in p.messages for p in gopls), [p.messages for p in gopls]
    finally:
        make_writable(server.home)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_agents_environment_is_what_ssh_host_cmd_gets(sshd_all, shell: str) -> None:
    """sshd starts the agent as it starts any `ssh host cmd` (`$SHELL -c`, PAM, ~/.ssh/environment,
    SetEnv): its environment is what a separate `ssh host env -0` prints, so the host asks no second
    session for it. Only `_` (the program's own path, which the shell sets) differs."""
    server = sshd_all[shell]
    fill(server, {**HOMES.get(shell, {".bashrc": f"export PATH={GODIR}:$PATH\nexport GOFLAGS=-mod=mod\n"}),
                  ".ssh/environment": "GOTOOLCHAIN=local\n"})
    with SSHHost(server.target(), server.options()) as host:
        agent_env = host.login_command_env()
        # Over the same connection (the master), as the host asked before.
        res = subprocess.run(["ssh", "-S", host.control, "-o", "ControlMaster=no", *server.options(), "-T",
                              server.target(), "env -0"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                             check=True)
    real = dict(item.split("=", 1) for item in res.stdout.decode().split("\0") if "=" in item)
    assert agent_env is not None and real["GOTOOLCHAIN"] == "local" and real["PATH"].startswith(f"{GODIR}:")
    assert {k: v for k, v in agent_env.items() if k != "_"} == {k: v for k, v in real.items() if k != "_"}
