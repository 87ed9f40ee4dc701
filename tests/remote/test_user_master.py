"""The user's own ControlMaster (issue 16): when their ssh config keeps one for the host and it is
up, goenv-tui's agent runs as a session of it (no new login) and leaves it exactly as it was;
when their config would start a persisting master but none is up, goenv-tui never leaves one
behind. Real sshd on 127.0.0.1, the real OpenSSH client, a master started the way ssh starts one
for a user (`ControlMaster auto` + `ControlPersist`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil
import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.host.ssh import SSHHost
from goenv_tui.report import to_json
from tests.remote.test_ssh import BROKEN, comparable, fill_home, opts

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class UserConfig:
    options: list[str]
    socket_dir: str  # where the user's ControlPath sockets live (unique to this test)


@pytest.fixture
def user_config(sshd) -> Iterator[UserConfig]:
    """An ssh config that keeps a master per host, as users write it (ControlPath in a folder of
    this test: a unix socket path must stay short, so not under pytest's long tmp_path)."""
    sockets = tempfile.mkdtemp(prefix="goenv-cm-")
    config = os.path.join(sockets, "config")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(f"Host goenvtest\n  ControlMaster auto\n  ControlPath {sockets}/%C\n  ControlPersist 600\n"
                 + sshd.config.read_text())
    cfg = UserConfig(["-F", config], sockets)
    try:
        yield cfg
    finally:
        # The master this test started (by its socket, never another's), then its folder.
        subprocess.run(["ssh", *cfg.options, "-O", "exit", sshd.target()], capture_output=True, timeout=30)
        shutil.rmtree(sockets, ignore_errors=True)


def master_pid(sshd, cfg: UserConfig) -> int | None:
    res = subprocess.run(["ssh", *cfg.options, "-O", "check", sshd.target()], capture_output=True, text=True,
                         timeout=30, stdin=subprocess.DEVNULL)
    found = re.search(r"Master running \(pid=(\d+)\)", res.stderr)
    return int(found.group(1)) if res.returncode == 0 and found else None


def processes_naming(text: str) -> list[str]:
    """Command lines of every process on this machine that mention `text` (an ssh master shows
    its ControlPath in its title)."""
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if text in line:
            out.append(line)
    return out


def remote_user_processes(user: str, since: float) -> list[str]:
    """What this test started that runs as the remote user, besides sshd itself (the master's own
    session process); earlier tests' remote leftovers (a hostile home's FIFO blocks a shell for
    good) are not this test's."""
    out = []
    for proc in psutil.process_iter(["username", "name", "cmdline", "status", "create_time"]):
        if (proc.info["username"] == user and proc.info["name"] != "sshd" and proc.info["create_time"] >= since
                and proc.info["status"] != psutil.STATUS_ZOMBIE):
            out.append(" ".join(proc.info["cmdline"] or [proc.info["name"]]))
    return out


def wait_until_empty(probe, seconds: float = 15.0) -> list[str]:  # type: ignore[no-untyped-def]
    """The processes `probe` lists once they had `seconds` to end (ending is not instant; no timing is asserted)."""
    deadline = time.monotonic() + seconds
    while True:
        left = probe()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def test_agent_runs_through_the_users_running_master_and_leaves_it_as_it_was(sshd, user_config: UserConfig) -> None:
    since = time.time() - 1  # psutil's create_time has a tick's resolution
    fill_home(sshd, BROKEN)
    # The user's own first `ssh host cmd` starts their master (ControlMaster auto) and keeps it.
    first = subprocess.run(["ssh", *user_config.options, sshd.target(), "echo $SSH_CONNECTION"], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert first.returncode == 0, first.stderr
    theirs = master_pid(sshd, user_config)
    assert theirs is not None
    with SSHHost(sshd.target(), user_config.options) as host:
        assert host.user_master == theirs
        # The same TCP connection as the user's: no new login was made.
        assert host.environ()["SSH_CONNECTION"] == first.stdout.strip()
        ours = host._agent.pid  # type: ignore[union-attr]  # noqa: SLF001
        via_master = to_json(diagnose(host, opts(sshd)))
        # Interactive commands (the app's editor, the probes' pty sessions) go through it too.
        argv = host.interactive_argv(["id", "-un"], None, None)[0]
        assert subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL).stdout.strip() == sshd.user
    # The user's master is still up, the same process; ours (its client) is gone, and nothing of
    # ours runs on the remote side.
    assert master_pid(sshd, user_config) == theirs and psutil.Process(theirs).is_running()
    assert not psutil.pid_exists(ours) or psutil.Process(ours).status() == psutil.STATUS_ZOMBIE
    assert wait_until_empty(lambda: remote_user_processes(sshd.user, since)) == []
    # The same diagnosis as over goenv-tui's own connection.
    with SSHHost(sshd.target(), sshd.options()) as own:
        assert own.user_master is None
        direct = to_json(diagnose(own, opts(sshd)))
    assert comparable(via_master) == comparable(direct)


def test_a_config_that_would_keep_a_master_gets_none_left_behind(sshd, user_config: UserConfig) -> None:
    """ControlMaster auto + ControlPersist, no master up: goenv-tui's own connection is used, and
    after it closes there is no master on the user's ControlPath nor any ssh of ours running."""
    since = time.time() - 1  # psutil's create_time has a tick's resolution
    fill_home(sshd, BROKEN)
    assert master_pid(sshd, user_config) is None
    with SSHHost(sshd.target(), user_config.options) as host:
        assert host.user_master is None
        assert host.run(["id", "-un"]).stdout.decode().strip() == sshd.user
        argv = host.interactive_argv(["true"], None, None)[0]
        assert subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL).returncode == 0
        private = host.control
    assert master_pid(sshd, user_config) is None
    assert os.listdir(user_config.socket_dir) == ["config"]
    assert wait_until_empty(lambda: processes_naming(user_config.socket_dir) + processes_naming(private)) == []
    assert [c for c in psutil.Process().children(recursive=True) if c.name() == "ssh"] == []
    assert wait_until_empty(lambda: remote_user_processes(sshd.user, since)) == []


def test_cli_report_through_the_users_master(sshd, user_config: UserConfig) -> None:
    """`goenv-tui report --ssh` with the user's ssh config reuses their master and says so with -v."""
    import json
    import sys

    since = time.time() - 1  # psutil's create_time has a tick's resolution
    fill_home(sshd, BROKEN)
    subprocess.run(["ssh", *user_config.options, sshd.target(), "true"], capture_output=True, timeout=60,
                   stdin=subprocess.DEVNULL, check=True)
    theirs = master_pid(sshd, user_config)
    assert theirs is not None
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "-v", "--no-probes", "--shell", "bash",
                          "--login-shell", "/bin/bash", "--ssh", sshd.target(), "--ssh-config", user_config.options[1]],
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert res.returncode in (0, 1), res.stderr
    assert json.loads(res.stdout)["contexts"]
    assert f"through your ssh ControlMaster (pid {theirs})" in res.stderr
    assert master_pid(sshd, user_config) == theirs
    assert wait_until_empty(lambda: remote_user_processes(sshd.user, since)) == []
