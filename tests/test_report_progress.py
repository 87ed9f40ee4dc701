"""`goenv-tui report` on a terminal shows its progress on stderr while it traces and probes, and
prints nothing there when stderr is not a terminal (issue 17 item 6)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.homes import Home, goenv_tui_exe
from tests.tmux import Terminal


def slow_home(home: Home) -> Home:
    # Contexts finish seconds apart (no startup file: at once; ~/.bashrc: 1 s; login: 3 s), so the
    # line is seen ticking even when the machine is busy.
    home.file(".bashrc", "sleep 1\nexport GOFLAGS=-mod=mod\n")
    home.file(".profile", 'sleep 2\n. "$HOME/.bashrc"\n')
    return home


@pytest.mark.slow
def test_progress_ticks_on_a_terminal_and_is_gone_after(home: Home, tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    slow_home(home)
    out = tmp_path / "report.txt"
    command = f"{exe} report --text --no-probes --home {home.path} --shell bash --login-shell /bin/bash > {out}"
    seen: list[str] = []
    with Terminal(command, tmp_path) as term:
        deadline = time.monotonic() + 60
        while not term.done.exists() and time.monotonic() < deadline:
            screen = term.screen()
            line = screen.splitlines()[0] if screen.strip() else ""
            if line.startswith("⟳") and line not in seen:
                seen.append(line)
            time.sleep(0.1)
        assert term.exit_status(60) in ("EXIT=0", "EXIT=1")
        left = term.screen()
    assert any("tracing shells:" in s and "/5 contexts" in s for s in seen), seen
    assert len({s for s in seen if "tracing shells:" in s}) >= 2, seen  # it ticks, one context after another
    assert "⟳" not in left  # cleared before the report
    report = out.read_text()
    assert "Traced 5 launch contexts in" in report and "⟳" not in report


def test_no_progress_when_stderr_is_not_a_terminal(home: Home) -> None:
    home.file(".bashrc", "export GOFLAGS=-mod=mod\n")
    res = subprocess.run([goenv_tui_exe(), "report", "--text", "--no-probes", "--home", home.path, "--shell", "bash",
                          "--login-shell", "/bin/bash"], capture_output=True, text=True, timeout=120)
    assert res.returncode in (0, 1), res.stderr
    assert res.stderr == ""
    assert "Traced 5 launch contexts in" in res.stdout


def test_tracing_and_probing_are_timed_apart(home: Home) -> None:
    from goenv_tui.report import render_text

    home.file(".bashrc", "export GOFLAGS=-mod=mod\n")
    d = home.diagnose(shells=("bash",))
    d.timings.update(trace_ms=1200.0, probes_ms=25000.0, total_ms=26500.0)
    text = render_text(d, color=False)
    assert "Traced 5 launch contexts in 1.2s; probed gopls, dlv and go build in 25.0s" in text
