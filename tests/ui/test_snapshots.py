"""How each view looks, at 80x24 and 120x40, on a fixture home (SVGs under snapshots/).

Deterministic: the fixture home lives at a fixed path and holds a fake Go SDK (no real binaries),
the app runs with stable=True (no clocks), and the screenshot is taken after the diagnosis."""

from __future__ import annotations

import pytest

from tests.ui.fixtures import broken_home, make_app, settle

SIZES = [(80, 24), (120, 40)]
VIEWS = ["1", "2", "3", "4"]
NAMES = {"1": "findings", "2": "init_chain", "3": "variables", "4": "resolution"}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", VIEWS, ids=lambda k: NAMES[k])
def test_view(snap_compare, key: str, size: tuple[int, int]) -> None:
    app = make_app(broken_home())

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare) -> None:
    app = make_app(broken_home())

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_init_chain_sshd_context_shows_the_guard(snap_compare) -> None:
    home = broken_home()
    app = make_app(home)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("2")
        app.query_one("#chain-view").show_context("bash-sshd-command", home.p(".bashrc"), 4)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
