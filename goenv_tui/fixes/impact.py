"""What a planned fix reaches, read from the graph before anything is written: the contexts that
read the edited lines (or the touched files), the variables those lines set, the binaries that
resolve through PATH entries they add, the go env values and editor settings they hold.

A changed or removed line reaches what the graph says that line reaches. An added line reaches
every context that reads the file, and the variables the new text assigns (read with the same
static parser the dormant-line finder uses). The trial run then says what really changes."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from goenv_tui.fixes.plan import PlannedFix, lines_of
from goenv_tui.graph import EnvGraph, Impact, bin_node
from goenv_tui.shells.static import assignments_in, statements

_T = TypeVar("_T", bound=Hashable)


def uniq(items: Iterable[_T], key: Callable[[_T], Any]) -> tuple[_T, ...]:
    """Each item once, sorted by `key`."""
    return tuple(sorted(set(items), key=key))


def _merge(path: str, parts: list[Impact], order: list[str]) -> Impact:
    pos = {c: i for i, c in enumerate(order)}

    def ctx_key(c: str) -> int:
        return pos.get(c, 999)

    def pair_key(x: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        return pos.get(x[0], 999), x[1:]

    return Impact(
        path, None,
        tuple(dict.fromkeys(a for p in parts for a in p.assignments)),
        uniq((c for p in parts for c in p.contexts), ctx_key),
        uniq((v for p in parts for v in p.variables), pair_key),
        uniq((b for p in parts for b in p.binaries), pair_key),
        uniq((g for p in parts for g in p.goenv), pair_key),
        tuple(sorted({s for p in parts for s in p.settings})),
    )


def _added_names(lines: list[str]) -> set[str]:
    names: set[str] = set()
    for stmt in statements("".join(lines)):
        names.update(a.var.upper() if a.var in ("path", "manpath") else a.var for a in assignments_in(stmt))
    return names


def reach(graph: EnvGraph, plan: PlannedFix) -> Impact:
    """Everything `plan` reaches, merged over its edits and the files its command touches."""
    parts: list[Impact] = []
    order = list(graph.g.graph["contexts"])
    for e in plan.edits:
        if not e.changes:
            continue
        # Lines as the shell counts them (\n only), and the file as the home reads it: a
        # symlinked dotfile's link, not its target (the graph knows the link).
        before = lines_of(e.before or "")
        after = lines_of(e.after or "")
        path = e.link or e.path
        added: list[str] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if op in ("replace", "delete"):
                parts.extend(graph.affects(path, line) for line in range(i1 + 1, i2 + 1))
            if op in ("replace", "insert"):
                added.extend(after[j1:j2])
        code = [ln for ln in added if ln.strip() and not ln.lstrip().startswith("#")]
        if code:  # comments (the marker, a disabled line) reach nothing
            readers = graph.readers(path)
            names = _added_names(code)
            whole = graph.affects(path)
            parts.append(Impact(path, None, (), tuple(readers),
                                tuple((c, n) for c in readers for n in sorted(names)), (), (), whole.settings))
    for path in plan.touches:
        node = bin_node(path)
        if node in graph.g:  # a binary the command reinstalls: the contexts that run it
            runs = [(d["context"], d.get("tool", ""), path) for _, _, d in graph.g.in_edges(node, data=True)
                    if d.get("kind") == "resolves"]
            parts.append(Impact(path, None, (), tuple(c for c, _, _ in runs), (), tuple(runs)))
        else:
            parts.append(graph.affects(path))
    return _merge(plan.edits[0].path if plan.edits else (plan.touches[0] if plan.touches else ""), parts, order)


def describe(impact: Impact, home: str) -> list[str]:
    """The reach as a few lines for a person: contexts, variables, binaries, go env, settings."""
    from goenv_tui.display import tilde

    def count(n: int) -> str:
        return f"{n} context{'s' if n != 1 else ''}"

    if impact.empty:
        return ["Reaches no traced context: no context runs these lines (the trial confirms)."]
    out = []
    if impact.contexts:
        out.append(f"Contexts ({len(impact.contexts)}): " + ", ".join(impact.contexts))
    if impact.variables:
        per = Counter(name for _, name in impact.variables)
        out.append("Variables: " + ", ".join(f"{name} (in {count(n)})" for name, n in sorted(per.items())))
    if impact.binaries:
        per_bin: dict[tuple[str, str], list[str]] = {}
        for cid, tool, path in impact.binaries:
            per_bin.setdefault((tool, path), []).append(cid)
        out.append("Binaries: " + ", ".join(f"{tool} → {tilde(home, path)} (in {count(len(cs))})"
                                            for (tool, path), cs in sorted(per_bin.items())))
    if impact.goenv:
        per = Counter(name for _, name in impact.goenv)
        out.append("go env: " + ", ".join(f"{name} (in {count(n)})" for name, n in sorted(per.items())))
    if impact.settings:
        out.append("Settings: " + ", ".join(impact.settings))
    return out
