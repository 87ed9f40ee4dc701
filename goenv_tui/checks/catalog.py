"""The list of checks, as `goenv-tui report --list-checks` prints it (brew's `doctor --list-checks`):
each check's id, the severities it may report, the tools it is about, whether it offers fixes and
its title. Read from the registry alone: nothing is traced or run."""

from __future__ import annotations

import inspect
import json
from collections.abc import Collection

from goenv_tui.checks import REGISTRY, CheckInfo


def selected(only: Collection[str] | None = None) -> list[CheckInfo]:
    """The registered checks (those named in `only`, when given), by id."""
    return sorted((c for c in REGISTRY if only is None or c.id in only), key=lambda c: c.id)


def unknown_ids(ids: Collection[str]) -> list[str]:
    known = {c.id for c in REGISTRY}
    return [i for i in ids if i not in known]


def _builder_name(builder: object) -> str:
    return str(getattr(builder, "__qualname__", repr(builder)))


def to_json(only: Collection[str] | None = None) -> str:
    rows = [{
        "id": c.id,
        "title": c.title,
        "topic": c.topic,
        "severity": c.severity.value,
        "severities": [s.value for s in c.severities],
        "tools": list(c.tools),
        "fixes": bool(c.fixes),
        "fix_builders": [_builder_name(b) for b in c.fixes],
        "module": c.module,
        "doc": inspect.cleandoc(c.doc),
    } for c in selected(only)]
    return json.dumps({"checks": rows}, indent=2) + "\n"


def _tools(c: CheckInfo) -> str:
    """The tools column: a check about many tools names the first two (--json lists them all)."""
    if len(c.tools) > 2:
        return f"{','.join(c.tools[:2])},+{len(c.tools) - 2}"
    return ",".join(c.tools) or "-"


def to_text(only: Collection[str] | None = None) -> str:
    rows = [(c.id, ", ".join(s.value for s in c.severities), _tools(c),
             "yes" if c.fixes else "-", c.title) for c in selected(only)]
    head = ("ID", "SEVERITY", "TOOL", "FIXES", "TITLE")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
             for r in [head, *rows]]
    with_fixes = sum(1 for c in selected(only) if c.fixes)
    lines.append(f"{len(rows)} check{'s' if len(rows) != 1 else ''}, {with_fixes} with fixes")
    return "\n".join(lines) + "\n"
