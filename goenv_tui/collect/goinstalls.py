"""Go installations present on the machine, whether or not a context's PATH reaches them: the
"use the newer Go you already have" answer when a context runs a Go too old for its tools.

Looked for where installers put Go (the go.dev tarball and .pkg, Debian/Ubuntu packages,
Homebrew, golang.org/dl's ~/sdk, goenv, gvm, asdf, mise) and in every `go` candidate any context's
PATH holds. Each is identified by its VERSION file, read, never run.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from goenv_tui.host import Host, HostError
from goenv_tui.model import Resolution

# Folders whose children are Go roots, and roots themselves; "~" is the analysed home.
_PARENTS = ("/usr/lib", "~/sdk", "~/.goenv/versions", "~/.gvm/gos", "~/.asdf/installs/golang",
            "~/.local/share/mise/installs/go", "/usr/local/Cellar/go", "/opt/homebrew/Cellar/go")
_ROOTS = ("/usr/local/go", "/opt/homebrew/opt/go/libexec", "/usr/local/opt/go/libexec", "/usr/lib/go",
          "~/go/go", "~/.go")


@dataclass(frozen=True)
class GoInstall:
    root: str  # as found (may be a symlink)
    go: str  # root/bin/go
    version: str  # "go1.26.8"


def _version(host: Host, root: str) -> str | None:
    try:
        first = host.read_text(posixpath.join(root, "VERSION"), 4096).splitlines()
    except (HostError, OSError):
        return None
    return first[0].strip() if first and first[0].startswith("go") else None


def _roots(host: Host, home: str) -> list[str]:
    out = [r.replace("~", home, 1) for r in _ROOTS]
    for parent in _PARENTS:
        parent = parent.replace("~", home, 1)
        try:
            names = sorted(host.listdir(parent))
        except (HostError, OSError):
            continue
        for name in names:
            if parent == "/usr/lib" and not name.startswith("go"):
                continue
            root = posixpath.join(parent, name)
            # Homebrew's Cellar/go/<v>/libexec, asdf's installs/golang/<v>/go
            out += [root, posixpath.join(root, "libexec"), posixpath.join(root, "go")]
    return out


def find_go_installs(host: Host, home: str, extra_gos: Sequence[str] = ()) -> list[GoInstall]:
    """Every Go installation found, newest first, one per real root."""
    seen: dict[str, GoInstall] = {}
    roots = _roots(host, home) + [posixpath.dirname(posixpath.dirname(g)) for g in extra_gos]
    for root in roots:
        go = posixpath.join(root, "bin", "go")
        if not host.stat(go).is_file:
            continue
        version = _version(host, root)
        if version is None:
            continue
        try:
            real = host.realpath(root)
        except (HostError, OSError):
            real = root
        seen.setdefault(real, GoInstall(root, go, version))
    from goenv_tui.collect.toolversions import go_tuple

    return sorted(seen.values(), key=lambda g: go_tuple(g.version) or (0, 0, 0), reverse=True)


def newer_go(host: Host, home: str, resolutions: Mapping[str, Mapping[str, Resolution]], than: str | None, minimum: str | None = None) -> GoInstall | None:
    """The newest Go on this machine newer than `than` (and at least `minimum`), if any."""
    from goenv_tui.collect.toolversions import go_tuple

    gos = [c.path for tools in resolutions.values() for r in [tools.get("go")] if r for c in r.candidates if c.executable]
    floor = go_tuple(than) or (0, 0, 0)
    least = go_tuple(minimum) if minimum else None
    for g in find_go_installs(host, home, gos):
        v = go_tuple(g.version)
        if v and v > floor and (least is None or v >= least):
            return g
    return None
