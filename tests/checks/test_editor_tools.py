"""VS Code settings that break the tools, checked against the real gopls and real bash traces."""

from __future__ import annotations

import json
import os
from pathlib import Path

from goenv_tui.model import Severity
from tests import gotools
from tests.fixes.test_engine import apply, plan
from tests.homes import Home

GO126 = os.path.dirname(gotools.GO)
SETTINGS = ".config/Code/User/settings.json"


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def home_with(home: Home, settings: dict) -> Home:
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO126}:$HOME/go/bin:$PATH"\n')
    home.file(SETTINGS, json.dumps(settings, indent=2) + "\n")
    return home


def test_language_server_flags_the_real_gopls_rejects(home: Home) -> None:
    home_with(home, {"go.languageServerFlags": ["-rpc.trace", "-mode=stdio", "-gopls.legacyFlag"]})
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-VSCODE-016")
    assert f.severity is Severity.ERROR and "flag provided but not defined: -gopls.legacyFlag" in f.title
    assert [(loc.path, loc.line) for loc in f.locations] == [(home.p(SETTINGS), 2)]
    d, f, planned = plan(home, "GOENV-VSCODE-016", "remove-language-server-flags")
    out = apply(home, d, planned)
    assert out.applied and out.cleared, out.verdict


def test_flags_gopls_accepts_are_fine(home: Home) -> None:
    home_with(home, {"go.languageServerFlags": ["-rpc.trace", "serve", "--debug=localhost:0"]})
    assert fired(home.diagnose(shells=("bash",)), "GOENV-VSCODE-016") == []


def test_go111module_off_in_tools_env_vars_is_a_warning(home: Home, tmp_path: Path) -> None:
    home_with(home, {"go.toolsEnvVars": {"GO111MODULE": "off"}})
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/w\n\ngo 1.21\n")
    d = home.diagnose(shells=("bash",), workspace=str(ws))
    [f] = fired(d, "GOENV-VSCODE-014")
    assert f.severity is Severity.WARNING and "this workspace is a module" in f.detail
    assert not [x for x in fired(d, "GOENV-VSCODE-007") if x.variable == "GO111MODULE"]
    d, f, planned = plan(home, "GOENV-VSCODE-014", "remove-go111module-off", workspace=str(ws))
    out = apply(home, d, planned, workspace=str(ws))
    assert out.applied and out.cleared, out.verdict


def test_terminal_goroot_that_does_not_exist(home: Home) -> None:
    home_with(home, {"terminal.integrated.env.linux": {"GOROOT": "/usr/local/go1.18"}})
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-VSCODE-015")
    assert f.severity is Severity.ERROR and "/usr/local/go1.18" in f.title
    assert [p.id for p in d.plans[f.id]] == ["remove-terminal-goroot"]
