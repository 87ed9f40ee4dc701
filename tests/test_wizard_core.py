"""The wizard's domain without a terminal: the editor's own problems first, contexts in plain
words, why the count changed, and what still blocks the editor at the end (issue 17 items 7–9)."""

from __future__ import annotations

from goenv_tui.model import ProbeResult, Severity
from goenv_tui.wizard import (
    contexts_for,
    count_change,
    in_plain_words,
    plain_name,
    problems,
    still_blocking,
    verification_lines,
)
from tests.homes import Home


def test_the_editors_own_problems_come_first(home: Home) -> None:
    # Terminals (bash-nologin-interactive) see a GOROOT that does not exist; only `ssh host cmd`
    # sees GOFLAGS unexported.
    home.file(".bashrc", "GOFLAGS=-mod=mod\ncase $- in *i*) ;; *) return;; esac\nexport GOROOT=$HOME/nope\n")
    d = home.diagnose(shells=("bash",))
    own_ctx = contexts_for("vscode-terminal", "/bin/bash", "linux")
    found = problems(d, own_ctx, "vscode-terminal")
    assert found.own and all(set(f.contexts) & set(own_ctx) or not f.contexts for f in found.own)
    assert any(f.check == "GOENV-GODIR-001" for f in found.own)
    assert all(not (set(f.contexts) & set(own_ctx)) and f.contexts for f in found.also)
    assert found.ordered[: len(found.own)] == list(found.own)
    assert all(f.severity is not Severity.INFO for f in found.ordered)


def test_contexts_in_plain_words() -> None:
    own = contexts_for("remote-ssh", "/bin/bash", "linux")
    assert plain_name("bash-sshd-command", "remote-ssh", own) == "Remote-SSH (the VS Code server it starts)"
    assert plain_name("bash-login-interactive", "vscode-gui", ["bash-login-interactive"]) == "VS Code started from the Dock"
    assert plain_name("bash-nologin-interactive", "vscode-terminal", ["bash-nologin-interactive"]) == "VS Code's terminal"
    assert plain_name("zsh-nologin-noninteractive", "vscode-gui", ["zsh-login-interactive"]) == "scripts and cron (zsh -c)"
    text = in_plain_words("go is not found in bash-sshd-command; bash-login-interactive runs it",
                          "remote-ssh", own, ["bash-sshd-command", "bash-login-interactive"])
    assert "bash-" not in text and "Remote-SSH (the VS Code server it starts)" in text


def test_why_the_count_changed(home: Home) -> None:
    home.file(".bashrc", "GOFLAGS=-mod=mod\nexport GOROOT=$HOME/nope\n")
    d = home.diagnose(shells=("bash",))
    a, b = d.findings[0], d.findings[1]
    change = count_change([a, b], [b], fixed_id="x")
    assert change.cleared == (a.title,) and not change.new
    assert "1 other problem cleared with it" in change.sentence()
    assert "1 new problem" in count_change([a], [a, b], fixed_id="x").sentence()


def test_verification_covers_go_gopls_and_dlv_and_what_still_blocks() -> None:
    ctx = ["bash-nologin-interactive"]
    probes = [ProbeResult("go", ctx[0], "ok", detail="go build ok"),
              ProbeResult("gopls", ctx[0], "fail", detail="gopls: initialize failed", classification="goroot-mismatch"),
              ProbeResult("dlv", "other-context", "ok")]
    lines = verification_lines(probes, ctx)
    assert [(t, ok) for t, _, ok in lines] == [("go", True), ("gopls", False), ("dlv", False)]
    assert "not found" in lines[2][1]
    blockers = still_blocking(None, probes, ctx, "vscode-terminal", [])
    assert [b.text.split(":")[0] for b in blockers] == ["gopls", "dlv"] and all(b.by_hand for b in blockers)
