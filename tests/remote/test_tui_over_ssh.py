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


def test_edit_key_against_a_remote_host_opens_the_remote_file_there(sshd, tmp_path: Path) -> None:
    """`e` with --ssh runs the remote user's $EDITOR on the remote host, never a local editor on
    a path that names a file of the remote machine."""
    exe = goenv_tui_exe()
    editor = sshd.home / "editor.sh"
    log = sshd.home / "edit.log"
    fill_home(sshd, f"export EDITOR={editor}\n{BROKEN}")
    editor.write_text(f'#!/bin/sh\necho "$(id -un) $@" >> {log}\n')
    editor.chmod(0o755)
    subprocess.run(["chown", f"{sshd.user}:{sshd.user}", str(editor)], check=True)
    local_log = tmp_path / "local-editor.log"
    local_editor = tmp_path / "local-editor.sh"
    local_editor.write_text(f'#!/bin/sh\necho "$@" >> {local_log}\n')
    local_editor.chmod(0o755)
    done = tmp_path / "exit"
    session = f"goenv-ssh-edit-{id(tmp_path)}"
    script = (f"EDITOR={local_editor} {exe} --ssh {sshd.target()} --ssh-config {sshd.config} --shell bash "
              f"--login-shell /bin/bash --no-probes; echo EXIT=$? > {done}; sleep 60")
    run = lambda *a: subprocess.run(["tmux", *a], capture_output=True, text=True, timeout=20).stdout  # noqa: E731
    run("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "-e", "TERM=xterm-256color", script)
    screen = lambda: run("capture-pane", "-p", "-t", session)  # noqa: E731

    def wait(pred, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{screen()}"
            time.sleep(0.2)

    try:
        wait(lambda: "warning" in screen(), "the findings")
        run("send-keys", "-t", session, "2")
        wait(lambda: "~/.bashrc" in screen() or "~/.profile" in screen(), "the init chain")
        run("send-keys", "-t", session, "e")
        wait(lambda: log.exists() and log.read_text().strip(), "the remote editor")
        words = log.read_text().split()
        # Run as the remote user (this test's client is root), on the file the view showed.
        assert words[0] == sshd.user and words[-1] in (f"{sshd.home}/.profile", f"{sshd.home}/.bashrc"), words
        assert not local_log.exists()
        wait(lambda: "goenv-tui" in screen(), "the app to come back after the editor")
        run("send-keys", "-t", session, "q")
        wait(lambda: done.exists(), "goenv-tui to exit", 20)
        assert done.read_text().strip() == "EXIT=0"
    finally:
        run("kill-session", "-t", session)
