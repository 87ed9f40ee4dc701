"""Hostile and broken homes (issue 13): nothing the home holds can hang, escape, leak or lie."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from goenv_tui.host import HostError, LocalHost
from goenv_tui.host.process import CONTAIN_VAR, containment
from goenv_tui.model import TraceStatus
from tests.homes import Home
from tests.test_report import cli


def _findings(d, check: str) -> list:
    return [f for f in d.findings if f.check == check]


# --- 13.4: FIFOs and other non-regular files are never opened for reading -------------------

def test_host_refuses_to_read_a_fifo_or_a_device_and_says_what_it_is(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    host = LocalHost()
    t0 = time.monotonic()
    with pytest.raises(HostError, match="a FIFO \\(named pipe\\), not a regular file"):
        host.read_bytes(str(fifo))
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(HostError, match="a character device \\(/dev/zero\\)"):
        host.read_text(str(tmp_path / "zero"))
    assert time.monotonic() - t0 < 2
    assert host.read_bytes("/dev/null") == b""  # harmless, and a common way to blank a file


@pytest.mark.slow
def test_fifo_startup_file_settings_gomod_and_go_file_never_hang(home: Home, tmp_path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    os.mkfifo(home.p(".bashrc"))
    home.dir(".config/Code/User")
    os.mkfifo(home.p(".config/Code/User/settings.json"))
    os.mkfifo(ws / "go.mod")
    os.mkfifo(ws / "main.go")
    home.file(".profile", "export GOPATH=$HOME/gp\n")
    t0 = time.monotonic()
    res = cli("report", "--text", "-v", "--no-probes", "--home", home.path, "--workspace", str(ws),
              "--shell", "bash", "--login-shell", "/bin/bash", "--timeout", "2")
    elapsed = time.monotonic() - t0
    assert res.returncode == 1, res.stderr
    assert elapsed < 40, elapsed  # the run is bounded by the 2 s deadlines, not by a writer
    out = res.stdout
    # The hang is put where it is: bash opening ~/.bashrc, not the last line of /etc/bash.bashrc.
    assert "Shell startup hangs reading ~/.bashrc: it is a FIFO (named pipe)" in out
    assert "Shell startup hangs at /etc/bash.bashrc" not in out
    assert "settings.json:1 cannot be read" in out and "a FIFO (named pipe)" in out
    assert f"{ws}/go.mod cannot be read: a FIFO (named pipe)" in out
    assert "has Go files but no go.mod" not in out


@pytest.mark.slow
def test_bashrc_linked_to_dev_zero_is_named(home: Home) -> None:
    home.symlink(".bashrc", "/dev/zero")
    d = home.diagnose(shells=("bash",), timeout=2)
    hung = _findings(d, "GOENV-TRACE-001")
    titles = [f.title for f in hung]
    assert "Shell startup hangs reading ~/.bashrc: it is a character device (/dev/zero)" in titles, titles
    assert not any("bash.bashrc" in t for t in titles), titles
    bad = _findings(d, "GOENV-TRACE-003")
    assert any("a character device (/dev/zero)" in f.title for f in bad)


def test_home_holding_a_fifo_settings_file_alone(home: Home) -> None:
    home.dir(".config/Code/User")
    os.mkfifo(home.p(".config/Code/User/settings.json"))
    t0 = time.monotonic()
    d = home.diagnose(shells=("bash",))
    assert time.monotonic() - t0 < 30
    assert all(c.status is TraceStatus.OK for c in d.facts.contexts)
    assert any("a FIFO (named pipe)" in f.detail for f in d.findings if f.check.startswith("GOENV-VSCODE"))


# --- 13.6 / 13.7: nothing a startup file starts outlives the run; it cannot reach goenv-tui ----

def _marker() -> str:
    """A sleep duration no other run on the machine uses: the only way to recognise a process
    started under `env -i` (its environment, and so any token, is gone)."""
    return f"{1000 + uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 10**4:04d}"


def _ours(mark: str) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if (p.info["cmdline"] or [])[-1:] == [mark] and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
    return out


def _gone(mark: str, timeout: float = 3.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := _ours(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for p in left:  # never leave our own strays behind, even when the test fails
        with contextlib.suppress(psutil.Error):
            if (p.cmdline() or [])[-1:] == [mark]:
                p.kill()
    return left


@pytest.fixture(params=["pidns", "reaper", "reaper-exec"])
def contained(request, monkeypatch) -> str:
    kind, _ = containment(request.param)
    if request.param == "pidns" and kind != "pidns":
        if os.environ.get("GOENV_TUI_CI"):
            pytest.fail("CI runs as root: a PID namespace must be available")
        pytest.skip("no PID namespace here (not root, or forbidden)")
    monkeypatch.setenv(CONTAIN_VAR, request.param)
    return request.param


@pytest.mark.slow
@pytest.mark.parametrize("shell,rc", [("bash", ".bashrc"), ("zsh", ".zshenv")])
def test_setsid_env_i_daemon_never_outlives_the_run(home: Home, contained: str, shell: str, rc: str) -> None:
    mark = _marker()
    home.file(rc, f"setsid env -i /bin/sleep {mark} </dev/null >/dev/null 2>&1 &\nexport GOFLAGS=-v\n")
    traces = home.trace(shells=(shell,))
    assert any(t.env.get("GOFLAGS") == "-v" for t in traces.values())
    assert _gone(mark) == []


@pytest.mark.slow
def test_setsid_env_i_daemon_of_a_hung_shell_never_outlives_the_run(home: Home, contained: str) -> None:
    mark = _marker()
    home.file(".bashrc", f"setsid env -i /bin/sleep {mark} </dev/null >/dev/null 2>&1 &\nsleep 600\n")
    traces = home.trace(shells=("bash",), timeout=1, only=("bash-nologin-interactive",))
    assert traces["bash-nologin-interactive"].status is TraceStatus.TIMEOUT
    assert _gone(mark) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["TERM", "KILL"])
def test_kill_ppid_in_zshenv_does_not_kill_goenv_tui(home: Home, contained: str, sig: str) -> None:
    home.file(".zshenv", f"kill -{sig} $PPID\nexport GOFLAGS=-mod=mod\n")
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--home", home.path,
                          "--shell", "zsh", "--login-shell", "/bin/zsh", "--timeout", "5"],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ, **{CONTAIN_VAR: contained}))
    assert res.returncode in (0, 1), (res.returncode, res.stderr)
    doc = json.loads(res.stdout)
    assert len(doc["contexts"]) >= 4 and all(c["shell"] == "zsh" for c in doc["contexts"])
    if sig == "TERM":  # ignored by the reaper / the namespace's init: the shell goes on
        assert all(c["env"].get("GOFLAGS") == "-mod=mod" for c in doc["contexts"]), doc["contexts"]


# --- 13.5: SIGTERM / SIGHUP clean up like Ctrl-C ---------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_a_report_kills_every_traced_process(home: Home, sig: int) -> None:
    mark = _marker()
    home.file(".bashrc", f"/bin/sleep {mark}\n")
    home.file(".zshrc", f"/bin/sleep {mark}\n")
    proc = subprocess.Popen([sys.executable, "-m", "goenv_tui", "report", "--no-probes", "--home", home.path,
                             "--shell", "bash,zsh", "--login-shell", "/bin/bash", "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_ours(mark)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_ours(mark)) >= 2, "the traced shells never reached their sleep"
        t0 = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            _gone(mark, timeout=0.5)  # a SIGKILLed goenv-tui cannot clean up: the test does
    assert proc.returncode == 128 + sig, (proc.returncode, err)
    assert stopped_in < 10, stopped_in  # not the 60 s deadline
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert ("stopped by SIG" in err) if sig != signal.SIGINT else ("interrupted" in err)
    assert _gone(mark) == []


# --- 13.10: the app needs a terminal; `q` quits at once ----------------------------------------

def test_app_without_a_terminal_exits_2(home: Home) -> None:
    for args in ([], ["wizard"]):
        res = subprocess.run([sys.executable, "-m", "goenv_tui", *args, "--home", home.path], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, res
        assert "needs a terminal" in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert res.stdout == ""  # no escape codes


@pytest.mark.slow
async def test_q_while_tracing_quits_at_once_and_kills_what_runs(home: Home) -> None:
    from goenv_tui.shells.tracer import TraceOptions
    from goenv_tui.ui.app import GoenvApp

    mark = _marker()
    home.file(".bashrc", f"/bin/sleep {mark}\n")
    app = GoenvApp(TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash", timeout=60),
                   workspace=None, stable=True, probes=False)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 60
        while not _ours(mark) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert _ours(mark), "the traced shell never reached its sleep"
        t0 = time.monotonic()
        await pilot.press("q")
        await app.workers.wait_for_complete()
        quit_in = time.monotonic() - t0
    assert quit_in < 10, quit_in
    assert _gone(mark) == []


# --- 13.11–13.14: the report tells what really happened --------------------------------------

@pytest.mark.parametrize("body,check", [("sleep 600", "GOENV-TRACE-001"), ("exit", "GOENV-TRACE-002")])
def test_hang_or_exit_in_zshrc_names_that_line_not_zlogout(home: Home, body: str, check: str) -> None:
    home.file(".zshrc", f"export GOFLAGS=-v\n{body}\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh", timeout=2)
    for cid in ("zsh-login-interactive", "zsh-nologin-interactive"):
        t = {c.id: c for c in d.facts.contexts}[cid]
        assert t.stopped_at is not None and (t.stopped_at.path, t.stopped_at.line) == (home.p(".zshrc"), 2), (cid, t.error)
    assert not any("zlogout" in f.title for f in d.findings)
    assert {f.check for f in d.findings} >= {check}


BLINDERS = [
    ("bash", ".bashrc", "PS4='+ '"),
    ("bash", ".bashrc", "readonly PS4='+ '"),
    ("bash", ".bashrc", "set +x"),
    ("bash", ".bashrc", "exec 2>/dev/null"),
    ("bash", ".bashrc", "builtin() { :; }; printf() { :; }"),
    ("zsh", ".zshrc", "unsetopt xtrace"),
    ("zsh", ".zshrc", "set +x"),
    ("zsh", ".zshrc", "exec 2>/dev/null"),
]


@pytest.mark.parametrize("shell,rc,blinder", BLINDERS)
def test_a_startup_file_that_blinds_the_trace_keeps_the_true_environment(home: Home, shell: str, rc: str,
                                                                         blinder: str) -> None:
    home.file(rc, f"export GOFLAGS=-v\n{blinder}\nexport GOPATH=/opt/after-the-blind-spot\n")
    cid = f"{shell}-nologin-interactive"
    t = home.trace(shells=(shell,), only=(cid,))[cid]
    assert t.status is TraceStatus.OK, t.error
    assert t.env.get("GOPATH") == "/opt/after-the-blind-spot" and t.env.get("GOFLAGS") == "-v"
    if blinder.startswith("builtin"):
        return  # only functions: the trace itself is not blinded, the environment still printed
    blind = [n for n in t.notes if "the trace went blind after" in n]
    # The last line the trace saw: the blinding line itself, or (when the shell does not trace
    # it, as zsh with `exec 2>…`) the line just before it.
    assert blind and "partial" in blind[0], t.notes
    assert f"{home.p(rc)}:2 " in blind[0] or f"{home.p(rc)}:1 " in blind[0], blind


def test_set_u_in_bashrc_does_not_break_the_trace(home: Home) -> None:
    home.file(".bashrc", "set -u\nexport GOFLAGS=-v\n")
    d = home.diagnose(shells=("bash",))
    assert all(c.status is TraceStatus.OK for c in d.facts.contexts), [(c.id, c.error) for c in d.facts.contexts]
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert t.env.get("GOFLAGS") == "-v"
    assert [(a.location.line, a.value) for a in t.assignments if a.var == "GOFLAGS"] == [(2, "-v")]
    assert not _findings(d, "GOENV-TRACE-002")


@pytest.mark.parametrize("shell,rc", [("bash", ".bashrc"), ("zsh", ".zshrc")])
def test_an_exported_megabyte_value_still_gives_the_environment(home: Home, shell: str, rc: str) -> None:
    home.file(rc, "export BIG=" + "x" * 1_100_000 + "\nexport GOFLAGS=-v\n")
    cid = f"{shell}-nologin-interactive"
    t = home.trace(shells=(shell,), only=(cid,))[cid]
    assert t.status is TraceStatus.OK, t.error
    assert t.env.get("GOFLAGS") == "-v" and t.env.get("PATH")
    assert len(t.full_env.get("BIG", "")) == 1_100_000


# --- 13.9: a run's total time is bounded by its deadlines --------------------------------------

def _untraced(shell: str, home: Home, timeout: float) -> subprocess.CompletedProcess[bytes] | None:
    """The real interactive shell on this home, untraced: its result, or None if still running
    at `timeout` (then it is killed, group and all)."""
    proc = subprocess.Popen([f"/bin/{shell}", "-i", "-c", "true"], env={"HOME": home.path, "PATH": "/usr/bin:/bin",
                            "ZDOTDIR": home.path, "TERM": "dumb"}, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)


@pytest.mark.slow
def test_self_sourcing_bashrc_is_stopped_early_and_named(home: Home) -> None:
    home.file(".bashrc", "export GOFLAGS=-v\n. ~/.bashrc\n")
    t0 = time.monotonic()
    res = cli("report", "--json", "--no-probes", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash",
              "--timeout", "5")
    elapsed = time.monotonic() - t0
    assert res.returncode == 1, res.stderr
    # The bound, as a hang guard (how fast it really is: benchmarks/bench_report.py --runaway).
    assert elapsed < 45, elapsed
    doc = json.loads(res.stdout)
    ctxs = {c["id"]: c for c in doc["contexts"]}
    for cid in ("bash-nologin-interactive", "bash-sshd-command"):
        c = ctxs[cid]
        assert c["status"] == "error" and (c["stopped_at"]["path"], c["stopped_at"]["line"]) == (home.p(".bashrc"), 2)
        assert "untraced, the shell crashes with a segmentation fault" in c["error"], c["error"]
    titles = [f["title"] for f in doc["findings"] if f["check"] == "GOENV-TRACE-001"]
    assert titles == ["~/.bashrc:2 sources ~/.bashrc again and again: startup never finishes"], titles
    assert not [f for f in doc["findings"] if f["check"] == "GOENV-TRACE-002"]
    # What the report says is what the real shell does: it crashes, its stack overflowed.
    real = _untraced("bash", home, 60)
    assert real is not None and real.returncode == -signal.SIGSEGV, real


@pytest.mark.slow
def test_self_sourcing_zshrc_stops_at_zsh_recursion_limit_and_keeps_its_environment(home: Home) -> None:
    home.file(".zshrc", "export GOFLAGS=-v\n. ~/.zshrc\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh", timeout=2)
    t = {c.id: c for c in d.facts.contexts}["zsh-nologin-interactive"]
    assert t.status is TraceStatus.OK and t.env.get("GOFLAGS") == "-v", (t.status, t.error)
    assert t.stopped_at is not None and (t.stopped_at.path, t.stopped_at.line) == (home.p(".zshrc"), 2)
    runaway = [f for f in _findings(d, "GOENV-TRACE-001")]
    assert [f.title for f in runaway] == ["~/.zshrc:2 sources ~/.zshrc again and again: every start runs it up to "
                                          "the limit"], [f.title for f in runaway]
    assert runaway[0].severity.value == "warning" and "recursion limit" in runaway[0].detail
    real = _untraced("zsh", home, 60)  # zsh stops it itself, says so, and finishes
    assert real is not None and real.returncode == 0 and b"recursion limit exceeded" in real.stderr


@pytest.mark.slow
@pytest.mark.parametrize("body,title", [
    ("f() {\n  f\n}\nf\n", "~/.bashrc:3 calls f again and again: startup never finishes"),
    ("while true; do\n  x=1\ndone\n", "~/.bashrc:2-3 runs again and again (an endless loop?): startup does not finish"),
])
def test_endless_recursion_or_loop_is_stopped_early_and_named(home: Home, body: str, title: str) -> None:
    home.file(".bashrc", "export GOFLAGS=-v\n" + body)
    t0 = time.monotonic()
    d = home.diagnose(shells=("bash",), timeout=2)
    elapsed = time.monotonic() - t0
    assert elapsed < 45, elapsed  # not the 60 s ceiling: a hang guard, figures in benchmarks
    t = {c.id: c for c in d.facts.contexts}["bash-nologin-interactive"]
    assert [f.title for f in _findings(d, "GOENV-TRACE-001")] == [title]
    # What the real shell does, and the report says: it never finishes. A recursing function
    # grows bash's stack until it crashes, after a few seconds or more depending on the machine.
    real = _untraced("bash", home, 6)
    if body.startswith("while"):
        assert real is None
    else:
        assert real is None or real.returncode == -signal.SIGSEGV, real
    if t.status is TraceStatus.ERROR:
        assert "untraced, the shell crashes with a segmentation fault" in (t.error or ""), t.error
    else:
        assert t.status is TraceStatus.TIMEOUT and not t.slow, t.error
        assert "untraced, the shell had not finished after 10s either" in (t.error or ""), t.error
    assert t.status is TraceStatus.TIMEOUT or not body.startswith("while")


@pytest.mark.slow
def test_a_long_but_finite_loop_is_slow_not_endless(home: Home) -> None:
    """Traced it runs well past the deadline; untraced it finishes at once: it is let finish."""
    home.file(".bashrc", "i=0\nwhile [ $i -lt 100000 ]; do\n  i=$((i+1))\ndone\nexport GOFLAGS=-v\n")
    cid = "bash-nologin-interactive"
    t = home.trace(shells=("bash",), timeout=1, only=(cid,))[cid]
    assert t.status is TraceStatus.OK and t.runaway is None and t.env.get("GOFLAGS") == "-v", t.error
    assert t.duration_ms > 1000, t.duration_ms  # it did run past the 1 s deadline (else this proves nothing)
    assert any(n.startswith("slow start:") for n in t.notes), t.notes


def test_tracing_as_a_whole_ends_within_its_budget(home: Home) -> None:
    """Whatever the per-context ceiling, the whole tracing stage ends within its total budget."""
    from goenv_tui.host import LocalHost
    from goenv_tui.shells.contexts import all_specs
    from goenv_tui.shells.tracer import TraceOptions, trace_all

    # Traced, it would take ~15 s; the budget (no more than the deadline here, so no untraced
    # check runs beside it) stops it at 2 s, still running lines: slow.
    home.file(".bashrc", "i=0\nwhile [ $i -lt 100000 ]; do\n  i=$((i+1))\ndone\n")
    opts = TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash", timeout=2, ceiling=60, total=2)
    specs = [s for s in all_specs(("bash",)) if s.id == "bash-nologin-interactive"]
    t0 = time.monotonic()
    (t,), _ = trace_all(LocalHost(), opts, specs)
    assert time.monotonic() - t0 < 20
    assert t.status is TraceStatus.TIMEOUT and t.slow and t.duration_ms < 4000, (t.status, t.duration_ms, t.error)
