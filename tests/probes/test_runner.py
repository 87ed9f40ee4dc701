"""Probes wired into the diagnosis: one run per distinct environment, results in the JSON report
and as findings, a failure only in the context whose environment breaks the tool."""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest

from goenv_tui.probes.runner import plan
from goenv_tui.report import to_json
from tests import gotools
from tests.homes import Home
from tests.test_report import SCHEMA, validate

pytestmark = pytest.mark.slow


def tools_home(home: Home, extra: str = "") -> Home:
    home.dir("go/bin")
    home.symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$HOME/go/bin:$PATH"\nexport GOTOOLCHAIN=local\n'
                         f'case $- in *i*) ;; *) return;; esac\n{extra}')
    return home


def test_contexts_with_the_same_environment_share_a_probe(home: Home) -> None:
    d = tools_home(home).diagnose(shells=("bash",))
    jobs = plan(d.facts)
    assert {j.tool for j in jobs} == {"go", "gopls", "dlv"}
    # The two terminals get the same environment; sshd starts from its own default PATH.
    groups = {j.contexts for j in jobs if j.tool == "gopls"}
    assert groups == {("bash-login-interactive", "bash-nologin-interactive"), ("bash-sshd-command",)}


def test_probe_failure_is_a_finding_only_where_it_breaks(home: Home) -> None:
    tools_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\n")
    d = home.diagnose(shells=("bash",), probes=True)
    gopls = [p for p in d.facts.probes if p.tool == "gopls"]
    broken = [p for p in gopls if "bash-nologin-interactive" in p.contexts]
    fine = [p for p in gopls if "bash-sshd-command" in p.contexts]
    assert broken and broken[0].classification == "goroot-mismatch"
    assert fine and fine[0].status == "ok"
    found = [f for f in d.findings if f.check == "GOENV-PROBE-001"]
    assert len(found) == 1 and "bash-nologin-interactive" in found[0].contexts
    assert "bash-sshd-command" not in found[0].contexts
    said = [c for c in found[0].chain if c.startswith("it said: ")]
    assert said and all("\n" not in c for c in said) and len(set(said)) == len(said), said
    builds = [f for f in d.findings if f.check == "GOENV-PROBE-003"]
    assert builds and "goroot-mismatch" in builds[0].title
    doc = to_json(d)
    validate(doc)
    probes = {(p["tool"], p["context"]): p for p in doc["probes"]}
    assert probes[("gopls", "bash-sshd-command")]["status"] == "ok"
    assert probes[("gopls", "bash-nologin-interactive")]["classification"] == "goroot-mismatch"
    assert jsonschema is not None and SCHEMA.exists()


def test_a_probe_failed_by_goroot_is_fixed_at_goroot_and_verified_by_probing(home: Home) -> None:
    """gopls cannot load fmt because GOROOT names go1.19: the fix offered is the GOROOT line's, not a
    reinstall of gopls, and applying it is verified by probing again."""
    from goenv_tui.fixes.engine import apply_fix, safe_candidates, undo
    from goenv_tui.host import LocalHost
    from goenv_tui.shells.tracer import TraceOptions

    tools_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\n")
    original = Path(home.p(".bashrc")).read_bytes()
    d = home.diagnose(shells=("bash",), probes=True)
    probe = next(f for f in d.findings if f.check == "GOENV-PROBE-001")
    plans = d.plans[probe.id]
    assert [p.id for p in plans] == ["unset-goroot"], [p.fix.title for p in plans]
    goroot = next(f for f in d.findings if f.check == "GOENV-GOROOT-001")
    assert plans[0].fix.title == f"Fix the cause ({goroot.id}): Comment out GOROOT at ~/.bashrc:4 (go finds its own)"
    dlv = next(f for f in d.findings if f.check == "GOENV-PROBE-002")  # its build fails for the same reason
    assert dlv.data["classification"] == "goroot-mismatch" and [p.id for p in d.plans[dlv.id]] == ["unset-goroot"]
    assert plans[0].finding_id == probe.id and plans[0].fix.verifies == "GOENV-PROBE-001"
    assert [x.id for x in probe.fixes] == ["unset-goroot"]  # no "install gopls" beside it
    # "Fix all safe ones" lists that one edit once, not for each finding that offers it.
    assert [p.id for _, p in safe_candidates(d, {"error", "warning"})].count("unset-goroot") == 1
    out = apply_fix(LocalHost(), TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash"), None, d,
                    plans[0])
    assert out.applied and out.cleared, out.verdict
    assert out.after is not None and out.after.facts.probes_ran
    assert not [f for f in out.after.findings if f.check in ("GOENV-PROBE-001", "GOENV-GOROOT-001")]
    undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p(".bashrc")).read_bytes() == original
