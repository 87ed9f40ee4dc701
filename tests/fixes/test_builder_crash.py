"""A fix builder that crashes is reported like a check that crashes: a finding names the builder
and what it raised, the finding it was planning for stays (with the fixes of the check's other
builders), and nothing else changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from goenv_tui.checks import check_info
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.model import Finding, Severity
from tests.homes import Home

GO_DIR = "/usr/local/go/bin"


def _broken(fc: FixContext, f: Finding) -> list[PlannedFix]:
    raise KeyError("no such context")


@pytest.fixture
def broken_builder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # As in use: the suite's strict mode would raise the crash instead (tested below).
    monkeypatch.delenv("GOENV_TUI_STRICT_CHECKS")
    info = check_info("GOENV-PATH-004")
    assert info is not None
    info.fixes.insert(0, _broken)
    try:
        yield
    finally:
        info.fixes.remove(_broken)


def _duplicate_path(home: Home) -> Home:
    return home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\n# again\nexport PATH={GO_DIR}:$PATH\n")


def test_a_crashing_builder_is_a_finding_not_silence(home: Home, broken_builder: None) -> None:
    d = _duplicate_path(home).diagnose(shells=("bash",))
    [dup] = [f for f in d.findings if f.check == "GOENV-PATH-004"]
    [crash] = [f for f in d.findings if f.check == "GOENV-INTERNAL-002"]
    assert crash.severity is Severity.WARNING
    assert crash.title == "Fix builder _broken of GOENV-PATH-004 crashed"
    assert "KeyError('no such context')" in crash.detail and dup.id in crash.detail
    assert crash.data == {"check": "GOENV-PATH-004", "finding": dup.id,
                          "builder": "tests.fixes.test_builder_crash._broken"}
    # The check's other builder still planned its fix, and the finding keeps it.
    assert [p.fix.id for p in d.plans[dup.id]] == ["remove-duplicate"]
    assert [x.id for x in dup.fixes] == ["remove-duplicate"]
    # Shown where findings are shown: in the sorted list and in the graph.
    assert d.findings == sorted(d.findings, key=lambda f: (f.severity.rank, f.check, f.id))
    assert f"finding:{crash.id}" in d.graph.g


def test_in_strict_mode_a_crashing_builder_fails(home: Home, broken_builder: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOENV_TUI_STRICT_CHECKS", "1")
    with pytest.raises(KeyError, match="no such context"):
        _duplicate_path(home).diagnose(shells=("bash",))


def test_without_a_crash_there_is_no_internal_finding(home: Home) -> None:
    d = _duplicate_path(home).diagnose(shells=("bash",))
    assert [f for f in d.findings if f.check.startswith("GOENV-INTERNAL")] == []
    [dup] = [f for f in d.findings if f.check == "GOENV-PATH-004"]
    assert [p.fix.id for p in d.plans[dup.id]] == ["remove-duplicate"]


def test_the_report_shows_the_crashed_builder(home: Home, tmp_path) -> None:
    """Through the real `goenv-tui report --json` (a builder made to crash by a small wrapper that
    registers it before the CLI runs)."""
    _duplicate_path(home)
    runner = tmp_path / "run.py"
    runner.write_text(
        "import sys\n"
        "from goenv_tui.checks import check_info\n"
        "def exploding(fc, f):\n"
        "    raise RuntimeError('boom')\n"
        "check_info('GOENV-PATH-004').fixes.insert(0, exploding)\n"
        "from goenv_tui.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    env = {k: v for k, v in os.environ.items() if k != "GOENV_TUI_STRICT_CHECKS"}
    out = subprocess.run([sys.executable, str(runner), "report", "--json", "--home", home.path, "--shell", "bash"],
                         capture_output=True, text=True, timeout=300, env=env)
    report = json.loads(out.stdout)
    [crash] = [f for f in report["findings"] if f["check"] == "GOENV-INTERNAL-002"]
    assert crash["title"] == "Fix builder exploding of GOENV-PATH-004 crashed"
    assert "RuntimeError('boom')" in crash["detail"]
    [dup] = [f for f in report["findings"] if f["check"] == "GOENV-PATH-004"]
    assert [x["id"] for x in dup["fixes"]] == ["remove-duplicate"]
