"""The Host interface and the values it returns."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from goenv_tui.host.process import RunAs


class HostError(Exception):
    """A file or process operation failed; the message is fit to show a person."""


class ConnectionLost(HostError):
    """The connection to a remote host went away; what was collected so far is still valid."""


@dataclass(frozen=True)
class RunResult:
    """What one child process did. `timed_out` means it was killed at the deadline."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    duration_ms: float
    timed_out: bool = False
    killed: tuple[int, ...] = ()
    error: str | None = None
    hung: tuple[str, ...] = ()  # "pid command" of what was still running at the deadline
    # With an idle deadline: True when the child was stopped for printing nothing on stderr for
    # that long (stuck), False when it was still printing at the overall deadline (slow).
    stalled: bool = False
    # Stopped before its deadline because the caller set the `cancel` event it was given.
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None


@dataclass(frozen=True)
class FileInfo:
    """lstat-like facts about a path; `link_target` is set for symlinks."""

    path: str
    exists: bool
    is_file: bool = False
    is_dir: bool = False
    is_symlink: bool = False
    mode: int = 0
    size: int = 0
    uid: int = -1
    mtime_ns: int = 0
    link_target: str | None = None
    error: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Host(Protocol):
    """The operations every collector may use.

    LocalHost and SSHHost subclass it, so the optional operations below that have a body (a
    lookup cache to forget, a batch of lookups, sampling a binary, sshd's environment) work on
    every host: callers call them, they never ask a host whether it has them.
    """

    name: str
    remote: bool
    # Set when goenv-tui (root) analyses another user's home: every program runs as that user.
    run_as: RunAs | None = None

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float = 10.0,
        stdin: bytes | None = None,
        hold_stdin: bool = False,
        idle_timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> RunResult: ...

    def read_bytes(self, path: str, limit: int | None = None) -> bytes: ...

    def read_text(self, path: str, limit: int | None = None) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def stat(self, path: str) -> FileInfo: ...

    def lstat(self, path: str) -> FileInfo: ...

    def listdir(self, path: str) -> list[str]: ...

    def realpath(self, path: str) -> str: ...

    def which(self, name: str, path: str | None = None) -> str | None: ...

    def prefetch(self, paths: Iterable[str], dirs: Iterable[str] = ()) -> None:
        """A hint: these paths are about to be lstat'ed and stat'ed, these directories realpath'ed.
        A remote host answers them all in one round trip; a local one does nothing."""
        return None

    def invalidate(self) -> None:
        """Forget cached lookups (a new diagnosis starts). A host that caches nothing has nothing to forget."""
        return None

    def close(self) -> None:
        """End the connection (a remote host). A local host holds none."""
        return None

    def binary_sample(self, path: str, magic: bytes, limit: int) -> bytes:
        """What tells what a binary is: at most `limit` + 1 bytes of it (more than `limit` means
        the file is longer). A remote host sends only the header and the block at `magic` (Go's
        build info), zero-filled in between, rather than the whole file."""
        return self.read_bytes(path, limit + 1)

    def login_command_env(self) -> dict[str, str] | None:
        """The environment sshd gives `ssh host cmd` on a remote host; None where no sshd is involved."""
        return None

    def write_atomic(self, path: str, data: bytes, mode: int | None = None) -> None: ...

    def make_temp_dir(self, prefix: str) -> str: ...

    def remove_tree(self, path: str) -> None: ...

    def makedirs(self, path: str) -> None: ...

    def remove_file(self, path: str) -> None: ...

    def file_contains(self, path: str, needles: list[str]) -> set[str]:
        """Which of these strings occur in a (binary) file."""
        data = self.read_bytes(path)
        return {n for n in needles if n.encode() in data}

    def interactive_argv(self, argv: Sequence[str], env: Mapping[str, str] | None,
                         cwd: str | None, tty: bool = False) -> tuple[list[str], dict[str, str] | None, str | None]:
        """How to start argv as a live, interactive child (pexpect) on this host."""
        ...

    def os_name(self) -> str: ...

    def arch(self) -> str: ...

    def euid(self) -> int: ...

    def home(self) -> str: ...

    def login_shell(self) -> str | None: ...

    def environ(self) -> dict[str, str]: ...
