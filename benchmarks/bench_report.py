"""Benchmark: `goenv-tui report --json` on a realistic home against the floor of starting the same
shells, untraced, one after another.

Target (issue 2): the whole report — every context traced, the graph, the checks — in at most
1.5x the time of starting those shells one after another without tracing.

    python benchmarks/bench_report.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.shells.contexts import all_specs  # noqa: E402
from goenv_tui.shells.tracer import SEED_PATH  # noqa: E402

ALIASES = "\n".join(f"alias g{i}='git log --oneline -n {i}'" for i in range(40))
FUNCS = "\n".join(f"f{i}() {{ local x=$1; echo \"$x\" >/dev/null; }}" for i in range(20))

FILES = {
    ".profile": """
# ~/.profile
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
fi
if [ -d "$HOME/bin" ] ; then PATH="$HOME/bin:$PATH"; fi
if [ -d "$HOME/.local/bin" ] ; then PATH="$HOME/.local/bin:$PATH"; fi
export EDITOR=vim
export GOPATH="$HOME/go"
# as the Go docs suggest
export PATH="$PATH:/usr/local/go/bin:$(/usr/local/go/bin/go env GOPATH)/bin"
""",
    ".bash_profile": """
# ~/.bash_profile
[ -f ~/.profile ] && . ~/.profile
export PAGER=less
""",
    ".bashrc": """
# ~/.bashrc
case $- in *i*) ;; *) return;; esac
HISTCONTROL=ignoreboth
shopt -s histappend
HISTSIZE=1000
HISTFILESIZE=2000
shopt -s checkwinsize
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then debian_chroot=$(cat /etc/debian_chroot); fi
case "$TERM" in xterm-color|*-256color) color_prompt=yes;; esac
if [ "$color_prompt" = yes ]; then
    PS1='${debian_chroot:+($debian_chroot)}\\[\\033[01;32m\\]\\u@\\h\\[\\033[00m\\]:\\[\\033[01;34m\\]\\w\\[\\033[00m\\]\\$ '
else
    PS1='${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ '
fi
unset color_prompt
""" + ALIASES + "\n" + FUNCS + """
for f in ~/.bashrc.d/*.sh; do [ -r "$f" ] && . "$f"; done
export GOPROXY=https://proxy.golang.org,direct
""",
    ".bashrc.d/10-go.sh": """
export GOROOT=/usr/local/go
export PATH="$GOROOT/bin:$PATH"
export GOBIN="$HOME/go/bin"
case ":$PATH:" in *":$GOBIN:"*) ;; *) PATH="$PATH:$GOBIN";; esac
""",
    ".bashrc.d/20-tools.sh": """
addpath() { case ":$PATH:" in *":$1:"*) ;; *) PATH="$1:$PATH";; esac; }
addpath "$HOME/.cargo/bin"
addpath "$HOME/.npm-global/bin"
export GOFLAGS=-mod=mod
""",
    ".bashrc.d/30-prompt.sh": """
__git_branch() { git rev-parse --abbrev-ref HEAD 2>/dev/null; }
export GIT_PS1_SHOWDIRTYSTATE=1
eval "$(printf 'export GOPRIVATE=%s\\n' 'github.com/acme/*')"
""",
    ".zshenv": """
typeset -U path
path=($HOME/.local/bin $path)
export GOPATH=$HOME/go
""",
    ".zprofile": """
export GOROOT=/usr/local/go
path=($GOROOT/bin $path)
""",
    ".zshrc": """
HISTFILE=~/.zsh_history
HISTSIZE=10000
SAVEHIST=10000
setopt appendhistory sharehistory histignorealldups autocd extendedglob
bindkey -e
autoload -Uz compinit && compinit -u
zstyle ':completion:*' menu select
""" + ALIASES + "\n" + "\n".join(f"zf{i}() {{ local x=$1; print -r -- $x >/dev/null }}" for i in range(20)) + """
for f in ~/.zshrc.d/*.zsh(N); do source $f; done
export GOPROXY=https://proxy.golang.org,direct
""",
    ".zshrc.d/go.zsh": """
export GOBIN=$(/usr/local/go/bin/go env GOPATH)/bin
path+=($GOBIN)
export GOFLAGS=-mod=mod
""",
    ".zshrc.d/prompt.zsh": """
autoload -Uz vcs_info
precmd() { vcs_info }
PROMPT='%n@%m %1~ %# '
""",
}


def build_home() -> str:
    home = tempfile.mkdtemp(prefix="goenv-bench-")
    for rel, text in FILES.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text.lstrip("\n"))
    os.makedirs(os.path.join(home, "go", "bin"), exist_ok=True)
    return home


def floor_once(home: str) -> float:
    """Start every context's shell, untraced, one after another; seconds."""
    env_base = {"HOME": home, "PATH": SEED_PATH["linux"], "TERM": "xterm-256color", "LANG": "C.UTF-8",
                "USER": os.environ.get("USER", "root")}
    start = time.perf_counter()
    for spec in all_specs(("bash", "zsh")):
        shell = f"/bin/{spec.shell}"
        argv = [shell] + (["-l"] if spec.login else []) + (["-i"] if spec.interactive else []) + ["-c", "exec /usr/bin/env -0"]
        env = dict(env_base, SHELL=shell)
        if spec.sshd_command:
            env.update(SSH_CLIENT="127.0.0.1 50022 22", SSH_CONNECTION="127.0.0.1 50022 127.0.0.1 22")
        subprocess.run(argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    return time.perf_counter() - start


STAGES: list[dict] = []


def report_once(home: str) -> tuple[float, float]:
    """Wall time of the whole command, and the time it reports for tracing + graph + checks."""
    start = time.perf_counter()
    # Live probes (a go build, gopls, dlv) are measured separately (bench_probe.py): this target is
    # about tracing every context, resolving the tools, the graph and the checks.
    out = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--home", home],
                         capture_output=True, timeout=60).stdout
    wall = time.perf_counter() - start
    timings = json.loads(out)["timings"]
    STAGES.append(timings)
    return wall, timings["total_ms"] / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    home = build_home()
    lines = sum(t.count("\n") for t in FILES.values())
    print(f"home: {home} ({len(FILES)} startup files, {lines} lines)")
    floor_once(home)
    report_once(home)  # warm caches
    floors = [floor_once(home) for _ in range(args.runs)]
    runs = [report_once(home) for _ in range(args.runs)]
    f = statistics.median(floors)
    wall = statistics.median(r[0] for r in runs)
    work = statistics.median(r[1] for r in runs)
    print(f"untraced shells, sequential (floor):      median {f * 1000:6.0f} ms")
    print(f"report: trace + graph + checks (in-process): median {work * 1000:6.0f} ms  ratio {work / f:.2f}x  (target <= 1.5x)")
    print(f"report: whole command incl. Python start:    median {wall * 1000:6.0f} ms  ratio {wall / f:.2f}x")
    keys = [k for k in STAGES[-1] if k != "total_ms"]
    print("stages (median ms): " + ", ".join(f"{k[:-3]} {statistics.median(t.get(k, 0) for t in STAGES):.0f}" for k in keys))


if __name__ == "__main__":
    main()
