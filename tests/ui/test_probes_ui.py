"""The Probes view in the full-screen app with the real gopls, dlv and go: the results arrive
after the findings and add the probe findings to the list."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from goenv_tui.ui.screens.fix import FixDialog
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



async def test_after_a_fix_the_probes_run_again_on_the_fixed_home(home: Home) -> None:
    """A fix's re-check does not probe; the app probes again, so the gopls failure the fix did not
    touch is still listed (not silently dropped until the next re-run)."""
    tools_home(home, f"export GOROOT={gotools.goroot_of(gotools.go119())}\nGOFLAGS=-mod=mod\n")
    app = make_app(home, probes=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await settle(pilot)
        before = app.diagnosis
        assert any(f.check == "GOENV-PROBE-001" for f in before.findings)
        export = next(f for f in before.findings if f.check == "GOENV-EXPORT-001")
        app.query_one("#findings-view").select_finding(export.id)
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FixDialog)
        for _ in range(600):  # Apply waits for the trial on a private copy
            await pilot.pause(0.05)
            if app.screen.plans[app.screen.chosen].id in app.screen.trials:
                break
        await pilot.press("a")  # apply
        await settle(pilot)
        for _ in range(600):
            if app.screen.outcome is not None:
                break
            await pilot.pause(0.05)
        assert app.screen.outcome is not None and app.screen.outcome.cleared, app.screen.outcome
        await pilot.press("a")  # close
        await settle(pilot)
        await settle(pilot)
        assert not app.probing and app.diagnosis.facts.probes_ran
        assert app.diagnosis is not before and all(f.check != "GOENV-EXPORT-001" for f in app.diagnosis.findings)
        assert any(f.check == "GOENV-PROBE-001" for f in app.diagnosis.findings)
