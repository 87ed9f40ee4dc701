"""A terminal whose locale is not UTF-8 (LANG unset inside an SSH session): ASCII frames and
symbols instead of `qqq`/`x`, in the app and in the text report, and `report -v` says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from goenv_tui.charset import detect, to_ascii
from tests.homes import Home, goenv_tui_exe
from tests.tmux import Terminal

NO_LOCALE = ("LANG", "LC_ALL", "LC_CTYPE")


def test_detect_reads_the_locale_the_user_set() -> None:
    assert not detect({}, 0).utf8
    assert not detect({"LANG": "C"}, 0).utf8
    assert detect({"LANG": "en_US.UTF-8"}, 0).utf8 and detect({"LANG": "de_DE.utf8"}, 0).utf8
    assert not detect({"LANG": "en_US.UTF-8", "LC_ALL": "POSIX"}, 0).utf8  # LC_ALL wins, as in setlocale
    assert detect({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, 0).utf8
    # Python's own coercion of a C locale (PEP 538) is not the user's LC_CTYPE.
    assert not detect({"LC_CTYPE": "C.UTF-8"}, 1).utf8
    assert detect({"LC_CTYPE": "C.UTF-8", "PYTHONUTF8": "1"}, 1).utf8
    assert detect({"GOENV_TUI_ASCII": "0"}, 1).utf8 and not detect({"GOENV_TUI_ASCII": "1", "LANG": "C.UTF-8"}, 0).utf8
    assert detect({}, 0).why == "LANG, LC_ALL and LC_CTYPE are unset"


def test_to_ascii_keeps_one_cell_per_character() -> None:
    frame = "╭─ Findings ─╮\n│ ✗ GOROOT → … │\n╰────────────╯"
    out = to_ascii(frame)
    assert out == "+- Findings -+\n| x GOROOT > . |\n+------------+"
    assert [len(x) for x in out.splitlines()] == [len(x) for x in frame.splitlines()]
    assert to_ascii("a → b …", wide=True) == "a -> b ..."
    assert to_ascii("日") == "?" and to_ascii("\x1b[1mok\x1b[0m") == "\x1b[1mok\x1b[0m"


def test_text_report_without_utf8_locale_is_ascii_and_says_so(home: Home) -> None:
    home.file(".bashrc", "export GOROOT=/nowhere\n")
    env = {k: v for k, v in os.environ.items() if k not in NO_LOCALE}
    args = [sys.executable, "-m", "goenv_tui", "report", "--text", "--no-probes", "--home", home.path, "--shell", "bash",
            "--login-shell", "/bin/bash"]
    plain = subprocess.run(args, capture_output=True, env=env, timeout=120)
    verbose = subprocess.run([*args, "-v"], capture_output=True, env=env, timeout=120)
    for res in (plain, verbose):
        assert res.returncode == 1 and res.stdout and res.stdout.isascii(), res.stdout.decode(errors="replace")
    assert b"x GOROOT points to /nowhere" in plain.stdout
    assert b"terminal charset: not UTF-8 (LANG, LC_ALL and LC_CTYPE are unset): ASCII borders and symbols" in verbose.stdout
    assert b"terminal charset" not in plain.stdout
    utf8 = subprocess.run(args, capture_output=True, env={**env, "LANG": "C.UTF-8"}, timeout=120)
    assert "✗ GOROOT points to /nowhere" in utf8.stdout.decode()


@pytest.mark.slow
@pytest.mark.parametrize("utf8", [False, True])
def test_app_frame_in_a_terminal_without_utf8_locale(tmp_path: Path, utf8: bool) -> None:
    exe = goenv_tui_exe()
    unset = " ".join(f"-u {k}" for k in NO_LOCALE)
    command = f"env {unset} {'LANG=C.UTF-8' if utf8 else ''} {exe} --demo --no-probes"
    with Terminal(command, tmp_path) as term:
        term.wait("warning", "the findings", 60)
        screen = term.screen()
        box = [ch for ch in screen if ch in "─│╭╮╰╯┌┐└┘━┃"]
        if utf8:
            assert box, screen  # the same app does draw box characters on a UTF-8 terminal
        else:
            assert screen.isascii() and not box and "qqq" not in screen, screen
            assert "--" in screen or "+-" in screen or "|" in screen, screen
        term.send("q")
        assert term.exit_status(30) == "EXIT=0"
