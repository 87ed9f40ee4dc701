"""VS Code collection: settings files in every scope with the line of each setting, broken files,
installed extensions, and the Go extension's path expansion."""

from __future__ import annotations

import json

from goenv_tui.collect.vscode import collect_vscode, error_line, expand, parse_folder_name
from goenv_tui.host import LocalHost
from goenv_tui.model import EditorFacts, Setting
from tests.homes import Home


def by_key(facts: EditorFacts, scope: str) -> dict[str, Setting]:
    return {s.key: s for s in facts.settings if s.scope == scope}


def test_settings_in_every_scope_with_lines(home: Home) -> None:
    home.file(".config/Code/User/settings.json", """
        // my settings
        {
          "editor.fontSize": 14,
          /* Go */
          "go.goroot": "${env:HOME}/sdk/go1.19",
          "go.toolsEnvVars": {
            "GOFLAGS": "-mod=vendor", // for the monorepo
            "GOPRIVATE": "example.com/*",
          },
          "go.alternateTools": {"go": "~/sdk/go1.19/bin/go", "gopls": "gopls-nightly"},
          "go.useLanguageServer": false,
          "terminal.integrated.env.linux": {
            "PATH": "/usr/bin:/bin",
          },
          "gopls": {"build.buildFlags": ["-tags=integration"]},
        }
    """)
    home.file(".config/Code - Insiders/User/settings.json", '{"go.gopath": "~/gopath"}\n')
    home.file(".config/VSCodium/User/settings.json", '{\n\n  "go.toolsGopath": "~/tools",\n}\n')
    home.file(".vscode-server/data/Machine/settings.json", '{\n  "go.inferGopath": true\n}\n')
    home.file(".vscode-server-insiders/data/Machine/settings.json", '{"go.toolsManagement.go": "/opt/go/bin/go"}\n')
    home.file("src/app/.vscode/settings.json", '{\n  // workspace\n  "terminal.integrated.inheritEnv": false\n}\n')
    facts = collect_vscode(LocalHost(), home.path, home.p("src/app"), "linux")

    assert [(f.path.replace(home.path, "~"), f.scope, f.error) for f in facts.files] == [
        ("~/.config/Code/User/settings.json", "user", None),
        ("~/.config/Code - Insiders/User/settings.json", "user-insiders", None),
        ("~/.config/VSCodium/User/settings.json", "vscodium", None),
        ("~/.vscode-server/data/Machine/settings.json", "remote-machine", None),
        ("~/.vscode-server-insiders/data/Machine/settings.json", "remote-machine", None),
        ("~/src/app/.vscode/settings.json", "workspace", None),
    ]
    user = by_key(facts, "user")
    assert {k: s.line for k, s in user.items()} == {
        "go.goroot": 5,
        "go.toolsEnvVars": 6, "go.toolsEnvVars.GOFLAGS": 7, "go.toolsEnvVars.GOPRIVATE": 8,
        "go.alternateTools": 10, "go.alternateTools.go": 10, "go.alternateTools.gopls": 10,
        "go.useLanguageServer": 11,
        "terminal.integrated.env.linux": 12, "terminal.integrated.env.linux.PATH": 13,
        "gopls": 15,
    }
    assert user["go.goroot"].value == "${env:HOME}/sdk/go1.19"  # kept raw; expanded by the checks
    assert user["go.toolsEnvVars"].value == {"GOFLAGS": "-mod=vendor", "GOPRIVATE": "example.com/*"}
    assert user["go.useLanguageServer"].value is False
    assert user["gopls"].value == {"build.buildFlags": ["-tags=integration"]}
    assert user["go.goroot"].path == home.p(".config/Code/User/settings.json")
    assert "editor.fontSize" not in user
    assert [(s.key, s.value, s.line) for s in by_key(facts, "user-insiders").values()] == [("go.gopath", "~/gopath", 1)]
    assert [(s.key, s.line) for s in by_key(facts, "vscodium").values()] == [("go.toolsGopath", 3)]
    remote = sorted((s.key, s.line, s.path.replace(home.path, "~")) for s in facts.settings if s.scope == "remote-machine")
    assert remote == [("go.inferGopath", 2, "~/.vscode-server/data/Machine/settings.json"),
                      ("go.toolsManagement.go", 1, "~/.vscode-server-insiders/data/Machine/settings.json")]
    assert [(s.key, s.value, s.line) for s in by_key(facts, "workspace").values()] == [
        ("terminal.integrated.inheritEnv", False, 3)]


def test_macos_locations(home: Home) -> None:
    home.file("Library/Application Support/Code/User/settings.json", '{"go.goroot": "/opt/homebrew/opt/go/libexec"}')
    home.file(".config/Code/User/settings.json", '{"go.goroot": "/linux/only"}')
    facts = collect_vscode(LocalHost(), home.path, None, "darwin")
    assert [(s.key, s.value, s.scope) for s in facts.settings] == [("go.goroot", "/opt/homebrew/opt/go/libexec", "user")]


def test_missing_files_are_absent(home: Home) -> None:
    assert collect_vscode(LocalHost(), home.path, home.p("nowhere"), "linux") == EditorFacts()


def test_broken_files_carry_an_error_with_the_line(home: Home) -> None:
    home.file(".config/Code/User/settings.json", """
        {
          "go.goroot": "/usr/local/go"
          "go.gopath": "~/go"
        }
    """)
    home.file(".config/VSCodium/User/settings.json", "[1, 2]\n")
    home.file(".config/Code - Insiders/User/settings.json", "// only a comment\n")
    home.dir("ws/.vscode/settings.json")  # a directory where the file should be
    facts = collect_vscode(LocalHost(), home.path, home.p("ws"), "linux")
    errors = {f.scope: f.error for f in facts.files}
    assert errors["user"].startswith("line 3: expected `,` or `}`")
    assert error_line(errors["user"]) == 3
    assert errors["vscodium"] == "line 1: settings must be an object ({ … }), found a list"
    assert errors["user-insiders"] is None  # empty settings are fine
    assert error_line(errors["workspace"]) == 1 and "directory" in errors["workspace"]
    assert facts.settings == ()


def test_extensions(home: Home) -> None:
    home.dir(".vscode/extensions/golang.go-0.46.1")
    home.file(".vscode/extensions/ms-vscode.go-0.14.4/package.json",
              json.dumps({"publisher": "ms-vscode", "name": "Go", "version": "0.14.4"}))
    home.file(".vscode/extensions/golang.go-0.40.0/package.json", "{ not json")  # falls back to the name
    home.dir(".vscode/extensions/ms-python.python-2024.2.1-linux-x64")
    home.dir(".vscode/extensions/redhat.vscode-yaml-1.14.0")
    home.dir(".vscode/extensions/golang.go-0.39.0")  # uninstalled, awaiting deletion
    home.file(".vscode/extensions/.obsolete", '{"golang.go-0.39.0": true}')
    home.file(".vscode/extensions/extensions.json", "[]")
    home.dir(".vscode/extensions/.init-default-profile-extensions")
    home.file(".vscode-server/extensions/golang.go-0.46.1/package.json",
              json.dumps({"publisher": "golang", "name": "go", "version": "0.46.1"}))
    home.dir(".vscode-insiders/extensions/golang.go-0.47.0")
    home.dir(".vscode-oss/extensions/golang.go-0.45.0")
    facts = collect_vscode(LocalHost(), home.path, None, "linux")
    got = [(e.id, e.version, e.path.replace(home.path, "~")) for e in facts.extensions]
    assert got == [
        ("golang.go", "0.40.0", "~/.vscode/extensions/golang.go-0.40.0"),
        ("golang.go", "0.46.1", "~/.vscode/extensions/golang.go-0.46.1"),
        ("ms-python.python", "2024.2.1-linux-x64", "~/.vscode/extensions/ms-python.python-2024.2.1-linux-x64"),
        ("ms-vscode.go", "0.14.4", "~/.vscode/extensions/ms-vscode.go-0.14.4"),
        ("redhat.vscode-yaml", "1.14.0", "~/.vscode/extensions/redhat.vscode-yaml-1.14.0"),
        ("golang.go", "0.47.0", "~/.vscode-insiders/extensions/golang.go-0.47.0"),
        ("golang.go", "0.45.0", "~/.vscode-oss/extensions/golang.go-0.45.0"),
        ("golang.go", "0.46.1", "~/.vscode-server/extensions/golang.go-0.46.1"),
    ]


def test_parse_folder_name() -> None:
    assert parse_folder_name("golang.go-0.46.1") == ("golang.go", "0.46.1")
    assert parse_folder_name("MS-vscode.Go-0.14.4") == ("ms-vscode.go", "0.14.4")
    assert parse_folder_name("redhat.vscode-yaml-1.14.0") == ("redhat.vscode-yaml", "1.14.0")
    assert parse_folder_name("local.thing") == ("local.thing", None)


def test_expand_like_the_go_extension() -> None:
    env = {"HOME": "/home/u", "SDK": "/opt/sdk"}
    assert expand("~", "/home/u", None, env) == "/home/u"
    assert expand("~/go", "/home/u", None, env) == "/home/u/go"
    assert expand("~go", "/home/u", None, env) == "/home/u/go"  # Node's path.join, quirk included
    assert expand("${env:HOME}/go:${env: SDK }/x", "/h", None, env) == "/home/u/go:/opt/sdk/x"
    assert expand("${env:NOPE}/bin", "/h", None, env) == "/bin"
    assert expand("${workspaceFolder}/bin", "/h", "/src/app/", env) == "/src/app/bin"
    assert expand("${workspaceRoot}/${workspaceFolderBasename}", "/h", "/src/app", env) == "/src/app/app"
    assert expand("${workspaceFolder}/bin", "/h", None, env) == "${workspaceFolder}/bin"
    assert expand("/usr/local/go/~", "/h", None, env) == "/usr/local/go/~"
    assert expand("  ", "/h", None, env) == "  "
