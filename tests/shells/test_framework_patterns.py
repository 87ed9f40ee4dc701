"""The patterns real frameworks and version managers use in their init code, each in a minimal
home, traced on the real shells and checked against the same shells started untraced.

goenv's `eval "$(goenv init -)"` defines a `goenv()` function that itself evals; gvm's PATH helper
runs with `local IFS=:`; nvm and others `source <(…)`; dotfiles may hold a literal U+FFFD.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from goenv_tui.model import TraceStatus
from goenv_tui.shells.tracer import SEED_PATH
from tests.homes import Home, changes

NOLOGIN = {"bash": "bash-nologin-interactive", "zsh": "zsh-nologin-interactive"}
RC = {"bash": ".bashrc", "zsh": ".zshrc"}


def untraced_env(home: Home, shell: str) -> dict[str, str]:
    """The environment the real shell ends with when started interactively, without tracing."""
    env = {"HOME": home.path, "PATH": SEED_PATH["linux"], "TERM": "xterm-256color", "LANG": "C.UTF-8",
           "USER": "user", "SHELL": f"/bin/{shell}"}
    res = subprocess.run([f"/bin/{shell}", "-i", "-c", "exec /usr/bin/env -0"], env=env, cwd=home.path,
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=30, start_new_session=True)
    out = {}
    for item in res.stdout.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            out[k.decode()] = v.decode(errors="replace")
    return out


def lines_of(path: str) -> int:
    with open(path, "rb") as fh:
        return fh.read().count(b"\n")


# A stand-in for goenv: `goenv init -` prints what syndbg/goenv's libexec/goenv-init prints for
# bash/zsh (a `goenv()` function whose body evals `goenv sh-<command>`, then a call to it), and the
# sh-* commands print the exports goenv-sh-rehash / goenv-sh-shell print.
GOENV_STUB = r"""#!/bin/sh
case "$1" in
init) cat <<'EOS'
export GOENV_SHELL=sh
export GOENV_ROOT=$HOME/.goenv
if [ "${PATH#*$GOENV_ROOT/shims}" = "${PATH}" ]; then
  export PATH="$GOENV_ROOT/shims:$PATH"
fi
command goenv rehash 2>/dev/null
goenv() {
  local command
  command="$1"
  if [ "$#" -gt 0 ]; then
    shift
  fi

  case "$command" in
  rehash|shell)
    eval "$(goenv "sh-$command" "$@")";;
  *)
    command goenv "$command" "$@";;
  esac
}
goenv rehash --only-manage-paths
EOS
;;
sh-rehash) echo 'export GOROOT="/usr/local/go"'; echo 'export GOPATH="$HOME/go/1.26.0"';;
sh-shell) echo 'export GOROOT="/usr/lib/go-1.19"';;
esac
"""

GOENV_RC = """
export GOENV_ROOT="$HOME/.goenv"
export PATH="$GOENV_ROOT/bin:$PATH"
eval "$(goenv init -)"
. ~/.rc.d/setgo.sh
eval "setgo"
goenv shell 1.19
"""


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_goenv_init_eval_defines_a_function_that_evals(home: Home, shell: str) -> None:
    home.file(".goenv/bin/goenv", GOENV_STUB, mode=0o755)
    home.file(".rc.d/setgo.sh", "setgo() {\n  export GOBIN=$HOME/gobin\n}\n")
    home.file(RC[shell], GOENV_RC)
    t = home.trace(shells=(shell,), only=(NOLOGIN[shell],))[NOLOGIN[shell]]
    assert t.status is TraceStatus.OK, t.error
    rc = f"~/{RC[shell]}"
    # The exports made inside goenv() (defined by the eval) are credited to the user's lines.
    assert changes(t, "GOROOT", home) == [(rc, 3, "export", "/usr/local/go"), (rc, 6, t.assignments[-1].op.value,
                                                                              "/usr/lib/go-1.19")]
    assert [a.via for a in t.assignments if a.var == "GOROOT"] == ["eval", "eval"]
    assert changes(t, "GOPATH", home) == [(rc, 3, "export", home.p("go/1.26.0"))]
    # A function defined in a file keeps its real line even when an eval calls it.
    gobin = [a for a in t.assignments if a.var == "GOBIN"]
    if shell == "bash":
        assert [(a.location.path, a.location.line) for a in gobin] == [(home.p(".rc.d/setgo.sh"), 2)]
    else:
        assert [(a.location.path, a.location.line) for a in gobin] == [(home.p(RC[shell]), 5)]
    # Nothing is credited past the end of a file.
    for a in t.assignments:
        if a.location.path.startswith(home.path):
            assert 1 <= (a.location.line or 0) <= lines_of(a.location.path), a
    real = untraced_env(home, shell)
    for var in ("GOROOT", "GOPATH", "GOBIN", "PATH"):
        assert t.env[var] == real[var]


@pytest.mark.parametrize("rc", [
    # gvm's PATH helper: a function with a local IFS.
    "f() { local IFS=:; export GOPATH=/x/go; }\nf\n",
    # IFS emptied for the rest of the file, and set -u.
    "IFS=\nset -u\nexport GOPATH=/x/go\n",
    # IFS holding characters the record is made of, and nvm-like version splitting on dots.
    "IFS='=/'\nexport GOPATH=/x/go\ng() { local IFS=.; export GOBIN=/x/go/bin; }\ng\n",
])
def test_user_ifs_and_options_do_not_break_the_bash_record(home: Home, rc: str) -> None:
    home.file(".bashrc", rc)
    t = home.trace(shells=("bash",), only=(NOLOGIN["bash"],))[NOLOGIN["bash"]]
    assert t.status is TraceStatus.OK, t.error
    gopath = [a for a in t.assignments if a.var == "GOPATH"]
    assert len(gopath) == 1 and gopath[0].location.path == home.p(".bashrc") and gopath[0].value == "/x/go"
    real = untraced_env(home, "bash")
    assert t.env["GOPATH"] == real["GOPATH"]
    assert t.env.get("GOBIN") == real.get("GOBIN")


@pytest.mark.parametrize("shell", ["bash", "zsh"])
@pytest.mark.parametrize("ifs", ["0123456789", "1", "0", "\\x27", "\\x1f\\x1a"])
def test_any_ifs_keeps_every_record(home: Home, shell: str, ifs: str) -> None:
    """An IFS holding digits turned bash's `$$` in the record into spaces (`local IFS=1`): the
    records of every line run under it were dropped, and what those lines changed was credited to
    an earlier line. Every line keeps its record, whatever IFS holds."""
    home.file(RC[shell], f"""f() {{
  local IFS=$'{ifs}'
  export GOPATH=/ifs/go
}}
f
IFS=$'{ifs}'
export GOFLAGS=-v
g() {{ export GOBIN=/ifs/bin; }}
g
IFS=$' \\t\\n'
""")
    t = home.trace(shells=(shell,), login_shell=f"/bin/{shell}", only=(NOLOGIN[shell],))[NOLOGIN[shell]]
    assert t.status is TraceStatus.OK, t.error
    rc = home.p(RC[shell])
    assert [(a.var, a.location.line, a.via) for a in t.assignments if a.location.path == rc and a.var != "IFS"] == [
        ("GOPATH", 3, "function f"), ("GOFLAGS", 7, None), ("GOBIN", 8, "function g")]
    assert {(rc, n) for n in (2, 3, 5, 6, 7, 8, 9, 10)} <= set(t.executed)
    real = untraced_env(home, shell)
    for var in ("GOPATH", "GOFLAGS", "GOBIN"):
        assert t.env[var] == real[var]


def test_gvm_like_path_helper_with_local_ifs(home: Home) -> None:
    """gvm's scripts prepend to PATH in a function that splits PATH on `:` with a local IFS."""
    home.file(".gvm/scripts/env/pathmunge", """
        pathmunge() {
          local IFS=:
          local entry
          for entry in $PATH; do
            [ "$entry" = "$1" ] && return 0
          done
          export PATH="$1:$PATH"
        }
    """)
    home.file(".gvm/scripts/gvm", """
        . "$HOME/.gvm/scripts/env/pathmunge"
        pathmunge "$HOME/.gvm/bin"
        export GOROOT="$HOME/.gvm/gos/go1.22"
        pathmunge "$GOROOT/bin"
    """)
    home.file(".bashrc", '[[ -s "$HOME/.gvm/scripts/gvm" ]] && source "$HOME/.gvm/scripts/gvm"\n')
    t = home.trace(shells=("bash",), only=(NOLOGIN["bash"],))[NOLOGIN["bash"]]
    assert t.status is TraceStatus.OK, t.error
    path = [a for a in t.assignments if a.var == "PATH" and a.location.path.startswith(home.path)]
    assert [(a.location.path, a.location.line, a.via, a.call_site.line if a.call_site else None) for a in path] == [
        (home.p(".gvm/scripts/env/pathmunge"), 7, "function pathmunge", 2),
        (home.p(".gvm/scripts/env/pathmunge"), 7, "function pathmunge", 4),
    ]
    assert t.env["PATH"] == untraced_env(home, "bash")["PATH"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_source_process_substitution_is_named_by_its_line(home: Home, shell: str) -> None:
    home.file(RC[shell], """
        true
        source <(echo 'export GOPROXY=direct')
        source <(true)
        source <(echo 'export GOFLAGS=-v')
    """)
    t = home.trace(shells=(shell,), only=(NOLOGIN[shell],))[NOLOGIN[shell]]
    assert t.status is TraceStatus.OK, t.error
    rc = home.p(RC[shell])
    streams = [(f.path, f.sourced_from.line if f.sourced_from else None) for f in t.files if "<(" in f.path]
    assert streams == [(f"<(…) at {rc}:2", 2), (f"<(…) at {rc}:3", 3), (f"<(…) at {rc}:4", 4)]
    assert not [f for f in t.files if "/fd/" in f.path]
    assert changes(t, "GOFLAGS", home) == [(f"~/{RC[shell]}", 4, "export", "-v")]
    from goenv_tui.display import tilde
    assert tilde(home.path, streams[0][0]) == f"<(…) at ~/{RC[shell]}:2"


def test_literal_replacement_character_is_valid_utf8(home: Home) -> None:
    home.file(".bashrc", "# a literal \ufffd in a comment is valid UTF-8\nexport GOPATH=$HOME/go\n")
    home.raw(".profile", b"# latin-1 \xe9 is not\nexport GOFLAGS=-v\n")
    d = home.diagnose(shells=("bash",))
    bad = {f.title for f in d.findings if f.id.startswith("GOENV-TRACE-003")}
    assert not [t for t in bad if ".bashrc" in t], bad
    assert [t for t in bad if ".profile" in t and "UTF-8" in t], bad
    assert os.path.exists(home.p(".bashrc"))


# --- slow is not hung; compinit's first start ------------------------------------------------------

def home_listing(home: Home) -> dict[str, bytes | None]:
    """Every path under the home with its bytes (None for directories)."""
    out: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(home.path):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), home.path)] = None
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, home.path)] = fh.read()
    return out


COMPINIT_RC = """
autoload -Uz compinit
compinit
export GOPATH=$HOME/go
path=($GOPATH/bin $path)
"""


@pytest.mark.slow
def test_first_start_compinit_is_traced_to_the_end_and_leaves_no_dump(home: Home) -> None:
    """No ~/.zcompdump yet: compinit builds it (the first start of every oh-my-zsh/prezto home).
    At the default deadline the trace must finish, agree with the real shell, and leave the home
    as it was (compinit's dump is a write into the home)."""
    from goenv_tui.shells import zsh

    home.file(".zshrc", COMPINIT_RC)
    before = home_listing(home)
    ids = ("zsh-nologin-interactive", "zsh-login-interactive")
    traces = home.trace(shells=("zsh",), login_shell="/bin/zsh", only=ids)
    assert home_listing(home) == before
    real = untraced_env(home, "zsh")
    for cid in ids:
        t = traces[cid]
        assert t.status is TraceStatus.OK, t.error
        assert changes(t, "GOPATH", home) == [("~/.zshrc", 3, "export", home.p("go"))]
        path = [a for a in t.assignments if a.var == "PATH" and a.location.path == home.p(".zshrc")]
        assert [(a.location.line, a.op.value) for a in path] == [(4, "prepend")]
        assert t.env["PATH"] == real["PATH"] and t.env["GOPATH"] == real["GOPATH"]
        # compinit's own lines are not listed as startup files; our helper is not the user's.
        assert not [f for f in t.files if "/functions/" in f.path]
        assert not [k for k in t.full_env if k in zsh.OURS]
    # The real untraced shell built a dump (so compinit really ran there); the trace did not keep one.
    assert any(n.startswith(".zcompdump") for n in os.listdir(home.path))


def test_an_existing_dump_is_left_byte_for_byte(home: Home) -> None:
    home.file(".zshrc", COMPINIT_RC)
    untraced_env(home, "zsh")  # the user's own first start builds the dump
    before = home_listing(home)
    assert ".zcompdump" in before
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", only=("zsh-nologin-interactive",))["zsh-nologin-interactive"]
    assert t.status is TraceStatus.OK, t.error
    assert home_listing(home) == before


def test_a_start_killed_inside_compinit_leaves_no_partial_dump(home: Home) -> None:
    """Stopped at the ceiling while compinit writes its dump: neither the partial
    `.zcompdump.HOST.PID` nor anything else compinit wrote stays behind, and the report says
    slow, not hung."""
    from goenv_tui.host import LocalHost
    from goenv_tui.shells.contexts import all_specs
    from goenv_tui.shells.tracer import TraceOptions, trace_all

    home.file(".zshrc", "autoload -Uz compinit\nwhile true; do compinit -d ~/.cache/omz/.zcompdump-x-5.9; done\n")
    before = home_listing(home)
    opts = TraceOptions(home=home.path, shells=("zsh",), timeout=5.0, ceiling=2.0, login_shell="/bin/zsh")
    traces, _ = trace_all(LocalHost(), opts, [s for s in all_specs(("zsh",)) if s.id == "zsh-nologin-interactive"])
    t = traces[0]
    assert t.status is TraceStatus.TIMEOUT and t.slow
    assert "slow, not stuck" in (t.error or "")
    assert "compinit" in (t.error or "") or "compdump" in (t.error or "")
    assert home_listing(home) == before


def test_busy_but_progressing_start_is_slow_not_hung(home: Home) -> None:
    """A start that keeps running new lines for longer than the hang deadline finishes."""
    home.file(".bashrc", """
        end=$((SECONDS + 3))
        while [ "$SECONDS" -lt "$end" ]; do :; done
        export GOPATH=/slow/go
    """)
    t = home.trace(shells=("bash",), timeout=1.0, only=("bash-nologin-interactive",))["bash-nologin-interactive"]
    assert t.status is TraceStatus.OK, t.error
    assert t.env["GOPATH"] == "/slow/go"
    assert any(n.startswith("slow start:") and home.p(".bashrc") in n for n in t.notes), t.notes


def test_progressing_past_the_ceiling_is_reported_slow(home: Home) -> None:
    from goenv_tui.diagnose import diagnose
    from goenv_tui.host import LocalHost
    from goenv_tui.shells.tracer import TraceOptions

    home.file(".bashrc", "while :; do :; done\n")
    opts = TraceOptions(home=home.path, shells=("bash",), timeout=1.0, ceiling=2.0, login_shell="/bin/bash")
    d = diagnose(LocalHost(), opts, None, probes=False)
    t = next(c for c in d.facts.contexts if c.id == "bash-nologin-interactive")
    assert t.status is TraceStatus.TIMEOUT and t.slow
    assert f"most of the time in {home.p('.bashrc')}" in (t.error or "")
    found = [f for f in d.findings if f.check == "GOENV-TRACE-001"]
    assert [f.title for f in found] == ["Shell startup is too slow (still running at ~/.bashrc:1)"]


def test_no_go_is_not_claimed_when_the_contexts_that_matter_did_not_finish(home: Home) -> None:
    """The interactive contexts hang after putting Go on PATH: say they hang, not that there is no go."""
    home.file(".zshrc", "path=(/usr/local/go/bin $path)\nsleep 6091\n")
    d = home.diagnose(shells=("zsh",), login_shell="/bin/zsh", timeout=1.0)
    assert "GOENV-TRACE-001" in {f.check for f in d.findings}
    # `zsh -c` (ssh host cmd) reads no .zshrc and really lacks go; the hung contexts are not judged.
    nogo = [f for f in d.findings if f.check == "GOENV-GO-001"]
    assert [(f.title, f.contexts) for f in nogo] == [
        ("No `go` on PATH in zsh-sshd-command", ("zsh-sshd-command",))]
    assert "did not finish" in nogo[0].detail
    # The real shell does find go there once started (the trace had no chance to see it).
    res = subprocess.run(["/bin/zsh", "-c", "path=(/usr/local/go/bin $path); whence -p go"], capture_output=True,
                         text=True, timeout=30, env={"HOME": home.path, "PATH": "/usr/bin:/bin"})
    assert res.stdout.strip() == "/usr/local/go/bin/go"


def test_zsh_emulate_typeset_u_autoload_and_library_calls(home: Home) -> None:
    """prezto/oh-my-zsh idioms: `typeset -gU path`, a multi-line `path=(…)`, a function that runs
    `emulate -L zsh` (whose assignments xtrace may not show), a user function autoloaded from
    ~/.zfunc, and calls into zsh's own library (is-at-least, add-zsh-hook) between them."""
    home.file(".zfunc/go_setup", """
        emulate -L zsh
        export GOPATH=$HOME/gopath
        path=($GOPATH/bin $path)
    """)
    home.file(".zshrc", """
        typeset -gU path fpath
        fpath=(~/.zfunc $fpath)
        path=(
          /usr/local/go/bin
          $path
          /usr/local/go/bin
        )
        autoload -Uz is-at-least add-zsh-hook go_setup
        is-at-least 5.0 && export GOFLAGS=-mod=mod
        add-zsh-hook precmd go_setup
        go_setup
        quiet() { emulate -LR zsh; export GOBIN=$HOME/gobin }
        quiet
    """)
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", only=("zsh-nologin-interactive",))["zsh-nologin-interactive"]
    assert t.status is TraceStatus.OK, t.error
    real = untraced_env(home, "zsh")
    for var in ("PATH", "GOPATH", "GOFLAGS", "GOBIN"):
        assert t.env[var] == real[var], var
    path = [a for a in t.assignments if a.var == "PATH" and a.location.path.startswith(home.path)]
    assert [(a.location.path, a.location.line, a.op.value) for a in path] == [
        (home.p(".zshrc"), 3, "prepend"),  # the multi-line path=(…), one entry kept by typeset -U
        (home.p(".zfunc/go_setup"), 3, "prepend"),
    ]
    assert changes(t, "GOFLAGS", home) == [("~/.zshrc", 9, "export", "-mod=mod")]
    gopath = [a for a in t.assignments if a.var == "GOPATH"]
    assert [(a.location.path, a.location.line, a.via) for a in gopath] == [
        (home.p(".zfunc/go_setup"), 2, "function go_setup")]
    # Set with tracing off (emulate -LR): still credited to the function's line that ran it.
    gobin = [a for a in t.assignments if a.var == "GOBIN"]
    assert [(a.location.path, a.location.line, a.value) for a in gobin] == [(home.p(".zshrc"), 12, home.p("gobin"))]
    # zsh's library files are not startup files.
    assert [f.path for f in t.files if f.path.startswith(home.path)] == [home.p(".zshrc")]


def test_change_made_inside_the_zsh_library_is_credited_to_the_calling_line(tmp_path) -> None:
    """Lines of zsh's own function library are traced without values; a change made in there is
    seen at the next line outside it and credited to the user's line that called in."""
    from goenv_tui.shells import zsh
    from goenv_tui.shells.trace import END_MARK, fold, where_time_went

    lib = tmp_path / "share" / "zsh" / "functions"
    lib.mkdir(parents=True)
    (lib / "lib_setpath").write_text("local i\nfor i in 1 2 3; do :; done\nexport GOROOT=/lib/go\npath=(/lib/go/bin $path)\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".zshrc").write_text(f"fpath=({lib} $fpath)\nautoload -Uz lib_setpath\ntrue\nlib_setpath\nexport GOFLAGS=-v\n")
    watched = ["PATH", "GOROOT", "GOFLAGS"]
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", **zsh.ps4(watched, library=(str(tmp_path / "share" / "zsh") + "/",))}
    res = subprocess.run(["/bin/zsh", "-i", "-o", "xtrace", "-o", "promptsubst", "-o", "sourcetrace", "-c", f": {END_MARK}"],
                         env=env, cwd=home, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    records = zsh.parse(res.stderr.decode(), watched)
    opaque = [r for r in records if r.opaque]
    assert opaque and all(r.file == str(lib / "lib_setpath") for r in opaque)
    folded = fold(records, watched, dict(records[0].values))
    assert folded.finished
    mine = [(a.var, a.location.path, a.location.line, a.value) for a in folded.assignments
            if a.location.path == str(home / ".zshrc")]
    assert mine == [
        ("PATH", str(home / ".zshrc"), 4, "/lib/go/bin:/usr/bin:/bin"),
        ("GOROOT", str(home / ".zshrc"), 4, "/lib/go"),
        ("GOFLAGS", str(home / ".zshrc"), 5, "-v"),
    ]
    assert str(lib / "lib_setpath") not in {f.path for f in folded.files}
    assert where_time_went(records)  # names a file


def _lib_trace(tmp_path, zshrc: str, watched: list[str]) -> tuple[list, str, object]:
    """Trace an interactive zsh with a fake zsh library (tmp/share/zsh/functions) whose `compinit`
    sets GOROOT and PATH after a loop of 500 lines."""
    from goenv_tui.shells import zsh
    from goenv_tui.shells.trace import END_MARK

    lib = tmp_path / "share" / "zsh" / "functions"
    lib.mkdir(parents=True, exist_ok=True)
    (lib / "compinit").write_text("emulate -L zsh\nlocal i\nfor i in {1..500}; do :; done\n"
                                  "export GOROOT=/lib/go\npath=(/lib/go/bin $path)\n")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / ".zshrc").write_text(zshrc.replace("LIB", str(lib)))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin",
           **zsh.ps4(watched, library=(str(tmp_path / "share" / "zsh") + "/",))}
    res = subprocess.run(["/bin/zsh", "-i", "-o", "xtrace", "-o", "promptsubst", "-o", "sourcetrace", "-c",
                          f": {END_MARK}; /usr/bin/env -0"],
                         env=env, cwd=home, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return zsh.parse(res.stderr.decode(), watched), str(home / ".zshrc"), res


def test_compinit_runs_untraced_and_its_changes_are_credited_to_the_calling_line(tmp_path) -> None:
    """compinit (zsh's library) runs tens of thousands of lines on a first start: it runs with
    tracing off, and what it changed is credited to the user's `compinit` line."""
    from goenv_tui.shells.trace import fold

    watched = ["PATH", "GOROOT", "GOFLAGS"]
    records, rc, res = _lib_trace(tmp_path, "fpath=(LIB $fpath)\nautoload -Uz compinit\ncompinit -i\n"
                                            "export GOFLAGS=-v\n", watched)
    assert not any("/share/zsh/functions/compinit" in r.file for r in records)  # not one line of it traced
    assert sum(r.command == ":" for r in records) < 10  # nor its loop of 500 lines
    folded = fold(records, watched, dict(records[0].values))
    assert folded.finished
    mine = [(a.var, a.location.line, a.value, a.command) for a in folded.assignments if a.location.path == rc]
    assert mine == [
        ("PATH", 3, "/lib/go/bin:/usr/bin:/bin", "compinit -i"),  # the user's words, not our alias
        ("GOROOT", 3, "/lib/go", "compinit -i"),
        ("GOFLAGS", 4, "-v", "export GOFLAGS=-v"),
    ]
    # Tracing came back on after it; the shell really ran compinit.
    final = dict(item.split("=", 1) for item in res.stdout.decode().split("\0") if "=" in item)
    assert final["GOROOT"] == "/lib/go"
    assert (rc, 4) in folded.executed


@pytest.mark.parametrize("definition", ["compinit() {", "function compinit {"])
def test_a_users_own_compinit_is_traced_as_it_runs_untraced(home: Home, definition: str) -> None:
    """A `compinit` of the user's own runs traced, and as it would untraced: zsh refuses
    `compinit() {` while compinit is an alias (zsh-autocomplete defines it so), so such a start
    is traced again without the alias."""
    home.file(".zshrc", f"{definition}\n  export GOBIN=/my/bin\n}}\ncompinit\nexport GOFLAGS=-v\n")
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", only=("zsh-nologin-interactive",))["zsh-nologin-interactive"]
    assert t.status is TraceStatus.OK, t.error
    real = untraced_env(home, "zsh")
    assert t.env["GOBIN"] == real["GOBIN"] == "/my/bin" and t.env["GOFLAGS"] == real["GOFLAGS"]
    gobin = [a for a in t.assignments if a.var == "GOBIN"]
    assert [(a.location.path, a.location.line, a.via, a.call_site.line if a.call_site else None) for a in gobin] == [
        (home.p(".zshrc"), 2, "function compinit", 4)]


def test_the_quiet_alias_is_not_used_when_it_would_change_the_start(tmp_path) -> None:
    from goenv_tui.shells import zsh

    records, _, res = _lib_trace(tmp_path, "compinit() {\n  export GOBIN=/my/bin\n}\ncompinit\n", ["GOBIN"])
    assert zsh.quiet_misfired(res.stderr.decode(), records)
    records, _, res = _lib_trace(tmp_path, "setopt aliasfuncdef\ncompinit() {\n  export GOBIN=/my/bin\n}\ncompinit\n",
                                 ["GOBIN"])
    assert zsh.quiet_misfired(res.stderr.decode(), records)
    records, _, res = _lib_trace(tmp_path, "fpath=(LIB $fpath)\nautoload -Uz compinit\ncompinit\n", ["GOBIN"])
    assert not zsh.quiet_misfired(res.stderr.decode(), records)


def test_a_users_alias_named_compinit_is_left_alone(tmp_path) -> None:
    from goenv_tui.shells.trace import fold

    watched = ["PATH", "GOROOT", "GOBIN"]
    records, rc, _ = _lib_trace(tmp_path, "alias compinit='export GOBIN=/alias/bin'\ncompinit\n", watched)
    folded = fold(records, watched, dict(records[0].values))
    assert [(a.var, a.location.line, a.value) for a in folded.assignments if a.location.path == rc] == [
        ("GOBIN", 2, "/alias/bin")]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_a_go_variable_only_a_framework_sets_is_traced_once(home: Home, shell: str) -> None:
    """A GO* name that only a framework's file mentions (~/.nvm/nvm.sh here) is learnt after the
    shell ran: its changes are read from the traced commands instead of running the context a
    second time, and credited exactly as a second trace would."""
    home.file(RC[shell], 'export NVM_DIR="$HOME/.nvm"\n. "$NVM_DIR/nvm.sh"\n')
    home.file(".nvm/nvm.sh", 'echo run >> "$HOME/runs"\nnvm_go() { export GOFOO="$GOFOO:/more"; }\n'
                             "export GOFOO=/fw/foo\nnvm_go\neval 'export GOEVAL=1'\n"
                             # A command's words set nothing.
                             "echo GOFOO=/not/this >/dev/null\n")
    t = home.trace(shells=(shell,), login_shell=f"/bin/{shell}", only=(NOLOGIN[shell],))[NOLOGIN[shell]]
    assert t.status is TraceStatus.OK, t.error
    with open(home.p("runs")) as fh:
        assert fh.read() == "run\n"  # the shell ran once
    nvm = home.p(".nvm/nvm.sh")
    assert [(a.var, a.location.path, a.location.line, a.via, a.value) for a in t.assignments
            if a.var in ("GOFOO", "GOEVAL")] == [
        ("GOFOO", nvm, 3, None, "/fw/foo"),
        ("GOFOO", nvm, 2, "function nvm_go", "/fw/foo:/more"),
        ("GOEVAL", nvm, 5, "eval", "1"),
    ]
    real = untraced_env(home, shell)
    assert t.env["GOFOO"] == real["GOFOO"] and t.env["GOEVAL"] == real["GOEVAL"]
    assert t.watched["GOFOO"] == real["GOFOO"]


def test_a_framework_variable_the_commands_do_not_show_is_traced_again(home: Home) -> None:
    """`read` sets a variable without an assignment in the traced text: the context is traced
    again watching it, and the change is credited from that trace."""
    home.file(".bashrc", '. "$HOME/.fw/init.sh"\n')
    home.file(".fw/init.sh", 'echo run >> "$HOME/runs"\nread -r GOREAD <<< /from/read\nexport GOREAD\n')
    t = home.trace(shells=("bash",), only=(NOLOGIN["bash"],))[NOLOGIN["bash"]]
    assert t.status is TraceStatus.OK, t.error
    with open(home.p("runs")) as fh:
        assert fh.read() == "run\nrun\n"
    assert [(a.var, a.location.line, a.value) for a in t.assignments if a.var == "GOREAD"][-1:] == [
        ("GOREAD", 3, "/from/read")]
    assert t.env["GOREAD"] == untraced_env(home, "bash")["GOREAD"] == "/from/read"


def test_a_slow_compinit_is_slow_not_stuck_though_it_runs_untraced(home: Home) -> None:
    """compinit runs with tracing off, so a slow one (a slow disk, a big $fpath, a loaded
    machine) prints nothing for a while. Silence there is not a hang: the context is traced
    again with compinit traced, which shows it progressing, and it ends ok (it did end, untraced
    too). Here its dump (`compinit -C` sources it unchecked) takes 2.5 s in steps of 0.1 s, with
    a 1 s deadline for no progress; before, this was "startup made no progress for 1s"."""
    home.file(".zshrc", "autoload -Uz compinit\ncompinit -C -d ~/.zcompdump-t\nexport GOFLAGS=-v\n")
    home.file(".zcompdump-t", "#files: 1\n_comps=()\nrepeat 25 sleep 0.1\n")
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", timeout=1.0,
                   only=("zsh-nologin-interactive",))["zsh-nologin-interactive"]
    assert t.status is TraceStatus.OK, t.error
    assert t.env["GOFLAGS"] == untraced_env(home, "zsh")["GOFLAGS"] == "-v"
    assert any("compinit" in n for n in t.notes if n.startswith("slow start")), t.notes


def test_a_compinit_that_really_waits_is_stuck_at_the_line_that_waits(home: Home) -> None:
    """A compinit that really waits (here its dump runs a `sleep` longer than the deadline; in
    life the "insecure directories" prompt reading a terminal) is a hang, named at the line inside
    it that waits rather than at our own `unsetopt xtrace`."""
    home.file(".zshrc", "autoload -Uz compinit\ncompinit -C -d ~/.zcompdump-t\nexport GOFLAGS=-v\n")
    home.file(".zcompdump-t", "#files: 1\n_comps=()\nsleep 30\n")
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", timeout=1.0,
                   only=("zsh-nologin-interactive",))["zsh-nologin-interactive"]
    assert t.status is TraceStatus.TIMEOUT
    assert t.stopped_at is not None and (t.stopped_at.path, t.stopped_at.line) == (home.p(".zcompdump-t"), 3), t.error
    assert "unsetopt xtrace" not in (t.error or "")


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_go_settings_only_a_framework_file_names_are_exact_without_a_second_run(home: Home, shell: str) -> None:
    """GOPROXY, GOPRIVATE, GOSUMDB… are carried by each trace record only when a file of the home
    names them (each carried name costs every traced line). Set from a framework's own file (a
    company's proxy set-up, sourced by a path the home's files do not spell out), they are read
    from the traced commands: same credits and values as the real shell, and the shell runs once."""
    home.file(RC[shell], 'FW="$HOME/.corp"\n. "$FW/init.sh"\n')
    home.file(".corp/init.sh", 'echo run >> "$HOME/runs"\n'
                               "export GOPROXY=https://proxy.corp.example,direct\n"
                               "export GOPRIVATE=*.corp.example\n"
                               "GONOSUMDB=*.corp.example\n"  # set, never exported
                               "export GOINSECURE=x.example\nunset GOINSECURE\n")
    t = home.trace(shells=(shell,), login_shell=f"/bin/{shell}", only=(NOLOGIN[shell],))[NOLOGIN[shell]]
    assert t.status is TraceStatus.OK, t.error
    with open(home.p("runs")) as fh:
        assert fh.read() == "run\n"  # traced once
    init = home.p(".corp/init.sh")
    got = [(a.var, a.location.path, a.location.line, a.value, a.exported) for a in t.assignments
           if a.var.startswith(("GOPROXY", "GOPRIVATE", "GONOSUMDB", "GOINSECURE"))]
    assert got == [
        ("GOPROXY", init, 2, "https://proxy.corp.example,direct", True),
        ("GOPRIVATE", init, 3, "*.corp.example", True),
        ("GONOSUMDB", init, 4, "*.corp.example", False),
        ("GOINSECURE", init, 5, "x.example", True),
        ("GOINSECURE", init, 6, None, False),
    ], got
    real = untraced_env(home, shell)
    for name in ("GOPROXY", "GOPRIVATE"):
        assert t.env[name] == real[name]
    assert "GONOSUMDB" not in real and "GONOSUMDB" not in t.env and t.watched["GONOSUMDB"] == "*.corp.example"
    assert "GOINSECURE" not in real and "GOINSECURE" not in t.env and "GOINSECURE" not in t.watched


def test_a_framework_go_setting_made_with_tracing_off_is_still_credited(home: Home) -> None:
    """zsh: a framework function that runs `emulate -LR zsh` (tracing off) and sets GOPROXY: no
    traced command shows it, so the context is traced again carrying GOPROXY, which credits the
    change exactly as it credits GOBIN, a name every record carries, set beside it."""
    home.file(".zshrc", 'FW="$HOME/.fw"\n. "$FW/init.zsh"\n')
    home.file(".fw/init.zsh", 'echo run >> "$HOME/runs"\n'
                              "fw_proxy() { emulate -LR zsh; export GOPROXY=https://fw.example GOBIN=/fw/bin }\n"
                              "fw_proxy\n")
    t = home.trace(shells=("zsh",), login_shell="/bin/zsh", only=(NOLOGIN["zsh"],))[NOLOGIN["zsh"]]
    assert t.status is TraceStatus.OK, t.error
    with open(home.p("runs")) as fh:
        assert fh.read() == "run\nrun\n"  # the commands could not show it: traced again
    credit = {a.var: (a.location, a.via, a.call_site, a.value) for a in t.assignments if a.var in ("GOPROXY", "GOBIN")}
    init = home.p(".fw/init.zsh")
    assert credit["GOPROXY"][:3] == credit["GOBIN"][:3] and credit["GOPROXY"][3] == "https://fw.example", credit
    assert (credit["GOBIN"][0].path, credit["GOBIN"][0].line, credit["GOBIN"][2].line) == (init, 2, 3), credit
    assert t.env["GOPROXY"] == untraced_env(home, "zsh")["GOPROXY"] == "https://fw.example"


def test_fish_watches_every_go_setting_from_the_start(home: Home) -> None:
    """fish's watching costs nothing until a variable changes (a handler per variable), so it
    watches every Go setting whatever the home's files name: a framework's file sourced by a path
    the home does not spell out is credited line by line, including a variable set and not
    exported, and one set then erased."""
    home.file(".config/fish/config.fish", "set -l fw $HOME/.corp\nsource $fw/init.fish\n")
    home.file(".corp/init.fish", "echo run >> $HOME/runs\nset -gx GOPROXY https://p.example\nset -g GONOSUMDB x\n"
                                 "set -gx GOINSECURE y\nset -e GOINSECURE\n")
    cid = "fish-nologin-interactive"
    t = home.trace(shells=("fish",), login_shell="/usr/bin/fish", only=(cid,))[cid]
    assert t.status is TraceStatus.OK, t.error
    init = home.p(".corp/init.fish")
    assert [(a.var, a.location.path, a.location.line, a.value, a.exported) for a in t.assignments
            if a.var != "PATH"] == [
        ("GOPROXY", init, 2, "https://p.example", True), ("GONOSUMDB", init, 3, "x", False),
        ("GOINSECURE", init, 4, "y", True), ("GOINSECURE", init, 5, None, False)]
    with open(home.p("runs")) as fh:
        assert fh.read() == "run\n"  # traced once


def test_contexts_traced_side_by_side_never_share_a_pid(home: Home) -> None:
    """Each context's shell is contained in a PID namespace of its own, where it used to be pid 2
    every time: shells traced side by side shared `$$`, so startup code that names temporary
    files after it collided (compinit's `$dump.$HOST.$$` printed "mv: cannot stat" on a first
    start). Real shells never share a pid; traced ones must not either."""
    home.file(".zshrc", 'echo $$ >> "$HOME/pids"\nautoload -Uz compinit\ncompinit -d "$HOME/.zcompdump-t"\n')
    home.file(".bashrc", 'echo $$ >> "$HOME/pids"\n')
    traces = home.trace(shells=("bash", "zsh"), login_shell="/bin/zsh")
    assert all(t.status is TraceStatus.OK for t in traces.values()), {t.id: t.error for t in traces.values()}
    with open(home.p("pids")) as fh:
        pids = fh.read().split()
    assert len(pids) >= 4 and len(set(pids)) == len(pids), pids
