"""The fix dialog, "fix all safe ones" and the undo history, driven with the Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from goenv_tui.fixes.journal import Journal
from goenv_tui.host import LocalHost
from goenv_tui.ui.screens.fix import FixDialog
from goenv_tui.ui.screens.history import HistoryScreen
from goenv_tui.ui.screens.safe_fixes import SafeFixesScreen
from tests.ui.fixtures import broken_home, make_app, settle, until


async def _select(app, pilot, check: str) -> str:
    f = next(x for x in app.diagnosis.findings if x.check == check)
    app.query_one("#findings-view").select_finding(f.id)
    await pilot.pause()
    return f.id


async def _tried(pilot, screen, attr: str = "batch") -> None:
    """Wait until every trial of the screen is in (they run in a worker)."""
    for _ in range(600):
        await pilot.pause(0.05)
        if getattr(screen, attr) is not None and not getattr(screen, "trying", False):
            return
    raise AssertionError("the trials did not finish")


async def _dialog_tried(pilot, dialog) -> None:
    for _ in range(600):
        await pilot.pause(0.05)
        if dialog.plans[dialog.chosen].id in dialog.trials:
            return
    raise AssertionError("the trial did not finish")


async def test_fix_dialog_previews_applies_and_verifies() -> None:
    home = broken_home()
    app = make_app(home)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        fid = await _select(app, pilot, "GOENV-EXPORT-001")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FixDialog)
        await _dialog_tried(pilot, app.screen)
        preview = str(app.screen.query_one("#fix-preview", Static).render())
        assert "+export GOFLAGS=-mod=vendor" in preview and "-GOFLAGS=-mod=vendor" in preview
        assert "Trial: safe: tried on a private copy" in preview, preview
        before = Path(home.p(".bashrc")).read_text()
        await pilot.press("a")
        await until(pilot, lambda: app.screen.outcome is not None, "the fix's verdict", 120)
        verdict = str(app.screen.query_one("#fix-verdict", Static).render())
        assert "verified" in verdict
        assert Path(home.p(".bashrc")).read_text() != before
        await pilot.press("a")  # close
        await pilot.pause()
        assert not isinstance(app.screen, FixDialog)
        assert all(f.id != fid for f in app.diagnosis.findings)


async def test_cancel_changes_nothing() -> None:
    home = broken_home()
    app = make_app(home)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await _select(app, pilot, "GOENV-EXPORT-001")
        before = Path(home.p(".bashrc")).read_bytes()
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FixDialog)
        assert Path(home.p(".bashrc")).read_bytes() == before
        assert Journal(LocalHost(), home.path).entries() == []


async def test_safe_fixes_then_undo_from_history() -> None:
    home = broken_home()
    original = Path(home.p(".bashrc")).read_bytes()
    app = make_app(home)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, SafeFixesScreen)
        await _tried(pilot, app.screen)
        listed = str(app.screen.query_one("#safe-list", Static).render())
        assert "Move" in listed or "Export" in listed
        previewed = [it.plan.fix.title for it in app.screen.to_apply]
        await pilot.press("enter")
        await until(pilot, lambda: not app.screen.busy, "the safe fixes to finish", 120)
        # Preview = applied: exactly the previewed fixes, nothing more.
        assert [e.title for e in Journal(LocalHost(), home.path).entries()] == previewed
        log = "\n".join(str(line) for line in app.screen.query_one("#safe-log").lines)
        assert f"Done: {len(previewed)} of the {len(previewed)} previewed" in log, log
        await _tried(pilot, app.screen)
        await pilot.press("escape")
        await pilot.pause()
        entries = Journal(LocalHost(), home.path).entries()
        assert entries and all(e.state == "applied" for e in entries)
        await pilot.press("u")
        await settle(pilot)  # the journal is read in a worker
        assert isinstance(app.screen, HistoryScreen)
        assert app.screen.query_one("#history-table").row_count == len(entries)
        # Undo newest first, until the file is back.
        for row in reversed(range(len(entries))):
            app.screen.query_one("#history-table").move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            assert "Undone:" in str(app.screen.query_one("#history-status", Static).render())
        assert all(e.state == "undone" for e in Journal(LocalHost(), home.path).entries())
        assert Path(home.p(".bashrc")).read_bytes() == original


def test_fix_dialog_snapshot(snap_compare) -> None:
    app = make_app(broken_home())

    async def run_before(pilot) -> None:
        await settle(pilot)
        f = next(x for x in app.diagnosis.findings if x.check == "GOENV-GUARD-001" and "bash-sshd-command" in x.contexts)
        app.query_one("#findings-view").select_finding(f.id)
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        await _dialog_tried(pilot, app.screen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)
