"""Fixture homes for the UI tests, with nothing that depends on what this machine has installed
(a fake Go SDK with a VERSION file, no real binaries; the shells' /etc startup files are the
fixture's own, see FixedEtcHost), so snapshots are the same on every machine.

Each test run builds its homes under its own temporary folder (concurrent runs on a shared machine
must not overwrite each other's); the screens show paths under the home as `~/…` and, with
stable=True, the home by its last component only, so that folder's name never reaches a snapshot.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from goenv_tui.host import FileInfo, LocalHost, RunResult
from goenv_tui.shells.tracer import TraceOptions
from goenv_tui.ui.app import GoenvApp
from tests.homes import Home

ROOT = Path(tempfile.mkdtemp(prefix="goenv-tui-ui-"))
atexit.register(shutil.rmtree, ROOT, ignore_errors=True)

# The system startup files the snapshots' shells read, as the fixture has them (Debian's, cut
# down): this machine's own (a distribution's /etc/profile, the /etc/profile.d scripts a package
# installed, a line number that moved) must not reach a snapshot.
ETC_FILES = {
    "/etc/profile": """\
# /etc/profile (the UI fixtures' own copy)
PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
export PATH
if [ "${PS1-}" ] && [ "${BASH-}" ] && [ "$BASH" != "/bin/sh" ] && [ -f /etc/bash.bashrc ]; then
  . /etc/bash.bashrc
fi
""",
    "/etc/bash.bashrc": """\
# /etc/bash.bashrc (the UI fixtures' own copy)
[ -z "${PS1-}" ] && return
shopt -s checkwinsize
""",
    "/etc/zsh/zshenv": "# /etc/zsh/zshenv (the UI fixtures' own copy)\n",
    "/etc/zsh/zprofile": "# /etc/zsh/zprofile (the UI fixtures' own copy)\n",
    "/etc/zsh/zshrc": "# /etc/zsh/zshrc (the UI fixtures' own copy)\n",
    "/etc/zsh/zlogin": "# /etc/zsh/zlogin (the UI fixtures' own copy)\n",
}


class FixedEtcHost(LocalHost):
    """This machine, except for the shells' system startup files (ETC_FILES): every program runs
    in a mount namespace of its own with the fixture's copies bind-mounted over this machine's
    files, and reading such a path reads the copy. Only files this machine has are replaced (a
    bind mount needs its target); the shells read no other /etc startup file on Debian."""

    def __init__(self) -> None:
        super().__init__()
        assert os.geteuid() == 0, "the UI fixtures bind-mount their own /etc files: run the tests as root"
        self.unshare = shutil.which("unshare")
        self.mount = shutil.which("mount")
        assert self.unshare and self.mount, "the UI fixtures need unshare and mount (util-linux, mount)"
        etc = ROOT / "etc"
        self.copies: dict[str, str] = {}
        for path, text in ETC_FILES.items():
            if not os.path.isfile(path):
                continue
            copy = etc / path.lstrip("/")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(text)
            copy.chmod(0o644)
            self.copies[path] = str(copy)
        binds = " && ".join(f"{self.mount} --bind {shlex.quote(src)} {shlex.quote(dst)}"
                            for dst, src in self.copies.items())
        self.prefix = [self.unshare, "--mount", "--propagation", "private", "--",
                       "/bin/sh", "-c", f'{binds or ":"} && exec "$@"', "sh"]

    def run(self, argv: Sequence[str], *args: Any, **kwargs: Any) -> RunResult:
        # Every argument but argv passed on as given: Host.run grows options (cancel, …).
        return super().run([*self.prefix, *argv], *args, **kwargs)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        return super().read_bytes(self.copies.get(path, path), limit)

    def stat(self, path: str) -> FileInfo:
        return self._as(path, super().stat(self.copies.get(path, path)))

    def lstat(self, path: str) -> FileInfo:
        return self._as(path, super().lstat(self.copies.get(path, path)))

    def realpath(self, path: str) -> str:
        return path if path in self.copies else super().realpath(path)

    @staticmethod
    def _as(path: str, info: FileInfo) -> FileInfo:
        return replace(info, path=path)


def broken_home(name: str = "home") -> Home:
    path = ROOT / name
    if path.exists():
        shutil.rmtree(path)
    home = Home(path)
    home.file("sdk/go1.22.5/VERSION", "go1.22.5\ntime 2024-07-02T00:00:00Z\n")
    home.file("sdk/go1.22.5/bin/go", "#!/bin/sh\necho 'go version go1.22.5 linux/amd64'\n", mode=0o755)
    home.dir("bin").symlink("bin/go", "../sdk/go1.22.5/bin/go")
    home.file(".bash_profile", """
        # login shells read this one only
        export GOPATH="$HOME/go"
        [ -f ~/.bashrc ] && . ~/.bashrc
    """)
    home.file(".profile", """
        # never read: ~/.bash_profile exists
        export PATH="$PATH:/usr/local/go/bin"
    """)
    home.file(".bashrc", """
        # ~/.bashrc
        export PATH="$HOME/bin:$PATH"
        case $- in
            *i*) ;;
              *) return;;
        esac
        export GOROOT=$HOME/sdk/go1.21.0
        export PATH="~/go/bin:$PATH"
        GOFLAGS=-mod=vendor
    """)
    return home


def make_app(home: Home, shells: tuple[str, ...] = ("bash",), probes: bool = False) -> GoenvApp:
    opts = TraceOptions(home=home.path, shells=shells, login_shell="/bin/bash", timeout=10)
    return GoenvApp(opts, workspace=None, host=FixedEtcHost(), stable=True, probes=probes)


async def settle(pilot) -> None:
    """Wait until the diagnosis is on screen (it starts once the first frame is painted)."""
    app = pilot.app
    await until(pilot, lambda: getattr(app, "run_id", 1) > 0, "the diagnosis to start", 30)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def until(pilot, pred: Callable[[], object], what: str = "the condition", timeout: float = 60.0) -> None:
    """Wait until pred() holds; fail (never move on) when it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        await pilot.pause(0.05)
