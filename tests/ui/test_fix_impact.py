"""The fix dialog lists what the edit reaches (from the graph) before the user confirms."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from goenv_tui.ui.screens.fix import FixDialog
from tests.ui.fixtures import broken_home, make_app, settle


async def test_fix_dialog_lists_what_the_edit_reaches_before_apply() -> None:
    home = broken_home("fix-impact")
    app = make_app(home)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        f = next(x for x in app.diagnosis.findings if x.check == "GOENV-EXPORT-001")
        app.query_one("#findings-view").select_finding(f.id)
        await pilot.pause()
        before = Path(home.p(".bashrc")).read_bytes()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FixDialog)
        impact = str(app.screen.query_one("#fix-impact", Static).render())
        assert "What this reaches" in impact
        assert "Variables: GOFLAGS" in impact
        assert "bash-nologin-interactive" in impact
        assert Path(home.p(".bashrc")).read_bytes() == before  # shown before anything is written
        await pilot.press("escape")
