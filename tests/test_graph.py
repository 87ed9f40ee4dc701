"""Graph queries: who set X in context C and what it overrode, the override chain, context diffs."""

from __future__ import annotations

from goenv_tui.graph import EnvGraph
from tests.homes import Home


def _graph(home: Home) -> EnvGraph:
    return home.diagnose(shells=("zsh",), login_shell="/bin/zsh").graph


def test_who_set_and_what_it_overrode(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "# sdk\nexport GOROOT=$HOME/sdk/go1.22\n")
    g = _graph(home)
    last, overridden = g.who_set("GOROOT", "zsh-login-interactive")
    assert (last.assignment.location.path, last.assignment.location.line) == (home.p(".zshrc"), 2)
    assert [(s.assignment.location.path, s.assignment.value) for s in overridden] == [(home.p(".zprofile"), "/usr/local/go")]
    last, overridden = g.who_set("GOROOT", "zsh-login-noninteractive")
    assert last.assignment.location.path == home.p(".zprofile") and overridden == []
    # The graph carries the override as an edge from the later assignment to the earlier one.
    over = [(g.g.nodes[u]["path"], g.g.nodes[v]["path"]) for u, v, d in g.g.edges(data=True)
            if d["kind"] == "overrides" and d["context"] == "zsh-login-interactive"]
    assert over == [(home.p(".zshrc"), home.p(".zprofile"))]


def test_override_chain_in_order(home: Home) -> None:
    home.file(".zshenv", "export GOFLAGS=-a\nexport GOFLAGS=-b\nunset GOFLAGS\nexport GOFLAGS=-c\n")
    chain = _graph(home).chain("GOFLAGS", "zsh-nologin-noninteractive")
    assert [(s.assignment.location.line, s.assignment.op.value, s.assignment.value, s.overridden_by) for s in chain] == [
        (1, "export", "-a", 1), (2, "export", "-b", 2), (3, "unset", None, None), (4, "export", "-c", None)]


def test_diff_between_contexts(home: Home) -> None:
    home.file(".zshenv", "export GOPROXY=direct\n")
    home.file(".zshrc", "export GOFLAGS=-v\n")
    diff = _graph(home).diff("zsh-nologin-interactive", "zsh-nologin-noninteractive")
    assert diff == {"GOFLAGS": ("-v", None)}


def test_nodes_and_edges_have_kinds(home: Home) -> None:
    home.file(".zshrc", 'export PATH="$HOME/go/bin:$PATH"\n')
    g = _graph(home)
    kinds = {d["kind"] for _, d in g.g.nodes(data=True)}
    assert {"context", "file", "assignment", "variable", "path_entry"} <= kinds
    edge_kinds = {d["kind"] for *_, d in g.g.edges(data=True)}
    assert {"sources", "assigns", "yields", "has", "entry"} <= edge_kinds
    origin = g.entry_origin("zsh-nologin-interactive", "PATH", f"{home.path}/go/bin")
    assert origin is not None and (origin["path"], origin["line"]) == (home.p(".zshrc"), 1)


def test_path_from_a_context_to_the_go_it_runs(home: Home) -> None:
    import os

    from tests import gotools

    home.dir("bin").symlink("bin/go", gotools.go())
    home.file(".zshenv", 'path=($HOME/bin $path)\n')
    g = _graph(home)
    nodes = g.resolution_path("zsh-nologin-noninteractive", "go")
    assert nodes[0] == "ctx:zsh-nologin-noninteractive"
    assert g.g.nodes[nodes[1]]["kind"] == "path_entry" and g.g.nodes[nodes[1]]["dir"] == home.p("bin")
    assert nodes[2] == f"bin:{home.p('bin/go')}" and g.g.nodes[nodes[2]]["version"].startswith("go1.")
    assert nodes[-1] == f"link:{os.path.realpath(gotools.go())}" or nodes[-1].endswith(gotools.go())
