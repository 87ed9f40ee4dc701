"""The Probes view in the full-screen app with the real gopls, dlv and go: the results arrive
after the findings and add the probe findings to the list."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from goenv_tui.ui.messages import ProbesDone
from tests import gotools
from tests.homes import Home
from tests.probes.test_runner import tools_home
from tests.ui.fixtures import make_app, settle

pytestmark = pytest.mark.slow


async def test_probe_results_become_findings_in_the_app(home: Home) -> None:
    tools_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\n")
    app = make_app(home, probes=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the diagnosis, then the probe worker that starts when it is ready
        await settle(pilot)
        assert not app.probing
        summary = str(app.query_one("#probe-summary", Static).render())
        assert "gopls" in summary and "goroot-mismatch" in summary, summary
        probe_findings = [f for f in app.diagnosis.findings if f.check == "GOENV-PROBE-001"]
        assert probe_findings and "bash-nologin-interactive" in probe_findings[0].contexts
        lst = app.query_one("#finding-list", OptionList)
        ids = {lst.get_option_at_index(i).id for i in range(lst.option_count)}
        assert probe_findings[0].id in ids


async def test_probe_results_land_on_the_diagnosis_a_fix_left(home: Home) -> None:
    """Results that arrive after a fix replaced the diagnosis are added to the new diagnosis, not
    to the one the probes started from (which would bring the fixed findings back)."""
    tools_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\n")
    app = make_app(home, probes=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await settle(pilot)
        probed = app.diagnosis
        after_fix = home.diagnose(shells=("bash",))  # what a fix's re-check leaves: no probes yet
        app._show_diagnosis(after_fix)
        app.post_message(ProbesDone(app.run_id, probed.facts.probes, base=object(), probed=probed))
        await settle(pilot)
        await settle(pilot)
        assert app.diagnosis is not probed and app.diagnosis.facts.contexts is after_fix.facts.contexts
        assert any(f.check == "GOENV-PROBE-001" for f in app.diagnosis.findings)
