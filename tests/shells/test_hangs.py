"""Startup files that hang or end the shell: a timeout or a clear error, never a leftover process."""

from __future__ import annotations

import os
import secrets

import psutil
import pytest

from goenv_tui.model import TraceStatus
from tests.homes import Home

# The sleeps these tests start carry a length no other run uses: a leftover check sees only
# this run's processes (another checkout's suite may run the same tests at the same moment).
NAP = f"6{secrets.randbelow(10**6):06d}"


def _alive(marker: str) -> list[str]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
        except psutil.Error:
            continue
        if marker in cmd and p.status() != psutil.STATUS_ZOMBIE:
            out.append(cmd)
    return out


@pytest.mark.parametrize("shell,rc,context", [
    ("bash", ".bashrc", "bash-nologin-interactive"),
    ("zsh", ".zshrc", "zsh-nologin-interactive"),
])
def test_sleep_times_out_and_leaves_nothing(home: Home, shell: str, rc: str, context: str) -> None:
    home.file(rc, f"""
        export GOPROXY=direct
        sleep {NAP}071
        export GOROOT=/never
    """)
    t = home.trace(shells=(shell,), login_shell=f"/bin/{shell}", timeout=1.0, only=(context,))[context]
    assert t.status is TraceStatus.TIMEOUT
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(rc), 2)
    assert f"sleep {NAP}071" in t.error
    assert _alive(f"sleep {NAP}071") == []


def test_read_waits_for_input_and_times_out(home: Home) -> None:
    home.file(".bashrc", """
        export GOPATH=/x
        read -r answer
    """)
    t = home.trace(shells=("bash",), timeout=1.0, only=("bash-sshd-command",))["bash-sshd-command"]
    assert t.status is TraceStatus.TIMEOUT
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(".bashrc"), 2)


def test_background_daemon_started_by_rc_is_killed(home: Home) -> None:
    # setsid escapes the process group; the run token in its environment still finds it.
    home.file(".bashrc", f"setsid sleep {NAP}072 </dev/null >/dev/null 2>&1 &\nexport GOFLAGS=-v\n")
    t = home.trace(shells=("bash",), timeout=3.0, only=("bash-nologin-interactive",))["bash-nologin-interactive"]
    assert t.status is TraceStatus.OK and t.env["GOFLAGS"] == "-v"
    assert _alive(f"sleep {NAP}072") == []


@pytest.mark.parametrize("shell,rc,context", [
    ("bash", ".bashrc", "bash-nologin-interactive"),
    ("zsh", ".zshrc", "zsh-nologin-interactive"),
])
def test_exec_tmux_is_a_clear_error(home: Home, shell: str, rc: str, context: str) -> None:
    marker = f"goenvtest{os.getpid()}{shell}"
    home.file(rc, f"""
        export GOPROXY=direct
        exec tmux -L {marker}
    """)
    t = home.trace(shells=(shell,), login_shell=f"/bin/{shell}", timeout=3.0, only=(context,))[context]
    assert t.status is TraceStatus.ERROR
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(rc), 2)
    assert "tmux" in t.error
    assert _alive(f"-L {marker}") == []


def test_hang_becomes_an_error_finding(home: Home) -> None:
    home.file(".bashrc", f"sleep {NAP}073\n")
    d = home.diagnose(shells=("bash",), timeout=1.0)
    hangs = [f for f in d.findings if f.check == "GOENV-TRACE-001"]
    assert len(hangs) == 1 and hangs[0].severity.value == "error"
    assert hangs[0].title == "Shell startup hangs at ~/.bashrc:1"
    assert set(hangs[0].contexts) == {"bash-nologin-interactive", "bash-sshd-command"}
    assert _alive(f"sleep {NAP}073") == []
