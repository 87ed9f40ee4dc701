"""The per-tool summary, flutter-doctor style: one line for go, gopls and dlv each — the version
the contexts run, where it differs, and the worst problem with its fix.

    ✓ go 1.26.8 (all contexts)
    ✗ gopls not installed — fix: Install gopls v0.23.0 with /usr/local/go/bin/go …
    ! dlv 1.27.2: Go 1.19.8 is not supported by this dlv (1.27.2) in bash-sshd-command

Built from the diagnosis alone (facts + findings), so the report and the app show the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from goenv_tui.checks import tool_of
from goenv_tui.diagnose import Diagnosis
from goenv_tui.model import Finding, Severity

SUMMARY_TOOLS = ("go", "gopls", "dlv")
MARK = {"ok": "✓", "error": "✗", "warning": "!"}


@dataclass(frozen=True)
class ToolLine:
    tool: str
    status: str  # ok | warning | error
    version: str | None  # the version most contexts run (None: not found)
    text: str  # the line after the mark
    contexts: tuple[str, ...] = ()  # where the problem (or the difference) is
    finding: str | None = None  # the worst finding's id
    fix: str | None = None  # its first fix's title

    @property
    def mark(self) -> str:
        return MARK[self.status]

    def to_json(self) -> dict[str, object]:
        return {"name": self.tool, "status": self.status, "version": self.version, "text": self.text,
                "contexts": list(self.contexts), "finding": self.finding, "fix": self.fix}


def _about(f: Finding, tool: str) -> bool:
    """Whether a finding is about `tool`, as its check declares (`@check(tools=…)`)."""
    return tool_of(f) == tool


def _versions(d: Diagnosis, tool: str, ids: list[str]) -> dict[str, list[str]]:
    """version → contexts that run it ("" for contexts where the tool is not found)."""
    out: dict[str, list[str]] = {}
    for cid in ids:
        res = d.facts.resolutions.get(cid, {}).get(tool)
        cand = res.resolved if res else None
        if tool == "go":
            ge = d.facts.goenvs.get(cid)
            v = (ge.values["GOVERSION"].value if ge and "GOVERSION" in ge.values else None) or (
                cand.go_install_version if cand else None)
            v = (v or ("?" if cand else "")).removeprefix("go")
        else:
            v = ((cand.info.module_version if cand.info else None) or "?") if cand else ""
            v = v.removeprefix("v") if tool == "dlv" else v
        out.setdefault(v, []).append(cid)
    return out


def tool_summary(d: Diagnosis) -> list[ToolLine]:
    ok = [t.id for t in d.facts.contexts if t.status.value == "ok"]
    ids = [c for c in ok if c in d.facts.primary] or ok
    lines = []
    for tool in SUMMARY_TOOLS:
        versions = _versions(d, tool, ids)
        found = {v: c for v, c in versions.items() if v}
        main = max(found, key=lambda v: len(found[v])) if found else None
        problems = sorted((f for f in d.findings if f.severity is not Severity.INFO and _about(f, tool)),
                          key=lambda f: (f.severity.rank, f.check, f.id))
        worst = problems[0] if problems else None
        fix = worst.fixes[0].title if worst and worst.fixes else None
        status = worst.severity.value if worst else "ok"
        if main is None:
            status = "error"
            text = f"{tool} not installed" if tool != "go" else "go not found"
        elif len(found) == 1 and len(versions) == 1:
            text = f"{tool} {main} (all contexts)"
        else:
            others = [f"{v or 'missing'} in {', '.join(c)}" for v, c in versions.items() if v != main]
            # Shown, but not a problem unless a check says so (the summary invents nothing).
            text = f"{tool} {main}; " + "; ".join(others)
        if worst is not None and main is not None:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            text = f"{tool} {main}: {worst.title}{more}"
        if fix:
            text += f" — fix: {fix}"
        where = tuple(worst.contexts) if worst else tuple(c for v, cs in versions.items() if v != main for c in cs)
        lines.append(ToolLine(tool, status, main, text, where, worst.id if worst else None, fix))
    return lines
