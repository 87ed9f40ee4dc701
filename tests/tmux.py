"""A program in a real terminal, for the end-to-end tests: a detached tmux session of a fixed
size, keys sent with send-keys, the screen read with capture-pane. The command's exit status is
written to a file so a test can tell a clean quit from a crash; the session is always killed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def tmux(socket: str, *args: str) -> str:
    # A private server per terminal: a shared default server would hand the program another
    # test run's environment (PYTHONPATH, PATH) and let one run's kill-server end another's.
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                          timeout=20).stdout


def _layer(sgr: str) -> str | None:
    """'fg' or 'bg' for an SGR colour parameter (31, 91, 38;5;n, 39 …), None for attributes."""
    head = sgr.split(";")[0]
    if head.isdigit():
        n = int(head)
        if 30 <= n <= 39 or 90 <= n <= 97:
            return "fg"
        if 40 <= n <= 49 or 100 <= n <= 107:
            return "bg"
    return None


class Terminal:
    def __init__(self, command: str, tmp: Path, size: tuple[int, int] = (80, 24),
                 env: Sequence[str] = ("TERM=xterm-256color",)) -> None:
        assert shutil.which("tmux"), "tmux is required (scripts/install-test-deps.sh)"
        self.done = tmp / f"exit-{id(self)}"
        self.session = f"goenv-e2e-{os.getpid()}-{id(self)}"
        self.socket = self.session
        args = ["new-session", "-d", "-s", self.session, "-x", str(size[0]), "-y", str(size[1])]
        for e in env:
            args += ["-e", e]
        # `sleep` keeps the pane (and what the program left on it) until the test is done.
        tmux(self.socket, *args, f"{command}; echo EXIT=$? > {self.done}; sleep 60")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        tmux(self.socket, "kill-server")

    def screen(self) -> str:
        return tmux(self.socket, "capture-pane", "-p", "-t", self.session)

    def styled(self) -> list[list[tuple[str, frozenset[str]]]]:
        """The screen as rows of (character, SGR parameters in force), read from capture-pane -e."""
        raw = tmux(self.socket, "capture-pane", "-p", "-e", "-t", self.session)
        rows = []
        for line in raw.splitlines():
            row: list[tuple[str, frozenset[str]]] = []
            sgr: list[str] = []
            for m in re.finditer(r"\x1b\[([0-9;]*)m|(.)", line):
                if m.group(2) is not None:
                    row.append((m.group(2), frozenset(sgr)))
                    continue
                params = m.group(1).split(";") if m.group(1) else ["0"]
                i = 0
                while i < len(params):
                    p = params[i]
                    if p in ("38", "48") and i + 1 < len(params):  # extended colour: keep it whole
                        n = 3 if params[i + 1] == "5" else 5
                        sgr = [x for x in sgr if _layer(x) != _layer(p)] + [";".join(params[i:i + n])]
                        i += n
                        continue
                    if p in ("0", ""):
                        sgr = []
                    elif _layer(p):  # a colour replaces the colour of its layer (fg or bg)
                        sgr = [x for x in sgr if _layer(x) != _layer(p)] + ([] if p in ("39", "49") else [p])
                    else:
                        sgr.append(p)
                    i += 1
            rows.append(row)
        return rows

    def send(self, *keys: str) -> None:
        tmux(self.socket, "send-keys", "-t", self.session, *keys)

    def wait(self, until: str | Callable[[], object], what: str | None = None, timeout: float = 60.0) -> None:
        """Wait for text on the screen (or any condition); on timeout, fail showing the screen."""
        pred = (lambda: until in self.screen()) if isinstance(until, str) else until
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, f"timed out waiting for {what or until!r}:\n{self.screen()}"
            time.sleep(0.2)

    def exit_status(self, timeout: float = 20.0) -> str:
        """The command's `EXIT=n` once it has ended."""
        self.wait(self.done.exists, "the program to exit", timeout)
        return self.done.read_text().strip()
