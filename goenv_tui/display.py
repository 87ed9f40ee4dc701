"""How paths and places are shown to a person, the same in the text report, the TUI and findings."""

from __future__ import annotations

import re

from goenv_tui.model import Location, Severity

# One look for a severity wherever it is shown: its mark, its rich style, its word (one, many).
SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}
SEVERITY_WORD = {Severity.ERROR: ("error", "errors"), Severity.WARNING: ("warning", "warnings"),
                 Severity.INFO: ("note", "notes")}


def severity_count(sev: Severity, n: int) -> str:
    """"1 error", "2 warnings", "0 notes"."""
    return f"{n} {SEVERITY_WORD[sev][0 if n == 1 else 1]}"


def tilde(home: str, path: str | None) -> str:
    """Paths under the analysed HOME as ~/…, the way the user thinks of them."""
    if path is None:
        return "?"
    home = home.rstrip("/")
    if path.startswith("<(…) at "):  # a sourced process substitution, named by its line
        return "<(…) at " + tilde(home, path[len("<(…) at "):])
    if path == home:
        return "~"
    if home and path.startswith(home + "/"):
        return "~" + path[len(home):]
    return path


def tilde_in(home: str, text: str) -> str:
    """Every path under HOME inside a sentence (a finding's detail, a value) as ~/…: a long tmp
    or network home otherwise fills the line before the part that matters."""
    home = home.rstrip("/")
    if not home:
        return text
    return re.sub(re.escape(home) + r"(?=/|$|[^\w.-])", "~", text)


def tilde_path_list(home: str, value: str) -> str:
    """A PATH-like value entry by entry: home entries as ~/…, a literal `~` entry quoted, because
    that one is a bug (no shell expands it there) and must not look like the others."""
    return ":".join(f"'{e}'" if e.startswith("~") else tilde(home, e) for e in value.split(":"))


def where(home: str, loc: Location | None) -> str:
    if loc is None:
        return "?"
    return f"{tilde(home, loc.path)}:{loc.line}" if loc.line else tilde(home, loc.path)
