"""The checks: one module per topic, each check registered with its id and severity.

`run_checks` runs every check in isolation — a check that crashes becomes a finding of its own
instead of taking the report down with it (as flutter doctor's validators do).
"""

from __future__ import annotations

import traceback

from goenv_tui.checks import (  # noqa: F401  (importing a topic module registers its checks)
    contexts,
    dormant,
    godirs,
    goenv,
    goroot,
    path,
    probes,
    ssh,
    tools,
    trace,
    vscode,
    workspace,
)
from goenv_tui.checks.base import ID_HOME, REGISTRY, CheckContext, CheckInfo, finding
from goenv_tui.model import Finding, Severity

__all__ = ["REGISTRY", "CheckContext", "CheckInfo", "run_checks"]


def run_checks(ctx: CheckContext) -> list[Finding]:
    token = ID_HOME.set(ctx.facts.home)
    try:
        return _run_checks(ctx)
    finally:
        ID_HOME.reset(token)


def _run_checks(ctx: CheckContext) -> list[Finding]:
    found: list[Finding] = []
    for info in REGISTRY:
        try:
            found.extend(info.run(ctx))
        except Exception as exc:  # isolate a broken check
            found.append(finding(
                "GOENV-INTERNAL-001", info.id, Severity.WARNING,
                f"Check {info.id} crashed",
                f"{info.title}: this check could not run ({exc!r}). Other results are unaffected.\n"
                + "".join(traceback.format_exception_only(type(exc), exc)).strip(),
            ))
    seen: set[str] = set()
    unique = []
    for f in found:
        if f.id not in seen:
            seen.add(f.id)
            unique.append(f)
    unique.sort(key=lambda f: (f.severity.rank, f.check, f.id))
    for f in unique:
        ctx.graph.add_finding(f.id, {"check": f.check, "severity": f.severity.value, "title": f.title,
                                         "variable": f.variable, "contexts": list(f.contexts)},
                              list(f.evidence), f.locations)
    return unique
