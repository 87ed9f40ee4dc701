"""The Host for this machine."""

from __future__ import annotations

import contextlib
import os
import platform
import pwd
import shutil
import socket
import stat as stat_mod
import tempfile
from collections.abc import Iterable, Mapping, Sequence

from goenv_tui.host.base import FileInfo, HostError, RunResult
from goenv_tui.host.process import RunAs, containment, run_process


def _info(path: str, st: os.stat_result, link_target: str | None = None) -> FileInfo:
    return FileInfo(
        path=path,
        exists=True,
        is_file=stat_mod.S_ISREG(st.st_mode),
        is_dir=stat_mod.S_ISDIR(st.st_mode),
        is_symlink=stat_mod.S_ISLNK(st.st_mode),
        mode=st.st_mode,
        size=st.st_size,
        uid=st.st_uid,
        mtime_ns=st.st_mtime_ns,
        link_target=link_target,
        extra={"dev": st.st_dev, "ino": st.st_ino, "gid": st.st_gid},
    )


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words a person understands."""
    if stat_mod.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat_mod.S_ISCHR(mode):
        return "a character device"
    if stat_mod.S_ISBLK(mode):
        return "a block device"
    if stat_mod.S_ISSOCK(mode):
        return "a socket"
    if stat_mod.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def open_regular(path: str) -> int:
    """Open `path` for reading only if it is a regular file (or /dev/null, which reads empty).

    Opening a FIFO blocks until a writer comes, forever, and a device such as /dev/zero never
    ends: neither is opened for a read, and the error says what the path is. O_NONBLOCK makes
    the open itself return at once whatever the path is; it is cleared for the read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            null = os.stat(os.devnull)
            if stat_mod.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev:
                return fd  # /dev/null: empty, harmless
            target = os.path.realpath(path)
            shown = f" ({target})" if target != path else ""
            raise HostError(f"{path}: {file_kind(st.st_mode)}{shown}, not a regular file; not read")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


class LocalHost:
    """Processes and files on the machine goenv-tui runs on."""

    remote = False

    def __init__(self, run_as: RunAs | None = None) -> None:
        """With `run_as` (goenv-tui is root, the home is another user's), every program runs as
        that account: shells, `go`, probes; scratch directories are theirs."""
        self.name = socket.gethostname()
        self.run_as = run_as
        self._scratch: list[str] = []

    # processes -------------------------------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float = 10.0,
        stdin: bytes | None = None,
        hold_stdin: bool = False,
        idle_timeout: float | None = None,
    ) -> RunResult:
        return run_process(argv, env, cwd, timeout, stdin, hold_stdin, idle_timeout, user=self.run_as)

    # files -------------------------------------------------------------------------------
    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        try:
            with os.fdopen(open_regular(path), "rb") as fh:
                return fh.read() if limit is None else fh.read(limit)
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

    def read_text(self, path: str, limit: int | None = None) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def stat(self, path: str) -> FileInfo:
        try:
            return _info(path, os.stat(path))
        except OSError as exc:
            return FileInfo(path=path, exists=False, error=exc.strerror or str(exc))

    def lstat(self, path: str) -> FileInfo:
        try:
            st = os.lstat(path)
        except OSError as exc:
            return FileInfo(path=path, exists=False, error=exc.strerror or str(exc))
        target = None
        if stat_mod.S_ISLNK(st.st_mode):
            with contextlib.suppress(OSError):
                target = os.readlink(path)
        return _info(path, st, target)

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def prefetch(self, paths: Iterable[str], dirs: Iterable[str] = ()) -> None:
        return None  # a local lookup is as cheap as a cached one

    def which(self, name: str, path: str | None = None) -> str | None:
        return shutil.which(name, path=path)

    def write_atomic(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Write via a temp file in the same directory, fsync, then rename over `path`.

        Keeps the mode (and owner, where allowed) of the file it replaces.
        """
        directory = os.path.dirname(os.path.abspath(path)) or "."
        old: os.stat_result | None = None
        with contextlib.suppress(OSError):
            old = os.stat(path)
        fd, tmp = tempfile.mkstemp(prefix=".goenv-tui.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            elif old is not None:
                os.chmod(tmp, stat_mod.S_IMODE(old.st_mode))
            if old is not None:
                with contextlib.suppress(PermissionError):
                    os.chown(tmp, old.st_uid, old.st_gid)
            elif self.run_as is not None and any(path.startswith(d + "/") for d in self._scratch):
                os.chown(tmp, self.run_as.uid, self.run_as.gid)  # read by the user's programs
            os.replace(tmp, path)
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

    def file_contains(self, path: str, needles: list[str]) -> set[str]:
        data = self.read_bytes(path)
        return {n for n in needles if n.encode() in data}

    def make_temp_dir(self, prefix: str) -> str:
        path = tempfile.mkdtemp(prefix=prefix)
        if self.run_as is not None:
            os.chown(path, self.run_as.uid, self.run_as.gid)  # the user's programs work in it
            self._scratch.append(path)
        return path

    def remove_tree(self, path: str) -> None:
        import shutil as _shutil

        _shutil.rmtree(path, ignore_errors=True)

    def makedirs(self, path: str) -> None:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

    def remove_file(self, path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

    def interactive_argv(self, argv: Sequence[str], env: Mapping[str, str] | None,
                         cwd: str | None, tty: bool = False) -> tuple[list[str], dict[str, str] | None, str | None]:
        # Contained like every other child (host/process.py): a probe's children cannot outlive it.
        kind, prefix = containment(user=self.run_as)
        if self.run_as is not None and kind == "none":
            drop = self.run_as.setpriv()
            if drop is None:
                raise HostError(f"cannot start {argv[0]} as {self.run_as.name}: setpriv (util-linux) is missing")
            prefix = drop
        return [*prefix, *argv], (dict(env) if env is not None else None), cwd

    # machine facts -----------------------------------------------------------------------
    def os_name(self) -> str:
        system = platform.system().lower()
        return system if system in ("linux", "darwin") else "other"

    def arch(self) -> str:
        machine = platform.machine().lower()
        return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386"}.get(machine, machine)

    def euid(self) -> int:
        """The uid programs run as (the home's owner when goenv-tui, as root, runs them as that user)."""
        return self.run_as.uid if self.run_as is not None else os.geteuid()

    def home(self) -> str:
        return os.path.expanduser("~")

    def login_shell(self) -> str | None:
        if self.run_as is not None:
            return self.run_as.shell or None
        try:
            return pwd.getpwuid(os.getuid()).pw_shell or None
        except KeyError:
            return os.environ.get("SHELL")

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.run_as is not None:
            env.update(USER=self.run_as.name, LOGNAME=self.run_as.name)
        return env
