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
