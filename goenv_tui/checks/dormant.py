"""Assignments that never run: in startup files no context reads, or in branches never taken."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.display import tilde
from goenv_tui.fixes import edits
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import FileEdit, PlannedFix, lines_of
from goenv_tui.model import Finding, Location, Severity


@check("GOENV-DORMANT-001", Severity.WARNING, "Assignments in a startup file nothing reads", also=(Severity.INFO,))
def unread_file(ctx: CheckContext) -> Iterator[Finding]:
    """The classic: Go set up in `~/.profile`, but `~/.bash_profile` exists, so bash never reads
    `~/.profile` and the Go setup is dead — you edit the file and nothing changes."""
    by_file: dict[str, list[dict[str, Any]]] = {}
    for d in ctx.graph.dormant():
        if d.get("reason") == "file-not-read":
            by_file.setdefault(d["path"], []).append(d)
    for unread in ctx.facts.unread:
        items = by_file.get(unread.path, [])
        if not items:
            continue
        names = sorted({i["var"] for i in items})
        goish = any(n.startswith("GO") or n == "PATH" for n in names)
        chain = [f"{ctx.tilde(i['path'])}:{i['line']} {i['op']} {i['var']}={i['after'] or ''} (never runs)" for i in items]
        yield finding(
            unread.path, Severity.WARNING if goish else Severity.INFO,
            f"{ctx.tilde(unread.path)} sets {', '.join(names)} but no context reads it",
            f"{ctx.tilde(unread.path)} assigns {', '.join(names)}, but none of the traced ways of starting a shell "
            f"reads this file: {unread.reason}. These lines have no effect anywhere.",
            variable=names[0] if len(names) == 1 else None,
            locations=[Location(i["path"], i["line"]) for i in items],
            evidence=[i["node"] for i in items], chain=chain,
        )


@check("GOENV-DORMANT-002", Severity.INFO, "Assignments in branches never taken")
def branch_not_taken(ctx: CheckContext) -> Iterator[Finding]:
    """An export after the non-interactive `return` guard of ~/.bashrc, or inside an `if` whose
    test fails, never runs in some contexts: it looks configured and is not."""
    home = ctx.facts.home.rstrip("/") + "/"
    by_file: dict[str, list[dict[str, Any]]] = {}
    for d in ctx.graph.dormant():
        if d.get("reason") == "branch-not-taken" and d["path"].startswith(home):
            by_file.setdefault(d["path"], []).append(d)
    for path, items in by_file.items():
        entry = ctx.facts.files.get(path)
        if entry is not None and (entry.error or "").startswith("not readable by"):
            continue  # the shell could not read it at all: GOENV-TRACE-003 says so
        readers = sorted({c for i in items for c in i.get("read_by", [])})
        chain = [f"{ctx.tilde(path)}:{i['line']} {i['op']} {i['var']}={i['after'] or ''} (never ran)" for i in items]
        yield finding(
            path, Severity.INFO,
            f"{ctx.tilde(path)}: {len(items)} assignment{'s' if len(items) > 1 else ''} never ran",
            f"{ctx.tilde(path)} is read by {', '.join(readers)}, but these lines were skipped in every one of "
            "them (a condition was false, or they come after an early `return`).",
            locations=[Location(path, i["line"]) for i in items], contexts=readers,
            evidence=[i["node"] for i in items], chain=chain,
        )


# --- fixes ---------------------------------------------------------------------------------------

@unread_file.fix
def unread_profile(fc: FixContext, f: Finding) -> list[PlannedFix]:
    unread = next((u for u in fc.d.facts.unread if u.path in {loc.path for loc in f.locations}), None)
    if unread is None or posixpath.basename(unread.path) != ".profile":
        return []
    folder = posixpath.dirname(unread.path)
    for name in (".bash_profile", ".bash_login"):
        shadow = posixpath.join(folder, name)
        text = fc.text(shadow)
        if text is not None:
            loop = _sources_back(fc, unread.path, shadow)
            if loop:
                fc.refuse(f, f"Make ~/{name} source ~/.profile: {loop}")
                return []
            new = edits.insert_before(text, _first_code_line(text), ['[ -f "$HOME/.profile" ] && . "$HOME/.profile"'],
                                      f"bash reads only ~/{name}; source ~/.profile so its settings apply", fc.today)
            p = fc.edit_fix(f, "source-profile", f"Make ~/{name} source ~/.profile", [FileEdit(shadow, text, new)])
            return [p] if p else []
    return []


_SOURCE_RE = r"(?:^|[;&|{(]|\bthen|\bdo|\belse)\s*(?:\.|source)\s+[\"']?([^\s;\"')]+)"


def _sources_back(fc: FixContext, start: str, back_to: str) -> str | None:
    """Whether `start` (through the files it sources, statically) would source `back_to`:
    then making `back_to` source `start` is an endless loop and `bash -l` never starts."""
    import re

    seen: list[str] = []
    todo = [start]
    home = fc.home.rstrip("/")
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = fc.text(path) or ""
        for line in lines_of(text):
            code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            for m in re.finditer(_SOURCE_RE, code):
                ref = m.group(1).replace("${HOME}", home).replace("$HOME", home)
                ref = home + ref[1:] if ref.startswith("~/") else ref
                if not ref.startswith("/"):
                    continue
                if ref == back_to or posixpath.realpath(ref) == posixpath.realpath(back_to):
                    chain = " → ".join(tilde(fc.home, p) for p in [back_to, *seen, back_to])
                    return f"that would make a sourcing loop ({chain}): bash would never finish starting"
                todo.append(ref)
    return None


def _first_code_line(text: str) -> int | None:
    for n, line in enumerate(lines_of(text), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return n
    return None
