"""The whole pipeline in one place: collect → probes → graph → checks → fix planning. Used by the
report, the TUI, the wizard and a fix's re-check alike, so they always show the same findings."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from goenv_tui.checks import (
    CheckContext,
    add_to_graph,
    builder_crashed,
    check_info,
    run_checks,
    sort_key,
)
from goenv_tui.checks.base import strict
from goenv_tui.collect import Facts, collect
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.graph import EnvGraph
from goenv_tui.host import Host
from goenv_tui.model import ContextTrace, Finding, ProbeResult
from goenv_tui.probes.runner import run_probes
from goenv_tui.shells.tracer import TraceOptions


@dataclass
class Diagnosis:
    facts: Facts
    graph: EnvGraph
    findings: list[Finding]
    timings: dict[str, float] = field(default_factory=dict)
    # finding id → the fixes planned for it, exactly (edits or argv)
    plans: dict[str, list[PlannedFix]] = field(default_factory=dict)
    today: str = ""
    # finding id → why a fix it would need was not planned (an edit that would break the file)
    refused: dict[str, list[str]] = field(default_factory=dict)

    def with_probes(self, results: list[ProbeResult], host: Host) -> Diagnosis:
        """The same diagnosis with probe results added and the checks run again over them."""
        facts = replace(self.facts, probes=list(results), probes_ran=True)
        # A fresh graph: the checks add their findings to the graph they run over.
        graph = EnvGraph.from_facts(facts)
        findings = run_checks(CheckContext(facts, graph, host))
        return attach_fixes(Diagnosis(facts, graph, findings, dict(self.timings), today=self.today), host)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def diagnose(host: Host, opts: TraceOptions, workspace: str | None = None,
             on_context: Callable[[ContextTrace], None] | None = None,
             on_stage: Callable[[str], None] | None = None,
             probes: bool = False, probe_timeout: float = 90.0,
             on_probe_line: Callable[[str, str], None] | None = None, today: str | None = None,
             checks: Collection[str] | None = None) -> Diagnosis:
    """`checks`: run only the checks with these ids (`report --check`); all of them by default."""
    t0 = time.monotonic()
    host.invalidate()  # a remote host caches lookups per diagnosis
    facts = collect(host, opts, workspace, on_context, on_stage)
    if probes:
        if on_stage is not None:
            on_stage("probing gopls, dlv, go build")
        tp = time.monotonic()
        facts.probes = run_probes(host, facts, workspace, probe_timeout, on_probe_line)
        facts.probes_ran = True
        facts.timings["probes_ms"] = (time.monotonic() - tp) * 1000
    t1 = time.monotonic()
    if on_stage is not None:
        on_stage("checking")
    graph = EnvGraph.from_facts(facts)
    t2 = time.monotonic()
    findings = run_checks(CheckContext(facts, graph, host), only=checks)
    t3 = time.monotonic()
    timings = dict(facts.timings)
    timings.update(graph_ms=(t2 - t1) * 1000, checks_ms=(t3 - t2) * 1000, total_ms=(t3 - t0) * 1000)
    return attach_fixes(Diagnosis(facts, graph, findings, timings, today=today or datetime.date.today().isoformat()), host)


def attach_fixes(d: Diagnosis, host: Host) -> Diagnosis:
    """Plan every finding's fixes against the files as they are now; findings carry their previews."""
    d.plans = plan_for(d, host, d.today or datetime.date.today().isoformat())
    out = []
    for f in d.findings:
        planned = [p.fix for p in d.plans.get(f.id, [])]
        ids = {x.id for x in planned}
        out.append(replace(f, fixes=tuple(planned) + tuple(x for x in f.fixes if x.id not in ids)))
    d.findings = out
    return d


def plan_for(d: Diagnosis, host: Host, today: str) -> dict[str, list[PlannedFix]]:
    """Every finding's planned fixes, from the builders registered with its check (findings
    without one get none). A builder that crashes adds a finding that names it (the finding it
    was planning for stays, without that builder's fixes)."""
    fc = FixContext(d, host, today)
    out: dict[str, list[PlannedFix]] = {}
    crashed: list[Finding] = []

    def plan_one(f: Finding) -> tuple[list[PlannedFix], list[Finding]]:
        info = check_info(f.check)
        if info is None:
            return [], []  # goenv-tui's own findings (a check that crashed) have no fixes
        plans: list[PlannedFix] = []
        failed: list[Finding] = []
        for build in info.fixes:
            try:
                plans += [p for p in build(fc, f) if p is not None]
            except Exception as exc:  # a builder bug must not hide the finding, nor itself
                if strict():
                    raise  # the tests: a crashing builder is a bug to see
                failed.append(builder_crashed(info, f, build, exc))
        return plans, failed

    # Findings are planned side by side: a few builders ask the module proxy (which gopls and
    # dlv releases the context's Go can build: two `go list` runs each, ~0.1 s apiece), and those
    # questions no longer wait for one another. Results keep the findings' order.
    findings = list(d.findings)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(findings)))) as pool:
        planned = list(pool.map(plan_one, findings))
    for f, (plans, failed) in zip(findings, planned, strict=True):
        crashed += failed
        if plans:
            out[f.id] = plans
    if crashed:
        known = {f.id for f in d.findings}
        for c in crashed:
            if c.id not in known:
                known.add(c.id)
                d.findings.append(c)
                add_to_graph(d.graph, c)
        d.findings.sort(key=sort_key)
    d.refused = fc.refused
    return out
