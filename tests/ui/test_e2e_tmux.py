"""End to end: the installed `goenv-tui` in a real terminal (tmux, 80x24), driven with send-keys
and read with capture-pane; `e` opens $EDITOR at the line; `q` quits cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.homes import goenv_tui_exe
from tests.ui.fixtures import broken_home

pytestmark = pytest.mark.slow


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20).stdout


def wait_for(pred, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_goenv_tui_in_tmux(tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    assert shutil.which("tmux"), "tmux is required (scripts/install-test-deps.sh)"
    home = broken_home("tmux-home")
    log = tmp_path / "editor.log"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    editor.chmod(0o755)
    done = tmp_path / "exit"
    session = f"goenv-e2e-{os.getpid()}"
    script = (f"EDITOR={editor} {exe} --home {home.path} --shell bash --login-shell /bin/bash; "
              f"echo EXIT=$? > {done}; sleep 60")
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-e", "TERM=xterm-256color", script)
    screen = lambda: tmux("capture-pane", "-p", "-t", session)  # noqa: E731
    try:
        wait_for(lambda: "warnings" in screen(), "the findings")
        first = screen()
        assert "1 Findings" in first and "GOROOT points to" in first
        tmux("send-keys", "-t", session, "2")
        wait_for(lambda: "~/.bash_profile" in screen() and "sets GOPATH" in screen(), "the init chain")
        tmux("send-keys", "-t", session, "e")
        wait_for(lambda: log.exists() and log.read_text().strip(), "the editor to be called")
        assert log.read_text().split() == ["+2", home.p(".bash_profile")]
        wait_for(lambda: "~/.bash_profile" in screen(), "the app to come back after the editor")
        tmux("send-keys", "-t", session, "3")
        wait_for(lambda: "Entries, in lookup order" in screen(), "the variables view")
        tmux("send-keys", "-t", session, "q")
        wait_for(lambda: done.exists(), "goenv-tui to exit")
        assert done.read_text().strip() == "EXIT=0"
    finally:
        tmux("kill-session", "-t", session)


@pytest.mark.parametrize("env", [["NO_COLOR=1", "TERM=xterm-256color"], ["TERM=xterm"], ["TERM=screen"]],
                         ids=["no-color", "16-colour-xterm", "screen"])
def test_goenv_tui_without_colour_or_with_16(tmp_path: Path, env: list[str]) -> None:
    exe = goenv_tui_exe()
    home = broken_home("tmux-home-2")
    done = tmp_path / "exit"
    session = f"goenv-e2e-{os.getpid()}-{env[0].split('=')[0]}"
    script = f"{exe} --home {home.path} --shell bash --login-shell /bin/bash; echo EXIT=$? > {done}; sleep 60"
    args = ["new-session", "-d", "-s", session, "-x", "80", "-y", "24"]
    for e in env:
        args += ["-e", e]
    tmux(*args, script)
    screen = lambda: tmux("capture-pane", "-p", "-t", session)  # noqa: E731
    try:
        wait_for(lambda: "warnings" in screen(), "the findings")
        tmux("send-keys", "-t", session, "4")
        wait_for(lambda: "PATH, in lookup order" in screen(), "the resolution view")
        tmux("send-keys", "-t", session, "q")
        wait_for(lambda: done.exists(), "goenv-tui to exit")
        assert done.read_text().strip() == "EXIT=0"
    finally:
        tmux("kill-session", "-t", session)
