"""End to end: the installed `goenv-tui` in a real terminal (tmux, 80x24), driven with send-keys
and read with capture-pane; `e` opens $EDITOR at the line; `q` quits cleanly."""

from __future__ import annotations

import re
import time
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


def _marks(term, mark: str) -> list[frozenset[str]]:
    """The SGR attributes of every `mark` that starts a finding row in the list (left column),
    below the first severity heading ("3 errors"): the per-tool summary above it has its own marks."""
    out = []
    listed = False
    for row in term.styled():
        text = "".join(c for c, _ in row)
        listed = listed or bool(re.match(r" \d+ (errors?|warnings?|notes?) ", text))
        if listed and text[:3].strip() == mark and len(text) > 3 and text[2] == " ":
            out.append(next(a for c, a in row if c == mark))
    return out


def test_no_color_severity_reads_without_colour(tmp_path: Path) -> None:
    """Issue 17 item 2: under NO_COLOR errors were grey 236 on 235. Now the error mark is in reverse
    video, warnings bold, and no text is left a near-background grey."""
    exe = goenv_tui_exe()
    home = broken_home("tmux-home-2")
    with Terminal(f"NO_COLOR=1 {exe} --home {home.path} --shell bash --login-shell /bin/bash", tmp_path,
                  env=["TERM=xterm-256color"]) as term:
        term.wait("warnings", "the findings", 30)
        term.send("down")  # the cursor off the error row: its mark shows its own style
        time.sleep(0.5)
        errors, warnings = _marks(term, "✗"), _marks(term, "!")
        assert errors and all("7" in a and "1" in a for a in errors), errors
        assert warnings and all("1" in a and "7" not in a for a in warnings), warnings
        for row in term.styled():
            for c, attrs in row:
                fg = next((a for a in attrs if a.startswith("38;5;")), None)
                bg = next((a for a in attrs if a.startswith("48;5;")), None)
                if c.strip() and fg and bg and "7" not in attrs:
                    # greys 232..255: text and background at least 6 steps apart
                    f, b = int(fg.split(";")[2]), int(bg.split(";")[2])
                    if f >= 232 and b >= 232:
                        assert abs(f - b) >= 6, (c, attrs)
        term.send("4")
        term.wait("PATH, in lookup order", "the resolution view", 30)
        term.send("q")
        assert term.exit_status(30) == "EXIT=0"


@pytest.mark.parametrize("term_name", ["xterm", "screen"])
def test_sixteen_colours_errors_red_warnings_yellow(tmp_path: Path, term_name: str) -> None:
    """Issue 17 item 2: with 16 colours errors came out magenta and warnings bright red. TERM is set
    in the command itself: tmux gives its panes its own TERM otherwise."""
    exe = goenv_tui_exe()
    home = broken_home("tmux-home-3")
    with Terminal(f"TERM={term_name} {exe} --home {home.path} --shell bash --login-shell /bin/bash", tmp_path) as term:
        term.wait("warnings", "the findings", 30)
        term.send("down")
        time.sleep(0.5)
        assert all(not a.startswith(("38;", "48;")) for row in term.styled() for _, attrs in row for a in attrs)
        errors, warnings = _marks(term, "✗"), _marks(term, "!")
        assert errors and all("31" in a for a in errors), errors
        assert warnings and all("33" in a for a in warnings), warnings
        term.send("4")
        term.wait("PATH, in lookup order", "the resolution view", 30)
        term.send("q")
        assert term.exit_status(30) == "EXIT=0"
