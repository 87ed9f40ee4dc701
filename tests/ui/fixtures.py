"""Fixture homes for the UI tests, with nothing that depends on what this machine has installed
(a fake Go SDK with a VERSION file, no real binaries), so snapshots are the same on every machine.

Each test run builds its homes under its own temporary folder (concurrent runs on a shared machine
must not overwrite each other's); the screens show paths under the home as `~/…` and, with
stable=True, the home by its last component only, so that folder's name never reaches a snapshot.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from goenv_tui.shells.tracer import TraceOptions
from goenv_tui.ui.app import GoenvApp
from tests.homes import Home

ROOT = Path(tempfile.mkdtemp(prefix="goenv-tui-ui-"))
atexit.register(shutil.rmtree, ROOT, ignore_errors=True)


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
    return GoenvApp(opts, workspace=None, stable=True, probes=probes)


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
