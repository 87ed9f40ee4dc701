"""The environment graph (networkx.MultiDiGraph) and the queries checks and the UI ask of it.

Nodes (attribute `kind`): context, file, assignment, variable, path_entry, finding (binary,
symlink, goroot and setting arrive with binary resolution and editor settings).
Edges (attribute `kind`): sources (context→file for files the shell opened itself, file→file
for `source`), assigns (file→assignment), overrides (assignment→the earlier assignment whose
value it replaced), yields (assignment→variable it produced), has (context→variable),
entry (variable→path_entry), evidence (finding→any node).

Node ids are stable strings: "ctx:<id>", "file:<path>", "asg:<ctx>:<n>",
"dormant:<path>:<line>:<var>", "var:<ctx>:<name>", "pe:<ctx>:<name>:<n>", "finding:<id>".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from goenv_tui.model import Assignment, ContextTrace, DormantAssignment, Op, Resolution, TraceStatus

PATH_VARS = ("PATH", "MANPATH")


def ctx_node(cid: str) -> str:
    return f"ctx:{cid}"


def file_node(path: str) -> str:
    return f"file:{path}"


def var_node(cid: str, name: str) -> str:
    return f"var:{cid}:{name}"


def replaces(var: str, before: str | None, after: str | None, op: Op) -> bool:
    """Whether an assignment discarded the previous value (rather than extending it)."""
    if before is None:
        return False
    if op is Op.UNSET:
        return True
    if op in (Op.PREPEND, Op.APPEND, Op.OTHER):
        return False
    if after == before:
        return False
    if var in PATH_VARS or var == "GOPATH":
        old = [e for e in before.split(":") if e]
        new = set((after or "").split(":"))
        return not all(e in new for e in old)
    return True


@dataclass(frozen=True)
class Step:
    """One assignment of a variable in one context, with what replaced it."""

    node: str
    index: int
    assignment: Assignment
    overridden_by: int | None


class EnvGraph:
    """Builds the graph from traces and answers questions about it."""

    def __init__(self) -> None:
        self.g: nx.MultiDiGraph = nx.MultiDiGraph()
        self._steps: dict[tuple[str, str], list[Step]] = {}
        self.contexts: dict[str, ContextTrace] = {}
        self._added: dict[tuple[str, str, str], str] = {}

    # building --------------------------------------------------------------------------
    @classmethod
    def build(cls, traces: list[ContextTrace], dormant: list[DormantAssignment] | None = None,
              resolutions: dict[str, dict[str, Resolution]] | None = None) -> EnvGraph:
        eg = cls()
        for trace in traces:
            eg._add_context(trace)
        for d in dormant or []:
            eg._add_dormant(d)
        eg.add_resolutions(resolutions or {})
        return eg

    def _file(self, path: str) -> str:
        node = file_node(path)
        if node not in self.g:
            self.g.add_node(node, kind="file", path=path)
        return node

    def _add_context(self, t: ContextTrace) -> None:
        g = self.g
        self.contexts[t.id] = t
        cnode = ctx_node(t.id)
        g.add_node(cnode, kind="context", id=t.id, shell=t.spec.shell, login=t.spec.login,
                   interactive=t.spec.interactive, status=t.status.value, used_by=list(t.used_by))
        for f in t.files:
            fnode = self._file(f.path)
            if f.sourced_from is None:
                g.add_edge(cnode, fnode, kind="sources", order=f.order, context=t.id, line=None)
            else:
                src = self._file(f.sourced_from.path)
                g.add_edge(src, fnode, kind="sources", order=f.order, context=t.id, line=f.sourced_from.line)
        per_var: dict[str, list[tuple[str, int, Assignment]]] = {}
        for n, a in enumerate(t.assignments):
            anode = f"asg:{t.id}:{n}"
            g.add_node(anode, kind="assignment", context=t.id, var=a.var, op=a.op.value, before=a.before,
                       after=a.value, path=a.location.path, line=a.location.line, via=a.via,
                       call_site=a.call_site, exported=a.exported, live=True, command=a.command)
            g.add_edge(self._file(a.location.path), anode, kind="assigns", context=t.id)
            per_var.setdefault(a.var, []).append((anode, n, a))
        for var, items in per_var.items():
            steps: list[Step] = []
            for i, (anode, _n, a) in enumerate(items):
                over = None
                for j in range(i + 1, len(items)):
                    later = items[j][2]
                    if replaces(var, later.before, later.value, later.op):
                        over = j
                        g.add_edge(items[j][0], anode, kind="overrides", context=t.id)
                        break
                    if later.op is Op.SET and later.value == later.before:
                        continue
                steps.append(Step(anode, i, a, over))
            self._steps[(t.id, var)] = steps
        finals = dict(t.watched)
        for name, value in finals.items():
            vnode = var_node(t.id, name)
            g.add_node(vnode, kind="variable", context=t.id, name=name, value=value,
                       exported=name in t.env)
            g.add_edge(cnode, vnode, kind="has")
            steps = self._steps.get((t.id, name), [])
            for s in steps:
                if s.overridden_by is None and s.assignment.op is not Op.UNSET:
                    g.add_edge(s.node, vnode, kind="yields", context=t.id)
            if name in PATH_VARS:
                for k, entry in enumerate(value.split(":")):
                    pnode = f"pe:{t.id}:{name}:{k}"
                    added = self._added_by(t.id, name, entry)
                    if added:
                        self._added[(t.id, name, entry)] = added
                    g.add_node(pnode, kind="path_entry", context=t.id, var=name, index=k, dir=entry,
                               added_by=added)
                    g.add_edge(vnode, pnode, kind="entry", index=k)

    def _added_by(self, cid: str, var: str, entry: str) -> str | None:
        """The last assignment that introduced `entry` into the variable's value."""
        found = None
        for s in self._steps.get((cid, var), []):
            before = (s.assignment.before or "").split(":")
            after = (s.assignment.value or "").split(":")
            if entry in after and entry not in before:
                found = s.node
        return found

    def _add_dormant(self, d: DormantAssignment) -> None:
        node = f"dormant:{d.location.path}:{d.location.line}:{d.var}"
        self.g.add_node(node, kind="assignment", context=None, var=d.var, op=d.op.value, before=None,
                        after=d.value, path=d.location.path, line=d.location.line, via=None,
                        call_site=None, live=False, reason=d.reason, read_by=list(d.read_by))
        self.g.add_edge(self._file(d.location.path), node, kind="assigns", context=None)

    def add_resolutions(self, resolutions: dict[str, dict[str, Resolution]]) -> None:
        """Binaries: context -resolves-> binary (via the PATH entry), the resolved one -shadows->
        the later candidates, binary -links_to-> each symlink hop, go -belongs_to-> its GOROOT."""
        g = self.g
        for cid, tools in resolutions.items():
            for tool, res in tools.items():
                for c in res.candidates:
                    node = f"bin:{c.path}"
                    info = c.info
                    g.add_node(node, kind="binary", tool=tool, path=c.path, realpath=c.realpath, problem=c.problem,
                               arch=info.arch if info else None, built_with=info.go_version if info else None,
                               module=info.module_path if info else None,
                               version=(c.go_install_version if tool in ("go", "gofmt") else (info.module_version if info else None)),
                               shim=c.shim)
                    prev = node
                    for hop in c.chain[1:]:
                        hop_node = f"link:{hop}"
                        g.add_node(hop_node, kind="symlink", path=hop)
                        if not g.has_edge(prev, hop_node):
                            g.add_edge(prev, hop_node, kind="links_to")
                        prev = hop_node
                    if c.goroot:
                        root = f"goroot:{c.goroot}"
                        g.add_node(root, kind="goroot", path=c.goroot, version=c.go_install_version)
                        if not g.has_edge(node, root):
                            g.add_edge(node, root, kind="belongs_to")
                if res.resolved is not None:
                    rnode = f"bin:{res.resolved.path}"
                    via = f"pe:{cid}:PATH:{res.resolved.index}"
                    g.add_edge(ctx_node(cid), rnode, kind="resolves", tool=tool, via=via, context=cid)
                    for c in res.candidates:
                        if c is not res.resolved and c.executable:
                            g.add_edge(rnode, f"bin:{c.path}", kind="shadows", context=cid, tool=tool)

    def resolution_path(self, cid: str, tool: str) -> list[str]:
        """Node ids from a context to the binary it runs for `tool`, then along its symlinks."""
        for _, target, d in self.g.out_edges(ctx_node(cid), data=True):
            if d.get("kind") == "resolves" and d.get("tool") == tool:
                path = [ctx_node(cid), d.get("via"), target]
                node = target
                while True:
                    nxt = [v for _, v, e in self.g.out_edges(node, data=True) if e.get("kind") == "links_to"]
                    if not nxt:
                        break
                    node = nxt[0]
                    path.append(node)
                return [p for p in path if p]
        return []

    def add_finding(self, fid: str, attrs: dict[str, Any], evidence: list[str]) -> str:
        node = f"finding:{fid}"
        self.g.add_node(node, kind="finding", **attrs)
        for e in evidence:
            if e in self.g:
                self.g.add_edge(node, e, kind="evidence")
        return node

    # queries ---------------------------------------------------------------------------
    def ok_contexts(self) -> list[ContextTrace]:
        return [t for t in self.contexts.values() if t.status is TraceStatus.OK]

    def chain(self, var: str, cid: str) -> list[Step]:
        """The override chain of `var` in context `cid`: every change in execution order."""
        return list(self._steps.get((cid, var), []))

    def who_set(self, var: str, cid: str) -> tuple[Step | None, list[Step]]:
        """The assignment that produced the final value, and the ones it overrode (latest first)."""
        steps = self._steps.get((cid, var), [])
        if not steps:
            return None, []
        last = steps[-1]
        overridden = [s for s in steps if s.overridden_by is not None]
        return last, list(reversed(overridden))

    def final(self, var: str, cid: str) -> str | None:
        t = self.contexts[cid]
        return t.env.get(var) if var in t.env else None

    def variables(self) -> list[str]:
        names: set[str] = set()
        for t in self.ok_contexts():
            names.update(t.env)
            names.update(t.watched)
            names.update(a.var for a in t.assignments)
        return sorted(names)

    def diff(self, a: str, b: str) -> dict[str, tuple[str | None, str | None]]:
        """Exported watched variables whose final values differ between two contexts."""
        ta, tb = self.contexts[a], self.contexts[b]
        out: dict[str, tuple[str | None, str | None]] = {}
        for name in sorted(set(ta.env) | set(tb.env)):
            if name == "SHELL":
                continue
            va, vb = ta.env.get(name), tb.env.get(name)
            if va != vb:
                out[name] = (va, vb)
        return out

    def entry_origin(self, cid: str, var: str, entry: str) -> dict[str, Any] | None:
        """The assignment node (attributes) that put `entry` into `var` in context `cid`."""
        node = self._added.get((cid, var, entry))
        return dict(self.g.nodes[node]) if node else None

    def dormant(self) -> list[dict[str, Any]]:
        return [dict(d, node=n) for n, d in self.g.nodes(data=True) if d.get("kind") == "assignment" and not d.get("live")]

    def nodes_of(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(n, d) for n, d in self.g.nodes(data=True) if d.get("kind") == kind]
