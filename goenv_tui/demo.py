"""The bundled broken example HOME behind `goenv-tui --demo`.

Built from this table into a fresh temporary directory each time (never a copied tree), so it
needs no Go installation: every problem in it is about startup files, which is what the demo
is for. Tests build their homes the same way (tests/homes.py).
"""

from __future__ import annotations

import os
import tempfile

DEMO_FILES: dict[str, str] = {
    # bash: ~/.bash_profile exists, so bash never reads ~/.profile and its Go setup is dead.
    ".bash_profile": """\
# ~/.bash_profile: login shells read this, and only this.
export GOPATH="$HOME/go"
if [ -f ~/.bashrc ]; then
    . ~/.bashrc
fi
""",
    ".profile": """\
# ~/.profile: written by the Go installer docs; bash never reads it here.
export PATH="$PATH:/usr/local/go/bin"
export GOROOT=/usr/local/go
""",
    ".bashrc": """\
# ~/.bashrc
export GOPROXY=https://proxy.golang.org,direct
for f in ~/.bashrc.d/*.sh; do
    [ -r "$f" ] && . "$f"
done

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTSIZE=1000
export GOROOT=/usr/local/go1.19
export PATH="~/go/bin:$GOROOT/bin:$PATH"
""",
    ".bashrc.d/10-go.sh": """\
# tools installed with `go install`
export GOBIN="$HOME/go/bin"
export PATH="$PATH:$GOBIN"
""",
    # zsh: ~/.zshrc overrides the GOROOT that ~/.zprofile sets.
    ".zshenv": """\
typeset -U path
path=($HOME/.local/bin $path)
""",
    ".zprofile": """\
export GOROOT=/usr/local/go
export PATH="$GOROOT/bin:$PATH"
""",
    ".zshrc": """\
export GOROOT=$HOME/sdk/go1.21.0
export PATH="$GOROOT/bin:$PATH"
GO111MODULE=off
""",
}


def build_demo_home(root: str | None = None) -> str:
    """Write the demo HOME under `root` (a new temp dir by default) and return its path."""
    home = root or tempfile.mkdtemp(prefix="goenv-tui-demo-")
    for rel, text in DEMO_FILES.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    os.makedirs(os.path.join(home, ".local", "bin"), exist_ok=True)
    return home
