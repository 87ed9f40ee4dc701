"""Homes that use frameworks as Debian packages them (installed by scripts/install-test-deps.sh):
the user's lines are the ones each package's README or /usr/share/doc tells them to add."""

from __future__ import annotations

import os
import shutil

import pytest

from tests import gotools
from tests.homes import Home
from tests.realworld import corpus

# bash-completion ships /etc/profile.d/bash_completion.sh, which would change every login bash on
# a shared machine; install-test-deps.sh unpacks the package here instead and the home sources it
# from ~/.bashrc exactly as Debian's /etc/bash.bashrc (commented out there) would.
BASH_COMPLETION = os.path.join(os.environ.get("GOENV_TUI_TEST_CACHE") or os.path.expanduser("~/.cache/goenv-tui-tests"),
                               "bash-completion/usr/share/bash-completion/bash_completion")


def need(path: str) -> str:
    if not os.path.exists(path):
        msg = f"{path} is missing: run scripts/install-test-deps.sh"
        if os.environ.get("GOENV_TUI_CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def need_cmd(name: str) -> str:
    return need(shutil.which(name) or f"/usr/bin/{name}")


def rbenv(home: Home) -> Home:
    """rbenv (the shim design goenv copied): `eval "$(rbenv init - bash)"`. Its rehash makes a
    shim for every program in ~/.rbenv/versions/*/bin — here a "version" that links to the real
    Go, so `go` really runs through rbenv's own shim and `rbenv exec`."""
    need_cmd("rbenv")
    home.symlink(".rbenv/versions/go-system", gotools.goroot_of(gotools.go()))
    home.file(".rbenv/version", "go-system\n")
    corpus.append(home, ".bashrc", 'eval "$(rbenv init - bash)"\n')
    corpus.append(home, ".zshrc", 'eval "$(rbenv init - zsh)"\n')
    return home


def liquidprompt(home: Home) -> Home:
    need("/usr/share/liquidprompt/liquidprompt")
    corpus.append(home, ".bashrc", "[[ $- = *i* ]] && source /usr/share/liquidprompt/liquidprompt\n" + corpus.GO_LINES)
    return home


def direnv(home: Home) -> Home:
    need_cmd("direnv")
    home.file(".envrc", "export GOFLAGS=-mod=mod\n")
    corpus.append(home, ".bashrc", 'eval "$(direnv hook bash)"\n' + corpus.GO_LINES)
    corpus.append(home, ".zshrc", 'eval "$(direnv hook zsh)"\n' + corpus.GO_LINES)
    return home


def fzf(home: Home) -> Home:
    need("/usr/share/doc/fzf/examples/key-bindings.bash")
    corpus.append(home, ".bashrc", "source /usr/share/doc/fzf/examples/key-bindings.bash\n"
                                   "source /usr/share/doc/fzf/examples/completion.bash 2>/dev/null\n" + corpus.GO_LINES)
    corpus.append(home, ".zshrc", "source /usr/share/doc/fzf/examples/key-bindings.zsh\n" + corpus.GO_LINES)
    return home


def zsh_plugins(home: Home) -> Home:
    need("/usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh")
    need("/usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh")
    corpus.append(home, ".zshrc", corpus.GO_LINES
                  + "source /usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh\n"
                  + "source /usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh\n")
    return home


def antigen(home: Home) -> Home:
    need("/usr/share/zsh-antigen/antigen.zsh")
    corpus.append(home, ".zshrc", "source /usr/share/zsh-antigen/antigen.zsh\n"
                                  "antigen bundle /usr/share/zsh-autosuggestions --no-local-clone\n"
                                  "antigen apply\n" + corpus.GO_LINES)
    return home


def zplug(home: Home) -> Home:
    need("/usr/share/zplug/init.zsh")
    corpus.append(home, ".zshrc", "source /usr/share/zplug/init.zsh\n"
                                  'zplug "/usr/share/zsh-autosuggestions", from:local\n'
                                  "zplug load\n" + corpus.GO_LINES)
    return home


def bash_completion(home: Home) -> Home:
    bc = need(BASH_COMPLETION)
    corpus.append(home, ".bashrc", f"if ! shopt -oq posix; then\n  [ -f {bc} ] && . {bc}\nfi\n" + corpus.GO_LINES)
    return home


def golang_go_link(home: Home) -> Home:
    """What Debian's golang-go does to /usr/bin/go (a link to ../lib/go-1.19/bin/go), in the
    home's ~/bin so the machine's /usr/bin stays as other tests expect it."""
    home.symlink("bin/go", os.path.relpath(gotools.go119(), home.p("bin")))
    return home
