"""Writing the environment graph out: the whole graph or the part about one context or one
variable, as JSON (networkx node-link form, contracts/graph.schema.json), GraphML (networkx's
writer) or Graphviz DOT (for `dot -Tsvg`).

DOT is written here rather than by networkx: networkx writes DOT only through pydot or
pygraphviz, and a diagnosis tool should not need either to print a picture's source.
"""

from __future__ import annotations

import io
import json
from typing import Any

import networkx as nx

from goenv_tui.display import tilde
from goenv_tui.graph import PRIVATE_ATTRS, EnvGraph, ctx_node, var_node

SCHEMA_ID = "goenv-tui/graph/v1"
FORMATS = ("json", "graphml", "dot")


def focus(eg: EnvGraph, context: str | None = None, variable: str | None = None) -> nx.MultiDiGraph:
    """The subgraph about one context, one variable, or one variable in one context."""
    g = eg.g
    if context is None and variable is None:
        return g
    contexts = [context] if context else list(g.graph["contexts"])
    keep: set[str] = set()
    if variable is None:
        assert context is not None
        keep.add(ctx_node(context))
        keep.update(nx.descendants(eg.sources_view(context), ctx_node(context)))
        for n, d in g.nodes(data=True):
            if d.get("context") == context or context in (d.get("contexts") or ()):
                keep.add(n)
        for b, _ in eg.out_of(ctx_node(context), "resolves"):
            keep.add(b)
            keep.update(nx.descendants(g, b))  # its symlink hops, GOROOT and the binaries it shadows
    else:
        for cid in contexts:
            vnode = var_node(cid, variable)
            if vnode not in g:
                continue
            keep.update((ctx_node(cid), vnode))
            for s in eg.chain(variable, cid):
                keep.add(s.node)
                keep.update(h.node for h in eg.file_path(cid, s.assignment.location.path))
            for pe, _ in eg.out_of(vnode, "entry"):
                keep.add(pe)
                keep.update(b for b, _ in eg.out_of(pe, "via"))
            if variable == "GOROOT":
                for b, d in eg.out_of(ctx_node(cid), "resolves"):
                    if d.get("tool") == "go":
                        keep.add(b)
                        keep.update(n for n in nx.descendants(g, b)
                                    if g.nodes[n].get("kind") in ("symlink", "goroot"))
            goenv = f"goenv:{cid}:{variable}"
            if goenv in g:
                keep.add(goenv)
                keep.update(v for v, _ in eg.out_of(goenv, "from"))
        for n, d in g.nodes(data=True):
            if d.get("kind") == "assignment" and not d.get("live") and d.get("var") == variable \
                    and (context is None or context in d.get("read_by", ())):
                keep.update((n, f"file:{d['path']}"))
            if d.get("kind") == "finding" and d.get("variable") == variable \
                    and (context is None or context in (d.get("contexts") or ())):
                keep.add(n)
    kept_contexts = set(contexts)

    def edge_ok(u: str, v: str, k: int) -> bool:
        ctx = g.edges[u, v, k].get("context")
        return ctx is None or ctx in kept_contexts

    sub = nx.subgraph_view(g.subgraph(keep), filter_edge=edge_ok)
    out = nx.MultiDiGraph(sub)
    out.graph.update(focus={"context": context, "variable": variable})
    return out


def _plain(g: nx.MultiDiGraph, home: str | None) -> nx.MultiDiGraph:
    """A copy without the Python facts riding on nodes, stamped with the schema id."""
    out = nx.MultiDiGraph()
    out.graph.update(schema=SCHEMA_ID, contexts=list(g.graph.get("contexts", [])), home=home,
                     focus=g.graph.get("focus") or {"context": None, "variable": None})
    # Sorted, so that one home always gives the same file (diffable, testable).
    for n in sorted(g.nodes):
        out.add_node(n, **{k: v for k, v in g.nodes[n].items() if k not in PRIVATE_ATTRS})
    for u, v, k in sorted(g.edges(keys=True), key=lambda e: (e[0], e[1], e[2])):
        out.add_edge(u, v, key=k, **g.edges[u, v, k])
    return out


def to_json(g: nx.MultiDiGraph, home: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = nx.node_link_data(_plain(g, home), edges="links")  # networkx is untyped
    return doc


def from_json(data: dict[str, Any]) -> nx.MultiDiGraph:
    return nx.node_link_graph(data, edges="links")


def _graphml_safe(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML has no null and no lists, and one type per attribute name: drop None, join lists,
    and write as text any attribute whose type varies between nodes (a setting's value)."""
    types: dict[tuple[str, str], set[type]] = {}
    for _, d in g.nodes(data=True):
        for k, v in d.items():
            types.setdefault(("node", k), set()).add(type(v))
    for *_, d in g.edges(data=True):
        for k, v in d.items():
            types.setdefault(("edge", k), set()).add(type(v))

    def clean(where: str, d: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in d.items():
            if v is None:
                continue
            if isinstance(v, (list, tuple, dict)):
                v = json.dumps(v)
            elif len(types[(where, k)] - {type(None)}) > 1:
                v = str(v)
            out[k] = v
        return out

    h = nx.MultiDiGraph()
    h.graph.update({k: (json.dumps(v) if isinstance(v, (list, dict)) else v)
                    for k, v in g.graph.items() if v is not None})
    for n, d in g.nodes(data=True):
        h.add_node(n, **clean("node", d))
    for u, v, k, d in g.edges(keys=True, data=True):
        h.add_edge(u, v, key=k, **clean("edge", d))
    return h


def to_graphml(g: nx.MultiDiGraph, home: str | None = None) -> str:
    buf = io.BytesIO()
    nx.write_graphml(_graphml_safe(_plain(g, home)), buf)
    return buf.getvalue().decode()


_SHAPE = {"context": "house", "file": "note", "assignment": "box", "variable": "ellipse",
          "path_entry": "cds", "binary": "component", "symlink": "rarrow", "goroot": "folder",
          "goenv": "plain", "setting": "tab", "workspace": "note", "probe": "octagon", "finding": "diamond"}
_COLOR = {"context": "#1f77b4", "file": "#7f7f7f", "assignment": "#2ca02c", "variable": "#9467bd",
          "path_entry": "#8c564b", "binary": "#d62728", "symlink": "#e377c2", "goroot": "#ff7f0e",
          "goenv": "#17becf", "setting": "#bcbd22", "workspace": "#7f7f7f", "probe": "#d62728", "finding": "#d62728"}


def node_label(n: str, d: dict[str, Any], home: str | None) -> str:
    """A short, human label for a node (the DOT picture and the node browser share it)."""
    h = home or ""
    kind = d.get("kind")
    if kind == "context":
        return str(d.get("id"))
    if kind in ("file", "binary", "symlink", "goroot", "workspace"):
        extra = f" ({d['version']})" if kind in ("binary", "goroot") and d.get("version") else ""
        return tilde(h, d.get("path")) + extra
    if kind == "assignment":
        where = f"{tilde(h, d.get('path'))}:{d.get('line')}"
        value = d.get("after")
        shown = "unset" if d.get("op") == "unset" else f"{d.get('var')}={tilde(h, value) if value else value}"
        return f"{where} {shown}" + ("" if d.get("live") else " (dormant)")
    if kind == "variable":
        return f"{d.get('name')}={_short(d.get('value'), h)} [{d.get('context')}]"
    if kind == "path_entry":
        return f"{d.get('var')}[{d.get('index')}] {tilde(h, d.get('dir'))}"
    if kind == "goenv":
        return f"go env {d.get('name')}={_short(d.get('value'), h)} ({d.get('source')})"
    if kind == "setting":
        return f"{d.get('key')} = {_short(str(d.get('value')), h)}"
    if kind == "probe":
        return f"probe {d.get('tool')} {d.get('status')} [{d.get('context')}]"
    if kind == "finding":
        return f"{d.get('severity')}: {d.get('title')}"
    return n


def _short(value: Any, home: str) -> str:
    if value is None:
        return "(unset)"
    text = ":".join(tilde(home, e) if e.startswith("/") else e for e in str(value).split(":"))
    return text if len(text) <= 60 else text[:57] + "…"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: nx.MultiDiGraph, home: str | None = None) -> str:
    lines = ["digraph goenv {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    g = _plain(g, home)
    for n, d in g.nodes(data=True):
        kind = d.get("kind", "")
        lines.append(f"  {_q(n)} [label={_q(node_label(n, d, home))}, shape={_SHAPE.get(kind, 'box')}, "
                     f"color={_q(_COLOR.get(kind, '#000000'))}, kind={_q(kind)}];")
    # One arrow per pair of nodes: parallel edges (changes+yields, one `sources` per context)
    # would only clutter the picture; the label lists their kinds.
    labels: dict[tuple[str, str], list[str]] = {}
    for u, v, d in g.edges(data=True):
        label = d.get("kind", "")
        if d.get("kind") == "sources" and d.get("line"):
            label += f" :{d['line']}"
        elif d.get("kind") in ("resolves", "via") and d.get("tool"):
            label += f" {d['tool']}"
        seen = labels.setdefault((u, v), [])
        if label not in seen:
            seen.append(label)
    for (u, v), kinds in labels.items():
        lines.append(f"  {_q(u)} -> {_q(v)} [label={_q(', '.join(kinds))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def export(eg: EnvGraph, fmt: str, context: str | None = None, variable: str | None = None,
           home: str | None = None) -> str:
    g = focus(eg, context, variable)
    if fmt == "json":
        return json.dumps(to_json(g, home), indent=1, sort_keys=True, default=str) + "\n"
    if fmt == "graphml":
        return to_graphml(g, home)
    if fmt == "dot":
        return to_dot(g, home)
    raise ValueError(f"unknown format {fmt!r}")
