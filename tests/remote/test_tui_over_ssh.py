"""The full-screen app inside an SSH session, in tmux (80x24, TERM=screen, no mouse): it paints,
says it runs over ssh, points out what Remote-SSH will see differently, and quits cleanly."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.homes import goenv_tui_exe
from tests.remote.test_ssh import BROKEN, fill_home

pytestmark = pytest.mark.slow


def test_tui_inside_an_ssh_session(sshd, tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    assert shutil.which("tmux")
    fill_home(sshd, BROKEN)
    done = tmp_path / "exit"
    session = f"goenv-ssh-tui-{id(tmp_path)}"
    remote = f"{exe} --home {sshd.home} --shell bash --login-shell /bin/bash --no-probes"
    script = f"ssh -t -F {sshd.config} root@goenvtest {remote!r}; echo EXIT=$? > {done}; sleep 60"
    run = lambda *a: subprocess.run(["tmux", *a], capture_output=True, text=True, timeout=20).stdout  # noqa: E731
    run("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-e", "TERM=screen", script)
    screen = lambda: run("capture-pane", "-p", "-t", session)  # noqa: E731
    try:
        deadline = time.monotonic() + 60
        while "warning" not in screen():
            assert time.monotonic() < deadline, screen()
            time.sleep(0.2)
        first = screen()
        assert "[over ssh]" in first
        run("send-keys", "-t", session, "2")
        deadline = time.monotonic() + 20
        while "~/.bashrc" not in screen():
            assert time.monotonic() < deadline, screen()
            time.sleep(0.2)
        run("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 20
        while not done.exists():
            assert time.monotonic() < deadline, screen()
            time.sleep(0.2)
        assert done.read_text().strip() == "EXIT=0"
    finally:
        run("kill-session", "-t", session)
