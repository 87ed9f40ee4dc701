"""The environment graph (networkx.MultiDiGraph): the one model checks, fixes, the report and the
UI ask their questions of.

Nodes (attribute `kind`):
  context      one launch context (its ContextTrace rides along as `trace`)
  file         a startup file, a go env file or a settings.json
  assignment   one change of a watched variable (live: in one context; dormant: never ran)
  variable     a variable's final value in one context (`value`; `env` when exported)
  path_entry   one element of PATH/MANPATH in one context
  binary       a candidate for go/gopls/dlv/… (path, realpath, version, arch, built_with, module)
  symlink      one hop of a binary's symlink chain
  goroot       a Go installation a `go` belongs to
  goenv        one `go env` value in one context, with its source (env | goenv-file | default)
  setting      one VS Code setting (key, value, file, line)
  workspace    go.mod / go.work of the workspace
  probe        a live probe of gopls/dlv/go build in one context
  finding      a finding; its `evidence` edges name the nodes it is about
Edges (attribute `kind`):
  sources (context→file it opened itself; file→file sourced at `line`, per `context`, `order`),
  assigns (file→assignment), changes (assignment→variable, every change, `order`),
  yields (assignment→variable, the changes that survive into the final value),
  overrides (assignment→the earlier assignment whose value it replaced), has (context→variable),
  entry (variable→path_entry), adds (assignment→path_entry it put there),
  resolves (context→binary, `tool`, `via` path_entry), via (path_entry→binary it resolved),
  shadows (binary→binary), links_to (binary/symlink→symlink), belongs_to (binary→goroot),
  go_env (context→goenv), from (goenv→variable | file, `line`), declares (file→setting),
  uses (go.work→workspace dir entry), probes (context→probe), ran (probe→binary),
  evidence (finding→any node), at (finding→the assignments on its file:line, else the file).

Node ids are stable strings: "ctx:<id>", "file:<path>", "asg:<ctx>:<n>",
"dormant:<path>:<line>:<var>", "var:<ctx>:<name>", "pe:<ctx>:<name>:<n>", "bin:<path>",
"link:<path>", "goroot:<path>", "goenv:<ctx>:<name>", "setting:<path>:<key>", "ws:<path>",
"probe:<tool>:<ctx>", "finding:<id>".

Every query below walks the graph (edges in and out, paths over a per-context view of the
`sources` edges); nothing is kept beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from goenv_tui.model import (
    Assignment,
    ContextTrace,
    DormantAssignment,
    EditorFacts,
    GoEnv,
    Location,
    Op,
    Resolution,
    TraceStatus,
)

if TYPE_CHECKING:  # the graph needs only the shapes of these facts
    from goenv_tui.collect import Facts
    from goenv_tui.collect.workspace import WorkspaceFacts
    from goenv_tui.model import ProbeResult

PATH_VARS = ("PATH", "MANPATH")
# Node attributes that hold the Python facts themselves: never exported.
PRIVATE_ATTRS = ("trace", "fact")


def ctx_node(cid: str) -> str:
    return f"ctx:{cid}"


def file_node(path: str) -> str:
    return f"file:{path}"


def var_node(cid: str, name: str) -> str:
    return f"var:{cid}:{name}"


def bin_node(path: str) -> str:
    return f"bin:{path}"


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


# --- the typed answers ---------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One assignment of a variable in one context, with what replaced it."""

    node: str
    index: int
    assignment: Assignment
    overridden_by: int | None


@dataclass(frozen=True)
class Hop:
    """One step of how a context came to read a file: `path` was opened by the context itself
    (`line` None) or sourced at `line` of the previous hop's file."""

    node: str
    path: str
    line: int | None


@dataclass(frozen=True)
class SetBy:
    """Who set a variable in a context: the assignment behind the final value, what it overrode
    (latest first), and the chain of files through which the context reached it."""

    variable: str
    context: str
    value: str | None
    step: Step | None
    overridden: tuple[Step, ...]
    sourced: tuple[Hop, ...]


@dataclass(frozen=True)
class Impact:
    """What a file (or one line of it) reaches: the contexts that read it, the variables its
    assignments change, the binaries that resolve through PATH entries it adds, the go env
    values and settings it holds. Pairs are (context, name)."""

    path: str
    line: int | None
    assignments: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    binaries: tuple[tuple[str, str, str], ...] = ()  # (context, tool, binary path)
    goenv: tuple[tuple[str, str], ...] = ()
    settings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.contexts or self.variables or self.binaries or self.goenv or self.settings)


@dataclass(frozen=True)
class WhyRuns:
    """Why a context runs this binary for a tool: the PATH entry it came from, the assignment
    that put the entry there and the files the context read to get to it, the symlink hops and
    the GOROOT, and the candidates it shadowed. `nodes` is the walk through the graph."""

    context: str
    tool: str
    binary: str | None
    entry: str | None
    index: int | None
    added_by: Step | None
    sourced: tuple[Hop, ...]
    links: tuple[str, ...]
    realpath: str | None
    goroot: str | None
    shadowed: tuple[str, ...]
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Difference:
    """One exported variable whose value differs between two contexts, and who set each side."""

    name: str
    a: str | None
    b: str | None
    set_a: str | None  # assignment node behind a's value
    set_b: str | None


class EnvGraph:
    """Builds the graph from facts and answers questions about it."""

    def __init__(self) -> None:
        self.g: nx.MultiDiGraph = nx.MultiDiGraph()
        self.g.graph["contexts"] = []

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

    @classmethod
    def from_facts(cls, facts: Facts) -> EnvGraph:
        """Everything the diagnosis collected: traces, dormant lines, binaries, go env values,
        editor settings, workspace files and probes."""
        eg = cls.build(facts.contexts, facts.dormant, facts.resolutions)
        eg.add_goenvs(facts.goenvs)
        eg.add_settings(facts.editor)
        eg.add_workspace(facts.workspace_facts)
        eg.add_probes(facts.probes, facts.resolutions)
        return eg

    def _file(self, path: str) -> str:
        node = file_node(path)
        if node not in self.g:
            self.g.add_node(node, kind="file", path=path)
        return node

    def _add_context(self, t: ContextTrace) -> None:
        g = self.g
        g.graph["contexts"].append(t.id)
        cnode = ctx_node(t.id)
        g.add_node(cnode, kind="context", id=t.id, shell=t.spec.shell, login=t.spec.login,
                   interactive=t.spec.interactive, status=t.status.value, used_by=list(t.used_by),
                   label=t.spec.label, trace=t)
        for f in t.files:
            fnode = self._file(f.path)
            if f.sourced_from is None:
                g.add_edge(cnode, fnode, kind="sources", order=f.order, context=t.id, line=None)
            else:
                src = self._file(f.sourced_from.path)
                g.add_edge(src, fnode, kind="sources", order=f.order, context=t.id, line=f.sourced_from.line)
        names = list(dict.fromkeys([*t.watched, *t.env, *(a.var for a in t.assignments)]))
        for name in names:
            vnode = var_node(t.id, name)
            g.add_node(vnode, kind="variable", context=t.id, name=name,
                       value=t.watched.get(name, t.env.get(name)), env=t.env.get(name), exported=name in t.env)
            g.add_edge(cnode, vnode, kind="has")
        per_var: dict[str, list[tuple[str, Assignment]]] = {}
        for n, a in enumerate(t.assignments):
            anode = f"asg:{t.id}:{n}"
            step = len(per_var.get(a.var, []))
            g.add_node(anode, kind="assignment", context=t.id, var=a.var, op=a.op.value, before=a.before,
                       after=a.value, path=a.location.path, line=a.location.line, via=a.via,
                       call_site=(f"{a.call_site.path}:{a.call_site.line}" if a.call_site else None),
                       exported=a.exported, live=True, command=a.command, step=step, fact=a)
            g.add_edge(self._file(a.location.path), anode, kind="assigns", context=t.id, line=a.location.line)
            g.add_edge(anode, var_node(t.id, a.var), kind="changes", context=t.id, order=step)
            per_var.setdefault(a.var, []).append((anode, a))
        for var, items in per_var.items():
            # One backward pass: each assignment is overridden by the nearest later one that
            # replaced the value (linear, not a scan of every later assignment per assignment).
            nearest: str | None = None
            for anode, a in reversed(items):
                if nearest is not None:
                    g.add_edge(nearest, anode, kind="overrides", context=t.id)
                elif a.op is not Op.UNSET and var in t.watched:
                    g.add_edge(anode, var_node(t.id, var), kind="yields", context=t.id)
                if replaces(var, a.before, a.value, a.op):
                    nearest = anode
        for name in PATH_VARS:
            value = t.watched.get(name)
            if value is None:
                continue
            vnode = var_node(t.id, name)
            introduced = self._introducers(t.id, name)
            for k, entry in enumerate(value.split(":")):
                pnode = f"pe:{t.id}:{name}:{k}"
                g.add_node(pnode, kind="path_entry", context=t.id, var=name, index=k, dir=entry)
                g.add_edge(vnode, pnode, kind="entry", index=k)
                if entry in introduced:
                    g.add_edge(introduced[entry], pnode, kind="adds", context=t.id)

    def _introducers(self, cid: str, var: str) -> dict[str, str]:
        """For each entry of a PATH-like value: the last assignment that introduced it."""
        found: dict[str, str] = {}
        for s in self.chain(var, cid):
            before = set((s.assignment.before or "").split(":"))
            for entry in (s.assignment.value or "").split(":"):
                if entry not in before:
                    found[entry] = s.node
        return found

    def _add_dormant(self, d: DormantAssignment) -> None:
        node = f"dormant:{d.location.path}:{d.location.line}:{d.var}"
        self.g.add_node(node, kind="assignment", context=None, var=d.var, op=d.op.value, before=None,
                        after=d.value, path=d.location.path, line=d.location.line, via=None,
                        call_site=None, live=False, reason=d.reason, read_by=list(d.read_by))
        self.g.add_edge(self._file(d.location.path), node, kind="assigns", context=None, line=d.location.line)

    def add_resolutions(self, resolutions: dict[str, dict[str, Resolution]]) -> None:
        """Binaries: context -resolves-> binary (via the PATH entry), the resolved one -shadows->
        the later candidates, binary -links_to-> each symlink hop, go -belongs_to-> its GOROOT."""
        g = self.g
        for cid, tools in resolutions.items():
            for tool, res in tools.items():
                for c in res.candidates:
                    node = bin_node(c.path)
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
                    rnode = bin_node(res.resolved.path)
                    via = f"pe:{cid}:PATH:{res.resolved.index}"
                    g.add_edge(ctx_node(cid), rnode, kind="resolves", tool=tool, via=via, context=cid)
                    if via in g:
                        g.add_edge(via, rnode, kind="via", tool=tool, context=cid)
                    for c in res.candidates:
                        if c is not res.resolved and c.executable:
                            g.add_edge(rnode, bin_node(c.path), kind="shadows", context=cid, tool=tool)

    def add_goenvs(self, goenvs: dict[str, GoEnv]) -> None:
        """`go env` per context: each value with where it came from — the variable the context
        exported (and through it the assignment), the `go env -w` file and line, or Go's default."""
        g = self.g
        for cid, ge in goenvs.items():
            cnode = ctx_node(cid)
            if cnode not in g:
                continue
            for name, v in ge.values.items():
                node = f"goenv:{cid}:{name}"
                g.add_node(node, kind="goenv", context=cid, name=name, value=v.value, source=v.source,
                           path=v.location.path if v.location else None, line=v.location.line if v.location else None)
                g.add_edge(cnode, node, kind="go_env")
                if v.source == "env" and var_node(cid, name) in g:
                    g.add_edge(node, var_node(cid, name), kind="from")
                elif v.source == "goenv-file" and v.location and v.location.path:
                    g.add_edge(node, self._file(v.location.path), kind="from", line=v.location.line)
            if ge.go and bin_node(ge.go) in g:
                g.add_edge(cnode, bin_node(ge.go), kind="ran_go_env", context=cid)

    def add_settings(self, editor: EditorFacts) -> None:
        g = self.g
        for sf in editor.files:
            node = self._file(sf.path)
            g.nodes[node].update(scope=sf.scope, error=sf.error)
        for s in editor.settings:
            node = f"setting:{s.path}:{s.key}"
            value = s.value if isinstance(s.value, (str, int, float, bool)) or s.value is None else json.dumps(s.value, sort_keys=True)
            g.add_node(node, kind="setting", key=s.key, value=value, path=s.path, line=s.line, scope=s.scope)
            g.add_edge(self._file(s.path), node, kind="declares", line=s.line)

    def add_workspace(self, ws: WorkspaceFacts | None) -> None:
        g = self.g
        if ws is None:
            return
        for mod in (ws.gomod, ws.parent_gomod):
            if mod is not None:
                g.add_node(f"ws:{mod.path}", kind="workspace", path=mod.path, file="go.mod", module=mod.module,
                           go=mod.go, line=mod.go_line, toolchain=mod.toolchain, error=mod.error)
        if ws.gowork:
            work = f"ws:{ws.gowork}"
            g.add_node(work, kind="workspace", path=ws.gowork, file="go.work", go=ws.gowork_go,
                       line=ws.gowork_go_line, error=ws.gowork_error)
            for u in ws.uses:
                target = f"ws:{u.resolved.rstrip('/')}/go.mod"
                if target not in g:
                    g.add_node(target, kind="workspace", path=f"{u.resolved.rstrip('/')}/go.mod", file="go.mod",
                               exists=u.has_gomod)
                g.add_edge(work, target, kind="uses", line=u.line, directory=u.directory, exists=u.exists)

    def add_probes(self, probes: Iterable[ProbeResult], resolutions: dict[str, dict[str, Resolution]]) -> None:
        g = self.g
        for p in probes:
            for cid in p.contexts or (p.context,):
                node = f"probe:{p.tool}:{cid}"
                g.add_node(node, kind="probe", tool=p.tool, context=cid, status=p.status, version=p.version,
                           classification=p.classification, detail=p.detail)
                if ctx_node(cid) in g:
                    g.add_edge(ctx_node(cid), node, kind="probes")
                res = resolutions.get(cid, {}).get("gopls" if p.tool == "gopls" else "dlv" if p.tool == "dlv" else "go")
                if res is not None and res.resolved is not None:
                    g.add_edge(node, bin_node(res.resolved.path), kind="ran")

    def add_finding(self, fid: str, attrs: dict[str, Any], evidence: list[str],
                    locations: Iterable[Location] = ()) -> str:
        """A finding, its `evidence` edges, and `at` edges to what sits at its locations: the
        live assignments on that line (in the finding's contexts), else the file itself."""
        node = f"finding:{fid}"
        g = self.g
        g.add_node(node, kind="finding", id=fid, **attrs)
        for e in evidence:
            if e in g:
                g.add_edge(node, e, kind="evidence")
        contexts = set(attrs.get("contexts") or ())
        for loc in locations:
            fnode = file_node(loc.path)
            if fnode not in g:
                continue
            hits = [a for a, d in self.out_of(fnode, "assigns")
                    if d.get("line") == loc.line and d.get("context") is not None
                    and (not contexts or d.get("context") in contexts)]
            hits = hits or [a for a, d in self.out_of(fnode, "assigns") if d.get("line") == loc.line]
            for target in hits or [fnode]:
                if not g.has_edge(node, target):
                    g.add_edge(node, target, kind="at", line=loc.line)
        return node

    # small walks ---------------------------------------------------------------------------
    def out_of(self, node: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(v, d) for _, v, d in self.g.out_edges(node, data=True) if d.get("kind") == kind]

    def into(self, node: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(u, d) for u, _, d in self.g.in_edges(node, data=True) if d.get("kind") == kind]

    def sources_view(self, cid: str) -> nx.MultiDiGraph:
        """The files one context read: its `sources` edges only (a read-only subgraph view)."""
        def keep(u: str, v: str, k: int) -> bool:
            d: dict[str, Any] = self.g.edges[u, v, k]  # networkx is untyped
            return d.get("kind") == "sources" and d.get("context") == cid
        return nx.subgraph_view(self.g, filter_edge=keep)

    # queries ---------------------------------------------------------------------------
    @property
    def contexts(self) -> dict[str, ContextTrace]:
        """Every traced context, in tracing order (from the context nodes)."""
        return {cid: self.g.nodes[ctx_node(cid)]["trace"] for cid in self.g.graph["contexts"]}

    def ok_contexts(self) -> list[ContextTrace]:
        return [t for t in self.contexts.values() if t.status is TraceStatus.OK]

    def _step(self, node: str) -> Step:
        d = self.g.nodes[node]
        over = self.into(node, "overrides")
        return Step(node, d["step"], d["fact"], self.g.nodes[over[0][0]]["step"] if over else None)

    def chain(self, var: str, cid: str) -> list[Step]:
        """The override chain of `var` in context `cid`: every change in execution order."""
        vnode = var_node(cid, var)
        if vnode not in self.g:
            return []
        nodes = sorted(self.into(vnode, "changes"), key=lambda e: e[1]["order"])
        return [self._step(n) for n, _ in nodes]

    def who_set(self, var: str, cid: str) -> tuple[Step | None, list[Step]]:
        """The assignment that produced the final value, and the ones it overrode (latest first)."""
        steps = self.chain(var, cid)
        if not steps:
            return None, []
        overridden = [s for s in steps if s.overridden_by is not None]
        return steps[-1], list(reversed(overridden))

    def file_path(self, cid: str, path: str) -> list[Hop]:
        """How context `cid` came to read `path`: the `sources` path from the context node."""
        view = self.sources_view(cid)
        target = file_node(path)
        if target not in view or ctx_node(cid) not in view:
            return []
        try:
            nodes = nx.shortest_path(view, ctx_node(cid), target)
        except nx.NetworkXNoPath:
            return []
        hops = []
        for u, v in zip(nodes, nodes[1:], strict=False):
            line = min((d.get("line") for d in self.g.get_edge_data(u, v).values()
                        if d.get("kind") == "sources" and d.get("context") == cid),
                       key=lambda x: x or 0, default=None)
            hops.append(Hop(v, self.g.nodes[v]["path"], line))
        return hops

    def set_by(self, var: str, cid: str) -> SetBy:
        """Who set `var` in context `cid`, what it overrode, and through which files."""
        last, overridden = self.who_set(var, cid)
        vnode = var_node(cid, var)
        value = self.g.nodes[vnode].get("value") if vnode in self.g else None
        sourced = tuple(self.file_path(cid, last.assignment.location.path)) if last else ()
        return SetBy(var, cid, value, last, tuple(overridden), sourced)

    def final(self, var: str, cid: str) -> str | None:
        vnode = var_node(cid, var)
        return self.g.nodes[vnode].get("env") if vnode in self.g else None

    def variables(self) -> list[str]:
        names: set[str] = set()
        for t in self.ok_contexts():
            names.update(self.g.nodes[v]["name"] for v, _ in self.out_of(ctx_node(t.id), "has"))
        return sorted(names)

    def diff(self, a: str, b: str) -> dict[str, tuple[str | None, str | None]]:
        """Exported watched variables whose final values differ between two contexts."""
        return {x.name: (x.a, x.b) for x in self.differences(a, b)}

    def differences(self, a: str, b: str) -> list[Difference]:
        """What differs between two contexts, with the assignment behind each side's value."""
        def exported(cid: str) -> dict[str, str]:
            out = {}
            for v, _ in self.out_of(ctx_node(cid), "has"):
                d = self.g.nodes[v]
                if d.get("env") is not None:
                    out[d["name"]] = v
            return out

        va, vb = exported(a), exported(b)
        out = []
        for name in sorted(set(va) | set(vb)):
            if name == "SHELL":
                continue
            x = self.g.nodes[va[name]]["env"] if name in va else None
            y = self.g.nodes[vb[name]]["env"] if name in vb else None
            if x != y:
                sa, sb = self.who_set(name, a)[0], self.who_set(name, b)[0]
                out.append(Difference(name, x, y, sa.node if sa else None, sb.node if sb else None))
        return out

    def entry_origin(self, cid: str, var: str, entry: str) -> dict[str, Any] | None:
        """The assignment node (attributes) that put `entry` into `var` in context `cid`."""
        vnode = var_node(cid, var)
        if vnode not in self.g:
            return None
        for pnode, _ in sorted(self.out_of(vnode, "entry"), key=lambda e: e[1]["index"]):
            if self.g.nodes[pnode]["dir"] == entry:
                adders = self.into(pnode, "adds")
                if adders:
                    return {k: v for k, v in self.g.nodes[adders[0][0]].items() if k != "fact"}
        return None

    def resolution_path(self, cid: str, tool: str) -> list[str]:
        """Node ids from a context to the binary it runs for `tool`, then along its symlinks."""
        for target, d in self.out_of(ctx_node(cid), "resolves"):
            if d.get("tool") == tool:
                path = [ctx_node(cid), d.get("via"), target]
                node = target
                while True:
                    nxt = [v for v, _ in self.out_of(node, "links_to")]
                    if not nxt:
                        break
                    node = nxt[0]
                    path.append(node)
                return [p for p in path if p and p in self.g]
        return []

    def why_runs(self, cid: str, tool: str) -> WhyRuns:
        """Why context `cid` runs the binary it runs for `tool`."""
        nodes = self.resolution_path(cid, tool)
        binary = next((n for n in nodes if n.startswith("bin:")), None)
        pe = next((n for n in nodes if n.startswith("pe:")), None)
        added = self.into(pe, "adds") if pe else []
        step = self._step(added[0][0]) if added else None
        sourced = tuple(self.file_path(cid, step.assignment.location.path)) if step else ()
        links = tuple(self.g.nodes[n]["path"] for n in nodes if n.startswith("link:"))
        goroot = next((self.g.nodes[r]["path"] for r, _ in self.out_of(binary, "belongs_to")), None) if binary else None
        shadowed = tuple(self.g.nodes[v]["path"] for v, d in self.out_of(binary, "shadows")
                         if d.get("context") == cid) if binary else ()
        walk = [ctx_node(cid), *[h.node for h in sourced], *([step.node] if step else []), *nodes[1:]]
        return WhyRuns(cid, tool, self.g.nodes[binary]["path"] if binary else None,
                       self.g.nodes[pe]["dir"] if pe else None, self.g.nodes[pe]["index"] if pe else None,
                       step, sourced, links, self.g.nodes[binary].get("realpath") if binary else None,
                       goroot, shadowed, tuple(dict.fromkeys(walk)))

    def readers(self, path: str) -> list[str]:
        """The contexts that read `path`: a context from which a `sources` path leads to it."""
        node = file_node(path)
        if node not in self.g:
            return []
        seen: list[str] = []
        for cid in self.g.graph["contexts"]:
            view = self.sources_view(cid)
            if nx.has_path(view, ctx_node(cid), node):
                seen.append(cid)
        return seen

    def affects(self, path: str, line: int | None = None) -> Impact:
        """What `path` (or its line `line`) reaches: the contexts that read it (or the line's
        assignments ran in), the variables its assignments change, the binaries that resolve
        through PATH entries they add, the go env values from them and the settings it holds.
        A `source` line reaches everything the sourced files reach, in the contexts that ran it."""
        g = self.g
        start = file_node(path)
        if start not in g:
            return Impact(path, line)
        asg: list[str] = []
        contexts: set[str] = set()
        files: list[tuple[str, str | None]] = [(start, None)]  # (file node, only this context)
        seen: set[tuple[str, str | None]] = set()
        first = True
        while files:
            fnode, only = files.pop()
            if (fnode, only) in seen:
                continue
            seen.add((fnode, only))
            want_line = line if first else None
            first = False
            for a, d in self.out_of(fnode, "assigns"):
                if d.get("context") is None or (only and d.get("context") != only):
                    continue
                if want_line is None or d.get("line") == want_line:
                    asg.append(a)
            for child, d in self.out_of(fnode, "sources"):
                if (only is None or d.get("context") == only) and (want_line is None or d.get("line") == want_line):
                    files.append((child, d.get("context")))
                    contexts.add(d["context"])
        variables: set[tuple[str, str]] = set()
        binaries: set[tuple[str, str, str]] = set()
        goenv: set[tuple[str, str]] = set()
        for a in asg:
            d = g.nodes[a]
            contexts.add(d["context"])
            variables.add((d["context"], d["var"]))
            for pe, _ in self.out_of(a, "adds"):
                for b, e in self.out_of(pe, "via"):
                    binaries.add((d["context"], e.get("tool", ""), g.nodes[b]["path"]))
        for cid, name in variables:
            if self.into(var_node(cid, name), "from"):
                goenv.add((cid, name))
        if line is None:
            contexts.update(self.readers(path))
        for ge, d in self.into(start, "from"):
            if line is None or d.get("line") == line:
                gd = g.nodes[ge]
                goenv.add((gd["context"], gd["name"]))
                contexts.add(gd["context"])
        settings = sorted(g.nodes[s]["key"] for s, d in self.out_of(start, "declares")
                          if line is None or d.get("line") == line)
        order = {c: i for i, c in enumerate(g.graph["contexts"])}
        return Impact(path, line, tuple(dict.fromkeys(asg)),
                      tuple(sorted(contexts, key=lambda c: order.get(c, 999))),
                      tuple(sorted(variables, key=lambda x: (order.get(x[0], 999), x[1]))),
                      tuple(sorted(binaries, key=lambda x: (order.get(x[0], 999), x[1]))),
                      tuple(sorted(goenv, key=lambda x: (order.get(x[0], 999), x[1]))), tuple(settings))

    def dormant(self) -> list[dict[str, Any]]:
        return [dict(d, node=n) for n, d in self.g.nodes(data=True) if d.get("kind") == "assignment" and not d.get("live")]

    def nodes_of(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(n, d) for n, d in self.g.nodes(data=True) if d.get("kind") == kind]

    def evidence_of(self, finding_id: str) -> list[str]:
        node = f"finding:{finding_id}"
        return [v for v, _ in self.out_of(node, "evidence")] if node in self.g else []

    def findings_about(self, node: str) -> list[str]:
        """Finding nodes whose evidence names `node` or that point at it by file:line."""
        if node not in self.g:
            return []
        return list(dict.fromkeys(u for u, _, d in self.g.in_edges(node, data=True) if d.get("kind") in ("evidence", "at")))
