"""Graph queries: who set X in context C and what it overrode, the override chain, context diffs."""

from __future__ import annotations

import pytest

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


# --- the typed queries over real traced homes ---------------------------------------------

def _bash(home: Home) -> EnvGraph:
    return home.diagnose(shells=("bash",), login_shell="/bin/bash").graph


def test_set_by_follows_the_sourcing_chain_across_files(home: Home) -> None:
    home.file(".bash_profile", "export GOROOT=/usr/local/go\n# then the rc\n. ~/.bashrc\n")
    home.file(".bashrc", "export GOROOT=$HOME/sdk/go1.22\n")
    g = _bash(home)
    s = g.set_by("GOROOT", "bash-login-interactive")
    assert s.value == home.p("sdk/go1.22")
    assert (s.step.assignment.location.path, s.step.assignment.location.line) == (home.p(".bashrc"), 1)
    assert [(o.assignment.location.path, o.assignment.location.line) for o in s.overridden] == [(home.p(".bash_profile"), 1)]
    # The context opened ~/.bash_profile itself, which sourced ~/.bashrc at its line 3.
    assert [(h.path, h.line) for h in s.sourced] == [(home.p(".bash_profile"), None), (home.p(".bashrc"), 3)]
    # The override is an edge, and the overridden assignment is an ancestor of the final value.
    import networkx as nx

    assert s.overridden[0].node in nx.ancestors(g.g, "var:bash-login-interactive:GOROOT")


def test_bashrc_d_loop_and_what_the_loop_line_affects(home: Home) -> None:
    home.file(".bashrc.d/10-a.sh", "export GO111MODULE=on\n")
    home.file(".bashrc.d/20-b.sh", 'export PATH="$HOME/tools/bin:$PATH"\n')
    home.dir("tools/bin").file("tools/bin/gopls", "#!/bin/sh\n", mode=0o755)
    home.file(".bashrc", 'for f in ~/.bashrc.d/*.sh; do\n    . "$f"\ndone\n')
    g = _bash(home)
    s = g.set_by("GO111MODULE", "bash-nologin-interactive")
    assert [(h.path, h.line) for h in s.sourced] == [(home.p(".bashrc"), None), (home.p(".bashrc.d/10-a.sh"), 2)]
    impact = g.affects(home.p(".bashrc"), 2)
    assert "bash-nologin-interactive" in impact.contexts
    assert {("bash-nologin-interactive", "GO111MODULE"), ("bash-nologin-interactive", "PATH")} <= set(impact.variables)
    assert ("bash-nologin-interactive", "gopls", home.p("tools/bin/gopls")) in impact.binaries
    # bash run by sshd reads ~/.bashrc too; a login shell without ~/.bash_profile reads ~/.profile only.
    assert "bash-sshd-command" in impact.contexts
    assert "bash-login-interactive" not in impact.contexts
    # A line that sources nothing and sets nothing reaches nothing.
    assert g.affects(home.p(".bashrc"), 3).empty


def test_eval_and_function_lines_are_what_they_affect(home: Home) -> None:
    home.file(".bash_functions", 'addpath() {\n    PATH="$1:$PATH"\n}\n')
    home.file(".bashrc", '. ~/.bash_functions\neval "$(echo export GOFLAGS=-mod=mod)"\naddpath /opt/go/bin\n')
    g = _bash(home)
    cid = "bash-nologin-interactive"
    ev = g.affects(home.p(".bashrc"), 2)
    assert ev.variables == ((cid, "GOFLAGS"),) or set(ev.variables) >= {(cid, "GOFLAGS")}
    assert all(name == "GOFLAGS" for _, name in ev.variables)
    # The change happened in the function body: that line of ~/.bash_functions affects PATH.
    fn = g.affects(home.p(".bash_functions"), 2)
    assert (cid, "PATH") in fn.variables
    origin = g.entry_origin(cid, "PATH", "/opt/go/bin")
    assert origin is not None and (origin["path"], origin["line"], origin["via"]) == (home.p(".bash_functions"), 2, "function addpath")
    # The whole file reaches every context that reads it.
    assert set(g.affects(home.p(".bash_functions")).contexts) == set(g.readers(home.p(".bash_functions")))
    assert cid in g.readers(home.p(".bash_functions"))


def test_why_runs_walks_entry_assignment_symlinks_and_goroot(home: Home) -> None:
    import os

    from tests import gotools

    real = os.path.realpath(gotools.go())
    # Two hops, as version managers and Homebrew lay them out: ~/bin/go → ~/opt/go-current → go.
    home.symlink("opt/go-current", real)
    home.dir("bin").symlink("bin/go", "../opt/go-current")
    home.file(".zshenv", "# tools\npath=($HOME/bin $path)\n")
    g = _graph(home)
    why = g.why_runs("zsh-nologin-noninteractive", "go")
    assert why.binary == home.p("bin/go") and why.entry == home.p("bin") and why.index == 0
    assert (why.added_by.assignment.location.path, why.added_by.assignment.location.line) == (home.p(".zshenv"), 2)
    assert [h.path for h in why.sourced] == [home.p(".zshenv")]
    assert why.links == (home.p("opt/go-current"), real) and why.realpath == real
    assert why.goroot == os.path.dirname(os.path.dirname(real))
    # The walk is a path in the graph: every consecutive pair is joined by an edge (either way).
    for u, v in zip(why.nodes, why.nodes[1:], strict=False):
        assert g.g.has_edge(u, v) or g.g.has_edge(v, u) or (u.startswith("ctx:") and v.startswith("file:")), (u, v)
    impact = g.affects(home.p(".zshenv"), 2)
    assert ("zsh-nologin-noninteractive", "go", home.p("bin/go")) in impact.binaries


def test_shim_is_a_binary_node_that_shadows_the_real_go(home: Home) -> None:
    from tests import gotools

    home.dir(".asdf/shims")
    home.file(".asdf/shims/go", "#!/usr/bin/env bash\nexec asdf exec go \"$@\"\n", mode=0o755)
    home.file(".bashrc", f'export PATH="$HOME/.asdf/shims:{gotools.go().rsplit("/", 1)[0]}:$PATH"\n')
    g = _bash(home)
    why = g.why_runs("bash-nologin-interactive", "go")
    assert why.binary == home.p(".asdf/shims/go")
    assert g.g.nodes[f"bin:{why.binary}"]["shim"] == "asdf"
    assert gotools.go() in why.shadowed or any(p.endswith("/go") for p in why.shadowed)


def test_differences_name_who_set_each_side(home: Home) -> None:
    home.file(".zshenv", "export GOPROXY=direct\n")
    home.file(".zshrc", "export GOPROXY=off\n")
    g = _graph(home)
    [d] = [x for x in g.differences("zsh-nologin-interactive", "zsh-nologin-noninteractive") if x.name == "GOPROXY"]
    assert (d.a, d.b) == ("off", "direct")
    assert g.g.nodes[d.set_a]["path"] == home.p(".zshrc") and g.g.nodes[d.set_b]["path"] == home.p(".zshenv")


def test_findings_reach_their_evidence_and_locations(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "export GOROOT=$HOME/nowhere\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    f = next(x for x in d.findings if x.check == "GOENV-GODIR-001")
    node = f"finding:{f.id}"
    at = [v for v, _ in d.graph.out_of(node, "at")]
    assert at and all(d.graph.g.nodes[a]["kind"] == "assignment" and d.graph.g.nodes[a]["path"] == home.p(".zshrc") for a in at)
    assert node in d.graph.findings_about(at[0])
    assert set(d.graph.evidence_of(f.id)) == {e for e in f.evidence if e in d.graph.g}


def test_go_env_values_keep_their_source(home: Home) -> None:
    from tests import gotools

    home.file(".config/go/env", "GOFLAGS=-mod=mod\n")
    home.file(".bashrc", f'export PATH="{gotools.go().rsplit("/", 1)[0]}:$PATH"\nexport GOPROXY=direct\n')
    g = _bash(home)
    cid = "bash-nologin-interactive"
    proxy = g.g.nodes[f"goenv:{cid}:GOPROXY"]
    assert proxy["source"] == "env"
    assert [v for v, _ in g.out_of(f"goenv:{cid}:GOPROXY", "from")] == [f"var:{cid}:GOPROXY"]
    flags = f"goenv:{cid}:GOFLAGS"
    assert g.g.nodes[flags]["source"] == "goenv-file"
    [(target, edge)] = g.out_of(flags, "from")
    assert target == f"file:{home.p('.config/go/env')}" and edge["line"] == 1
    # A `go env -w` line affects that go env value, in every context whose go read it.
    assert (cid, "GOFLAGS") in g.affects(home.p(".config/go/env"), 1).goenv


@pytest.mark.slow
def test_probes_and_workspace_files_are_nodes(home: Home, tmp_path) -> None:
    """Real gopls/dlv/go build probes: each is a node of the contexts it ran for, joined to the
    binary it ran; the workspace's go.mod and go.work are nodes, go.work `uses` edges carry lines."""
    import os

    from tests import gotools

    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$HOME/go/bin:$PATH"\nexport GOTOOLCHAIN=local\n')
    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "go.mod").write_text("module example.com/app\n\ngo 1.21\n")
    (ws / "app" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (ws / "go.work").write_text("go 1.21\n\nuse ./app\nuse ./gone\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws), probes=True)
    g = d.graph
    cid = "bash-nologin-interactive"
    probes = {g.g.nodes[p]["tool"]: p for p, _ in g.out_of(f"ctx:{cid}", "probes")}
    assert {"gopls", "dlv"} <= set(probes)
    [(ran, _)] = g.out_of(probes["gopls"], "ran")
    assert ran == f"bin:{home.p('go/bin/gopls')}" and g.g.nodes[ran]["kind"] == "binary"
    assert g.g.nodes[probes["gopls"]]["status"] in ("ok", "fail", "timeout")
    work = f"ws:{ws}/go.work"
    assert g.g.nodes[work]["file"] == "go.work"
    uses = {g.g.nodes[v]["path"]: d_["line"] for v, d_ in g.out_of(work, "uses")}
    assert uses == {f"{ws}/app/go.mod": 3, f"{ws}/gone/go.mod": 4}
