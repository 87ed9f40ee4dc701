"""The full-screen app inside an SSH session, in tmux (80x24, TERM=screen, no mouse): it paints,
says it runs over ssh, points out what Remote-SSH will see differently, and quits cleanly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import goenv_tui
from tests.homes import goenv_tui_exe
from tests.remote.test_ssh import BROKEN, fill_home
from tests.tmux import Terminal

pytestmark = pytest.mark.slow


def test_tui_inside_an_ssh_session(sshd, tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    fill_home(sshd, BROKEN)
    # The package under test (sshd gives the session no PYTHONPATH of ours).
    tree = Path(goenv_tui.__file__).resolve().parents[1]
    remote = f"env PYTHONPATH={tree} {exe} --home {sshd.home} --shell bash --login-shell /bin/bash --no-probes"
    with Terminal(f"ssh -t -F {sshd.config} root@goenvtest {remote!r}", tmp_path, env=["TERM=screen"]) as term:
        term.wait("warning", "the findings")
        first = term.screen()
        assert "[over ssh]" in first
        # sshd passes no LANG here (as often): ASCII frames, never `qqq`/`x` line drawing.
        assert first.isascii() and "qqq" not in first and "----" in first, first
        term.send("2")
        term.wait("~/.bashrc", "the init chain", 20)
        term.send("q")
        assert term.exit_status() == "EXIT=0"


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
    command = (f"EDITOR={local_editor} {exe} --ssh {sshd.target()} --ssh-config {sshd.config} --shell bash "
               f"--login-shell /bin/bash --no-probes")
    with Terminal(command, tmp_path, size=(100, 30)) as term:
        term.wait("warning", "the findings")
        status = term.screen().splitlines()[0]
        assert ":~ (bash)" in status, status  # the remote user's home, as that user says it
        term.send("2")
        term.wait(lambda: "~/.bashrc" in term.screen() or "~/.profile" in term.screen(), "the init chain")
        term.send("e")
        term.wait(lambda: log.exists() and log.read_text().strip(), "the remote editor")
        words = log.read_text().split()
        # Run as the remote user (this test's client is root), on the file the view showed.
        assert words[0] == sshd.user and words[-1] in (f"{sshd.home}/.profile", f"{sshd.home}/.bashrc"), words
        assert not local_log.exists()
        term.wait("goenv-tui", "the app to come back after the editor")
        term.send("q")
        assert term.exit_status() == "EXIT=0"
