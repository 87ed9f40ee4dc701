"""End to end: the installed `goenv-tui` in a real terminal (tmux, 80x24), driven with send-keys
and read with capture-pane; `e` opens $EDITOR at the line; `q` quits cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.homes import goenv_tui_exe
from tests.tmux import Terminal
from tests.ui.fixtures import broken_home

pytestmark = pytest.mark.slow


def test_goenv_tui_in_tmux(tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    home = broken_home("tmux-home")
    log = tmp_path / "editor.log"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    editor.chmod(0o755)
    command = f"EDITOR={editor} {exe} --home {home.path} --shell bash --login-shell /bin/bash"
    with Terminal(command, tmp_path) as term:
        term.wait("warnings", "the findings", 30)
        first = term.screen()
        assert "1 Findings" in first and "GOROOT points to" in first
        term.send("2")
        term.wait(lambda: "~/.bash_profile" in term.screen() and "sets GOPATH" in term.screen(), "the init chain", 30)
        term.send("e")
        term.wait(lambda: log.exists() and log.read_text().strip(), "the editor to be called", 30)
        assert log.read_text().split() == ["+2", home.p(".bash_profile")]
        term.wait("~/.bash_profile", "the app to come back after the editor", 30)
        term.send("3")
        term.wait("Entries, in lookup order", "the variables view", 30)
        term.send("q")
        assert term.exit_status(30) == "EXIT=0"


@pytest.mark.parametrize("env", [["NO_COLOR=1", "TERM=xterm-256color"], ["TERM=xterm"], ["TERM=screen"]],
                         ids=["no-color", "16-colour-xterm", "screen"])
def test_goenv_tui_without_colour_or_with_16(tmp_path: Path, env: list[str]) -> None:
    exe = goenv_tui_exe()
    home = broken_home("tmux-home-2")
    with Terminal(f"{exe} --home {home.path} --shell bash --login-shell /bin/bash", tmp_path, env=env) as term:
        term.wait("warnings", "the findings", 30)
        term.send("4")
        term.wait("PATH, in lookup order", "the resolution view", 30)
        term.send("q")
        assert term.exit_status(30) == "EXIT=0"
