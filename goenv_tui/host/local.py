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
from goenv_tui.host.process import run_process


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
    )


class LocalHost:
    """Processes and files on the machine goenv-tui runs on."""

    remote = False

    def __init__(self) -> None:
        self.name = socket.gethostname()

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
        return run_process(argv, env, cwd, timeout, stdin, hold_stdin, idle_timeout)

    # files -------------------------------------------------------------------------------
    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        try:
            with open(path, "rb") as fh:
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
        return tempfile.mkdtemp(prefix=prefix)

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
        return list(argv), (dict(env) if env is not None else None), cwd

    # machine facts -----------------------------------------------------------------------
    def os_name(self) -> str:
        system = platform.system().lower()
        return system if system in ("linux", "darwin") else "other"

    def arch(self) -> str:
        machine = platform.machine().lower()
        return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386"}.get(machine, machine)

    def euid(self) -> int:
        return os.geteuid()

    def home(self) -> str:
        return os.path.expanduser("~")

    def login_shell(self) -> str | None:
        try:
            return pwd.getpwuid(os.getuid()).pw_shell or None
        except KeyError:
            return os.environ.get("SHELL")

    def environ(self) -> dict[str, str]:
        return dict(os.environ)
