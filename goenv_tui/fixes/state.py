"""Where goenv-tui keeps its own state in a home: the fix journal, its locks, the wizard's progress
(XDG_STATE_HOME, else ~/.local/state)."""

from __future__ import annotations

import posixpath


def state_dir(home: str, env: dict[str, str] | None = None) -> str:
    xdg = (env or {}).get("XDG_STATE_HOME")
    base = xdg if xdg and xdg.startswith("/") else posixpath.join(home, ".local", "state")
    return posixpath.join(base, "goenv-tui")
