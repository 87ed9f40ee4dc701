"""The check registry: each check declares its id once, the severities its findings may have and
the tools it is about; a finding takes its id from the check it is emitted in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from goenv_tui.checks import REGISTRY, CheckContext, check_info, tool_of
from goenv_tui.checks.base import TOOLS, UndeclaredSeverity, check, finding, make_finding
from goenv_tui.model import Finding, Severity


def test_every_check_declares_its_severities_and_tools() -> None:
    assert len(REGISTRY) >= 75
    for c in REGISTRY:
        assert c.severities[0] is c.severity, c.id
        assert len(set(c.severities)) == len(c.severities), c.id
        assert set(c.tools) <= set(TOOLS), c.id
        assert c.module.startswith("goenv_tui.checks."), c.id
        assert check_info(c.id) is c
    # The ones about a single tool, as the per-tool summary and the app's links read them.
    assert check_info("GOENV-PROBE-001").tools == ("gopls",)  # type: ignore[union-attr]
    assert check_info("GOENV-PROBE-002").tools == ("dlv",)  # type: ignore[union-attr]
    assert check_info("GOENV-GO-002").tools == ("go",)  # type: ignore[union-attr]


def _fake_check(check_id: str, emitted: Severity, **kw: object) -> object:
    """A check registered outside the registry (removed again by the caller)."""

    def run(ctx: CheckContext) -> Iterator[Finding]:
        """A test check that reports one finding with a given severity."""
        yield finding("key", emitted, "a title", "a detail", data={"tool": "dlv"})

    info = check(check_id, Severity.WARNING, "A test check", **kw)(run)  # type: ignore[arg-type]
    return info


@pytest.fixture
def registry_snapshot() -> Iterator[None]:
    from goenv_tui.checks import base

    before = list(base.REGISTRY), dict(base._BY_ID)
    yield
    base.REGISTRY[:] = before[0]
    base._BY_ID.clear()
    base._BY_ID.update(before[1])


def test_a_finding_takes_the_id_of_its_check(registry_snapshot: None) -> None:
    info = _fake_check("GOENV-TEST-001", Severity.INFO, also=(Severity.INFO,), tools=("gopls", "dlv"))
    [f] = info.findings(None)  # type: ignore[attr-defined, arg-type]
    assert f.check == "GOENV-TEST-001" and f.id.startswith("GOENV-TEST-001@") and f.severity is Severity.INFO
    # Same key, same id (the hash is of the key), as before the id was given once.
    assert f.id == make_finding("GOENV-TEST-001", "key", Severity.INFO, "t", "d").id
    # A check about several tools: the finding names which.
    assert tool_of(f) == "dlv"


def test_an_undeclared_severity_fails_in_strict_mode(registry_snapshot: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    info = _fake_check("GOENV-TEST-002", Severity.ERROR)
    monkeypatch.setenv("GOENV_TUI_STRICT_CHECKS", "1")
    with pytest.raises(UndeclaredSeverity, match="GOENV-TEST-002 reported error, but declares only warning"):
        info.findings(None)  # type: ignore[attr-defined, arg-type]
    # In use the finding is kept as it is: a wrong declaration never hides a problem.
    monkeypatch.delenv("GOENV_TUI_STRICT_CHECKS")
    [f] = info.findings(None)  # type: ignore[attr-defined]
    assert f.severity is Severity.ERROR


def test_finding_outside_a_check_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        finding("key", Severity.INFO, "t", "d")


def test_a_check_id_is_registered_once(registry_snapshot: None) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        _fake_check("GOENV-PATH-001", Severity.WARNING)


def test_demo_home_findings_have_declared_severities(tmp_path) -> None:
    """The bundled demo (what `goenv-tui --demo` shows): every finding's severity is one its
    check declared (the suite checks every other diagnosis it makes through strict mode)."""
    from goenv_tui.demo import build_demo_home
    from goenv_tui.diagnose import diagnose
    from goenv_tui.host import LocalHost
    from goenv_tui.shells.tracer import TraceOptions

    home = build_demo_home(str(tmp_path / "demo"))
    d = diagnose(LocalHost(), TraceOptions(home=home, shells=("bash", "zsh"), login_shell="/bin/bash"))
    assert d.findings
    for f in d.findings:
        info = check_info(f.check)
        assert info is not None, f.check
        assert f.severity in info.severities, (f.id, f.severity)


def test_the_app_and_the_summary_read_the_declared_tool() -> None:
    """No guessing from ids or titles: the resolution link and the per-tool summary follow
    `@check(tools=…, resolution=…)`."""
    from goenv_tui.summary import _about
    from goenv_tui.ui.present import _tool_of

    def made(check_id: str, **data: str) -> Finding:
        return make_finding(check_id, "k", Severity.ERROR, "a title that names no tool", "d", data=data)

    # A check about one tool's resolution: go, whatever its title says.
    assert _tool_of(made("GOENV-GO-002")) == "go" and _about(made("GOENV-GO-002"), "go")
    # About several tools: the one the finding names (a title guess used to find it).
    arch = made("GOENV-TOOLS-004", tool="dlv")
    assert _tool_of(arch) == "dlv" and _about(arch, "dlv") and not _about(arch, "gopls")
    # About go, not about which go runs: in go's summary line, no resolution link.
    crlf = made("GOENV-CRLF-001")
    assert _about(crlf, "go") and _tool_of(crlf) is None
    # A probe failure: its tool's summary line.
    assert _about(made("GOENV-PROBE-002"), "dlv") and _tool_of(made("GOENV-PROBE-002")) is None
    # About no tool at all, and goenv-tui's own findings.
    assert _tool_of(made("GOENV-PATH-004")) is None and not any(_about(made("GOENV-PATH-004"), t) for t in TOOLS)
    assert tool_of(made("GOENV-INTERNAL-002")) is None


def test_a_crashing_check_is_a_finding_in_use_and_fails_the_tests(registry_snapshot: None, home,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """flutter doctor's validators: a check that raises becomes a finding that says so, and the
    other checks' findings are unaffected. In strict mode (the suite) it raises instead."""
    def broken(ctx: CheckContext) -> Iterator[Finding]:
        """A test check that always crashes, to show how a crash is reported."""
        raise ZeroDivisionError("the check's own bug")
        yield  # pragma: no cover  (a generator, like every check)

    check("GOENV-TEST-003", Severity.ERROR, "A crashing test check")(broken)
    home.file(".bashrc", "export PATH=/usr/local/go/bin:$PATH\n# again\nexport PATH=/usr/local/go/bin:$PATH\n")
    with pytest.raises(ZeroDivisionError):
        home.diagnose(shells=("bash",))
    monkeypatch.delenv("GOENV_TUI_STRICT_CHECKS")
    d = home.diagnose(shells=("bash",))
    [crash] = [f for f in d.findings if f.check == "GOENV-INTERNAL-001"]
    assert crash.title == "Check GOENV-TEST-003 crashed" and crash.severity is Severity.WARNING
    assert "ZeroDivisionError" in crash.detail
    assert any(f.check == "GOENV-PATH-004" for f in d.findings)  # the others ran
