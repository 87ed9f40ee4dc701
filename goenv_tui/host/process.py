"""Running a child process so that it can neither hang us nor outlive us.

Every child starts in its own session (so its process group is its own), with a deadline.
At the deadline, or as soon as the child itself has exited, whatever it left behind is killed:
its process group, and any process that carries this run's token in its environment (that
catches daemons that called setsid, such as an `ssh-agent` started from a startup file).
"""

from __future__ import annotations

import contextlib
import functools
import os
import selectors
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence

import psutil

from goenv_tui.host.base import RunResult

RUN_TOKEN_VAR = "GOENV_TUI_RUN_ID"
# After the main child exits, wait this long for grandchildren holding our pipes to let go.
_EXIT_GRACE_S = 0.15
_MAX_OUTPUT = 64 * 1024 * 1024


def _describe(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline()) or proc.name()
    except (psutil.Error, OSError):
        cmd = "?"
    return f"{proc.pid} {cmd}"[:200]


def birth_mark(pid: int) -> float:
    """A lower bound for the start time of `pid`'s descendants, on psutil's own clock.

    Comparing psutil's create_time with time.time() is off by up to a second (Linux's boot time
    is whole seconds) and by any clock step since boot; the child's own create_time is not.
    """
    try:
        return psutil.Process(pid).create_time() - 0.05
    except psutil.Error:
        return time.time() - 5


@functools.cache
def _kthreadd_is_2() -> bool:
    """Whether pid 2 is Linux's kernel-thread parent (in a container it can be anything)."""
    try:
        return psutil.Process(2).name() == "kthreadd"
    except psutil.Error:
        return False


def _leftovers(pgid: int, token: str, since: float) -> list[psutil.Process]:
    """Processes still alive from this run: same process group, or carrying our token.

    `since` is a birth mark (see `birth_mark`): older processes are not ours.
    """
    found: dict[int, psutil.Process] = {}
    others: list[psutil.Process] = []
    for proc in psutil.process_iter(["pid", "ppid", "create_time"]):
        try:
            if proc.info["create_time"] is None or proc.info["create_time"] < since:
                continue
            if proc.pid == os.getpid() or (proc.info["ppid"] == 2 and _kthreadd_is_2()):
                continue  # a kernel thread: no environment, never ours
            if os.getpgid(proc.pid) == pgid:
                found[proc.pid] = proc
            else:
                others.append(proc)
        except (psutil.Error, OSError, ProcessLookupError):
            continue
    # In the middle of execve the new image's environment is not set up yet and reads as empty
    # (a `setsid sleep` caught there escaped the sweep): an empty one is read again shortly.
    for delay in (0.0, 0.002, 0.01, 0.05):
        if not others:
            break
        time.sleep(delay)
        unsure = []
        for proc in others:
            try:
                env = proc.environ()
            except (psutil.Error, OSError):
                continue
            if env.get(RUN_TOKEN_VAR) == token:
                found[proc.pid] = proc
            elif not env:
                unsure.append(proc)
        others = unsure
    return list(found.values())


def kill_leftovers(pgid: int, token: str, since: float) -> tuple[list[int], list[str]]:
    """SIGKILL the process group and every process with the token; return pids and descriptions.

    Sweeps until a scan finds nothing: a process can fork between a scan and the kill (`setsid`
    forks when it leads its group), and its child must not escape.
    """
    killed: list[int] = []
    described: list[str] = []
    for _ in range(5):
        found = [p for p in _leftovers(pgid, token, since) if p.pid != pgid and _running(p)]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        if not found:
            break  # only a scan that finds nothing alive ends the sweep
        # What the group kill did not reach (it left the group, or forked after the scan and is
        # found by the next one).
        procs = [p for p in found if p.pid not in killed and _running(p)]
        described += [_describe(p) for p in procs]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        killed += [p.pid for p in procs]
        _wait_gone(procs, 1.0)
    return killed, described


def _wait_gone(procs: list[psutil.Process], timeout: float) -> None:
    """Wait until none is running. A zombie counts as gone: its parent (or init, which may be
    slow to reap in containers) owns it now, and it can no longer do anything."""
    deadline = time.monotonic() + timeout
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if _running(p)]
        if procs:
            time.sleep(0.01)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def run_process(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: str | None,
    timeout: float,
    stdin: bytes | None = None,
    hold_stdin: bool = False,
    idle_timeout: float | None = None,
) -> RunResult:
    """Run argv to completion or to the deadline; never leaves a process behind.

    With `idle_timeout`, a child that keeps writing to stderr (a traced shell printing trace
    lines) is progressing and may run up to `timeout`; one that writes nothing there for
    `idle_timeout` seconds is stuck and is stopped then (`stalled`).

    With `hold_stdin`, the child's stdin is a pipe that stays open and silent (as under sshd or
    an editor): a `read` in a startup file then waits, as it would there, until the deadline.
    At the deadline the group first gets SIGHUP (shells flush their trace and exit on it), then,
    a moment later, SIGKILL.
    """
    token = uuid.uuid4().hex
    child_env = dict(os.environ if env is None else env)
    child_env[RUN_TOKEN_VAR] = token
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if stdin is not None or hold_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return RunResult(tuple(argv), None, b"", b"", 0.0, error=f"cannot start {argv[0]}: {exc.strerror or exc}")
    born = birth_mark(proc.pid)

    out: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    sizes = {"stdout": 0, "stderr": 0}
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        os.set_blocking(pipe.fileno(), False)
        sel.register(pipe, selectors.EVENT_READ, name)
    pending_in = memoryview(stdin) if stdin is not None else None
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        if pending_in is not None and len(pending_in):
            sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
        elif not hold_stdin:
            proc.stdin.close()

    deadline = start + timeout
    exit_by: float | None = None
    timed_out = False
    stalled = False
    last_err = start  # when stderr last said something
    hung: list[str] = []
    reading = {"stdout", "stderr"}
    while True:
        now = time.monotonic()
        # Both pipes closed: still wait for the child itself, up to the deadline.
        if not reading and (proc.poll() is not None or timed_out):
            break
        idle = idle_timeout is not None and now - last_err >= idle_timeout
        if (now >= deadline or idle) and proc.poll() is None and not timed_out:
            timed_out = True
            stalled = idle and now < deadline
            hung = [_describe(p) for p in _leftovers(proc.pid, token, born)]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGHUP)
            exit_by = now + 0.3
            continue
        if exit_by is not None and now >= exit_by:
            break
        wait = (exit_by if exit_by is not None else deadline) - now
        if idle_timeout is not None and exit_by is None:
            wait = min(wait, last_err + idle_timeout - now)
        if not sel.get_map():
            # Pipes are closed; block on the child itself (Popen.wait polls with backoff).
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, min(wait, 0.05)))
        for key, _ in (sel.select(timeout=max(0.0, min(wait, 0.05))) if sel.get_map() else []):
            if key.data == "stdin":
                assert pending_in is not None and proc.stdin is not None
                try:
                    n = os.write(proc.stdin.fileno(), pending_in[:65536])
                    pending_in = pending_in[n:]
                except (BrokenPipeError, OSError):
                    pending_in = pending_in[:0]
                if not len(pending_in):
                    sel.unregister(proc.stdin)
                    proc.stdin.close()
                continue
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(key.fileobj)
                reading.discard(key.data)
                continue
            if key.data == "stderr":
                last_err = time.monotonic()
            if sizes[key.data] < _MAX_OUTPUT:
                out[key.data].append(chunk)
                sizes[key.data] += len(chunk)
        if exit_by is None and proc.poll() is not None:
            exit_by = time.monotonic() + _EXIT_GRACE_S

    killed, described = kill_leftovers(proc.pid, token, born)
    for pipe in (proc.stdin,):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    # Drain what is left in the pipes now that every writer is gone.
    for key in list(sel.get_map().values()):
        if key.data == "stdin":
            continue
        with contextlib.suppress(OSError):
            while True:
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    break
                if sizes[key.data] < _MAX_OUTPUT:
                    out[key.data].append(chunk)
                    sizes[key.data] += len(chunk)
    sel.close()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    try:
        returncode = proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent above
        proc.kill()
        returncode = proc.wait()
    duration = (time.monotonic() - start) * 1000
    error = None
    if timed_out and stalled:
        error = f"no progress for {idle_timeout:g}s"
        if hung or described:
            error += "; still running: " + ", ".join((hung or described)[:5])
    elif timed_out:
        error = f"timed out after {timeout:g}s"
        if hung or described:
            error += "; still running: " + ", ".join((hung or described)[:5])
    return RunResult(
        hung=tuple(hung),
        stalled=stalled,
        argv=tuple(argv),
        returncode=None if timed_out else returncode,
        stdout=b"".join(out["stdout"]),
        stderr=b"".join(out["stderr"]),
        duration_ms=duration,
        timed_out=timed_out,
        killed=tuple(killed),
        error=error,
    )
