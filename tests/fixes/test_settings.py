"""VS Code settings fixes on fixture homes with real bash traces: each finding fires, its fix edits
exactly the one setting, the fresh diagnosis no longer has the finding, the file still parses with
every comment line kept byte for byte, and undo restores the original bytes."""

from __future__ import annotations

from pathlib import Path

from goenv_tui.checks import check_info
from goenv_tui.diagnose import Diagnosis, diagnose, plan_for
from goenv_tui.fixes.engine import apply_fix, undo
from goenv_tui.fixes.plan import PlannedFix, unified_diff
from goenv_tui.host import LocalHost
from goenv_tui.jsonc.parse import parse
from goenv_tui.model import Finding
from goenv_tui.shells.tracer import TraceOptions
from tests.homes import Home

USER_SETTINGS = ".config/Code/User/settings.json"
TODAY = "2026-01-01"


def go_home(home: Home) -> Home:
    """go on PATH from ~/.bashrc (sourced by ~/.profile, so VS Code's `bash -i -l -c` gets it too),
    and an old Go 1.19 installation under ~/sdk that the shell does not use."""
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    from tests import gotools

    home.file(".bashrc", 'export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"\n')
    # The editor's tools installed, so that a fix that removes a setting reveals nothing missing.
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file("sdk/go1.19/bin/go", "#!/bin/sh\n", mode=0o755)
    home.file("sdk/go1.19/VERSION", "go1.19.13\ntime 2023-08-01T00:00:00Z\n")
    return home


def opts(home: Home) -> TraceOptions:
    return TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash")


def run(home: Home, workspace: str | None = None) -> Diagnosis:
    return diagnose(LocalHost(), opts(home), workspace, today=TODAY)


def planned_for(d: Diagnosis, check: str, variable: str | None = None) -> tuple[Finding, PlannedFix]:
    found = [f for f in d.findings if f.check == check and (variable is None or f.variable == variable)]
    assert len(found) == 1, [(f.check, f.title) for f in d.findings]
    [p] = d.plans.get(found[0].id, [])
    return found[0], p


def comment_lines(text: str) -> list[str]:
    """Every line that holds a comment, with its line ending."""
    return [line for line in text.splitlines(keepends=True) if "//" in line or "/*" in line or "*/" in line]


def roundtrip(home: Home, check: str, fix_id: str, expected: str, *, rel: str = USER_SETTINGS,
              variable: str | None = None, workspace: str | None = None, safe: bool = True,
              edited: tuple[str, ...] = ()) -> None:
    """Plan → apply → verified by a fresh diagnosis → the file is `expected` → undo restores bytes.
    `edited`: the comment lines of the setting itself (removed with it, or changed in place, as
    `expected` shows); every other comment line stays byte for byte."""
    path = home.p(rel)
    original = Path(path).read_bytes()
    d = run(home, workspace)
    f, p = planned_for(d, check, variable)
    assert (p.id, p.fix.kind, p.safe, p.check, p.finding_id) == (fix_id, "setting", safe, check, f.id)
    assert p.fix.verifies == check and p.fix.needs_confirmation
    [edit] = p.edits
    assert edit.path == path and edit.before == original.decode() and edit.after == expected
    assert p.fix.preview == unified_diff(p.edits, home.path)  # the exact diff
    assert any(x.id == fix_id for x in next(x for x in d.findings if x.id == f.id).fixes)

    out = apply_fix(LocalHost(), opts(home), workspace, d, p)
    assert out.applied and out.cleared, out.verdict
    assert "verified" in out.verdict and out.entry is not None
    assert out.after is not None and all(x.id != f.id and x.check != check for x in out.after.findings)
    assert out.new == []
    after = Path(path).read_bytes()
    assert after == expected.encode()
    assert isinstance(parse(after.decode()), dict)
    assert set(edited) <= set(comment_lines(original.decode()))
    kept = [line for line in comment_lines(original.decode()) if line not in edited]
    assert kept and all(line.encode() in after.splitlines(keepends=True) for line in kept)

    # nothing left to do: the finding is gone, so is its plan
    again = run(home, workspace)
    assert all(x.check != check for x in again.findings)

    undone = undo(LocalHost(), home.path, out.entry.id)
    assert undone.state == "undone"
    assert Path(path).read_bytes() == original


# --- one test per builder -------------------------------------------------------------------------

def test_builders_are_registered() -> None:
    """Each settings fix sits in its check's module (a check and its fixes in one place)."""
    for check in ("GOENV-VSCODE-001", "GOENV-VSCODE-002", "GOENV-VSCODE-005", "GOENV-VSCODE-007",
                  "GOENV-VSCODE-008", "GOENV-VSCODE-009", "GOENV-VSCODE-014", "GOENV-VSCODE-015",
                  "GOENV-VSCODE-016"):
        info = check_info(check)
        assert info is not None and info.fixes, check
        assert all(b.__module__ == info.module for b in info.fixes), check


def test_remove_a_goroot_that_does_not_exist(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        // user settings
        {
          /* old Go, since removed
             from this machine */
          "go.goroot": "~/sdk/go1.10", // pinned in 2019
          "editor.tabSize": 2
        }
    """)
    roundtrip(home, "GOENV-VSCODE-001", "remove-go-goroot", """\
// user settings
{
  /* old Go, since removed
     from this machine */
  "editor.tabSize": 2
}
""", edited=('  "go.goroot": "~/sdk/go1.10", // pinned in 2019\n',))


def test_remove_a_goroot_of_another_go_version(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        {
          "editor.tabSize": 4,
          // the Go for this editor
          "go.goroot": "${env:HOME}/sdk/go1.19"
        }
    """)
    roundtrip(home, "GOENV-VSCODE-002", "remove-go-goroot", """\
{
  "editor.tabSize": 4
  // the Go for this editor
}
""")


def test_remove_a_goroot_from_workspace_settings_with_crlf(home: Home) -> None:
    go_home(home)
    home.raw("proj/.vscode/settings.json",
             b'{\r\n\t// team settings\r\n\t"go.goroot": "/opt/nowhere/go",\r\n\t"go.lintTool": "staticcheck",\r\n}\r\n')
    roundtrip(home, "GOENV-VSCODE-001", "remove-go-goroot",
              '{\r\n\t// team settings\r\n\t"go.lintTool": "staticcheck",\r\n}\r\n',
              rel="proj/.vscode/settings.json", workspace=home.p("proj"))


def test_remove_a_missing_alternate_tool(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        {
          "go.alternateTools": {
            // built from source
            "gopls": "/opt/nowhere/gopls", /* gone since the reinstall */
            "dlv": "dlv-dap",
          },
        }
    """)
    roundtrip(home, "GOENV-VSCODE-005", "remove-alternate-tool", """\
{
  "go.alternateTools": {
    // built from source
    "dlv": "dlv-dap",
  },
}
""", edited=('    "gopls": "/opt/nowhere/gopls", /* gone since the reinstall */\n',))


def test_alternate_tool_on_a_shared_line_removes_the_one_named(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, '{\n  // tools\n  "go.alternateTools": {"go": "go", "gopls": "/opt/nowhere/gopls"}\n}\n')
    roundtrip(home, "GOENV-VSCODE-005", "remove-alternate-tool",
              '{\n  // tools\n  "go.alternateTools": {"go": "go"}\n}\n')


def test_drop_mod_vendor_keeps_the_other_flags(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        {
          "go.toolsEnvVars": {
            /* for gopls and tests */
            "GOFLAGS": "-tags=integration -mod=vendor", // vendored once
            "CGO_ENABLED": "0"
          }
        }
    """)
    roundtrip(home, "GOENV-VSCODE-008", "drop-mod-vendor", """\
{
  "go.toolsEnvVars": {
    /* for gopls and tests */
    "GOFLAGS": "-tags=integration", // vendored once
    "CGO_ENABLED": "0"
  }
}
""", edited=('    "GOFLAGS": "-tags=integration -mod=vendor", // vendored once\n',))


def test_drop_mod_vendor_removes_goflags_when_nothing_remains(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        {
          // tools
          "go.toolsEnvVars": {
            "CGO_ENABLED": "0",
            "GOFLAGS": "-mod=vendor"
          },
          "go.lintTool": "staticcheck" /* fast */
        }
    """)
    roundtrip(home, "GOENV-VSCODE-008", "drop-mod-vendor", """\
{
  // tools
  "go.toolsEnvVars": {
    "CGO_ENABLED": "0"
  },
  "go.lintTool": "staticcheck" /* fast */
}
""")


def test_turn_the_language_server_back_on(home: Home) -> None:
    go_home(home).file("proj/.vscode/settings.json", """
        {
          // legacy mode
          "go.useLanguageServer": false, /* gopls was slow */
        }
    """)
    roundtrip(home, "GOENV-VSCODE-009", "enable-language-server", """\
{
  // legacy mode
  "go.useLanguageServer": true, /* gopls was slow */
}
""", rel="proj/.vscode/settings.json", workspace=home.p("proj"),
              edited=('  "go.useLanguageServer": false, /* gopls was slow */\n',))


def test_remove_a_tools_env_var_that_differs_is_offered_not_safe(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, """
        {
          "go.toolsEnvVars": {
            "GOPROXY": "direct", // no proxy for the editor
            /* keep CGO off */
            "CGO_ENABLED": "0",
          },
        }
    """)
    roundtrip(home, "GOENV-VSCODE-007", "remove-tools-env-var", """\
{
  "go.toolsEnvVars": {
    /* keep CGO off */
    "CGO_ENABLED": "0",
  },
}
""", variable="GOPROXY", safe=False, edited=('    "GOPROXY": "direct", // no proxy for the editor\n',))


# --- planning refuses to guess --------------------------------------------------------------------

def test_nothing_planned_when_the_file_changed_since_the_diagnosis(home: Home) -> None:
    go_home(home).file(USER_SETTINGS, '{\n  "go.useLanguageServer": false\n}\n')
    d = run(home)
    f, _ = planned_for(d, "GOENV-VSCODE-009")
    # another window inserts a line above: the key is no longer at the finding's line
    home.file(USER_SETTINGS, '{\n  "editor.tabSize": 2,\n  "go.useLanguageServer": false\n}\n')
    assert f.id not in plan_for(d, LocalHost(), TODAY)
    # and a file that no longer parses gets no plan either
    home.file(USER_SETTINGS, '{\n  "go.useLanguageServer": false\n  "oops": 1\n}\n')
    assert f.id not in plan_for(d, LocalHost(), TODAY)


def test_nothing_planned_for_a_file_that_is_not_utf8(home: Home) -> None:
    go_home(home).raw(USER_SETTINGS, b'{\n  // caf\xe9\n  "go.useLanguageServer": false\n}\n')
    d = run(home)
    [f] = [f for f in d.findings if f.check == "GOENV-VSCODE-009"]
    assert f.id not in d.plans
