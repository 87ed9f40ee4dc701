"""Locks across processes: one per edited file, one for the journal.

Two `goenv-tui fix --yes` started together on the same file must never both read the old text
and both write: the second waits for the first (through its re-check and any rollback), then
finds the file changed since it was planned and refuses, so no edit is lost. Locks are
`flock`s on small files in the home's state directory (released by the kernel if a process dies).
On a remote host the fix runs over one SSH session at a time; locking there is not done yet.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import posixpath
import time
from collections.abc import Iterable, Iterator

from goenv_tui.fixes.state import state_dir
from goenv_tui.host import Host

WAIT_SECONDS = 180.0


class LockTimeout(Exception):
    """Another process held the lock for too long."""


def _lock_path(home: str, name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return posixpath.join(state_dir(home), "locks", f"{digest}.lock")


@contextlib.contextmanager
def _flock(path: str, what: str, wait: float) -> Iterator[None]:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"another goenv-tui has been changing {what} for over {wait:.0f}s") from exc
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def files_locked(host: Host, home: str, paths: Iterable[str], wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock of every path (in a fixed order, so two processes never deadlock)."""
    if host.remote:
        yield
        return
    with contextlib.ExitStack() as stack:
        for p in sorted(set(paths)):
            stack.enter_context(_flock(_lock_path(home, "file:" + os.path.realpath(p)), p, wait))
        yield


@contextlib.contextmanager
def journal_locked(host: Host, home: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
    if host.remote:
        yield
        return
    with _flock(_lock_path(home, "journal"), "the journal", wait):
        yield


@contextlib.contextmanager
def fix_session_locked(host: Host, home: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """One `goenv-tui fix` at a time per home, from its diagnosis to its re-check. A fix whose
    diagnosis ran while another fix was writing sees some contexts before that write and some
    after, and its trial then blames it for the other fix's change; waiting makes the second
    fix diagnose the home as the first one left it."""
    if host.remote:
        yield
        return
    with _flock(_lock_path(home, "fix-session"), "this home", wait):
        yield
