"""`goenv-tui report --list-checks` lists every check from the registry (text and JSON), and
`--check ID` runs only the checks named; an unknown id is a one-line usage error."""

from __future__ import annotations

import json

import pytest

from goenv_tui.checks import REGISTRY
from tests.homes import Home
from tests.test_report import cli, validate

GO_DIR = "/usr/local/go/bin"


def test_list_checks_text_has_one_line_per_check() -> None:
    res = cli("report", "--list-checks")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "TOOL", "FIXES", "TITLE"]
    rows = {ln.split()[0]: ln for ln in lines[1:-1]}
    assert set(rows) == {c.id for c in REGISTRY} and len(lines) == len(REGISTRY) + 2
    assert rows["GOENV-CRLF-001"].split()[1:5] == ["error", "go", "yes", "Startup"]
    assert "warning, info" in rows["GOENV-DORMANT-001"]
    assert rows["GOENV-PROBE-001"].split()[1:5] == ["error,", "warning", "gopls", "yes"]
    assert rows["GOENV-SSH-001"].split()[1:4] == ["warning", "-", "-"]
    with_fixes = sum(1 for c in REGISTRY if c.fixes)
    assert lines[-1] == f"{len(REGISTRY)} checks, {with_fixes} with fixes"


def test_list_checks_json_is_the_registry() -> None:
    res = cli("report", "--list-checks", "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["checks"]
    by_id = {c.id: c for c in REGISTRY}
    assert [r["id"] for r in rows] == sorted(by_id)
    for r in rows:
        c = by_id[r["id"]]
        assert r["title"] == c.title and r["severity"] == c.severity.value
        assert r["severities"] == [s.value for s in c.severities] and r["tools"] == list(c.tools)
        assert r["fixes"] == bool(c.fixes) and len(r["fix_builders"]) == len(c.fixes)
        assert r["module"] == c.module and len(r["doc"]) > 40
    crlf = next(r for r in rows if r["id"] == "GOENV-CRLF-001")
    assert crlf["fix_builders"] == ["crlf_to_lf"] and crlf["module"] == "goenv_tui.checks.lineendings"


def test_list_checks_with_check_lists_only_those() -> None:
    res = cli("report", "--list-checks", "--json", "--check", "GOENV-PATH-004,GOENV-CRLF-001")
    assert [r["id"] for r in json.loads(res.stdout)["checks"]] == ["GOENV-CRLF-001", "GOENV-PATH-004"]


@pytest.mark.parametrize("args,message", [
    (["--check", "GOENV-NOPE-001"], "--check: unknown check GOENV-NOPE-001 (goenv-tui report --list-checks lists them)"),
    (["--check", "GOENV-PATH-004,GOENV-NOPE-1", "--check", "X"], "--check: unknown check GOENV-NOPE-1, X "),
    (["--check", " , "], "--check: no check id given"),
    (["--list-checks", "--check", "GOENV-NOPE-001"], "--check: unknown check GOENV-NOPE-001"),
])
def test_unknown_check_exits_2_with_one_line(args: list[str], message: str) -> None:
    res = cli("report", *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert message in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert res.stdout == ""


def _report(home: Home, *args: str) -> dict:
    res = cli("report", "--json", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash",
              "--no-probes", *args)
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    validate(doc)
    return doc


def test_check_runs_only_the_checks_named(home: Home) -> None:
    # A duplicate PATH entry (PATH-004, info, with a fix) and GOFLAGS set but not exported
    # (EXPORT-001, a warning).
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\n# again\nexport PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    full = _report(home)
    assert {"GOENV-PATH-004", "GOENV-EXPORT-001"} <= {f["check"] for f in full["findings"]}
    one = _report(home, "--check", "GOENV-PATH-004")
    assert {f["check"] for f in one["findings"]} == {"GOENV-PATH-004"}
    # The same finding, fixes included, as in the full report.
    assert one["findings"] == [f for f in full["findings"] if f["check"] == "GOENV-PATH-004"]
    # Repeatable, and a comma list; ids are read case-insensitively.
    two = _report(home, "--check", "goenv-path-004", "--check", "GOENV-EXPORT-001,GOENV-CRLF-001")
    assert {f["check"] for f in two["findings"]} == {"GOENV-PATH-004", "GOENV-EXPORT-001"}


def test_check_text_report(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\n# again\nexport PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    res = cli("report", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash", "--no-probes",
              "--check", "GOENV-EXPORT-001", "-v")
    assert res.returncode in (0, 1), res.stderr
    assert "GOFLAGS is set but not exported" in res.stdout
    assert "more than once" not in res.stdout  # PATH-004's title: not run
