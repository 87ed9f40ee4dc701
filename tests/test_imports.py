"""The package's import graph, read from the source with ast: no cycles, imports point downstream,
and the core never imports Textual (the UI is a thin layer over a headless core)."""

from __future__ import annotations

import ast
from pathlib import Path

import goenv_tui

ROOT = Path(goenv_tui.__file__).parent

# Packages (or modules) of the core, lowest first: each may import only from those before it.
# checks, fixes and diagnose are one layer for now: fix builders live beside their checks and
# use fixes' editing primitives, while applying a fix (fixes/engine.py, trial.py) runs the
# pipeline again (diagnose.py), which plans fixes with the builders.
LAYERS: list[set[str]] = [
    {"", "model", "charset", "display", "redact"},  # "": goenv_tui/__init__.py
    {"host"},
    {"shells", "jsonc", "frameworks"},
    {"collect"},
    {"probes"},
    {"graph", "graph_export"},
    {"checks", "fixes", "diagnose"},
    {"report", "summary", "wizard", "progress", "demo"},
    {"ui", "cli", "__main__"},
]
CORE_EXCEPT = {"ui", "cli", "__main__"}  # what may import textual


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        parts = ["goenv_tui", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`: never run, so not part of the import graph."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip |= {id(n) for n in ast.walk(child)}
    return skip


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module `name` imports, wherever the import statement is: an import inside a
    function does not remove a cycle, it only hides it until that function runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(name, path, modules) if m in modules and m != name}
            for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _top(module: str) -> str:
    """The package (or top-level module) of goenv_tui a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back() -> None:
    graph = _graph()
    assert len(graph) > 50, sorted(graph)  # the walk saw the package
    assert "goenv_tui.shells.tracer" in graph["goenv_tui.collect"]  # and sees imports
    assert _cycles(graph) == []


def test_imports_point_downstream() -> None:
    layer_of = {name: i for i, names in enumerate(LAYERS) for name in names}
    wrong: list[str] = []
    for module, deps in _graph().items():
        top = _top(module)
        if top not in layer_of:
            wrong.append(f"{module}: its package {top!r} is in no layer of this test")
            continue
        for dep in deps:
            if layer_of.get(_top(dep), -1) > layer_of[top]:
                wrong.append(f"{module} imports {dep}")
    assert wrong == []


def test_the_core_never_imports_textual() -> None:
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        if _top(name) in CORE_EXCEPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            wrong += [f"{name} imports {n}" for n in names if n.split(".")[0] == "textual"]
    assert wrong == []
