"""Credentials never reach an output: the JSON and text reports, the journal, the app's views."""

from __future__ import annotations

import json
from pathlib import Path

from goenv_tui.fixes.journal import Entry, Journal
from goenv_tui.host import LocalHost
from goenv_tui.redact import Redactor, secret_name
from goenv_tui.report import render_json, render_text
from goenv_tui.ui import present
from tests.homes import Home
from tests.test_report import cli

SECRETS = ("s3cr3tProxyTok", "nosumPw9", "insecPw7", "ghp_0123456789abcdef", "hunter2pw", "envfileTok5")


def hostile_home(home: Home) -> Home:
    home.file(".bashrc", """
        export GOPROXY=https://alice:s3cr3tProxyTok@proxy.corp.example/go,direct
        export GONOSUMDB=bob:nosumPw9@git.corp.example
        export GOINSECURE=https://carol:insecPw7@insecure.example
        export GITHUB_TOKEN=ghp_0123456789abcdef
        export DB_PASSWORD=hunter2pw
        export GOROOT=/nowhere/go
    """)
    home.file(".config/go/env", "GOPRIVATE=https://dave:envfileTok5@private.example\n")
    return home


def assert_clean(text: str) -> None:
    for s in SECRETS:
        assert s not in text, f"{s} leaked"


def test_names_that_hold_secrets() -> None:
    for name in ("GITHUB_TOKEN", "NPM_AUTH_TOKEN", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY",
                 "GITLAB_PAT", "SSH_PASSPHRASE", "GOOGLE_APPLICATION_CREDENTIALS"):
        assert secret_name(name), name
    for name in ("GOPRIVATE", "GOAUTH", "SSH_AUTH_SOCK", "GOSUMDB", "PATH", "PWD", "OLDPWD", "GOPATH"):
        assert not secret_name(name), name


def test_url_credentials_are_masked_and_the_rest_is_kept() -> None:
    r = Redactor.from_values([("GOPROXY", "https://alice:tok123@proxy.example/go,direct"),
                              ("GONOSUMDB", "bob:pw456@git.example")])
    assert r.text("GOPROXY=https://alice:tok123@proxy.example/go,direct") == "GOPROXY=https://alice:***@proxy.example/go,direct"
    assert r.text("https://ghp_abcdef@github.com/x") == "https://***@github.com/x"
    assert r.text("git clone ssh://git@github.com/x") == "git clone ssh://git@github.com/x"  # a user, not a token
    assert r.text("verifying: 410 from git.example using pw456") == "verifying: 410 from git.example using ***"
    assert r.value("GONOSUMDB", "eve:other9@h.example") == "eve:***@h.example"
    assert r.text("PATH=/usr/bin:/opt/node@18/bin") == "PATH=/usr/bin:/opt/node@18/bin"
    assert r.text("export API_TOKEN='abc def'") == "export API_TOKEN='***'"
    # Views keep lengths so that styled spans stay aligned.
    assert r.text("x https://a:tok123@h", keep_length=True) == "x https://a:******@h"


def test_reports_never_show_credentials(home: Home) -> None:
    hostile_home(home)
    base = ["--home", home.path, "--login-shell", "/bin/bash", "--no-probes", "--shell", "bash,zsh"]
    res = cli("report", "--json", *base)
    assert res.returncode in (0, 1), res.stderr
    assert_clean(res.stdout + res.stderr)
    doc = json.loads(res.stdout)
    env = {c["id"]: c["env"] for c in doc["contexts"]}["bash-nologin-interactive"]
    assert env["GOPROXY"] == "https://alice:***@proxy.corp.example/go,direct"
    assert env["GONOSUMDB"] == "bob:***@git.corp.example"
    assert env.get("GITHUB_TOKEN", "***") == "***" and env.get("DB_PASSWORD", "***") == "***"
    assert env["GOROOT"] == "/nowhere/go"  # nothing else is touched
    text = cli("report", "--text", "-v", *base)
    assert "GOROOT" in text.stdout
    assert_clean(text.stdout + text.stderr)


def test_app_views_and_text_never_show_credentials(home: Home) -> None:
    hostile_home(home)
    d = home.diagnose(shells=("bash",))
    assert_clean(render_json(d) + render_text(d, verbose=True))
    shown = []
    for f in d.findings:
        shown += [present.finding_detail(d, f).plain, present.finding_label(f).plain]
    for t in d.facts.contexts:
        for var in ("GOPROXY", "GONOSUMDB", "GITHUB_TOKEN", "DB_PASSWORD", "GOINSECURE"):
            shown.append(present.variable_chain(d, var, t.id).plain)
            shown += [" ".join(row) for row in present.variable_rows(d, var)]
        shown.append(present.source_text(d, t.id, home.p(".bashrc")).plain)
        for tool in ("go", "gopls", "dlv"):
            shown.append(present.resolution_detail(d, t.id, tool).plain)
    joined = "\n".join(shown)
    assert "GOPROXY" in joined and "alice:" in joined
    assert_clean(joined)


def test_the_journal_keeps_no_credentials(home: Home) -> None:
    journal = Journal(LocalHost(), home.path, Redactor.from_values([("GITHUB_TOKEN", "ghp_0123456789abcdef")]))
    entry = journal.new_entry("GOENV-X-001@abc", "GOENV-X-001", "install", "install gopls")
    entry.argv = ["go", "install", "golang.org/x/tools/gopls@latest"]
    entry.output = ("go: downloading from https://alice:s3cr3tProxyTok@proxy.corp.example/go: 401\n"
                    "token ghp_0123456789abcdef rejected")
    entry.state = "failed"
    journal.save(entry)
    stored = Path(journal.path).read_text()
    assert_clean(stored)
    assert "https://alice:***@proxy.corp.example" in stored
    again = Journal(LocalHost(), home.path).entries()
    assert [e.id for e in again] == [entry.id] and isinstance(again[0], Entry)
