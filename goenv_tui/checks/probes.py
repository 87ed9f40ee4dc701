"""Live probe failures: gopls that cannot serve the editor, dlv that cannot debug, go that cannot
build — in a given context, in the tool's own words."""

from __future__ import annotations

from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding, goenv_value, source_phrase
from goenv_tui.fixes.builders import FixContext, cause_fixes, install_tool
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.model import (
    REINSTALL_CURES,
    TOOL_MODULES,
    Finding,
    Fix,
    Location,
    ProbeResult,
    Severity,
)

WHAT = {"gopls": "gopls does not work", "dlv": "dlv cannot debug", "go": "go cannot build"}


def _fixes(p: ProbeResult) -> list[Fix]:
    fixes = []
    if p.tool in TOOL_MODULES and p.classification in REINSTALL_CURES:
        fixes.append(Fix(f"install-{p.tool}", f"Reinstall {p.tool} with the go this context runs", "command",
                         f"go install {TOOL_MODULES[p.tool]}"))
    if p.classification == "ptrace-denied":
        fixes.append(Fix("ptrace-scope", "Allow debuggers to attach to their own children (shown, not run)",
                         "command", "sudo sysctl -w kernel.yama.ptrace_scope=1", needs_confirmation=True))
    return fixes


def _cause(ctx: CheckContext, classification: str, ids: list[str]) -> tuple[list[Location], list[str]]:
    """The assignment or file behind a probe failure, so that the finding points at it (and its
    fix, not a reinstall, is offered): GOROOT set at file:line, the go.work line that asks for a
    newer Go."""
    if classification == "goroot-mismatch":
        for cid in ids:
            v = goenv_value(ctx, cid, "GOROOT")
            if v is not None and v.source != "default":
                return ([v.location] if v.location else []), [f"cause: GOROOT={ctx.tilde(v.value)}{source_phrase(ctx, v)}"]
    if classification == "gowork-version":
        ws = ctx.facts.workspace_facts
        gowork = ws.gowork if ws is not None else None
        if ws is not None and gowork:
            line = ws.gowork_go_line or 1
            return [Location(gowork, line)], [f"cause: {ctx.tilde(gowork)}:{line} says go {ws.gowork_go or '?'}"]
    return [], []


def _probe_check(ctx: CheckContext, tool: str) -> Iterator[Finding]:
    title = WHAT[tool]
    for p in ctx.facts.probes:
        if p.tool != tool or p.status not in ("fail", "timeout") or p.classification in ("cancelled", "go-too-old"):
            continue  # a Go too old for the tool is GOENV-TOOLS-006, with the PATH entry that picks it
        ids = list(p.contexts or (p.context,))
        primary = any(c in ctx.facts.primary for c in ids)
        words = p.classification or p.status
        chain = [f"{p.tool} {p.version or ''} in {', '.join(ids)}: {words}".replace("  ", " ")]
        # On one line each, and once: gopls repeats its error as a message and a diagnostic.
        said = dict.fromkeys(" ".join(m.split())[:240] for m in p.messages)
        chain += [f"it said: {m}" for m in list(said)[:3] if m]
        locations, cause = _cause(ctx, p.classification or "", ids)
        chain += cause
        yield finding(
            f"{tool}|{'|'.join(ids)}|{words}", Severity.ERROR if primary else Severity.WARNING,
            f"{title} in {ids[0]}" + (f" (+{len(ids) - 1})" if len(ids) > 1 else "") + f": {words}",
            f"Started the way an editor starts it, in {ctx.contexts_phrase(ids)}: {p.detail or words}",
            contexts=ids, chain=chain, fixes=_fixes(p), evidence=[f"ctx:{c}" for c in ids], locations=locations,
            data={"tool": tool, "classification": p.classification or ""},
        )


@check("GOENV-PROBE-001", Severity.ERROR, "gopls fails its LSP handshake", also=(Severity.WARNING,), tools=("gopls",))
def gopls_fails(ctx: CheckContext) -> Iterator[Finding]:
    """gopls that exists but cannot load the workspace (no go on its PATH, a mismatched GOROOT, no
    module, blocked downloads) is the "gopls failed" toast in VS Code."""
    yield from _probe_check(ctx, "gopls")


@check("GOENV-PROBE-002", Severity.ERROR, "dlv cannot debug", also=(Severity.WARNING,), tools=("dlv",))
def dlv_fails(ctx: CheckContext) -> Iterator[Finding]:
    """dlv that cannot ptrace (containers, yama), rejects the Go version, or cannot build the
    program: "Failed to launch: could not attach to pid"."""
    yield from _probe_check(ctx, "dlv")


@check("GOENV-PROBE-003", Severity.ERROR, "go cannot build a trivial module", also=(Severity.WARNING,), tools=("go",))
def go_fails(ctx: CheckContext) -> Iterator[Finding]:
    """`go build` of a hello-world failing in one context (unwritable GOCACHE, mismatched GOROOT,
    GOFLAGS) is "works in my terminal, fails over Remote-SSH" made concrete."""
    yield from _probe_check(ctx, "go")


# --- fixes ---------------------------------------------------------------------------------------

@gopls_fails.fix
@dlv_fails.fix
@go_fails.fix
def reinstall(fc: FixContext, f: Finding) -> list[PlannedFix]:
    if f.check.startswith("GOENV-PROBE"):
        cause = cause_fixes(fc, f)
        if cause or f.data.get("classification", "") not in REINSTALL_CURES | {""}:
            return cause
    tool = f.data.get("tool")
    if tool not in TOOL_MODULES or not f.contexts:
        return []
    return install_tool(fc, f, tool, f.contexts[0])
