"""The bash tracer on real bash, in fixture homes: exact file:line, op and values."""

from __future__ import annotations

from goenv_tui.model import Op, TraceStatus
from tests.homes import Home, changes, only_change

NOLOGIN = ("bash-nologin-interactive",)


def bashrc(home: Home, text: str) -> dict:
    home.file(".bashrc", text)
    return home.trace(shells=("bash",), only=NOLOGIN)["bash-nologin-interactive"]


def test_plain_export(home: Home) -> None:
    t = bashrc(home, """
        # comment
        export GOROOT=/opt/go
    """)
    assert t.status is TraceStatus.OK
    a = only_change(t, "GOROOT")
    assert (a.location.path, a.location.line, a.op, a.value, a.before, a.exported) == (
        home.p(".bashrc"), 2, Op.EXPORT, "/opt/go", None, True)
    assert t.env["GOROOT"] == "/opt/go"


def test_split_export(home: Home) -> None:
    t = bashrc(home, """
        GOPATH=/home/x/go
        echo unrelated >/dev/null
        export GOPATH
    """)
    assert changes(t, "GOPATH", home) == [("~/.bashrc", 1, "set", "/home/x/go"), ("~/.bashrc", 3, "export", "/home/x/go")]
    first, second = [a for a in t.assignments if a.var == "GOPATH"]
    assert first.exported is False and second.exported is True
    assert t.env["GOPATH"] == "/home/x/go"


def test_declare_and_typeset_x(home: Home) -> None:
    t = bashrc(home, """
        declare -x GOFLAGS=-mod=mod
        typeset -x GOPROXY=direct
    """)
    assert changes(t, "GOFLAGS", home) == [("~/.bashrc", 1, "export", "-mod=mod")]
    assert changes(t, "GOPROXY", home) == [("~/.bashrc", 2, "export", "direct")]


def test_eval_is_attributed_to_the_eval_line(home: Home) -> None:
    t = bashrc(home, """
        true
        eval "$(printf 'export GOBIN=/e/bin\\nPATH=/e/bin:$PATH\\n')"
        export GOFLAGS=-v
    """)
    gobin = only_change(t, "GOBIN")
    assert (gobin.location.line, gobin.via, gobin.value) == (2, "eval", "/e/bin")
    path = [a for a in t.assignments if a.var == "PATH" and a.location.path == home.p(".bashrc")]
    assert [(a.location.line, a.op, a.via) for a in path] == [(2, Op.PREPEND, "eval")]
    # The line after the eval keeps its own number.
    assert changes(t, "GOFLAGS", home) == [("~/.bashrc", 3, "export", "-v")]


def test_source_process_substitution(home: Home) -> None:
    t = bashrc(home, """
        true
        true
        source <(echo 'export GOPROXY=https://goproxy.example,direct')
    """)
    a = only_change(t, "GOPROXY")
    assert (a.location.path, a.location.line, a.via, a.value) == (home.p(".bashrc"), 3, "source", "https://goproxy.example,direct")
    stream = [f for f in t.files if f.path.startswith("<(")]
    assert len(stream) == 1 and stream[0].sourced_from.line == 3
    assert stream[0].path == f"<(…) at {home.p('.bashrc')}:3"


def test_function_defined_in_one_file_called_from_another(home: Home) -> None:
    home.file(".bash_functions", """
        addpath() {
            PATH="$1:$PATH"
        }
    """)
    home.file(".bashrc.d/go.sh", """
        # go tools
        addpath /opt/go/bin
    """)
    t = bashrc(home, """
        . ~/.bash_functions
        for f in ~/.bashrc.d/*.sh; do . "$f"; done
    """)
    a = [x for x in t.assignments if x.var == "PATH" and x.value and x.value.startswith("/opt/go/bin")][0]
    assert (a.location.path, a.location.line, a.via, a.op) == (home.p(".bash_functions"), 2, "function addpath", Op.PREPEND)
    assert (a.call_site.path, a.call_site.line) == (home.p(".bashrc.d/go.sh"), 2)


def test_loop_over_bashrc_d_records_order_and_sites(home: Home) -> None:
    home.file(".bashrc.d/10-a.sh", "export GO111MODULE=on\n")
    home.file(".bashrc.d/20-b.sh", "export GOFLAGS=-mod=mod\n")
    t = bashrc(home, """
        for f in ~/.bashrc.d/*.sh; do
            . "$f"
        done
    """)
    mine = [f for f in t.files if f.path.startswith(home.path)]
    assert [(f.path, f.sourced_from.path if f.sourced_from else None, f.sourced_from.line if f.sourced_from else None) for f in mine] == [
        (home.p(".bashrc"), None, None),
        (home.p(".bashrc.d/10-a.sh"), home.p(".bashrc"), 2),
        (home.p(".bashrc.d/20-b.sh"), home.p(".bashrc"), 2),
    ]
    assert changes(t, "GO111MODULE", home) == [("~/.bashrc.d/10-a.sh", 1, "export", "on")]
    assert changes(t, "GOFLAGS", home) == [("~/.bashrc.d/20-b.sh", 1, "export", "-mod=mod")]
    orders = [f.order for f in t.files]
    assert orders == sorted(orders) and orders[0] == 1


def test_unset(home: Home) -> None:
    t = bashrc(home, """
        export GOPATH=/x
        unset GOPATH
    """)
    assert changes(t, "GOPATH", home) == [("~/.bashrc", 1, "export", "/x"), ("~/.bashrc", 2, "unset", None)]
    assert "GOPATH" not in t.env


def test_multiline_statement_is_attributed_to_its_first_line(home: Home) -> None:
    t = bashrc(home, """
        export PATH="$PATH:/multi\\
        /line"
        export GOROOT="/opt/go"
    """)
    assert changes(t, "PATH", home) == [("~/.bashrc", 1, "append", t.env["PATH"])]
    assert t.env["PATH"].endswith(":/multi/line")
    assert changes(t, "GOROOT", home) == [("~/.bashrc", 3, "export", "/opt/go")]


def test_noninteractive_return_guard(home: Home) -> None:
    home.file(".bashrc", """
        export GOPROXY=direct
        case $- in
            *i*) ;;
              *) return;;
        esac
        export GOROOT=/usr/local/go
    """)
    traces = home.trace(shells=("bash",))
    inter, sshd = traces["bash-nologin-interactive"], traces["bash-sshd-command"]
    assert inter.env["GOROOT"] == "/usr/local/go" and inter.env["GOPROXY"] == "direct"
    assert sshd.env["GOPROXY"] == "direct" and "GOROOT" not in sshd.env
    assert [(r.path, r.line) for r in sshd.early_returns if r.path.startswith(home.path)] == [(home.p(".bashrc"), 4)]
    # Not read at all by a plain `bash -c`.
    assert "GOPROXY" not in traces["bash-nologin-noninteractive"].env


def test_bash_profile_shadows_profile(home: Home) -> None:
    home.file(".profile", "export GOROOT=/from/profile\n")
    home.file(".bash_profile", "export GOPATH=/from/bash_profile\n")
    t = home.trace(shells=("bash",), only=("bash-login-interactive",))["bash-login-interactive"]
    paths = [f.path for f in t.files]
    assert home.p(".bash_profile") in paths and home.p(".profile") not in paths
    assert t.env["GOPATH"] == "/from/bash_profile" and "GOROOT" not in t.env


def test_empty_bash_profile_still_shadows_profile(home: Home) -> None:
    home.file(".profile", "export GOROOT=/from/profile\n")
    home.file(".bash_profile", "# nothing here\n")
    t = home.trace(shells=("bash",), only=("bash-login-noninteractive",))["bash-login-noninteractive"]
    mine = [f.path for f in t.files if f.path.startswith(home.path)]
    assert mine == [home.p(".bash_profile")]


def test_final_environment_is_exact(home: Home) -> None:
    t = bashrc(home, """
        export GOFLAGS='-ldflags=-X main.v=1 -tags=a,b'
        export GOPRIVATE="*.corp.example.com,rsc.io/private"
        export GONOSUMDB=
        export GOCUSTOMTHING=ünïcode
    """)
    assert t.env["GOFLAGS"] == "-ldflags=-X main.v=1 -tags=a,b"
    assert t.env["GOPRIVATE"] == "*.corp.example.com,rsc.io/private"
    assert t.env["GONOSUMDB"] == ""
    # A GO* name not in the built-in list is discovered and traced too.
    assert changes(t, "GOCUSTOMTHING", home) == [("~/.bashrc", 4, "export", "ünïcode")]


def test_sshd_context_sets_ssh_client_and_reads_bashrc(home: Home) -> None:
    home.file(".bashrc", "export GOTOOLCHAIN=local\n")
    t = home.trace(shells=("bash",), only=("bash-sshd-command",))["bash-sshd-command"]
    assert t.env["GOTOOLCHAIN"] == "local"
    assert changes(t, "GOTOOLCHAIN", home) == [("~/.bashrc", 1, "export", "local")]
