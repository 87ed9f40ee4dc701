"""Builds fake HOME directories for tests: a few lines of startup files each, never copied trees."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from goenv_tui.diagnose import Diagnosis, diagnose
from goenv_tui.host import LocalHost
from goenv_tui.model import Assignment, ContextTrace
from goenv_tui.shells.contexts import all_specs
from goenv_tui.shells.tracer import TraceOptions, trace_all


class Home:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> str:
        return str(self.root)

    def p(self, rel: str) -> str:
        return str(self.root / rel)

    def file(self, rel: str, text: str, mode: int | None = None) -> Home:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        if mode is not None:
            path.chmod(mode)
        return self

    def raw(self, rel: str, data: bytes) -> Home:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self

    def dir(self, rel: str) -> Home:
        (self.root / rel).mkdir(parents=True, exist_ok=True)
        return self

    def symlink(self, rel: str, target: str) -> Home:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
        return self

    # running -----------------------------------------------------------------------------
    def trace(self, shells: tuple[str, ...] = ("bash", "zsh"), login_shell: str = "/bin/bash",
              timeout: float = 5.0, only: tuple[str, ...] | None = None) -> dict[str, ContextTrace]:
        opts = TraceOptions(home=self.path, shells=shells, timeout=timeout, login_shell=login_shell)
        specs = [s for s in all_specs(shells) if only is None or s.id in only]
        traces, _ = trace_all(LocalHost(), opts, specs)
        return {t.id: t for t in traces}

    def diagnose(self, shells: tuple[str, ...] = ("bash", "zsh"), login_shell: str = "/bin/bash",
                 timeout: float = 5.0, workspace: str | None = None, probes: bool = False) -> Diagnosis:
        opts = TraceOptions(home=self.path, shells=shells, timeout=timeout, login_shell=login_shell)
        return diagnose(LocalHost(), opts, workspace, probes=probes)


def changes(trace: ContextTrace, var: str, home: Home | None = None) -> list[tuple[str, int | None, str, str | None]]:
    """(path relative to home, line, op, value) for every change of `var` outside /etc."""
    out = []
    for a in trace.assignments:
        if a.var != var or a.location.path.startswith(("/etc/", "/usr/")):
            continue
        path = a.location.path
        if home is not None and path.startswith(home.path + "/"):
            path = "~/" + path[len(home.path) + 1:]
        out.append((path, a.location.line, a.op.value, a.value))
    return out


def only_change(trace: ContextTrace, var: str) -> Assignment:
    found = [a for a in trace.assignments if a.var == var and not a.location.path.startswith(("/etc/", "/usr/"))]
    assert len(found) == 1, found
    return found[0]


def goenv_tui_exe() -> str:
    """The installed `goenv-tui` command (the end-to-end tests run it as a user would)."""
    import shutil
    import sys

    found = shutil.which("goenv-tui") or os.path.join(os.path.dirname(sys.executable), "goenv-tui")
    assert os.path.exists(found), "goenv-tui is not installed (pip install -e .)"
    return found


def snapshot(root: str | Path) -> dict[str, tuple]:
    """Everything about a tree that a diagnosis must not change: every path (the root included),
    its mode, owner, mtime, and its bytes (files) or link target (symlinks). atime is left out:
    reading a file is allowed."""
    out: dict[str, tuple] = {}

    def one(path: str) -> None:
        st = os.lstat(path)
        if os.path.islink(path):
            data: object = ("link", os.readlink(path))
        elif os.path.isfile(path):
            with open(path, "rb") as fh:
                data = ("file", fh.read())
        else:
            data = ("dir" if os.path.isdir(path) else "other", None)
        out[os.path.relpath(path, root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, data)

    one(str(root))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            one(os.path.join(dirpath, name))
    return out


def snapshot_diff(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """What changed, readable in an assertion message."""
    out = [f"created {p}" for p in sorted(set(after) - set(before))]
    out += [f"removed {p}" for p in sorted(set(before) - set(after))]
    out += [f"changed {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return out
