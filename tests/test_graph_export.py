"""`goenv-tui graph`: the export validates against contracts/graph.schema.json, round-trips through
networkx's own readers, and a focused export holds what the focus is about."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import networkx as nx

from goenv_tui.graph_export import export, focus, from_json
from tests.homes import Home

SCHEMA = json.loads((Path(__file__).parents[1] / "goenv_tui" / "contracts" / "graph.schema.json").read_text())


def _goroot() -> str:
    from tests import gotools

    return os.path.dirname(os.path.dirname(os.path.realpath(gotools.go())))


def _home(home: Home) -> Home:
    home.file(".bash_profile", "export GOROOT=$HOME/sdk/go\n. ~/.bashrc\n")
    home.file(".bashrc", f'export GOROOT={_goroot()}\nexport PATH="{_goroot()}/bin:$PATH"\n')
    home.file(".profile", "export GOPATH=$HOME/gopath\n")  # never read: a dormant assignment
    return home


def test_json_validates_and_round_trips(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    data = json.loads(export(d.graph, "json", home=home.path))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA)
    g = from_json(data)
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_nodes() == d.graph.g.number_of_nodes()
    assert g.number_of_edges() == d.graph.g.number_of_edges()
    kinds = {x["kind"] for _, x in g.nodes(data=True)}
    assert {"context", "file", "assignment", "variable", "path_entry", "binary", "goroot", "goenv", "finding"} <= kinds
    # Same walk in the loaded copy: the overriding assignment points at the overridden one.
    over = [(g.nodes[u]["path"], g.nodes[v]["path"]) for u, v, x in g.edges(data=True)
            if x["kind"] == "overrides" and x["context"] == "bash-login-interactive"]
    assert over == [(home.p(".bashrc"), home.p(".bash_profile"))]
    # Deterministic: the same diagnosis gives the same bytes.
    assert export(d.graph, "json", home=home.path) == export(d.graph, "json", home=home.path)


def test_graphml_round_trips(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    text = export(d.graph, "graphml", home=home.path)
    g = nx.read_graphml(io.StringIO(text), force_multigraph=True)
    assert g.number_of_nodes() == d.graph.g.number_of_nodes()
    assert g.number_of_edges() == d.graph.g.number_of_edges()
    node = g.nodes[f"asg:bash-login-interactive:{next(s.node for s in d.graph.chain('GOROOT', 'bash-login-interactive')).rsplit(':', 1)[1]}"]
    assert node["kind"] == "assignment" and node["line"] == 1 and node["live"] is True


def test_focus_on_a_variable_keeps_its_chain_and_nothing_else(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    g = focus(d.graph, variable="GOROOT")
    kinds = {x["kind"] for _, x in g.nodes(data=True)}
    assert "path_entry" not in kinds and "goenv" in kinds
    assert {x["var"] for _, x in g.nodes(data=True) if x["kind"] == "assignment"} == {"GOROOT"}
    assert {x["name"] for _, x in g.nodes(data=True) if x["kind"] == "variable"} == {"GOROOT"}
    # The sourcing path from the login context to ~/.bashrc is there, with its line.
    edges = [(u, v, x.get("line")) for u, v, x in g.edges(data=True)
             if x["kind"] == "sources" and x["context"] == "bash-login-interactive"]
    assert ("ctx:bash-login-interactive", f"file:{home.p('.bash_profile')}", None) in edges
    assert (f"file:{home.p('.bash_profile')}", f"file:{home.p('.bashrc')}", 2) in edges
    # `go` and its GOROOT, for contexts that resolve one.
    assert any(x["kind"] == "goroot" for _, x in g.nodes(data=True))
    data = json.loads(export(d.graph, "json", variable="GOROOT", home=home.path))
    jsonschema.validate(data, SCHEMA)
    assert data["graph"]["focus"] == {"context": None, "variable": "GOROOT"}


def test_focus_on_a_context(home: Home) -> None:
    d = _home(home).diagnose(shells=("bash",))
    g = focus(d.graph, context="bash-nologin-interactive")
    assert {x["context"] for _, x in g.nodes(data=True) if x["kind"] in ("assignment", "variable", "path_entry")} == {"bash-nologin-interactive"}
    assert {x.get("context") for *_, x in g.edges(data=True)} <= {None, "bash-nologin-interactive"}
    assert any(x["kind"] == "binary" for _, x in g.nodes(data=True))
    assert f"file:{home.p('.bash_profile')}" not in g  # only a login shell reads it


def test_cli_writes_dot_and_refuses_unknown_context(home: Home, tmp_path) -> None:
    _home(home)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]))
    out = tmp_path / "g.dot"
    res = subprocess.run([sys.executable, "-m", "goenv_tui.cli", "graph", "--home", home.path, "--shell", "bash",
                          "--no-probes", "--format", "dot", "--variable", "GOROOT", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert text.startswith("digraph goenv {") and text.rstrip().endswith("}")
    assert f'"~/.bashrc:1 GOROOT={_goroot()}"' in text and "sources :2" in text
    res = subprocess.run([sys.executable, "-m", "goenv_tui.cli", "graph", "--home", home.path, "--shell", "bash",
                          "--no-probes", "--context", "nope"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2 and "--context nope: no such context" in res.stderr
