"""The VS Code checks: each fires with the exact settings file:line and stays quiet when the
setting is fine. Facts come from a real traced home; the `go` each context resolves and its
`go env` are made by hand, so these tests do not depend on a Go installation."""

from __future__ import annotations

import json

from goenv_tui.checks import REGISTRY, CheckContext
from goenv_tui.collect import Facts
from goenv_tui.collect.vscode import collect_vscode
from goenv_tui.graph import EnvGraph
from goenv_tui.host import LocalHost
from goenv_tui.model import Candidate, Finding, GoEnv, GoEnvValue, Resolution, Severity, TraceStatus
from goenv_tui.shells.contexts import is_primary
from tests.homes import Home

GUI = "bash-login-interactive"  # `$SHELL -i -l -c` with bash as the login shell
USER_SETTINGS = ".config/Code/User/settings.json"
GO_TOOLS = ("go", "gofmt", "gopls", "dlv")


def go_home(home: Home) -> Home:
    """Go 1.26 on PATH from ~/.profile (login shells only), an old Go 1.19 next to it, gopls in ~/go/bin."""
    for version, full in (("go1.26", "go1.26.1"), ("go1.19", "go1.19.13")):
        home.file(f"sdk/{version}/bin/go", "#!/bin/sh\n", mode=0o755)
        home.file(f"sdk/{version}/VERSION", f"{full}\ntime 2025-01-01T00:00:00Z\n")
    home.file("go/bin/gopls", "#!/bin/sh\n", mode=0o755)
    home.file(".profile", """
        export GOPATH="$HOME/go"
        export GOFLAGS=-mod=mod
        export PATH="$HOME/sdk/go1.26/bin:$HOME/go/bin:$PATH"
        if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
    """)
    home.file(".bashrc", "HISTSIZE=1000\n")
    return home


def context(home: Home, workspace: str | None = None, *, resolved: bool = True, host: bool = True) -> CheckContext:
    """Trace the home, collect VS Code from it, and say the GUI context runs ~/sdk/go1.26/bin/go."""
    local = LocalHost()
    traces = list(home.trace(shells=("bash",), login_shell="/bin/bash").values())
    os_name = local.os_name()
    facts = Facts(home=home.path, workspace=workspace, host_name="test", os_name=os_name, arch=local.arch(),
                  remote=False, login_shell="/bin/bash", contexts=traces)
    facts.primary = {t.id for t in traces if t.status is not TraceStatus.UNAVAILABLE and is_primary(t.spec, os_name, "/bin/bash")}
    for t in traces:
        for d in (t.env.get("PATH") or "").split(":"):
            tools = [name for name in GO_TOOLS if local.stat(f"{d}/{name}").is_file]
            if tools:
                facts.tools_in[d] = tools
    facts.editor = collect_vscode(local, home.path, workspace, os_name)
    if resolved:
        go = home.p("sdk/go1.26/bin/go")
        cand = Candidate(tool="go", path=go, entry=home.p("sdk/go1.26/bin"), index=0, exists=True, executable=True,
                         realpath=go, goroot=home.p("sdk/go1.26"), go_install_version="go1.26.1")
        facts.resolutions[GUI] = {"go": Resolution("go", GUI, cand, (cand,))}
        facts.goenvs[GUI] = GoEnv(GUI, go, values={
            "GOPROXY": GoEnvValue("GOPROXY", "https://proxy.golang.org,direct", "default"),
            "GOPATH": GoEnvValue("GOPATH", home.p("go"), "env"),
        })
    return CheckContext(facts, EnvGraph.build(traces), local if host else None)


def run(ctx: CheckContext, check: str | None = None) -> list[Finding]:
    out = []
    for info in REGISTRY:
        if info.id.startswith("GOENV-VSCODE-") and (check is None or info.id == check):
            out.extend(info.findings(ctx))
    return out


def locs(f: Finding, home: Home) -> list[tuple[str, int | None]]:
    return [(loc.path.replace(home.path, "~"), loc.line) for loc in f.locations]


def settings(home: Home, text: str, rel: str = USER_SETTINGS) -> Home:
    home.file(rel, text)
    return home


# --- quiet when healthy -----------------------------------------------------------------------

def test_healthy_setup_is_quiet(home: Home) -> None:
    go_home(home)
    settings(home, """
        {
          "go.goroot": "~/sdk/go1.26",
          "go.toolsGopath": "~/go",
          "go.alternateTools": {"go": "${env:HOME}/sdk/go1.26/bin/go", "dlv": "dlv-dap"},
          "go.toolsEnvVars": {"GOFLAGS": "-mod=mod", "GOPATH": "~/go", "CGO_ENABLED": "0"},
          "go.useLanguageServer": true,
          "terminal.integrated.env.linux": {"PATH": "${env:HOME}/bin:${env:PATH}", "GOPATH": "${env:HOME}/go"},
          "terminal.integrated.env.osx": {"PATH": "/usr/bin"},
        }
    """)
    home.dir(".vscode/extensions/golang.go-0.46.1")
    found = [(f.check, f.title) for f in run(context(home)) if f.severity is not Severity.INFO]
    # the ${env:PATH} terminal PATH is an info note, nothing more
    assert found == []
    assert [f.check for f in run(context(home))] == ["GOENV-VSCODE-010"]


def test_nothing_to_compare_against_stays_quiet(home: Home) -> None:
    """No host, no resolved go, no go env: the checks that need them say nothing, and none crash."""
    go_home(home)
    settings(home, """
        {
          "go.goroot": "~/sdk/nowhere",
          "go.toolsGopath": "~/tools",
          "go.alternateTools": {"go": "~/sdk/go1.19/bin/go", "gopls": "/opt/nowhere/gopls"},
        }
    """)
    assert run(context(home, resolved=False, host=False)) == []
    assert {f.check for f in run(context(home, resolved=False))} == {"GOENV-VSCODE-001", "GOENV-VSCODE-004", "GOENV-VSCODE-005"}


# --- one test per check -----------------------------------------------------------------------

def test_goroot_missing_or_not_a_go(home: Home) -> None:
    go_home(home)
    settings(home, """
        {
          // old Go, since removed
          "go.goroot": "~/sdk/go1.10",
        }
    """)
    settings(home, '{"go.goroot": "~/go"}\n', "proj/.vscode/settings.json")
    found = run(context(home, home.p("proj")), "GOENV-VSCODE-001")
    assert [(f.severity, f.title.replace(home.path, "~"), locs(f, home)) for f in found] == [
        (Severity.ERROR, "go.goroot points to ~/sdk/go1.10, which does not exist", [("~/" + USER_SETTINGS, 3)]),
        (Severity.ERROR, "go.goroot points to ~/go, which has no bin/go", [("~/proj/.vscode/settings.json", 1)]),
    ]
    assert found[0].chain == ("~/.config/Code/User/settings.json:3 go.goroot=~/sdk/go1.10 → ~/sdk/go1.10: does not exist",)


def test_goroot_other_go_version(home: Home) -> None:
    go_home(home)
    settings(home, """
        {
          "editor.tabSize": 4,
          "go.goroot": "${env:HOME}/sdk/go1.19",
        }
    """)
    [f] = run(context(home), "GOENV-VSCODE-002")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/" + USER_SETTINGS, 3)]
    assert "go1.19.13" in f.title and "go1.26.1" in f.title
    assert f.chain == ("~/.config/Code/User/settings.json:3 go.goroot=${env:HOME}/sdk/go1.19 → go there is go1.19.13 "
                       f"but your shell runs go1.26.1 ({GUI}: ~/sdk/go1.26/bin/go)",)
    assert f.contexts == (GUI,)


def test_gopath_setting(home: Home) -> None:
    go_home(home)
    settings(home, '{\n  "go.gopath": "~/gopath-old"\n}\n')
    settings(home, '{"go.gopath": "${env:HOME}/go"}\n', ".config/Code - Insiders/User/settings.json")
    found = {f.severity: f for f in run(context(home), "GOENV-VSCODE-003")}
    assert locs(found[Severity.WARNING], home) == [("~/" + USER_SETTINGS, 2)]
    assert "(your shell uses ~/go)" in found[Severity.WARNING].title
    assert locs(found[Severity.INFO], home) == [("~/.config/Code - Insiders/User/settings.json", 1)]


def test_tools_gopath_without_bin(home: Home) -> None:
    go_home(home).dir("tools")
    settings(home, '{\n  "go.toolsGopath": "~/tools",\n}\n')
    [f] = run(context(home), "GOENV-VSCODE-004")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/" + USER_SETTINGS, 2)]
    assert "~/tools/bin does not exist" in f.title


def test_alternate_tool_missing(home: Home) -> None:
    go_home(home)
    home.file("bin/dlv-not-exec", "#!/bin/sh\n", mode=0o644)
    settings(home, """
        {
          "go.alternateTools": {
            "gopls": "/opt/nowhere/gopls",
            "dlv": "~/bin/dlv-not-exec",
            "go": "go1.22.0",
            "staticcheck": "~/go/bin/gopls",
          },
        }
    """)
    found = {f.title.replace(home.path, "~"): locs(f, home) for f in run(context(home), "GOENV-VSCODE-005")}
    assert found == {
        "go.alternateTools.gopls points to /opt/nowhere/gopls, which does not exist": [("~/" + USER_SETTINGS, 3)],
        "go.alternateTools.dlv points to ~/bin/dlv-not-exec, which is not an executable file": [("~/" + USER_SETTINGS, 4)],
    }


def test_alternate_go_other_version(home: Home) -> None:
    go_home(home)
    home.symlink("bin/go-old", home.p("sdk/go1.19/bin/go"))
    settings(home, """
        {
          "go.alternateTools": {
            "go": "~/bin/go-old",
          },
        }
    """)
    [f] = run(context(home), "GOENV-VSCODE-006")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/" + USER_SETTINGS, 3)]
    assert f.title == "VS Code runs go1.19.13 (go.alternateTools.go) but your shell runs go1.26.1"


def test_tools_env_vars_differ(home: Home) -> None:
    go_home(home)
    settings(home, """
        {
          "go.toolsEnvVars": {
            "GOFLAGS": "-tags=integration",
            "GOPROXY": "direct",
            "GOPRIVATE": "example.com/*",
            "GOPATH": "~/go",
          }
        }
    """)
    found = {f.variable: f for f in run(context(home), "GOENV-VSCODE-007")}
    assert sorted(found) == ["GOFLAGS", "GOPRIVATE", "GOPROXY"]
    assert found["GOFLAGS"].severity is Severity.WARNING and locs(found["GOFLAGS"], home) == [("~/" + USER_SETTINGS, 3)]
    assert found["GOFLAGS"].chain == ("~/.config/Code/User/settings.json:3 go.toolsEnvVars.GOFLAGS=-tags=integration "
                                      f"→ wins for tools VS Code starts; {GUI}: GOFLAGS=-mod=mod",)
    # GOPROXY comes from `go env` (Go's default), not from the environment
    assert found["GOPROXY"].severity is Severity.WARNING and locs(found["GOPROXY"], home) == [("~/" + USER_SETTINGS, 4)]
    assert found["GOPRIVATE"].severity is Severity.INFO and "does not set GOPRIVATE" in found["GOPRIVATE"].title


def test_tools_env_mod_vendor(home: Home) -> None:
    go_home(home)
    settings(home, '{\n  "go.toolsEnvVars": {\n    "GOFLAGS": "-tags=x -mod=vendor"\n  }\n}\n')
    [f] = run(context(home), "GOENV-VSCODE-008")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/" + USER_SETTINGS, 3)]
    settings(home, '{"go.toolsEnvVars": {"GOFLAGS": "-mod=vendorish"}}')
    assert run(context(home), "GOENV-VSCODE-008") == []


def test_language_server_off(home: Home) -> None:
    go_home(home)
    settings(home, '{\n  // legacy mode\n  "go.useLanguageServer": false\n}\n', "proj/.vscode/settings.json")
    [f] = run(context(home, home.p("proj")), "GOENV-VSCODE-009")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/proj/.vscode/settings.json", 3)]
    assert f.chain == ("~/proj/.vscode/settings.json:3 go.useLanguageServer=false → gopls is not started",)


def test_terminal_env(home: Home) -> None:
    go_home(home)
    os_key = {"darwin": "osx"}.get(LocalHost().os_name(), "linux")
    settings(home, json.dumps({f"terminal.integrated.env.{os_key}": {
        "PATH": "/usr/bin:/bin", "GOROOT": "~/sdk/go1.19", "GOPATH": "${env:GOPATH}"}}, indent=2) + "\n")
    found = {f.variable: f for f in run(context(home), "GOENV-VSCODE-010")}
    assert sorted(found) == ["GOROOT", "PATH"]  # GOPATH equals the shell's
    path = found["PATH"]
    assert path.severity is Severity.WARNING and locs(path, home) == [("~/" + USER_SETTINGS, 3)]
    assert path.title == "VS Code's terminal drops ~/sdk/go1.26/bin, ~/go/bin (holding go/gopls) from PATH"
    assert found["GOROOT"].severity is Severity.INFO and locs(found["GOROOT"], home) == [("~/" + USER_SETTINGS, 4)]


def test_terminal_path_kept_when_startup_files_add_it_back(home: Home) -> None:
    go_home(home)
    # ~/.bashrc (read by VS Code's terminal on Linux) puts the Go directories back itself
    home.file(".bashrc", 'export PATH="$HOME/sdk/go1.26/bin:$HOME/go/bin:$PATH"\n')
    if LocalHost().os_name() != "linux":
        return
    settings(home, '{"terminal.integrated.env.linux": {"PATH": "/usr/bin:/bin"}}')
    [f] = run(context(home), "GOENV-VSCODE-010")
    assert f.severity is Severity.INFO


def test_old_extension_next_to_new(home: Home) -> None:
    home.dir(".vscode/extensions/golang.go-0.46.1")
    home.file(".vscode/extensions/ms-vscode.go-0.14.4/package.json",
              json.dumps({"publisher": "ms-vscode", "name": "Go", "version": "0.14.4"}))
    home.dir(".vscode-server/extensions/ms-vscode.go-0.14.4")
    ctx = context(home, resolved=False)
    [both] = run(ctx, "GOENV-VSCODE-011")
    assert locs(both, home) == [("~/.vscode/extensions/ms-vscode.go-0.14.4", None)]
    [alone] = run(ctx, "GOENV-VSCODE-012")
    assert locs(alone, home) == [("~/.vscode-server/extensions/ms-vscode.go-0.14.4", None)]
    assert {f.severity for f in (both, alone)} == {Severity.WARNING}


def test_unparsable_settings(home: Home) -> None:
    settings(home, """
        {
          "go.goroot": "/usr/local/go",
          "go.useLanguageServer": false
          "go.gopath": "~/go"
        }
    """)
    [f] = run(context(home, resolved=False), "GOENV-VSCODE-013")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/" + USER_SETTINGS, 4)]
    assert f.chain[0].startswith("~/.config/Code/User/settings.json:4 expected `,` or `}`")
    # nothing from a broken file is taken as a setting
    assert run(context(home, resolved=False), "GOENV-VSCODE-009") == []


def test_pipeline_reads_vscode_settings(home: Home) -> None:
    """diagnose() collects VS Code settings and runs these checks."""
    settings(home, '{\n  "go.useLanguageServer": false,\n}\n')
    d = home.diagnose(shells=("bash",))
    [f] = [f for f in d.findings if f.check == "GOENV-VSCODE-009"]
    assert locs(f, home) == [("~/" + USER_SETTINGS, 2)]
