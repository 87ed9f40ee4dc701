"""Turning a Diagnosis into what the views show: rich Text and rows, no widgets.

Kept apart from the widgets so that every view's content can be tested without a terminal, and
so that the widgets stay about layout and keys.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from rich.table import Table
from rich.text import Text

from goenv_tui.display import SEVERITY_MARK, SEVERITY_STYLE, severity_count, tilde, tilde_in, where
from goenv_tui.model import (
    Candidate,
    ContextTrace,
    Finding,
    Location,
    Resolution,
    Severity,
    TraceStatus,
)
from goenv_tui.redact import PLAIN, Redactor, redactor_for

_F = TypeVar("_F", bound=Callable[..., Any])


def _scrub(value: Any, red: Redactor) -> Any:
    """`value` with credentials masked. Text keeps its length (each secret character becomes
    `*`) so that its styles stay where they were."""
    if isinstance(value, Text):
        plain = red.text(value.plain, keep_length=True)
        if plain != value.plain:
            value = value.copy()
            value.plain = plain
        return value
    if isinstance(value, str):
        return red.text(value)
    if isinstance(value, Link):
        return replace(value, label=_scrub(value.label, red))
    if isinstance(value, LineNote):
        return replace(value, text=red.text(value.text))
    if isinstance(value, list):
        return [_scrub(v, red) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub(v, red) for v in value)
    if isinstance(value, dict):
        return {k: _scrub(v, red) for k, v in value.items()}
    return value


def redacted(fn: _F) -> _F:
    """Views show only redacted values: the diagnosis's secrets (or, without one, credentials in
    URLs) are masked in whatever a presenter returns."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # A Diagnosis (only imported for type checking here): the argument with facts and findings.
        d = next((a for a in args if hasattr(a, "facts") and hasattr(a, "findings")), None)
        return _scrub(fn(*args, **kwargs), redactor_for(d.facts) if d is not None else PLAIN)

    return wrapper  # type: ignore[return-value]


if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis
    from goenv_tui.fixes.engine import Outcome

# Without colour a severity reads from its mark and its weight: errors in reverse video, warnings
# bold. The apps switch this on when NO_COLOR is set (see ui/no_color.py).
NO_COLOR_SEVERITY_STYLE = {Severity.ERROR: "bold reverse", Severity.WARNING: "bold", Severity.INFO: ""}
_colour = True


def use_colour(on: bool) -> None:
    global _colour
    _colour = on


def severity_style(sev: Severity) -> str:
    return SEVERITY_STYLE[sev] if _colour else NO_COLOR_SEVERITY_STYLE[sev]


STATUS_MARK = {TraceStatus.OK: "✓", TraceStatus.TIMEOUT: "⧗", TraceStatus.ERROR: "✗", TraceStatus.UNAVAILABLE: "–"}


@dataclass(frozen=True)
class Link:
    """A row that leads somewhere: where Enter on it navigates."""

    label: Text
    view: str
    context: str | None = None
    path: str | None = None
    line: int | None = None
    variable: str | None = None
    tool: str | None = None
    node: str | None = None  # the graph node this row is about (g opens it in the node browser)



@redacted
def outcome_text(out: Outcome) -> Text:
    """A fix's verdict, green when the finding cleared, yellow when applied but not cleared, red when not applied."""
    return Text(out.verdict, "bold green" if out.cleared else "bold yellow" if out.applied else "bold red")

# --- findings -------------------------------------------------------------------------------

@redacted
def finding_label(f: Finding) -> Text:
    return Text.assemble((SEVERITY_MARK[f.severity], severity_style(f.severity)), " ", f.title)


def finding_row(f: Finding) -> Table:
    """A finding in the list: the mark, and the title wrapped beside it (hanging under the title,
    not under the mark), so a long title reads as one item at 80 columns."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(SEVERITY_MARK[f.severity], severity_style(f.severity)), Text(f.title))
    return grid


@redacted
def finding_detail(d: Diagnosis, f: Finding) -> Text:
    t = Text()
    t.append(f"{SEVERITY_MARK[f.severity]} {f.severity.value.upper()}", severity_style(f.severity))
    t.append(f"  {f.id}\n", "dim")
    home = d.facts.home
    t.append(tilde_in(home, f.title) + "\n\n", "bold")
    t.append(tilde_in(home, f.detail) + "\n")
    if f.chain:
        t.append("\nEvidence\n", "bold underline")
        for line in f.chain:
            t.append(f" → {tilde_in(home, line)}\n")
    if f.contexts:
        t.append("\nContexts\n", "bold underline")
        for cid in f.contexts:
            trace = d.graph.contexts.get(cid)
            users = ", ".join(trace.used_by[:2]) if trace else ""
            t.append(f" {cid}", "bold")
            t.append(f"  {users}\n" if users else "\n", "dim")
    if f.fixes:
        t.append("\nFixes\n", "bold underline")
        for fix in f.fixes:
            t.append(f" {fix.title}  [{fix.kind}]\n")
            for pl in fix.preview.splitlines()[:12]:
                style = "green" if pl.startswith("+") else "red" if pl.startswith("-") else "dim"
                t.append(f"   {pl}\n", style)
    return t


@redacted
def finding_links(d: Diagnosis, f: Finding) -> list[Link]:
    """The places a finding points at, each a row that opens the right view."""
    home = d.facts.home
    out: list[Link] = []
    ctx = _context_reading(d, f)
    for loc in f.locations:
        if loc.path and not loc.path.startswith(("/dev/", "/proc/")):
            reader = _context_reading(d, f, loc.path) or ctx
            out.append(Link(Text.assemble(("⇢ ", "cyan"), where(home, loc), (" — show in init chain", "dim")),
                            "chain", reader, loc.path, loc.line))
    if f.variable:
        out.append(Link(Text.assemble(("⇢ ", "cyan"), f.variable, (" — compare across contexts", "dim")),
                        "variables", ctx, variable=f.variable))
    tool = _tool_of(f)
    if tool:
        out.append(Link(Text.assemble(("⇢ ", "cyan"), tool, (" — how it resolves", "dim")), "resolution", ctx, tool=tool))
    for node in f.evidence:
        if node.startswith("ctx:") and not f.locations:
            out.append(Link(Text.assemble(("⇢ ", "cyan"), node[4:], (" — its init chain", "dim")), "chain", node[4:],
                            node=node))
    out = [_with_node(d, link) for link in out]
    if f"finding:{f.id}" in d.graph.g:
        out.append(Link(Text.assemble(("⇢ ", "cyan"), "graph", (" — walk its evidence node by node", "dim")), "graph",
                        node=f"finding:{f.id}"))
    return out


def _with_node(d: Diagnosis, link: Link) -> Link:
    """The graph node behind a ⇢ row: the assignment or file at a location, the variable, the
    binary a context runs."""
    from dataclasses import replace

    from goenv_tui.graph import bin_node, ctx_node, file_node, var_node

    g = d.graph
    node = link.node
    if node is None and link.view == "chain" and link.path:
        hits = [a for a, e in g.out_of(file_node(link.path), "assigns")
                if e.get("line") == link.line and e.get("context") == link.context] if file_node(link.path) in g.g else []
        node = hits[0] if hits else file_node(link.path)
    elif node is None and link.view == "variables" and link.variable:
        node = var_node(link.context, link.variable) if link.context else None
    elif node is None and link.view == "resolution" and link.context and link.tool:
        why = g.why_runs(link.context, link.tool)
        node = bin_node(why.binary) if why.binary else ctx_node(link.context)
    return replace(link, node=node if node in g.g else None)


def _tool_of(f: Finding) -> str | None:
    """The tool whose resolution a finding is about, as its check declares it."""
    from goenv_tui.checks import check_info, tool_of

    info = check_info(f.check)
    return tool_of(f) if info is not None and info.resolution else None


def _context_reading(d: Diagnosis, f: Finding, path: str | None = None) -> str | None:
    candidates = list(f.contexts) or [t.id for t in d.facts.contexts]
    for cid in candidates:
        t = d.graph.contexts.get(cid)
        if t is None:
            continue
        if path is None or any(sf.path == path for sf in t.files):
            return cid
    if path is not None:
        for t in d.facts.contexts:
            if any(sf.path == path for sf in t.files):
                return t.id
    return candidates[0] if candidates else None


@redacted
def counts_line(d: Diagnosis, compact: bool = False) -> Text:
    """"✗ 1 error  ! 5 warnings  i 3 notes", or "✗ 1  ! 5  i 3" where the line is short."""
    c = d.counts()
    t = Text()
    for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        n = c[sev.value]
        t.append(f"{SEVERITY_MARK[sev]} {n if compact else severity_count(sev, n)}", severity_style(sev) if n else "dim")
        t.append("  ")
    return t


# --- init chain -----------------------------------------------------------------------------

@redacted
def context_label(t: ContextTrace, primary: bool) -> str:
    return f"{STATUS_MARK[t.status]} {t.id}{' *' if primary else ''}"


@redacted
def file_tree(t: ContextTrace) -> list[tuple[int, str, Location | None, int]]:
    """(order, path, sourced_from, depth) in reading order; depth follows the sourced-from chain."""
    depth: dict[str, int] = {}
    rows = []
    for sf in t.files:
        parent = sf.sourced_from.path if sf.sourced_from else None
        dpt = depth.get(parent, -1) + 1 if parent else 0
        depth[sf.path] = dpt
        rows.append((sf.order, sf.path, sf.sourced_from, dpt))
    return rows


@dataclass(frozen=True)
class LineNote:
    kind: str  # "set" | "overridden" | "dormant" | "stopped" | "return" | "skipped"
    text: str


@redacted
def line_notes(d: Diagnosis, cid: str, path: str) -> dict[int, list[LineNote]]:
    """What happened on each line of `path` in context `cid`."""
    home = d.facts.home
    notes: dict[int, list[LineNote]] = {}
    t = d.graph.contexts.get(cid)
    if t is None:
        return notes
    for var in sorted({a.var for a in t.assignments}):
        steps = d.graph.chain(var, cid)
        for s in steps:
            a = s.assignment
            if a.location.path != path or a.location.line is None:
                continue
            if s.overridden_by is not None:
                later = steps[s.overridden_by].assignment
                text = f"{var} overridden at {where(home, later.location)}"
                notes.setdefault(a.location.line, []).append(LineNote("overridden", text))
            else:
                verb = {"unset": "unsets", "prepend": "prepends to", "append": "appends to"}.get(a.op.value, "sets")
                via = f" via {a.via}" if a.via else ""
                notes.setdefault(a.location.line, []).append(LineNote("set", f"{verb} {var}{via}"))
    for node in d.graph.dormant():
        if node["path"] == path and (node.get("reason") == "file-not-read" or cid in node.get("read_by", [])):
            notes.setdefault(node["line"], []).append(LineNote("dormant", f"{node['var']}: never runs"))
    executed = t.executed
    here = {(a.var, a.location.line) for a in t.assignments if a.location.path == path}
    for other in d.facts.contexts:
        if other.id == cid:
            continue
        for a in other.assignments:
            line = a.location.line
            if (a.location.path == path and line and (path, line) not in executed
                    and (a.var, line) not in here and not any(n.kind == "skipped" for n in notes.get(line, []))):
                notes.setdefault(line, []).append(LineNote("skipped", f"not run here (runs in {other.id})"))
    for ret in t.early_returns:
        if ret.path == path and ret.line:
            notes.setdefault(ret.line, []).append(LineNote("return", "returns here: the rest is skipped"))
    if t.stopped_at and t.stopped_at.path == path and t.stopped_at.line:
        notes.setdefault(t.stopped_at.line, []).append(LineNote("stopped", f"{t.status.value}: stopped here"))
    return notes


MAX_SOURCE_LINES = 4000


@redacted
def source_text(d: Diagnosis, cid: str | None, path: str) -> Text:
    entry = d.facts.files.get(path)
    t = Text()
    if entry is None or entry.text is None:
        reason = entry.error if entry else "not read"
        t.append(f"{tilde(d.facts.home, path)}: {reason}\n", "dim italic")
        return t
    notes = line_notes(d, cid, path) if cid else {}
    executed = d.graph.contexts[cid].executed if cid and cid in d.graph.contexts else frozenset()
    lines = entry.text.splitlines()
    width = len(str(min(len(lines), MAX_SOURCE_LINES)))
    for n, line in enumerate(lines[:MAX_SOURCE_LINES], start=1):
        here = notes.get(n, [])
        kinds = {x.kind for x in here}
        ran = (path, n) in executed
        num_style = "bold" if ran else "dim"
        t.append(f"{n:>{width}} ", num_style)
        t.append("▌" if ran else " ", "green" if ran else "dim")
        if "stopped" in kinds:
            style = "bold white on red"
        elif "set" in kinds:
            style = "bold green"
        elif "overridden" in kinds:
            style = "yellow strike"
        elif "dormant" in kinds:
            style = "dim italic"
        elif ran or not executed:
            style = ""
        else:
            style = "dim"
        t.append(line.expandtabs(4), style)
        for note in here:
            colour = {"set": "green", "overridden": "yellow", "dormant": "dim", "return": "magenta", "stopped": "red",
                      "skipped": "yellow"}[note.kind]
            t.append(f"  ◀ {note.text}", colour)
        t.append("\n")
    if len(lines) > MAX_SOURCE_LINES:
        t.append(f"… {len(lines) - MAX_SOURCE_LINES} more lines not shown\n", "dim italic")
    if entry.truncated:
        t.append("(only the first 2 MB were read)\n", "dim italic")
    return t


# --- variables -------------------------------------------------------------------------------

@redacted
def variable_rows(d: Diagnosis, var: str) -> list[tuple[str, str, str]]:
    """(context, final value, set at) for every traced context."""
    rows = []
    for t in d.facts.contexts:
        if t.status is not TraceStatus.OK:
            rows.append((t.id, f"({t.status.value})", ""))
            continue
        value = t.env.get(var)
        shown = value if value is not None else ("(not exported)" if var in t.watched else "(unset)")
        last, _ = d.graph.who_set(var, t.id)
        rows.append((t.id, shown, where(d.facts.home, last.assignment.location) if last else "inherited"))
    return rows


@redacted
def variable_chain(d: Diagnosis, var: str, cid: str) -> Text:
    """The value of `var` step by step in one context; PATH-like values entry by entry."""
    home = d.facts.home
    t = Text()
    trace = d.graph.contexts.get(cid)
    if trace is None:
        return t
    t.append(f"{var} in {cid}\n", "bold")
    steps = d.graph.chain(var, cid)
    if not steps:
        t.append("  never changed by a startup file" + (f" (inherited: {trace.env.get(var)!r})" if var in trace.env else "") + "\n", "dim")
    for i, s in enumerate(steps, start=1):
        a = s.assignment
        mark = "✗" if s.overridden_by is not None else "•"
        t.append(f" {mark} {i}. ", "yellow" if s.overridden_by is not None else "green")
        t.append(where(home, a.location), "bold")
        t.append(f" {a.op.value}")
        if a.via:
            t.append(f" via {a.via}", "magenta")
        if a.call_site:
            t.append(f" (called at {where(home, a.call_site)})", "dim")
        if var not in ("PATH", "MANPATH"):
            t.append(f"  {a.value!r}" if a.value is not None else "  (unset)")
        if s.overridden_by is not None:
            t.append(f"  → replaced by step {s.overridden_by + 1}", "yellow")
        if not a.exported and a.value is not None:
            t.append("  (not exported)", "red")
        t.append("\n")
    if var in ("PATH", "MANPATH") and var in trace.env:
        t.append("\nEntries, in lookup order\n", "bold underline")
        entries = trace.env[var].split(":")
        seen: set[str] = set()
        for i, e in enumerate(entries):
            origin = d.graph.entry_origin(cid, var, e)
            info = d.facts.dirs.get(e)
            flags = []
            if e in seen:
                flags.append(("duplicate", "yellow"))
            if e == "" or e == ".":
                flags.append(("current directory!", "red"))
            elif e.startswith("~"):
                flags.append(("literal ~, never expanded", "red"))
            elif not e.startswith("/"):
                flags.append(("relative", "red"))
            elif info is not None and not info.is_dir:
                flags.append(("missing dir", "red"))
            tools = d.facts.tools_in.get(e, [])
            seen.add(e)
            t.append(f" {i:>2} ", "dim")
            t.append((f"'{e}'" if e.startswith("~") else tilde(home, e)) or "(empty)", "bold" if tools else "")
            if tools:
                t.append(f"  [{' '.join(tools)}]", "cyan")
            t.append(f"  {'added at ' + tilde(home, origin['path']) + ':' + str(origin['line']) if origin else 'inherited'}", "dim")
            for text, style in flags:
                t.append(f"  {text}", style)
            t.append("\n")
    return t


def variables_of(d: Diagnosis) -> list[str]:
    names = set(d.graph.variables())
    first = ["PATH", "GOROOT", "GOPATH", "GOBIN", "GOFLAGS", "GOPROXY", "GO111MODULE", "GOTOOLCHAIN"]
    rest = sorted(n for n in names if n not in first and n not in ("SHELL",))
    return [n for n in first if n in names or n == "PATH"] + rest


# --- resolution ------------------------------------------------------------------------------

def tool_failure(d: Diagnosis, cid: str, tool: str) -> str | None:
    """Why the tool that resolves in `cid` does not work there, when we saw it fail: `go env`
    failing ("cannot find GOROOT directory") for go, a failed probe for gopls / dlv / go."""
    if tool == "go":
        ge = d.facts.goenvs.get(cid)
        if ge is not None and ge.error:
            return ge.error.strip().splitlines()[0] if ge.error.strip() else "go env failed"
    for p in d.facts.probes:
        if p.tool == tool and (p.context == cid or cid in p.contexts) and p.status in ("fail", "timeout"):
            return p.classification or p.detail or p.status
    return None


@redacted
def tool_label(d: Diagnosis, cid: str, tool: str) -> Text:
    res = d.facts.resolutions.get(cid, {}).get(tool)
    if res is None or res.resolved is None:
        return Text.assemble(("✗ ", "red"), tool, (" not found", "dim"))
    version = _cand_version(tool, res.resolved)
    if tool_failure(d, cid, tool):
        # Found is not working: a ✓ next to a go that cannot find its GOROOT misleads.
        return Text.assemble(("✗ ", "red"), tool, (f" {version}" if version else "", "dim"), (" fails", "red"))
    return Text.assemble(("✓ ", "green"), tool, (f" {version}" if version else "", "dim"))


def _same_as_resolved(res: Resolution, c: Candidate) -> str | None:
    """For a candidate after the one that runs: "same file" when it is that very file again."""
    r = res.resolved
    if r is None or c is r:
        return None
    if c.path == r.path:
        return f"same file as PATH[{r.index}] (listed twice)"
    if c.realpath and r.realpath and c.realpath == r.realpath:
        return f"same file as PATH[{r.index}] (a link to it)"
    return None


def _cand_version(tool: str, c: Candidate) -> str:
    if tool in ("go", "gofmt"):
        return c.go_install_version or (c.info.go_version if c.info else "") or ""
    return (c.info.module_version if c.info else "") or ""


@redacted
def resolution_detail(d: Diagnosis, cid: str, tool: str) -> Text:
    home = d.facts.home
    t = Text()
    res = d.facts.resolutions.get(cid, {}).get(tool)
    trace = d.graph.contexts.get(cid)
    t.append(f"{tool} in {cid}\n", "bold")
    if trace is None or res is None:
        t.append("  this context was not traced successfully\n", "dim")
        return t
    if res.resolved is None:
        t.append("  not found on PATH", "red")
        t.append(" — execvp would fail with \"command not found\"\n")
    failure = tool_failure(d, cid, tool) if res.resolved is not None else None
    if failure:
        t.append("  found, but it fails here: ", "red")
        t.append(tilde_in(home, failure) + "\n", "red")
    for c in res.candidates:
        chosen = c is res.resolved
        t.append(" ▶ " if chosen else "   ", "green bold")
        t.append(tilde(home, c.path), "bold" if chosen else "dim")
        t.append(f"  (PATH[{c.index}])", "dim")
        same = _same_as_resolved(res, c)
        if c.problem:
            t.append(f"  {c.problem}", "red")
        elif same:
            # The same file again (PATH lists its folder twice, or a link to it): nothing is
            # shadowed, and calling it so sends the user after a second Go that is not there.
            t.append(f"  {same}", "dim")
        elif not chosen and c.executable:
            t.append("  shadowed", "yellow")
        t.append("\n")
        for hop in c.chain[1:]:
            t.append(f"      → {tilde(home, hop)}\n", "dim")
        facts = []
        if c.info:
            if c.info.format not in ("elf", "macho", "macho-fat"):
                facts.append(c.info.format + (f" ({c.info.interpreter})" if c.info.interpreter else ""))
            if c.info.module_path and tool not in ("go", "gofmt"):
                facts.append(f"{c.info.module_path} {c.info.module_version or ''}".strip())
            if c.info.go_version:
                facts.append(f"built with {c.info.go_version}")
            if c.info.arch:
                facts.append(c.info.arch)
        if c.goroot:
            facts.append(f"GOROOT {tilde(home, c.goroot)} ({c.go_install_version or '?'})")
        if c.shim:
            facts.append(f"via {c.shim}")
        if c.shim_target:
            # What the shim really runs, as `go env` run through it in this context said.
            facts.append(f"runs {tilde(home, c.shim_target)}")
        if facts:
            t.append("      " + ", ".join(facts) + "\n", "cyan" if chosen else "dim")
    if res.resolved is not None:
        _why_text(t, d, cid, tool)
    ge = d.facts.goenvs.get(cid)
    if tool == "go" and ge is not None and ge.values:
        t.append("\ngo env\n", "bold underline")
        for name in ("GOVERSION", "GOROOT", "GOPATH", "GOBIN", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN", "GO111MODULE"):
            v = ge.values.get(name)
            if v is None:
                continue
            src = {"env": f"from {where(home, v.location)}" if v.location else "from the environment",
                   "goenv-file": f"go env -w, {where(home, v.location)}", "default": "default"}[v.source]
            t.append(f"  {name}={v.value}", "")
            t.append(f"  ({src})\n", "dim")
    t.append("\nPATH, in lookup order\n", "bold underline")
    entries = (trace.env.get("PATH") or "").split(":")
    for i, e in enumerate(entries):
        here = [c for c in res.candidates if c.index == i]
        t.append(f" {i:>2} ", "dim")
        t.append((f"'{e}'" if e.startswith("~") else tilde(home, e)) or "(empty = current directory)", "bold" if here else "")
        if here:
            c = here[0]
            note = "runs" if c is res.resolved else (c.problem or _same_as_resolved(res, c) or "shadowed")
            t.append("  ◀ " + note, "green" if c is res.resolved else "dim" if _same_as_resolved(res, c) else "yellow")
        t.append("\n")
    return t


def _why_text(t: Text, d: Diagnosis, cid: str, tool: str) -> None:
    """Why this context runs this one, walked in the graph: the PATH entry, the line that put it
    there, and the files the context read to reach that line."""
    home = d.facts.home
    why = d.graph.why_runs(cid, tool)
    if why.binary is None:
        return
    t.append("\nWhy this one\n", "bold underline")
    t.append(f"  PATH[{why.index}] {tilde(home, why.entry)} is the first entry that has {tool}")
    if why.added_by is None:
        t.append("; it was in the PATH the shell started with\n")
        return
    a = why.added_by.assignment
    t.append(f"; {where(home, a.location)} put it there")
    t.append(f" ({a.via})" if a.via else "", "dim")
    t.append("\n")
    if why.sourced:
        hops = " → ".join(tilde(home, h.path) + (f" (line {h.line})" if h.line else "") for h in why.sourced)
        t.append(f"  {cid} read {hops}\n", "dim")


def status_counts(traces: list[ContextTrace]) -> str:
    ok = sum(1 for t in traces if t.status is TraceStatus.OK)
    return f"{ok}/{len(traces)} ok"


