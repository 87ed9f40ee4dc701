"""How paths and places are shown to a person, the same in the text report, the TUI and findings."""

from __future__ import annotations

from goenv_tui.model import Location


def tilde(home: str, path: str | None) -> str:
    """Paths under the analysed HOME as ~/…, the way the user thinks of them."""
    if path is None:
        return "?"
    home = home.rstrip("/")
    if path == home:
        return "~"
    if home and path.startswith(home + "/"):
        return "~" + path[len(home):]
    return path


def where(home: str, loc: Location | None) -> str:
    if loc is None:
        return "?"
    return f"{tilde(home, loc.path)}:{loc.line}" if loc.line else tilde(home, loc.path)
