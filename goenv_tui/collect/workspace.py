"""The Go workspace the editor opens: go.mod and go.work as written, read through the Host.

Answers what gopls will find: a module at the folder root, or only in a parent (the folder is a
subdirectory of a module) or only in subfolders (several modules and no go.work: gopls sees
"no packages"); the `go` and `toolchain` lines; go.work `use` directories that do not exist.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from goenv_tui.host import Host, HostError

_GO_LINE = re.compile(r"^\s*go\s+(\d+(?:\.\d+){1,2}\S*)\s*(?://.*)?$")
_TOOLCHAIN = re.compile(r"^\s*toolchain\s+(\S+)")
_MODULE = re.compile(r"^\s*module\s+(\S+)")
_SKIP_DIRS = {".git", "node_modules", "vendor", "testdata", ".cache"}


@dataclass(frozen=True)
class ModFile:
    path: str
    module: str | None = None
    go: str | None = None
    go_line: int | None = None
    toolchain: str | None = None
    toolchain_line: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class WorkUse:
    directory: str  # as written
    resolved: str
    line: int
    exists: bool
    has_gomod: bool


@dataclass
class WorkspaceFacts:
    root: str
    exists: bool = True
    gomod: ModFile | None = None  # at the root
    parent_gomod: ModFile | None = None  # nearest go.mod above the root
    child_gomods: list[str] = field(default_factory=list)  # go.mod files below the root (depth ≤ 3)
    gowork: str | None = None
    gowork_go: str | None = None
    gowork_go_line: int | None = None
    uses: list[WorkUse] = field(default_factory=list)
    gowork_error: str | None = None
    has_go_files: bool = False  # *.go at the root or up to two levels below


def parse_gomod(text: str, path: str) -> ModFile:
    module = go = toolchain = None
    go_line = toolchain_line = None
    for n, line in enumerate(text.splitlines(), start=1):
        if module is None and (m := _MODULE.match(line)):
            module = m.group(1).strip('"')
        elif go is None and (m := _GO_LINE.match(line)):
            go, go_line = m.group(1), n
        elif toolchain is None and (m := _TOOLCHAIN.match(line)):
            toolchain, toolchain_line = m.group(1), n
    return ModFile(path, module, go, go_line, toolchain, toolchain_line)


def parse_gowork_uses(text: str) -> list[tuple[str, int]]:
    """`use ./a` and `use ( ./a \n ./b )` directives, with their lines."""
    out: list[tuple[str, int]] = []
    in_block = False
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if in_block:
            if line == ")":
                in_block = False
            else:
                out.append((line.strip('"'), n))
            continue
        if line.startswith("use"):
            rest = line[3:].strip()
            if rest == "(":
                in_block = True
            elif rest:
                out.append((rest.strip('"'), n))
    return out


def _read(host: Host, path: str) -> str | None:
    try:
        return host.read_text(path, 1024 * 1024)
    except HostError:
        return None


def _unreadable(host: Host, path: str) -> str | None:
    """Why a go.mod/go.work that is there cannot be read (a FIFO, a device, no permission)."""
    if not host.lstat(path).exists:
        return None
    try:
        host.read_bytes(path, 1)
    except HostError as exc:
        return str(exc)
    return None


def _children(host: Host, root: str, depth: int = 3) -> list[str]:
    found: list[str] = []
    frontier = [(root, 0)]
    seen = 0
    while frontier and seen < 2000:
        directory, d = frontier.pop(0)
        try:
            names = host.listdir(directory)
        except HostError:
            continue
        for name in names:
            seen += 1
            if name.startswith(".") or name in _SKIP_DIRS:
                continue
            path = posixpath.join(directory, name)
            info = host.lstat(path)
            if info.is_dir and d < depth:
                if host.stat(posixpath.join(path, "go.mod")).is_file:
                    found.append(posixpath.join(path, "go.mod"))
                else:
                    frontier.append((path, d + 1))
    return sorted(found)


def _has_go_files(host: Host, root: str, depth: int = 2) -> bool:
    frontier = [(root, 0)]
    while frontier:
        directory, d = frontier.pop()
        try:
            names = host.listdir(directory)
        except HostError:
            continue
        for name in names:
            if name.endswith(".go"):
                return True
            if d < depth and not name.startswith(".") and name not in _SKIP_DIRS:
                path = posixpath.join(directory, name)
                if host.lstat(path).is_dir:
                    frontier.append((path, d + 1))
    return False


def collect_workspace(host: Host, root: str, gowork_env: str | None = None) -> WorkspaceFacts:
    root = root.rstrip("/") or "/"
    facts = WorkspaceFacts(root=root)
    if not host.stat(root).is_dir:
        facts.exists = False
        return facts
    text = _read(host, posixpath.join(root, "go.mod"))
    why = None if text is not None else _unreadable(host, posixpath.join(root, "go.mod"))
    if text is not None:
        facts.gomod = parse_gomod(text, posixpath.join(root, "go.mod"))
    elif why is not None:
        # There, but not readable (a FIFO would hang whoever opens it): not "no go.mod".
        facts.gomod = ModFile(posixpath.join(root, "go.mod"), error=why)
    else:
        parent = posixpath.dirname(root)
        while parent and parent != "/":
            t = _read(host, posixpath.join(parent, "go.mod"))
            if t is not None:
                facts.parent_gomod = parse_gomod(t, posixpath.join(parent, "go.mod"))
                break
            parent = posixpath.dirname(parent)
        facts.child_gomods = _children(host, root)
        facts.has_go_files = _has_go_files(host, root)
    # go.work: GOWORK=off disables it; an explicit GOWORK names it; otherwise the nearest above.
    work = None
    if gowork_env == "off":
        work = None
    elif gowork_env:
        work = gowork_env
    else:
        d = root
        while True:
            if host.stat(posixpath.join(d, "go.work")).is_file:
                work = posixpath.join(d, "go.work")
                break
            if d in ("/", ""):
                break
            d = posixpath.dirname(d)
    if work:
        facts.gowork = work
        wtext = _read(host, work)
        if wtext is None:
            facts.gowork_error = _unreadable(host, work) or "cannot be read"
        else:
            for n, line in enumerate(wtext.splitlines(), start=1):
                if m := _GO_LINE.match(line):
                    facts.gowork_go, facts.gowork_go_line = m.group(1), n
                    break
            base = posixpath.dirname(work)
            for directory, n in parse_gowork_uses(wtext):
                resolved = posixpath.normpath(directory if directory.startswith("/") else posixpath.join(base, directory))
                exists = host.stat(resolved).is_dir
                has = exists and host.stat(posixpath.join(resolved, "go.mod")).is_file
                facts.uses.append(WorkUse(directory, resolved, n, exists, has))
    return facts
