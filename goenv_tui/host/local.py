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
import threading
from collections.abc import Mapping, Sequence

from goenv_tui.host.agent import NotRegular, read_regular, write_atomic
from goenv_tui.host.base import FileInfo, Host, HostError, RunResult
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


class LocalHost(Host):
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
        cancel: threading.Event | None = None,
    ) -> RunResult:
        return run_process(argv, env, cwd, timeout, stdin, hold_stdin, idle_timeout, user=self.run_as, cancel=cancel)

    # files -------------------------------------------------------------------------------
    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        try:
            return read_regular(path, limit)
        except NotRegular as exc:
            raise HostError(str(exc)) from exc
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

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

    def which(self, name: str, path: str | None = None) -> str | None:
        return shutil.which(name, path=path)

    def write_atomic(self, path: str, data: bytes, mode: int | None = None) -> None:
        """Write via a temp file in the same directory, fsync, then rename over `path` (agent.write_atomic).

        Keeps the mode (and owner, where allowed) of the file it replaces.
        """
        owner = None
        if self.run_as is not None and any(path.startswith(d + "/") for d in self._scratch):
            owner = (self.run_as.uid, self.run_as.gid)  # read by the user's programs
        try:
            write_atomic(path, data, mode, owner)
        except OSError as exc:
            raise HostError(f"{path}: {exc.strerror or exc}") from exc

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
        if self.run_as is not None:
            cwd = self.run_as.start_dir(cwd)
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
