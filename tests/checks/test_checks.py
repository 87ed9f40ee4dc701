"""Every check: a home that makes it fire (with the exact file:line), and a healthy one that keeps
it quiet."""

from __future__ import annotations

from goenv_tui.checks import REGISTRY
from goenv_tui.model import Severity
from tests.homes import Home


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def locs(f, home: Home) -> list[tuple[str, int | None]]:
    return [(loc.path.replace(home.path, "~"), loc.line) for loc in f.locations]


def healthy(home: Home) -> Home:
    """Go set up the way the Go docs say: in ~/.profile, which every bash context path reads, with
    the editor's tools (the real gopls and dlv) installed in ~/go/bin."""
    from tests import gotools

    home.dir("go/bin")
    home.symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", """
        export GOPATH="$HOME/go"
        export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
        if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
    """)
    home.file(".bashrc", """
        export GOPATH="$HOME/go"
        case ":$PATH:" in *":$HOME/go/bin:"*) ;; *) export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin";; esac
        case $- in *i*) ;; *) return;; esac
        HISTSIZE=1000
    """)
    home.file(".zshenv", 'export GOPATH="$HOME/go"\ntypeset -U path\npath+=(/usr/local/go/bin "$HOME/go/bin")\n')
    return home


def test_healthy_home_has_no_errors_or_warnings(home: Home) -> None:
    d = healthy(home).diagnose(login_shell="/bin/bash")
    bad = [(f.id, f.title) for f in d.findings if f.severity is not Severity.INFO]
    assert bad == []
    d = home.diagnose(login_shell="/bin/zsh")
    assert [(f.id, f.title) for f in d.findings if f.severity is not Severity.INFO] == []


def test_every_check_is_registered_with_a_docstring() -> None:
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    for c in REGISTRY:
        assert c.id.startswith("GOENV-") and len(c.doc) > 40, c.id


def test_override_in_some_contexts_only(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "# sdk\nexport GOROOT=$HOME/sdk/go1.22\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    [f] = fired(d, "GOENV-OVERRIDE-001")
    assert locs(f, home) == [("~/.zprofile", 1), ("~/.zshrc", 2)]
    assert "zsh-login-interactive" in f.chain[0] and "zsh-login-noninteractive" in f.chain[1]
    assert f.variable == "GOROOT"


def test_override_quiet_when_consistent(home: Home) -> None:
    home.file(".zshenv", "export GOROOT=/a\nexport GOROOT=/b\n")
    assert fired(home.diagnose(shells=("zsh",), login_shell="/bin/zsh"), "GOENV-OVERRIDE-001") == []


def test_go_variable_differs_between_contexts(home: Home) -> None:
    home.file(".zshrc", "export GOFLAGS=-mod=mod\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    [f] = fired(d, "GOENV-CTXDIFF-001")
    assert f.variable == "GOFLAGS" and locs(f, home) == [("~/.zshrc", 1)]
    assert any("unset in zsh-sshd-command" in c for c in f.chain)


def test_path_entry_differs_and_go_dir_is_a_warning(home: Home) -> None:
    home.dir("go/bin").file("go/bin/gopls", "#!/bin/sh\n", mode=0o755)
    home.file(".zshrc", 'export PATH="$HOME/go/bin:$PATH"\n')
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh")
    [f] = fired(d, "GOENV-CTXDIFF-002")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/.zshrc", 1)]
    assert "holds gopls" in f.chain[0]


def test_not_exported(home: Home) -> None:
    home.file(".bashrc", "GOPATH=$HOME/go\n")
    [f] = fired(home.diagnose(shells=("bash",)), "GOENV-EXPORT-001")
    assert locs(f, home) == [("~/.bashrc", 1)]


def test_guard(home: Home) -> None:
    home.file(".bashrc", "case $- in *i*) ;; *) return;; esac\nexport GOPATH=$HOME/gp\n")
    d = home.diagnose(shells=("bash",))
    [f] = [x for x in fired(d, "GOENV-GUARD-001") if "bash-sshd-command" in x.contexts]
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/.bashrc", 1), ("~/.bashrc", 2)]


def test_goroot_is_not_missed_where_it_is_not_set(home: Home) -> None:
    """go finds its own GOROOT: one set only after the guard (or only in some contexts) is no
    reason to spread it to every context — least of all a wrong one."""
    home.file(".bashrc", "case $- in *i*) ;; *) return;; esac\nexport GOROOT=/usr/lib/go-1.19\n")
    d = home.diagnose(shells=("bash",))
    assert "bash-nologin-interactive" in d.graph.contexts and d.graph.contexts["bash-nologin-interactive"].env["GOROOT"]
    assert not fired(d, "GOENV-GUARD-001") and not fired(d, "GOENV-CTXDIFF-001")


def test_path_hygiene(home: Home) -> None:
    home.file(".bashrc", """
        export PATH="$PATH:$GOBIN"
        export PATH=".:$PATH"
        export PATH="~/go/bin:relative/bin:$PATH"
        export PATH="/usr/bin:$PATH"
        export PATH="/nonexistent/go/bin:$PATH"
    """)
    d = home.diagnose(shells=("bash",))
    assert locs(fired(d, "GOENV-PATH-001")[0], home) == [("~/.bashrc", 1)]
    assert locs(fired(d, "GOENV-PATH-002")[0], home) == [("~/.bashrc", 2)]
    rel = {f.title: locs(f, home) for f in fired(d, "GOENV-PATH-003")}
    assert rel == {"PATH contains a literal `~/go/bin`: the ~ was never expanded": [("~/.bashrc", 3)],
                   "PATH entry `relative/bin` is relative": [("~/.bashrc", 3)]}
    dup = fired(d, "GOENV-PATH-004")
    assert [f.title for f in dup] == ["PATH lists /usr/bin more than once"] and locs(dup[0], home) == [("~/.bashrc", 4)]
    missing = [f for f in fired(d, "GOENV-PATH-005") if "/nonexistent/go/bin" in f.title]
    assert len(missing) == 1 and locs(missing[0], home) == [("~/.bashrc", 5)]


def test_go_dirs_missing(home: Home) -> None:
    home.file(".bashrc", "export GOROOT=/opt/nowhere/go\nexport GOPATH=/opt/nowhere/gopath\nexport GOBIN=/opt/nowhere/bin\n")
    d = home.diagnose(shells=("bash",))
    assert [(f.severity, locs(f, home)) for f in fired(d, "GOENV-GODIR-001")] == [(Severity.ERROR, [("~/.bashrc", 1)])]
    assert [locs(f, home) for f in fired(d, "GOENV-GODIR-002")] == [[("~/.bashrc", 2)]]
    assert [locs(f, home) for f in fired(d, "GOENV-GODIR-003")] == [[("~/.bashrc", 3)]]


def test_go_dirs_quiet_when_present(home: Home) -> None:
    home.dir("sdk/go/bin").dir("go/bin")
    home.file(".bashrc", "export GOROOT=$HOME/sdk/go\nexport GOPATH=$HOME/go\nexport GOBIN=$HOME/go/bin\n")
    d = home.diagnose(shells=("bash",))
    assert [f for f in d.findings if f.check.startswith("GOENV-GODIR")] == []


def test_unread_file(home: Home) -> None:
    home.file(".bash_profile", "export GOPATH=$HOME/go\n")
    home.file(".profile", "# go\nexport PATH=$PATH:/usr/local/go/bin\n")
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-DORMANT-001")
    assert f.severity is Severity.WARNING and locs(f, home) == [("~/.profile", 2)]
    assert "~/.bash_profile exists" in f.detail


def test_branch_not_taken(home: Home) -> None:
    home.file(".bashrc", """
        if [ -d /nonexistent-dir ]; then
            export GOROOT=/nonexistent-dir/go
        fi
        [ -d /nonexistent-dir ] && export GOPATH=/nonexistent-dir
        export GOFLAGS=-v
    """)
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-DORMANT-002")
    assert locs(f, home) == [("~/.bashrc", 2), ("~/.bashrc", 4)]


def test_trace_checks_quiet_on_healthy_home(home: Home) -> None:
    d = healthy(home).diagnose()
    assert [f for f in d.findings if f.check.startswith("GOENV-TRACE")] == []


def test_ssh_session_differs_from_what_remote_ssh_gets(home: Home, monkeypatch) -> None:
    """Inside an SSH session (SSH_CONNECTION set), this terminal's PATH and GO* are compared with
    the environment sshd gives Remote-SSH's server for the same home."""
    home.file(".bashrc", "case $- in *i*) ;; *) return;; esac\nexport GOFLAGS=-v\n")
    monkeypatch.setenv("SSH_CONNECTION", "127.0.0.1 50000 127.0.0.1 22")
    monkeypatch.setenv("HOME", home.path)
    monkeypatch.setenv("GOFLAGS", "-v")
    d = home.diagnose(shells=("bash",))
    [f] = [x for x in d.findings if x.check == "GOENV-SSH-002"]
    assert "GOFLAGS: this session has '-v', Remote-SSH's server gets None" in f.chain
    monkeypatch.setenv("HOME", "/somewhere/else")
    assert not [x for x in home.diagnose(shells=("bash",)).findings if x.check == "GOENV-SSH-002"]


def test_finding_ids_do_not_depend_on_where_the_home_lives(tmp_path) -> None:
    """Ids hash paths under the home as ~/…: the same home elsewhere (the demo's temporary home,
    a copy on another machine) gives the same ids, so `goenv-tui fix ID` from a report still works."""
    ids = []
    for where in ("a", "bb/deeper"):
        h = Home(tmp_path / where / "home")
        h.file(".bashrc", "case $- in *i*) ;; *) return;; esac\nexport PATH=~/go/bin:$PATH\nexport GOROOT=$HOME/sdk/go\n")
        d = h.diagnose(shells=("bash",))
        assert len(d.findings) >= 3
        ids.append(sorted(f.id for f in d.findings))
    assert ids[0] == ids[1]
