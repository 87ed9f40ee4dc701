"""The node browser: one node of the environment graph at a time — its attributes, its edges in
and out grouped by kind — Enter follows an edge, Backspace walks back, and a breadcrumb shows
the way walked. From a finding a user walks to the assignment, the file that holds it, the context
that read the file, and the binary that context runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from goenv_tui.display import tilde
from goenv_tui.graph import PRIVATE_ATTRS, EnvGraph
from goenv_tui.graph_export import node_label

# What an edge means, read from the node we stand on: (going out, coming in).
EDGE_WORDS: dict[str, tuple[str, str]] = {
    "at": ("points at", "findings at this line"),
    "evidence": ("evidence", "evidence for findings"),
    "yields": ("gives the final value", "final value set by"),
    "overrides": ("overrides", "overridden by"),
    "assigns": ("sets", "set in file"),
    "sources": ("reads", "read by"),
    "changes": ("changes", "changed by"),
    "resolves": ("runs", "run by context"),
    "via": ("resolved", "found through PATH entry"),
    "adds": ("adds PATH entry", "added by"),
    "links_to": ("links to", "linked from"),
    "belongs_to": ("belongs to GOROOT", "binaries of this GOROOT"),
    "shadows": ("shadows", "shadowed by"),
    "has": ("variables", "variable of context"),
    "entry": ("entries", "entry of"),
    "go_env": ("go env values", "go env of context"),
    "from": ("comes from", "go env values from here"),
    "ran_go_env": ("ran `go env` with", "ran `go env` for"),
    "declares": ("declares setting", "declared in"),
    "uses": ("uses", "used by go.work"),
    "probes": ("probes", "probe of context"),
    "ran": ("ran", "run by probe"),
}
ORDER = list(EDGE_WORDS)


@dataclass(frozen=True)
class EdgeRow:
    """One row of the edge list: a neighbour reached by edges of one kind in one direction."""

    target: str
    kind: str
    outgoing: bool
    label: Text


def _where(d: dict[str, Any]) -> str:
    bits = []
    if d.get("line"):
        bits.append(f"line {d['line']}")
    if d.get("tool"):
        bits.append(str(d["tool"]))
    return ", ".join(bits)


def edge_rows(eg: EnvGraph, node: str, home: str) -> list[tuple[str, list[EdgeRow]]]:
    """(group title, rows) for a node: outgoing groups first, then incoming; parallel edges of a
    kind to the same neighbour (one per context) collapse into one row that names the contexts."""
    g = eg.g
    groups: dict[tuple[bool, str], dict[str, list[dict[str, Any]]]] = {}
    for _, v, d in g.out_edges(node, data=True):
        groups.setdefault((True, d.get("kind", "?")), {}).setdefault(v, []).append(d)
    for u, _, d in g.in_edges(node, data=True):
        groups.setdefault((False, d.get("kind", "?")), {}).setdefault(u, []).append(d)

    def rank(key: tuple[bool, str]) -> tuple[int, int]:
        out, kind = key
        return (0 if out else 1, ORDER.index(kind) if kind in ORDER else len(ORDER))

    result = []
    for key in sorted(groups, key=rank):
        out, kind = key
        words = EDGE_WORDS.get(kind, (kind, kind))[0 if out else 1]
        rows = []
        for other, edges in groups[key].items():
            label = Text()
            label.append("→ " if out else "← ", "cyan")
            label.append(node_label(other, g.nodes[other], home))
            contexts = sorted({d["context"] for d in edges if d.get("context")})
            extra = _where(edges[0])
            if len(contexts) == 1 and not g.nodes[node].get("context") and not g.nodes[other].get("context"):
                extra = ", ".join(x for x in (extra, contexts[0]) if x)
            elif len(contexts) > 1:
                extra = ", ".join(x for x in (extra, f"{len(contexts)} contexts") if x)
            if extra:
                label.append(f" — {extra}", "dim")
            label.no_wrap = True
            label.overflow = "ellipsis"
            rows.append(EdgeRow(other, kind, out, label))
        rows.sort(key=lambda r: (edges_order(g, r), str(r.label)))
        result.append((f"{words} ({len(rows)})", rows))
    return result


def edges_order(g: nx.MultiDiGraph, row: EdgeRow) -> int:
    """Keep execution order where the graph has one (assignments by step, files by line)."""
    d = g.nodes[row.target]
    return int(d.get("step") or d.get("index") or d.get("line") or 0)


def attributes_text(eg: EnvGraph, node: str, home: str) -> Text:
    d = eg.g.nodes[node]
    t = Text()
    t.append(f"{d.get('kind', '?')}  ", "bold reverse")
    t.append(" " + node_label(node, d, home) + "\n", "bold")
    for key in sorted(d):
        if key in PRIVATE_ATTRS or key == "kind":
            continue
        value = d[key]
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        shown = str(value)
        if isinstance(value, str) and home:
            # Paths under the home as ~/… wherever they appear (a value, a command line).
            shown = ":".join(tilde(home, e) if e.startswith("/") else e for e in shown.split(":"))
            shown = shown.replace(home.rstrip("/") + "/", "~/")
        t.append(f"  {key:<12}", "dim")
        t.append(shown + "\n")
    return t


class GraphBrowser(Screen[None]):
    """Browse the graph node by node. Enter follows the highlighted edge, Backspace goes back."""

    BINDINGS = [
        Binding("backspace", "back", "Back"),
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, graph: EnvGraph, home: str, start: str) -> None:
        super().__init__()
        self.graph = graph
        self.home = home
        self.node = start
        self.trail: list[str] = []
        self._rows: list[EdgeRow | None] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="graph-box"):
            yield Static(id="graph-crumbs")
            with VerticalScroll(id="graph-attrs-scroll"):
                yield Static(id="graph-attrs")
            yield OptionList(id="graph-edges")
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#graph-edges", OptionList).focus()

    # walking ---------------------------------------------------------------------------
    def open_node(self, node: str) -> None:
        """Go to `node` (from the palette or a link), keeping the way back."""
        if node not in self.graph.g or node == self.node:
            return
        self.trail.append(self.node)
        self.node = node
        self._show()

    def follow(self, index: int) -> None:
        row = self._rows[index] if 0 <= index < len(self._rows) else None
        if row is not None:
            self.open_node(row.target)

    def action_back(self) -> None:
        if self.trail:
            self.node = self.trail.pop()
            self._show()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "graph-edges":
            event.stop()
            self.follow(event.option_index)

    # painting --------------------------------------------------------------------------
    def crumbs(self) -> list[str]:
        return [node_label(n, self.graph.g.nodes[n], self.home) for n in [*self.trail, self.node]]

    def _show(self) -> None:
        parts = self.crumbs()
        crumbs = Text()
        crumbs.append("graph ", "bold")
        shown = parts[-4:]
        if len(parts) > len(shown):
            crumbs.append("… › ", "dim")
        for i, p in enumerate(shown):
            short = p if len(p) <= 40 else p[:39] + "…"
            crumbs.append(short, "bold" if i == len(shown) - 1 else "dim")
            if i < len(shown) - 1:
                crumbs.append(" › ", "dim")
        crumbs.no_wrap = True
        crumbs.overflow = "ellipsis"
        self.query_one("#graph-crumbs", Static).update(crumbs)
        self.query_one("#graph-attrs", Static).update(attributes_text(self.graph, self.node, self.home))
        self._rows = []
        options: list[Option] = []
        for n, (title, rows) in enumerate(edge_rows(self.graph, self.node, self.home)):
            options.append(Option(Text(title, "bold underline"), id=f"group:{n}", disabled=True))
            self._rows.append(None)
            for row in rows:
                options.append(Option(row.label))
                self._rows.append(row)
        edges = self.query_one("#graph-edges", OptionList)
        edges.clear_options()
        edges.add_options(options)
        first = next((i for i, r in enumerate(self._rows) if r is not None), None)
        if first is not None:
            edges.highlighted = first
