"""Hostile remote homes (issue 13.6 and 13.4 over SSH): nothing a remote startup file starts
outlives the run on the remote side, and a FIFO where a file should be neither hangs the run nor
goes unnamed. Real sshd on 127.0.0.1, the real agent, real shells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.remote.test_shells_over_ssh import fill
from tests.shells.test_hostile import _gone, _marker

pytestmark = pytest.mark.slow


def _report(server, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "goenv_tui", "report", "--ssh", server.target(), "--no-probes"]
    for opt in server.options()[1:]:
        args += ["--ssh-config", opt]
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, NO_COLOR="1"))


@pytest.mark.parametrize("rc", [".bashrc", ".profile"])
def test_setsid_env_i_daemon_in_a_remote_startup_file_never_outlives_the_run(sshd, rc: str) -> None:
    mark = _marker()
    fill(sshd, {rc: f"setsid env -i /bin/sleep {mark} </dev/null >/dev/null 2>&1 &\nexport GOFLAGS=-v\n"})
    try:
        res = _report(sshd, "--json", "--shell", "bash", "--login-shell", "/bin/bash")
        assert res.returncode in (0, 1), res.stderr
        doc = json.loads(res.stdout)
        assert any(c["env"].get("GOFLAGS") == "-v" for c in doc["contexts"]), doc["contexts"]
        # The remote side's own leftovers: the sleep runs as the remote user on this machine.
        assert _gone(mark) == []
    finally:
        _gone(mark, timeout=0)


def test_remote_daemon_of_a_hung_shell_never_outlives_the_run(sshd) -> None:
    mark = _marker()
    # Interactive shells only: `ssh host cmd` (which starts the agent itself) must still work.
    fill(sshd, {".bashrc": f"case $- in *i*)\n  setsid env -i /bin/sleep {mark} </dev/null >/dev/null 2>&1 &\n"
                           "  sleep 600;;\nesac\n"})
    try:
        t0 = time.monotonic()
        res = _report(sshd, "--json", "--shell", "bash", "--login-shell", "/bin/bash", "--timeout", "2")
        assert res.returncode == 1, res.stderr
        assert time.monotonic() - t0 < 120
        hung = {c["id"]: c for c in json.loads(res.stdout)["contexts"]}["bash-nologin-interactive"]
        assert hung["status"] == "timeout", hung
        assert _gone(mark) == []
    finally:
        _gone(mark, timeout=0)


def test_remote_fifos_never_hang_and_are_named(sshd) -> None:
    fill(sshd, {".bashrc": "export GOPATH=$HOME/gp\n"})
    home = sshd.home
    ws = home / "ws"
    ws.mkdir()
    (home / ".config/Code/User").mkdir(parents=True)
    os.mkfifo(home / ".bash_profile")  # login shells only: `ssh host cmd` (the agent's own start) still works
    os.mkfifo(home / ".config/Code/User/settings.json")
    os.mkfifo(ws / "go.mod")
    os.mkfifo(ws / "main.go")
    subprocess.run(["chown", "-R", f"{sshd.user}:{sshd.user}", str(home)], check=True)
    t0 = time.monotonic()
    res = _report(sshd, "--text", "-v", "--workspace", str(ws), "--shell", "bash", "--login-shell", "/bin/bash",
                  "--timeout", "2")
    elapsed = time.monotonic() - t0
    assert res.returncode == 1, res.stderr
    assert elapsed < 90, elapsed  # a hang guard: bounded by the 2 s deadlines, not by a writer
    out = res.stdout
    assert "Shell startup hangs reading ~/.bash_profile: it is a FIFO (named pipe)" in out, out
    assert "settings.json:1 cannot be read" in out and "a FIFO (named pipe)" in out, out
    assert "~/ws/go.mod cannot be read: a FIFO (named pipe)" in out, out  # the workspace is in the home
    assert "has Go files but no go.mod" not in out


def test_remote_fifo_bashrc_hangs_every_ssh_command_and_the_error_says_so(sshd) -> None:
    """bash reads ~/.bashrc for `ssh host cmd` too, so the connection itself (the agent is such a
    command) waits on the FIFO: the run ends at the connect deadline with one line saying why."""
    fill(sshd, {})
    os.mkfifo(sshd.home / ".bashrc")
    subprocess.run(["chown", "-R", f"{sshd.user}:{sshd.user}", str(sshd.home)], check=True)
    t0 = time.monotonic()
    res = _report(sshd, "--json", "--shell", "bash", "--login-shell", "/bin/bash", "--timeout", "2")
    assert time.monotonic() - t0 < 90
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "no answer within" in res.stderr and "a FIFO hangs every such command" in res.stderr, res.stderr
    # The real `ssh host true` hangs the same way (what the message tells the user to try).
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(["ssh", *sshd.options(), sshd.target(), "true"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=5)


def test_remote_self_sourcing_bashrc_is_stopped_early_and_named(sshd) -> None:
    """The untraced check and the early stop work over SSH too (the agent's `cancel`)."""
    # Interactive shells only: bash sources ~/.bashrc for `ssh host cmd` too, the agent's own start.
    fill(sshd, {".bashrc": "export GOFLAGS=-v\ncase $- in *i*) . ~/.bashrc;; esac\n"})
    t0 = time.monotonic()
    res = _report(sshd, "--json", "--shell", "bash", "--login-shell", "/bin/bash", "--timeout", "5")
    elapsed = time.monotonic() - t0
    assert res.returncode == 1, res.stderr
    assert elapsed < 45, elapsed  # the bound; without the early stop it is the 60 s ceiling
    doc = json.loads(res.stdout)
    c = {c["id"]: c for c in doc["contexts"]}["bash-nologin-interactive"]
    assert c["status"] == "error" and "untraced, the shell crashes with a segmentation fault" in c["error"], c
    titles = [f["title"] for f in doc["findings"] if f["check"] == "GOENV-TRACE-001"]
    assert titles == ["~/.bashrc:2 sources ~/.bashrc again and again: startup never finishes"], titles
