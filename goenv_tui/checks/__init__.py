"""The checks: one module per topic, each holding its checks and their fix builders.

Every module of this package except `base` and `catalog` is a topic: importing it registers its
checks (`@check`) and their fixes (`@<check>.fix`), so a new topic is one new file here.
`run_checks` runs every check in isolation — a check that crashes becomes a finding of its own
instead of taking the report down with it (as flutter doctor's validators do).
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from collections.abc import Collection

from goenv_tui.checks.base import (
    ID_HOME,
    REGISTRY,
    CheckContext,
    CheckInfo,
    check_info,
    make_finding,
    strict,
    tool_of,
)
from goenv_tui.frameworks import Ownership, describe, owner_of, user_call_site
from goenv_tui.graph import EnvGraph
from goenv_tui.model import Finding, Severity

# The modules of this package that hold no checks.
_NOT_TOPICS = {"base", "catalog"}
TOPICS = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_TOPICS)
for _topic in TOPICS:
    importlib.import_module(f"{__name__}.{_topic}")

__all__ = ["REGISTRY", "TOPICS", "CheckContext", "CheckInfo", "add_to_graph", "builder_crashed", "check_info", "run_checks",
           "sort_key", "tool_of"]


def run_checks(ctx: CheckContext, only: Collection[str] | None = None) -> list[Finding]:
    """Every check's findings (only those of the checks named in `only`, when given)."""
    token = ID_HOME.set(ctx.facts.home)
    try:
        return _run_checks(ctx, only)
    finally:
        ID_HOME.reset(token)


def _run_checks(ctx: CheckContext, only: Collection[str] | None) -> list[Finding]:
    found: list[Finding] = []
    for info in REGISTRY:
        if only is not None and info.id not in only:
            continue
        try:
            found.extend(info.findings(ctx))
        except Exception as exc:  # isolate a broken check
            if strict():
                raise  # the tests: a crashing check is a bug to see, not a finding to read past
            found.append(make_finding(
                "GOENV-INTERNAL-001", info.id, Severity.WARNING,
                f"Check {info.id} crashed",
                f"{info.title}: this check could not run ({exc!r}). Other results are unaffected.\n"
                + "".join(traceback.format_exception_only(type(exc), exc)).strip(),
            ))
    seen: set[str] = set()
    unique = []
    for f in found:
        if f.id not in seen:
            seen.add(f.id)
            unique.append(f)
    unique = [_framework_note(ctx, f) for f in unique]
    unique.sort(key=sort_key)
    for f in unique:
        add_to_graph(ctx.graph, f)
    return unique


def sort_key(f: Finding) -> tuple[int, str, str]:
    """The order findings are shown in: worst first, then by check."""
    return (f.severity.rank, f.check, f.id)


def add_to_graph(graph: EnvGraph, f: Finding) -> None:
    graph.add_finding(f.id, {"check": f.check, "severity": f.severity.value, "title": f.title,
                             "variable": f.variable, "contexts": list(f.contexts)},
                      list(f.evidence), f.locations)


def builder_crashed(info: CheckInfo, f: Finding, builder: object, exc: Exception) -> Finding:
    """A fix builder that raised, reported the way a crashing check is (flutter doctor's
    validators): the finding stays, shown without the fixes that builder would have offered, and
    this finding says which builder failed and how."""
    name = f"{getattr(builder, '__module__', '?')}.{getattr(builder, '__qualname__', repr(builder))}"
    return make_finding(
        "GOENV-INTERNAL-002", f"{f.id}|{name}", Severity.WARNING,
        f"Fix builder {name.rsplit('.', 1)[-1]} of {info.id} crashed",
        f"{info.title}: the fixes for {f.id} ({f.title}) could not be planned: {name} raised {exc!r}. "
        "The finding is shown without them; other results are unaffected.\n"
        + "".join(traceback.format_exception_only(type(exc), exc)).strip(),
        contexts=f.contexts, data={"check": info.id, "finding": f.id, "builder": name},
    )


def _framework_note(ctx: CheckContext, f: Finding) -> Finding:
    """A finding located in a framework's file says that no fix will edit that file, and names
    the user's own line that reads it (where a change belongs)."""
    import dataclasses

    home = ctx.facts.home

    def owner(file: str) -> Ownership | None:
        ft = ctx.facts.files.get(file)
        return owner_of(home, file, ft.realpath if ft else None, (ft.text or "")[:2048] if ft else None)

    notes = []
    data = dict(f.data)
    for file in dict.fromkeys(loc.path for loc in f.locations):
        own = owner(file)
        if own is None:
            continue
        files = [sf for t in ctx.facts.contexts for sf in t.files]
        call = user_call_site(files, file, lambda p: owner(p) is not None)
        note = f"{describe(home, file, own)}, so goenv-tui offers no edit of it"
        note += f"; it is read from {ctx.where(call)}, the line of yours to change." if call else "."
        notes.append(note)
        data.setdefault("owned_by", own.framework)
        if call is not None:
            data.setdefault("user_line", ctx.where(call))
    if not notes:
        return f
    return dataclasses.replace(f, detail=f.detail.rstrip() + " " + " ".join(notes), data=data)
