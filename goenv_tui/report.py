"""Rendering a Diagnosis: the JSON report (contracts/report.schema.json) and the text report.

The JSON follows the contract exactly; fields beyond it (`primary`, `notes`, `chain`, `dormant`,
…) are optional extensions, as the contract allows. The text report reads like a doctor
command: grouped by severity, each finding with its evidence chain, short unless -v.
"""

from __future__ import annotations

import io
import json
from typing import Any

from goenv_tui import __version__
from goenv_tui.diagnose import Diagnosis
from goenv_tui.display import SEVERITY_MARK, SEVERITY_STYLE, severity_count, tilde
from goenv_tui.model import Location, Severity, TraceStatus
from goenv_tui.redact import redactor_for
from goenv_tui.summary import tool_summary

SCHEMA_ID = "goenv-tui/report/v1"


def _loc(loc: Location | None) -> dict[str, Any] | None:
    return loc.to_json() if loc is not None else None


def to_json(d: Diagnosis) -> dict[str, Any]:
    """The report contract's document, with credentials masked (see goenv_tui.redact)."""
    doc: dict[str, Any] = redactor_for(d.facts).tree(_to_json(d))
    return doc


def _to_json(d: Diagnosis) -> dict[str, Any]:
    f = d.facts
    contexts = []
    variables = []
    for t in f.contexts:
        contexts.append({
            "id": t.id,
            "shell": t.spec.shell,
            "shell_path": t.shell_path,
            "login": t.spec.login,
            "interactive": t.spec.interactive,
            "used_by": list(t.used_by),
            "primary": t.id in f.primary,
            "status": t.status.value,
            "error": t.error,
            "stopped_at": _loc(t.stopped_at),
            "duration_ms": round(t.duration_ms, 1),
            "files": [
                {"path": sf.path, "order": sf.order, "sourced_from": _loc(sf.sourced_from),
                 **({"realpath": sf.realpath} if sf.realpath else {})}
                for sf in t.files
            ],
            "env": dict(sorted(t.env.items())),
            "notes": list(t.notes),
        })
        names = sorted({a.var for a in t.assignments} | set(t.env))
        dormant_by_var: dict[str, list[dict[str, Any]]] = {}
        for node in d.graph.dormant():
            if node.get("reason") == "branch-not-taken" and t.id in node.get("read_by", []):
                dormant_by_var.setdefault(node["var"], []).append(node)
        for name in sorted(set(names) | set(dormant_by_var)):
            steps = d.graph.chain(name, t.id)
            items = []
            for s in steps:
                a = s.assignment
                items.append({
                    "path": a.location.path, "line": a.location.line, "op": a.op.value,
                    "value": a.value, "before": a.before, "via": a.via,
                    "call_site": _loc(a.call_site), "live": True,
                    "overridden_by": s.overridden_by, "exported": a.exported,
                })
            for node in dormant_by_var.get(name, []):
                items.append({
                    "path": node["path"], "line": node["line"], "op": node["op"], "value": node["after"],
                    "before": None, "via": None, "call_site": None, "live": False, "overridden_by": None,
                })
            if not items and name not in t.env:
                continue
            variables.append({"name": name, "context": t.id, "final": t.env.get(name), "assignments": items})
    findings = []
    for fd in d.findings:
        findings.append({
            "id": fd.id,
            "check": fd.check,
            "severity": fd.severity.value,
            "title": fd.title,
            "detail": fd.detail,
            "variable": fd.variable,
            "contexts": list(fd.contexts),
            "locations": [_loc(loc) for loc in fd.locations],
            "chain": list(fd.chain),
            "evidence": list(fd.evidence),
            "fixes": [{"id": x.id, "title": x.title, "kind": x.kind, "preview": x.preview} for x in fd.fixes],
        })
    dormant = [
        {"var": n["var"], "op": n["op"], "value": n["after"], "path": n["path"], "line": n["line"], "reason": n.get("reason")}
        for n in d.graph.dormant()
    ]
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "goenv-tui", "version": __version__},
        "host": {
            "name": f.host_name, "os": f.os_name if f.os_name in ("linux", "darwin") else "other",
            "arch": f.arch, "remote": f.remote, "home": f.home, "workspace": f.workspace,
            "login_shell": f.login_shell,
        },
        "contexts": contexts,
        "variables": variables,
        "binaries": _binaries(d),
        "goenv": {cid: {"go": ge.go, "file": ge.file, "error": ge.error,
                        "values": {k: {"value": v.value, "source": v.source, "location": _loc(v.location)}
                                   for k, v in sorted(ge.values.items())}}
                  for cid, ge in f.goenvs.items()},
        "settings": [{"key": s.key, "value": s.value, "path": s.path, "line": s.line, "scope": s.scope}
                     for s in f.editor.settings],
        "findings": findings,
        "probes": [
            {"tool": p.tool, "context": cid, "status": p.status, "duration_ms": round(p.duration_ms, 1) if p.duration_ms else None,
             "version": p.version, "detail": p.detail, "classification": p.classification,
             "timings": {k: round(v, 1) for k, v in p.timings.items()}, "messages": list(p.messages),
             "shared_with": [c for c in p.contexts if c != cid]}
            for p in f.probes for cid in (p.contexts or (p.context,))
        ],
        "dormant": dormant,
        "unread_files": [{"path": u.path, "reason": u.reason} for u in f.unread],
        "timings": {k: round(v, 1) for k, v in d.timings.items()},
        # Extension: the per-tool summary the text report and the app open with.
        "tools": [line.to_json() for line in tool_summary(d)],
    }


def _binaries(d: Diagnosis) -> list[dict[str, Any]]:
    out = []
    for cid, tools in d.facts.resolutions.items():
        for tool, res in tools.items():
            cands = []
            for c in res.candidates:
                info = c.info
                cands.append({
                    "path": c.path, "realpath": c.realpath, "chain": list(c.chain), "problem": c.problem,
                    "version": c.go_install_version if tool in ("go", "gofmt") else (info.module_version if info else None),
                    "built_with": info.go_version if info else None, "module": info.module_path if info else None,
                    "arch": info.arch if info else None, "goroot": c.goroot,
                    "entry": c.entry, "index": c.index, "executable": c.executable, "shim": c.shim,
                    "format": info.format if info else None,
                })
            out.append({"name": tool, "context": cid, "resolved": res.resolved.path if res.resolved else None,
                        "candidates": cands})
    return out


def render_json(d: Diagnosis) -> str:
    return json.dumps(to_json(d), indent=2, ensure_ascii=False) + "\n"


def render_text(d: Diagnosis, verbose: bool = False, color: bool | None = None, width: int = 100,
                wrap: bool = False) -> str:
    from rich.console import Console  # only the text form needs rich
    from rich.markup import escape

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=bool(color), no_color=not color, width=width,
                      highlight=False, soft_wrap=not wrap, emoji=False)
    redactor = redactor_for(d.facts)

    def say(text: str = "") -> None:  # every line passes the redaction before it is laid out
        console.print(redactor.text(text))

    f = d.facts
    counts = d.counts()
    shell = (f.login_shell or "?").rsplit("/", 1)[-1]
    say(f"[bold]goenv-tui {__version__}[/] — {escape(f.home)} "
                  f"({f.os_name}/{f.arch}, login shell {escape(shell)}"
                  + (f", workspace {escape(f.workspace)}" if f.workspace else "") + ")")
    status: dict[str, list[str]] = {}
    for t in f.contexts:
        status.setdefault(t.status.value, []).append(t.id)
    parts = []
    for st in ("ok", "timeout", "error", "unavailable"):
        if st in status:
            parts.append(f"{len(status[st])} {st}")
    # Tracing and probing apart: "traced in 30.2s" that was mostly gopls and dlv misleads.
    traced_s = d.timings.get("trace_ms", d.timings.get("total_ms", 0)) / 1000
    probed = (f"; probed gopls, dlv and go build in {d.timings['probes_ms'] / 1000:.1f}s"
              if "probes_ms" in d.timings else "")
    say(f"Traced {len(f.contexts)} launch contexts in {traced_s:.1f}s{probed}: " + ", ".join(parts))
    say()
    for tool in tool_summary(d):
        style = {"ok": "green", "warning": "yellow", "error": "red"}[tool.status]
        say(f"[{style}]{tool.mark}[/] {escape(tool.text)}")
    if verbose:
        say()
        for t in f.contexts:
            mark = "✓" if t.status is TraceStatus.OK else "✗"
            prim = " *" if t.id in f.primary else ""
            say(f"  {mark} [bold]{t.id}[/]{prim}  {t.status.value}  {t.duration_ms:.0f} ms"
                          + (f"  — {escape(', '.join(t.used_by))}" if t.used_by else ""))
            if t.files:
                chain = " → ".join(tilde(f.home, sf.path) for sf in t.files)
                say(f"      reads: {escape(chain)}")
            for note in t.notes:
                say(f"      note: {escape(note)}")
        if f.primary:
            say("  (* = used by terminals, editors or sshd for this login shell)")

    for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        items = [x for x in d.findings if x.severity is sev]
        if not items:
            continue
        mark, style, head = SEVERITY_MARK[sev], SEVERITY_STYLE[sev], severity_count(sev, len(items))
        say()
        if sev is Severity.INFO and not verbose:
            say(f"[{style}]{mark} {head}[/] (use -v to show)")
            continue
        say(f"[{style}]{mark} {head}[/]")
        for x in items:
            say(f"  [{style}]{mark}[/] [bold]{escape(x.title)}[/]  [dim]{x.id}[/]")
            if verbose:
                say(f"      {escape(x.detail)}")
            steps = x.chain if verbose else x.chain[:3]
            for line in steps:
                say(f"      → {escape(line)}")
            if not verbose and len(x.chain) > 3:
                say(f"      … {len(x.chain) - 3} more (-v)")
            if not x.chain and x.locations:
                say("      at " + ", ".join(
                    escape(f"{tilde(f.home, loc.path)}:{loc.line}" if loc.line else tilde(f.home, loc.path))
                    for loc in x.locations[:4]))
            for fix in x.fixes:
                say(f"      fix: {escape(fix.title)}  (goenv-tui fix {x.id})")
            if not x.fixes:
                # Why the obvious edit is not offered (it would break the file or lose something).
                for why in getattr(d, "refused", {}).get(x.id, [])[:1 if not verbose else None]:
                    say(f"      [dim]no fix: {escape(why)}[/]")
    say()
    if not d.findings:
        say("[bold green]✓ No problems found.[/]")
    say(", ".join(severity_count(sev, counts[sev.value]) for sev in Severity) + "."
                  + ("" if verbose else " `goenv-tui report --text -v` shows everything; `goenv-tui` browses it."))
    return buf.getvalue()


def exit_code(d: Diagnosis) -> int:
    return 1 if any(x.severity is Severity.ERROR for x in d.findings) else 0


