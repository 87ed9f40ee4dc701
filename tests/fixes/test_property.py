"""Property: on a corpus of homes, every fix offered either is found "not safe" by its trial (and
then nothing is written), or, applied, keeps the invariants — every edited file passes its
shell's syntax check, no context that found go loses it, the finding clears — and undo brings
back every byte (and every symlink) of the home. Each fix starts from the original home.

The corpus: the bundled demo home, the homes of the issue's cases, and the real-world framework
homes of tests/realworld when they are present."""

from __future__ import annotations

import importlib
import os
import subprocess
from collections.abc import Callable

import pytest

from goenv_tui.demo import DEMO_FILES
from goenv_tui.diagnose import diagnose
from goenv_tui.fixes.engine import apply_fix, undo
from goenv_tui.fixes.trial import run_trial, shell_of
from goenv_tui.host import LocalHost
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import Home

GO_DIR = os.path.dirname(gotools.GO)


def _demo(home: Home) -> tuple[str, ...]:
    for rel, text in DEMO_FILES.items():
        home.file(rel, text)
    return ("bash", "zsh", "fish")


def _dotfiles(home: Home) -> tuple[str, ...]:
    home.file("dotfiles/bash/.bashrc", f"# caf\xe9\nexport PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n"
              "case $- in *i*) ;; *) return;; esac\nexport GOPROXY=direct\nexport PATH=\"~/go/bin:$PATH\"\n")
    home.symlink(".bashrc", "dotfiles/bash/.bashrc")
    home.file(".bash_profile", '[ -f ~/.bashrc ] && . ~/.bashrc\n')
    return ("bash",)


def _zsh_split(home: Home) -> tuple[str, ...]:
    home.file(".zprofile", f"export PATH={GO_DIR}:$PATH\nexport GOROOT={os.path.dirname(GO_DIR)}\n")
    home.file(".zshrc", f"export PATH={GO_DIR}:$PATH\nif [[ -o interactive ]]; then\n  export GOROOT=$HOME/sdk/go1.21.0\nfi\n"
              "GO111MODULE=off\n")
    return ("zsh",)


def _g_installer(home: Home) -> tuple[str, ...]:
    root119 = gotools.goroot_of(gotools.go119())
    home.file(".bashrc", f'export GOPATH="$HOME/go"; export GOROOT="{root119}"; export PATH="{GO_DIR}:$GOPATH/bin:$PATH"; '
                         "# g-install: do NOT edit, see https://github.com/stefanmaric/g\n"
                         "for d in /nonexistent; do\n  export PATH=$d:$PATH\ndone\n")
    home.file(".config/go/env", f"GOBIN={home.p('bin$(touch ' + home.p('pwned') + ')')}\n")
    return ("bash",)


def _fish(home: Home) -> tuple[str, ...]:
    home.file(".config/fish/config.fish", f"set -gx PATH {GO_DIR} $PATH\nset -g GOFLAGS -mod=mod\n"
              "if status is-interactive\n    set -gx GOROOT $HOME/sdk/go1.21.0\nend\n")
    return ("fish",)


CORPUS: dict[str, Callable[[Home], tuple[str, ...]]] = {
    "demo": _demo, "dotfiles": _dotfiles, "zsh-split": _zsh_split, "g-installer": _g_installer, "fish": _fish,
}


def _realworld() -> dict[str, Callable[[Home], tuple[str, ...]]]:
    """tests/realworld (issue 10's corpus of framework homes), when it is there: any module-level
    BUILDERS mapping name → builder(home) → shells."""
    try:
        mod = importlib.import_module("tests.realworld.homes")
    except ImportError:
        return {}
    return dict(getattr(mod, "BUILDERS", {}))


def _snapshot(root: str) -> dict[str, tuple[str, bytes | str, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".cache", "state", "telemetry")]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p), 0)
            else:
                with open(p, "rb") as fh:
                    out[rel] = ("file", fh.read(), os.stat(p).st_mode & 0o7777)
    return out


def _go(d) -> set[str]:
    return {cid for cid, res in d.facts.resolutions.items() if res.get("go") and res["go"].resolved}


def _syntax_ok(path: str, link: str | None) -> bool:
    shell = shell_of(link or path)
    if shell is None:
        return True
    argv = ["fish", "--no-execute", path] if shell == "fish" else [shell, "-n", path]
    return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted({**CORPUS, **_realworld()}))
def test_every_offered_fix_keeps_the_invariants(tmp_path, name: str) -> None:
    home = Home(tmp_path / "home")
    shells = {**CORPUS, **_realworld()}[name](home)
    opts = TraceOptions(home=home.path, shells=shells, login_shell=f"/bin/{shells[0]}" if shells[0] != "fish" else "/usr/bin/fish")
    original = _snapshot(home.path)
    d = diagnose(LocalHost(), opts, None, today="2026-01-01")
    had_go = _go(d)
    tried = applied = 0
    for f in d.findings:
        for p in d.plans.get(f.id, []):
            if p.argv:  # commands (go install, go env -u) are checked after they run, not tried
                continue
            tried += 1
            fresh = diagnose(LocalHost(), opts, None, today="2026-01-01")  # each fix from the original home
            plan = next((q for q in fresh.plans.get(f.id, []) if q.id == p.id), None)
            if plan is None:
                continue
            trial = run_trial(LocalHost(), opts, None, fresh, plan)
            assert _snapshot(home.path) == original, f"the trial of {p.fix.title} wrote into the home"
            if not trial.safe:
                assert trial.problems, trial
                continue
            out = apply_fix(LocalHost(), opts, None, fresh, plan, trial=trial)
            if out.rolled_back:
                assert _snapshot(home.path) == original, f"{p.fix.title}: rollback was not byte-exact"
                continue
            applied += 1
            assert out.applied and out.cleared and not out.new, (p.fix.title, out.verdict)
            for e in plan.edits:
                if e.changes and e.after is not None:
                    assert _syntax_ok(e.path, e.link), (p.fix.title, e.path)
                if e.link:
                    assert os.path.islink(e.link), f"{p.fix.title} replaced the link {e.link}"
            assert had_go <= _go(out.after), (p.fix.title, had_go - _go(out.after))
            assert not os.path.exists(home.p("pwned")), f"{p.fix.title} ran code from a value"
            undo(LocalHost(), home.path, out.entry.id)
            assert _snapshot(home.path) == original, f"{p.fix.title}: undo was not byte-exact"
    assert tried, f"no fix offered on the {name} home: the corpus entry tests nothing"
    print(f"{name}: {tried} fixes tried, {applied} applied and undone")
