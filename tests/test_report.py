"""`goenv-tui report`: the JSON validates against the contract, the text reads like a doctor,
exit codes are 0/1/2, bad input gets one clear line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from goenv_tui.display import severity_count
from goenv_tui.model import Severity
from goenv_tui.report import to_json
from tests.checks.test_checks import healthy
from tests.homes import Home

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "goenv_tui" / "contracts" / "report.schema.json"
SHARED = ROOT.parent / "shared" / "contracts" / "report.schema.json"


def cli(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "goenv_tui", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def validate(doc: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


# Strings the shared contract's patterns accept that an extension must still accept.
PATTERN_SAMPLES = [f"{s}-{a}-{b}" for s in ("bash", "zsh", "fish") for a in ("login", "nologin")
                   for b in ("interactive", "noninteractive")] + ["bash-sshd-command"]


def extension_problems(shared: object, vendored: object, where: str = "$") -> list[str]:
    """Why `vendored` is not a compatible extension of `shared` (empty: it is): nothing removed
    or renamed, nothing newly required, enums and patterns accept at least what they did."""
    import re

    if isinstance(shared, dict) and isinstance(vendored, dict):
        out = [f"{where}.{k} removed" for k in shared if k not in vendored]
        for k in shared:
            if k not in vendored:
                continue
            a, b = shared[k], vendored[k]
            if k == "required":  # consumers rely on what is required, producers on what is not
                out += [f"{where}.required gained {n}" for n in b if n not in a]
                out += [f"{where}.required lost {n}" for n in a if n not in b]
            elif k == "enum":
                out += [f"{where}.enum lost {v!r}" for v in a if v not in b]
            elif k == "pattern" and a != b:
                out += [f"{where}.pattern no longer accepts {x!r}" for x in PATTERN_SAMPLES
                        if re.search(a, x) and not re.search(b, x)]
            else:
                out += extension_problems(a, b, f"{where}.{k}")
        return out
    if isinstance(shared, list) and isinstance(vendored, list) and len(shared) == len(vendored):
        return [p for i, (a, b) in enumerate(zip(shared, vendored, strict=True))
                for p in extension_problems(a, b, f"{where}[{i}]")]
    return [] if shared == vendored else [f"{where} changed: {shared!r} -> {vendored!r}"]


def test_vendored_schema_matches_the_shared_contract() -> None:
    vendored = json.loads(SCHEMA.read_text())
    if SHARED.exists():  # present in the workspace; CI clones only this repo
        assert extension_problems(json.loads(SHARED.read_text()), vendored) == []
    assert vendored["$id"] == "goenv-tui/report/v1"


def test_the_extension_check_catches_breaking_changes() -> None:
    shared = {"required": ["a"], "properties": {"a": {"type": "string", "pattern": "^bash-sshd-command$"},
                                                "b": {"enum": ["x", "y"]}}}
    assert extension_problems(shared, shared) == []
    wider = {"required": ["a"], "properties": {"a": {"type": "string", "pattern": "^(bash|zsh)-sshd-command$"},
                                               "b": {"enum": ["x", "y", "z"]}, "c": {"type": "string"}}}
    assert extension_problems(shared, wider) == []
    assert extension_problems(shared, {"required": ["a", "c"], "properties": {"a": {"type": "integer"}}}) == [
        "$.required gained c", "$.properties.b removed", "$.properties.a.pattern removed",
        "$.properties.a.type changed: 'string' -> 'integer'"]
    assert extension_problems(shared, {**shared, "properties": {**shared["properties"],
                                                                "a": {"type": "string", "pattern": "^zsh-x$"}}}) == [
        "$.properties.a.pattern no longer accepts 'bash-sshd-command'"]


def test_json_report_validates_and_carries_the_trace(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "# sdk\nexport GOROOT=/nowhere/go\n")
    res = cli("report", "--json", "--no-probes", "--home", home.path, "--login-shell", "/bin/zsh")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    validate(doc)
    ctx = {c["id"]: c for c in doc["contexts"]}
    assert set(ctx) == {"bash-login-interactive", "bash-login-noninteractive", "bash-nologin-interactive",
                        "bash-nologin-noninteractive", "bash-sshd-command", "zsh-login-interactive",
                        "zsh-login-noninteractive", "zsh-nologin-interactive", "zsh-nologin-noninteractive",
                        "zsh-sshd-command"}
    assert ctx["zsh-login-interactive"]["env"]["GOROOT"] == "/nowhere/go"
    assert any("VS Code" in u for u in ctx["zsh-login-interactive"]["used_by"])
    var = [v for v in doc["variables"] if v["name"] == "GOROOT" and v["context"] == "zsh-login-interactive"][0]
    assert [(a["path"], a["line"], a["op"], a["overridden_by"]) for a in var["assignments"]] == [
        (home.p(".zprofile"), 1, "export", 1), (home.p(".zshrc"), 2, "export", None)]
    checks = {f["check"] for f in doc["findings"]}
    assert {"GOENV-GODIR-001", "GOENV-OVERRIDE-001"} <= checks


def test_json_of_every_fixture_validates(home: Home) -> None:
    healthy(home)
    validate(to_json(home.diagnose()))


def test_healthy_home_exits_zero_and_says_so(home: Home) -> None:
    healthy(home)
    res = cli("report", "--text", "--no-probes", "--home", home.path, "--login-shell", "/bin/bash")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 errors, 0 warnings" in res.stdout


def test_text_report_groups_by_severity_with_evidence(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "# sdk\nexport GOROOT=/nowhere/go\n")
    res = cli("report", "--no-probes", "--home", home.path, "--login-shell", "/bin/zsh")
    out = res.stdout
    assert res.returncode == 1
    import re

    errors, warnings = re.search(r"^✗ \d+ errors?$", out, re.M), re.search(r"^! \d+ warnings?$", out, re.M)
    assert errors and warnings and errors.start() < warnings.start()
    assert "~/.zprofile:1 export GOROOT=/usr/local/go → overridden at ~/.zshrc:2 export GOROOT=/nowhere/go" in out
    assert "\x1b[" not in out  # NO_COLOR / not a tty
    n_errors, n_warnings = (int(m.group().split()[1]) for m in (errors, warnings))
    summary = re.search(r"^(\d+ errors?), (\d+ warnings?), (\d+ notes?)\.", out, re.M)
    assert summary and summary.group(1, 2) == (severity_count(Severity.ERROR, n_errors),
                                               severity_count(Severity.WARNING, n_warnings))
    verbose = cli("report", "-v", "--no-probes", "--home", home.path, "--login-shell", "/bin/zsh").stdout
    assert len(verbose) > len(out) and "reads: /etc/zsh/zshenv" in verbose


@pytest.mark.parametrize("args,message", [
    (["report", "--home", "/nonexistent/home"], "not a directory"),
    (["report", "--shell", "tcsh"], "unknown shell tcsh"),
    (["report", "--json", "--text"], "not allowed with"),
    (["report", "--timeout", "0"], "greater than 0"),
    (["report", "--demo", "--home", "/tmp"], "cannot be used together"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    res = cli(*args)
    assert res.returncode == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_demo_shows_problems_without_any_go_setup() -> None:
    res = cli("report", "--demo", "--no-probes")
    assert res.returncode == 1
    for expected in ("GOROOT points to /usr/local/go1.19, which does not exist",
                     "~/.profile sets GOROOT, PATH but no context reads it",
                     "PATH set after the early return at ~/.bashrc:10 never reaches bash-sshd-command"):
        assert expected in res.stdout
    # The same ids every run, though each demo home is a new temporary folder.
    again = cli("report", "--demo", "--no-probes")
    assert re.findall(r"GOENV-[A-Z0-9-]+@[0-9a-f]{6}", again.stdout) == re.findall(r"GOENV-[A-Z0-9-]+@[0-9a-f]{6}", res.stdout)


def test_severity_counts_agree_in_number() -> None:
    assert severity_count(Severity.INFO, 1) == "1 note"
    assert severity_count(Severity.ERROR, 0) == "0 errors"
    assert severity_count(Severity.WARNING, 2) == "2 warnings"


def test_workspace_defaults_to_the_module_or_go_work_around_the_cwd(home: Home, tmp_path: Path) -> None:
    healthy(home)
    (tmp_path / "ws" / "a" / "cmd").mkdir(parents=True)
    (tmp_path / "ws" / "a" / "go.mod").write_text("module example.com/a\n\ngo 1.21\n")
    (tmp_path / "plain").mkdir()
    args = ("report", "--json", "--no-probes", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash")

    def workspace(cwd: Path):
        return json.loads(cli(*args, cwd=str(cwd)).stdout)["host"]["workspace"]

    assert workspace(tmp_path / "ws" / "a" / "cmd") == str(tmp_path / "ws" / "a")  # the module
    (tmp_path / "ws" / "go.work").write_text("go 1.21\n\nuse ./a\n")
    assert workspace(tmp_path / "ws" / "a" / "cmd") == str(tmp_path / "ws")  # the Go workspace above it
    assert workspace(tmp_path / "plain") is None  # not in a Go project: no workspace checks
    assert json.loads(cli(*args, "--workspace", str(tmp_path / "plain")).stdout)["host"]["workspace"] == str(tmp_path / "plain")
