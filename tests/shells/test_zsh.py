"""The zsh tracer on real zsh, in fixture homes: exact file:line, op and values."""

from __future__ import annotations

from goenv_tui.model import Op, TraceStatus
from tests.homes import Home, changes, only_change

ZSH = ("zsh",)


def run(home: Home, context: str = "zsh-nologin-interactive"):
    return home.trace(shells=ZSH, login_shell="/bin/zsh", only=(context,))[context]


def test_files_read_per_context(home: Home) -> None:
    for name in (".zshenv", ".zprofile", ".zshrc", ".zlogin"):
        home.file(name, f"export GOENV_TEST_{name[2:].upper()}=1\n")
    traces = home.trace(shells=ZSH, login_shell="/bin/zsh")
    mine = {cid: [f.path[len(home.path) + 1:] for f in t.files if f.path.startswith(home.path)] for cid, t in traces.items()}
    assert mine == {
        "zsh-login-interactive": [".zshenv", ".zprofile", ".zshrc", ".zlogin"],
        "zsh-login-noninteractive": [".zshenv", ".zprofile", ".zlogin"],
        "zsh-nologin-interactive": [".zshenv", ".zshrc"],
        "zsh-nologin-noninteractive": [".zshenv"],
        "zsh-sshd-command": [".zshenv"],  # sshd's `zsh -c cmd`
    }
    for t in traces.values():
        assert t.status is TraceStatus.OK
        orders = [f.order for f in t.files]
        assert orders == list(range(1, len(orders) + 1))


def test_path_array_assignments(home: Home) -> None:
    home.file(".zshenv", """
        path=(/zp/bin $path)
        path+=(/zp2)
        export PATH="/p3:$PATH"
    """)
    t = run(home)
    ch = changes(t, "PATH", home)
    assert [(p, ln, op) for p, ln, op, _ in ch] == [("~/.zshenv", 1, "prepend"), ("~/.zshenv", 2, "append"), ("~/.zshenv", 3, "prepend")]
    assert t.env["PATH"].startswith("/p3:/zp/bin:") and t.env["PATH"].endswith(":/zp2")


def test_typeset_x_and_split_export(home: Home) -> None:
    home.file(".zshrc", """
        typeset -x GOFLAGS=-mod=mod
        GOPATH=$HOME/go
        export GOPATH
    """)
    t = run(home)
    assert changes(t, "GOFLAGS", home) == [("~/.zshrc", 1, "export", "-mod=mod")]
    assert changes(t, "GOPATH", home) == [("~/.zshrc", 2, "set", f"{home.path}/go"), ("~/.zshrc", 3, "export", f"{home.path}/go")]


def test_eval_and_source_process_substitution(home: Home) -> None:
    home.file(".zshrc", """
        true
        eval "$(echo 'export GOBIN=/e/bin')"
        source <(echo 'export GOPROXY=direct')
        export GOSUMDB=off
    """)
    t = run(home)
    gobin, proxy = only_change(t, "GOBIN"), only_change(t, "GOPROXY")
    assert (gobin.location.line, gobin.via) == (2, "eval")
    assert (proxy.location.path, proxy.location.line, proxy.via) == (home.p(".zshrc"), 3, "source")
    assert changes(t, "GOSUMDB", home) == [("~/.zshrc", 4, "export", "off")]


def test_function_defined_in_zshenv_called_from_zshrc(home: Home) -> None:
    home.file(".zshenv", """
        addpath() {
          PATH="$1:$PATH"
        }
    """)
    home.file(".zshrc", """
        # tools
        addpath /opt/go/bin
    """)
    t = run(home)
    a = [x for x in t.assignments if x.var == "PATH" and x.value and x.value.startswith("/opt/go/bin")][0]
    assert (a.location.path, a.location.line, a.via, a.op) == (home.p(".zshenv"), 2, "function addpath", Op.PREPEND)
    assert (a.call_site.path, a.call_site.line) == (home.p(".zshrc"), 2)


def test_assignment_with_tracing_turned_off(home: Home) -> None:
    # `emulate -LR zsh` turns XTRACE off inside the function: the change is still seen.
    home.file(".zshrc", """
        setgo() { emulate -LR zsh; export GOPATH=/silent }
        setgo
        true
    """)
    t = run(home)
    a = only_change(t, "GOPATH")
    assert a.value == "/silent" and a.op is Op.EXPORT and a.exported
    assert a.call_site is not None and (a.call_site.path, a.call_site.line) == (home.p(".zshrc"), 2)
    assert t.env["GOPATH"] == "/silent"


def test_unset(home: Home) -> None:
    home.file(".zshenv", "export GOROOT=/opt/go\n")
    home.file(".zshrc", "unset GOROOT\n")
    t = run(home)
    assert changes(t, "GOROOT", home) == [("~/.zshenv", 1, "export", "/opt/go"), ("~/.zshrc", 1, "unset", None)]
    assert "GOROOT" not in t.env


def test_zdotdir_moves_later_files(home: Home) -> None:
    home.file(".zshenv", 'export ZDOTDIR="$HOME/.config/zsh"\n')
    home.file(".config/zsh/.zshrc", "export GOFLAGS=-v\n")
    home.file(".zshrc", "export GOFLAGS=-never\n")
    d = home.diagnose(shells=ZSH, login_shell="/bin/zsh")
    t = {c.id: c for c in d.facts.contexts}["zsh-nologin-interactive"]
    paths = [f.path for f in t.files]
    assert home.p(".config/zsh/.zshrc") in paths and home.p(".zshrc") not in paths
    assert changes(t, "GOFLAGS", home) == [("~/.config/zsh/.zshrc", 1, "export", "-v")]
    unread = {u.path: u.reason for u in d.facts.unread}
    assert "ZDOTDIR" in unread[home.p(".zshrc")]
    dormant = [x for x in d.facts.dormant if x.location.path == home.p(".zshrc")]
    assert [(x.var, x.location.line, x.reason) for x in dormant] == [("GOFLAGS", 1, "file-not-read")]


def test_loop_over_conf_d(home: Home) -> None:
    home.file(".zshrc.d/a.zsh", "export GO111MODULE=on\n")
    home.file(".zshrc", """
        for f in ~/.zshrc.d/*.zsh; do
          source $f
        done
    """)
    t = run(home)
    sourced = [f for f in t.files if f.path == home.p(".zshrc.d/a.zsh")]
    assert len(sourced) == 1 and (sourced[0].sourced_from.path, sourced[0].sourced_from.line) == (home.p(".zshrc"), 2)
    assert changes(t, "GO111MODULE", home) == [("~/.zshrc.d/a.zsh", 1, "export", "on")]
