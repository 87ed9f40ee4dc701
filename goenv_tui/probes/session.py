"""A live child driven with pexpect: its own process group, a transcript, a deadline, and
nothing left running when it closes (the group and every process carrying its token are
killed, as for every other child: goenv_tui.host.process)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

import pexpect
from pexpect.popen_spawn import PopenSpawn

from goenv_tui.host import Host
from goenv_tui.host.process import (
    RUN_TOKEN_VAR,
    birth_mark,
    kill_leftovers,
    register,
    stopping,
    unregister,
)


class Cancelled(Exception):
    """The user (or the caller) cancelled the probe."""


class Session:
    """One probed process. `pty=True` for programs with a prompt (dlv), pipes for protocols (LSP)."""

    def __init__(self, host: Host, argv: Sequence[str], env: Mapping[str, str], cwd: str | None,
                 timeout: float, pty: bool = False, on_line: Callable[[str], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        if stopping():
            raise Cancelled()
        self.token = uuid.uuid4().hex
        full_env = dict(env)
        full_env[RUN_TOKEN_VAR] = self.token
        argv2, env2, cwd2 = host.interactive_argv(argv, full_env, cwd, tty=pty)
        self.on_line = on_line
        self.cancel = cancel or threading.Event()
        self.transcript: list[str] = []
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.killed: list[int] = []
        self.child: pexpect.spawn[str] | PopenSpawn[bytes]
        if pty:
            self.child = pexpect.spawn(argv2[0], argv2[1:], env=env2, cwd=cwd2, timeout=timeout,
                                       encoding="utf-8", codec_errors="replace", dimensions=(40, 200))
        else:
            self.child = PopenSpawn(argv2, env=env2, cwd=cwd2, timeout=timeout, preexec_fn=os.setsid)
        if self.child.pid is None:  # pexpect sets it when the child starts
            raise RuntimeError(f"{argv[0]} did not start")
        self.pid: int = self.child.pid
        self.born = birth_mark(self.pid)
        register(self.pid, self.token, self.born)  # killed at once if goenv-tui gets a signal
        if stopping():
            kill_leftovers(self.pid, self.token, self.born)
        self.note(f"$ {' '.join(argv)}")

    def note(self, line: str) -> None:
        self.transcript.append(line)
        if self.on_line is not None:
            self.on_line(line)

    def remaining(self, cap: float | None = None) -> float:
        """Seconds left before the probe's deadline (raises at the deadline, or when cancelled)."""
        if self.cancel.is_set():
            raise Cancelled()
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise pexpect.TIMEOUT("probe deadline reached")
        return min(left, cap) if cap is not None else left

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def alive(self) -> bool:
        if isinstance(self.child, PopenSpawn):
            return self.child.proc.poll() is None
        return self.child.isalive()

    def wait_exit(self, timeout: float) -> bool:
        """Give the child a moment to exit by itself (after LSP `exit`, dlv `exit`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        """Stop the child and everything it started."""
        try:
            if isinstance(self.child, PopenSpawn):
                pgid = self.pid
            else:
                try:
                    pgid = os.getpgid(self.pid)
                except ProcessLookupError:
                    pgid = self.pid
            killed, _ = kill_leftovers(pgid, self.token, self.born)
            self.killed = killed
        finally:
            unregister(self.pid)
            if isinstance(self.child, PopenSpawn):
                for stream in (self.child.proc.stdin, self.child.proc.stdout):
                    try:
                        if stream is not None:
                            stream.close()
                    except OSError:
                        pass
                with contextlib.suppress(Exception):
                    self.child.proc.wait(timeout=2)
            else:
                with contextlib.suppress(Exception):
                    self.child.close(force=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
