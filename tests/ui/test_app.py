"""The full-screen app driven with Textual's Pilot: every view, navigation, palette, keys."""

from __future__ import annotations

import os

from textual.widgets import DataTable, OptionList, Select, Static, TabbedContent, Tree

from goenv_tui.ui.screens.help import HelpScreen
from tests.ui.fixtures import broken_home, make_app, settle


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_first_screen_streams_then_shows_findings() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Diagnosing" in text_of(app, "#findings-counts") or app.diagnosis is not None
        await settle(pilot)
        assert app.diagnosis is not None
        # The fixture's fake Go has no gopls or dlv next to it: both are errors of their own.
        assert "3 errors" in text_of(app, "#status") and "warnings" in text_of(app, "#status")
        summary = text_of(app, "#tool-summary").splitlines()
        assert [line.split()[:2] for line in summary] == [["✗", "go"], ["✗", "gopls"], ["✗", "dlv"]]
        assert "gopls not installed" in summary[1]
        lst = app.query_one("#finding-list", OptionList)
        assert lst.option_count > 3
        detail = text_of(app, "#finding-detail")
        first = app.diagnosis.findings[0]
        assert first.title in detail.replace("\n", " ") or first.title[:30] in detail


async def test_moving_in_the_list_changes_the_detail() -> None:
    """↓ right after start moves in the findings (the list has the focus, not the tab bar)."""
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = text_of(app, "#finding-detail")
        assert app.focused is app.query_one("#finding-list")
        await pilot.press("down")
        await pilot.pause()
        assert text_of(app, "#finding-detail") != before


async def test_evidence_link_opens_the_file_at_the_line() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        d = app.diagnosis
        target = next(f for f in d.findings if f.check == "GOENV-GODIR-001")
        app.query_one("#findings-view").select_finding(target.id)
        await pilot.pause()
        await pilot.press("enter")  # into the links
        await pilot.pause()
        await pilot.press("enter")  # follow the first link: ~/.bashrc:7
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "chain"
        view = app.query_one("#chain-view")
        assert view.path == target.locations[0].path
        source = text_of(app, "#chain-source")
        assert "sets GOROOT" in source


async def test_number_keys_switch_views_and_each_view_has_content() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "chain"
        tree = app.query_one("#chain-files", Tree)
        labels = [str(n.label) for n in tree.root.children]
        assert any("/etc/profile" in lbl for lbl in labels) and any("~/.bash_profile" in lbl for lbl in labels)
        assert "~/.bash_profile" in text_of(app, "#chain-source")
        await pilot.press("3")
        assert app.query_one(TabbedContent).active == "variables"
        table = app.query_one("#var-table", DataTable)
        assert table.row_count == 5
        assert "Entries, in lookup order" in text_of(app, "#var-chain")
        await pilot.press("4")
        assert app.query_one(TabbedContent).active == "resolution"
        detail = text_of(app, "#res-detail")
        assert "~/bin/go" in detail and "sdk/go1.22.5/bin/go" in detail and "go1.22.5" in detail
        await pilot.press("1")
        assert app.query_one(TabbedContent).active == "findings"


async def test_picking_a_context_and_a_file() -> None:
    home = broken_home()
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        app.query_one("#chain-context", Select).value = "bash-sshd-command"
        await pilot.pause()
        view = app.query_one("#chain-view")
        assert view.context == "bash-sshd-command"
        view.show_file(home.p(".bashrc"))
        await pilot.pause()
        source = text_of(app, "#chain-source")
        assert "returns here" in source and "export GOROOT" in source


async def test_variable_view_side_by_side_and_step_by_step() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        app.query_one("#variables-view").show_variable("GOROOT", "bash-nologin-interactive")
        await pilot.pause()
        table = app.query_one("#var-table", DataTable)
        values = {str(table.get_row_at(i)[0]).strip("* "): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert values["bash-nologin-interactive"].endswith("sdk/go1.21.0") and values["bash-sshd-command"] == "(unset)"
        chain = text_of(app, "#var-chain")
        assert "~/.bashrc:7 export" in chain


async def test_palette_jumps_to_a_variable() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Variable: GOFLAGS")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "variables"
        assert app.query_one("#variables-view").variable == "GOFLAGS"


async def test_rerun_help_and_quit() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first_run = app.run_id
        await pilot.press("r")
        await settle(pilot)
        assert app.run_id == first_run + 1 and app.diagnosis is not None
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_edit_without_editor_says_how(monkeypatch) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(broken_home())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.press("e")
        await pilot.pause()
        assert any("Set $EDITOR" in str(n.message) for n in app._notifications)


async def test_view_keys_work_with_focus_anywhere_and_each_view_opens_on_its_list() -> None:
    """Issue 17 item 1: `3`, Tab, Tab, then `1` stayed on Variables; after `2` nothing had focus."""
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tabs = app.query_one(TabbedContent)
        main = {"1": ("findings", "#finding-list"), "2": ("chain", "#chain-files"),
                "3": ("variables", "#var-table"), "4": ("resolution", "#res-tools"), "5": ("probes", "#probe-log")}
        for key, (view, widget) in main.items():
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == view and app.focused is app.query_one(widget), (key, app.focused)
        # From every focusable place inside each view (Tab through it), every other view key works.
        for key in main:
            for steps in range(1, 4):
                await pilot.press(key, *["tab"] * steps)
                await pilot.pause()
                inside = app.focused
                other = "1" if key != "1" else "3"
                await pilot.press(other)
                await pilot.pause()
                assert tabs.active == main[other][0], (key, steps, inside)
                assert app.focused is app.query_one(main[other][1])
        # After `2` the arrows move in the file tree at once.
        await pilot.press("2")
        tree = app.query_one("#chain-files", Tree)
        before = tree.cursor_line
        await pilot.press("down")
        assert tree.cursor_line == before + 1


async def test_escape_returns_to_the_list_then_to_the_findings() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "shift+tab")
        await pilot.pause()
        assert app.focused is app.query_one("#var-select", Select)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.query_one("#var-table", DataTable)
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "findings"
        assert app.focused is app.query_one("#finding-list", OptionList)


async def test_palette_show_findings_from_inside_a_view() -> None:
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "shift+tab")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Show findings")  # typed into the palette: not view keys, not quit
        await pilot.pause(0.3)
        assert app.query_one(TabbedContent).active == "variables"
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "findings"
        assert app.focused is app.query_one("#finding-list", OptionList)


async def test_typing_in_an_open_drop_down_searches_it() -> None:
    """The view keys stand back while a drop-down is open: there a typed character searches."""
    app = make_app(broken_home())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "shift+tab", "enter")
        await pilot.pause()
        await pilot.press("G", "O", "F")
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "variables"
        assert app.query_one("#variables-view").variable == "GOFLAGS"


async def test_resolution_says_when_the_go_found_fails_and_never_shadows_itself(home) -> None:
    """Issue 17 item 4: "✓ go go1.26.8" where go fails ("cannot find GOROOT"), and
    /usr/local/go/bin/go listed as shadowed by itself (its folder twice on PATH)."""
    from tests import gotools

    go_bin = os.path.dirname(gotools.go())
    home.file(".bashrc", f"export PATH={go_bin}:{go_bin}:$PATH\nexport GOROOT=$HOME/sdk/missing\n")
    home.file(".profile", '. "$HOME/.bashrc"\n')
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        app.query_one("#resolution-view").show("bash-nologin-interactive", "go")
        await pilot.pause()
        tools = app.query_one("#res-tools", OptionList)
        label = str(tools.get_option_at_index(0).prompt)
        assert label.startswith("✗ go") and "fails" in label, label
        detail = text_of(app, "#res-detail")
        assert "found, but it fails here" in detail and "GOROOT" in detail
        assert "same file as PATH[0] (listed twice)" in detail
        assert "shadowed" not in detail
