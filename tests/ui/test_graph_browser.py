"""The node browser, driven with the Pilot: from a finding to the assignment, the file that holds
it, the context that read the file and the binary that context runs; back again; the palette;
and a snapshot."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from goenv_tui.ui.screens.graph_browser import GraphBrowser
from tests.ui.fixtures import broken_home, make_app, settle


async def _follow(pilot, screen: GraphBrowser, want) -> str:
    """Highlight the first edge row matching `want(row, node attrs)` and press Enter on it."""
    g = screen.graph.g
    index = next(i for i, r in enumerate(screen._rows) if r is not None and want(r, g.nodes[r.target]))
    target = screen._rows[index].target
    screen.query_one("#graph-edges", OptionList).highlighted = index
    await pilot.press("enter")
    await pilot.pause()
    assert screen.node == target
    return target


async def test_walk_finding_assignment_file_context_binary_and_back() -> None:
    home = broken_home("graph-walk")
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        d = app.diagnosis
        f = next(x for x in d.findings if x.check == "GOENV-GODIR-001")
        app.query_one("#findings-view").select_finding(f.id)
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphBrowser) and screen.node == f"finding:{f.id}"
        assert f.title in str(screen.query_one("#graph-attrs", Static).render())
        asg = await _follow(pilot, screen, lambda r, n: r.outgoing and r.kind == "at")
        assert g_of(app).nodes[asg]["path"] == home.p(".bashrc") and g_of(app).nodes[asg]["var"] == "GOROOT"
        fnode = await _follow(pilot, screen, lambda r, n: not r.outgoing and r.kind == "assigns")
        assert fnode == f"file:{home.p('.bashrc')}"
        ctx = await _follow(pilot, screen, lambda r, n: not r.outgoing and r.kind == "sources" and n["kind"] == "context")
        assert ctx == "ctx:bash-nologin-interactive"
        binary = await _follow(pilot, screen, lambda r, n: r.outgoing and r.kind == "resolves")
        assert binary == f"bin:{home.p('bin/go')}"
        crumbs = str(screen.query_one("#graph-crumbs", Static).render())
        assert "bash-nologin-interactive" in crumbs and "~/bin/go" in crumbs and "…" in crumbs
        assert screen.crumbs()[0].startswith("error: GOROOT")
        # On along the symlink to the SDK's go and its GOROOT.
        await _follow(pilot, screen, lambda r, n: r.outgoing and r.kind == "links_to")
        # Backspace walks back the same way.
        for expected in (binary, ctx, fnode, asg, f"finding:{f.id}"):
            await pilot.press("backspace")
            await pilot.pause()
            assert screen.node == expected
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GraphBrowser)


def g_of(app):
    return app.diagnosis.graph.g


async def test_graph_row_of_a_finding_and_the_palette_open_nodes() -> None:
    home = broken_home("graph-palette")
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        d = app.diagnosis
        f = d.findings[0]
        # The last ⇢ row of a finding opens the browser on it.
        await pilot.press("enter")
        await pilot.pause()
        links = app.query_one("#finding-links", OptionList)
        links.highlighted = links.option_count - 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GraphBrowser) and app.screen.node == f"finding:{f.id}"
        # The palette finds any node by its label; picking one walks there in the open browser.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Graph: ~/.bash_profile")
        for _ in range(40):
            await pilot.pause(0.05)
            options = app.screen.query("CommandList")
            if options and options.first().option_count:
                break
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphBrowser)
        assert screen.node == f"file:{home.p('.bash_profile')}" and screen.trail == [f"finding:{f.id}"]


def test_browser_snapshot(snap_compare) -> None:
    home = broken_home("graph-snap")
    app = make_app(home)

    async def run_before(pilot) -> None:
        await settle(pilot)
        d = app.diagnosis
        f = next(x for x in d.findings if x.check == "GOENV-GODIR-001")
        app.open_graph(f"finding:{f.id}")
        await pilot.pause()
        screen = app.screen
        index = next(i for i, r in enumerate(screen._rows) if r is not None and r.kind == "at")
        screen.follow(index)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def test_g_opens_the_node_behind_a_link_row_and_the_resolution_view() -> None:
    home = broken_home("graph-keys")
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        f = next(x for x in app.diagnosis.findings if x.check == "GOENV-GODIR-001")
        app.query_one("#findings-view").select_finding(f.id)
        await pilot.pause()
        await pilot.press("enter")  # into the ⇢ rows; the first is ~/.bashrc:7
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphBrowser)
        node = app.diagnosis.graph.g.nodes[screen.node]
        assert node["kind"] == "assignment" and (node["path"], node["line"]) == (home.p(".bashrc"), 7)
        await pilot.press("4")  # a view's key leaves the browser for that view
        await pilot.pause()
        assert not isinstance(app.screen, GraphBrowser)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GraphBrowser) and app.screen.node == f"bin:{home.p('bin/go')}"
        why = str(app.screen.query_one("#graph-attrs", Static).render())
        assert "go1.22.5" in why
