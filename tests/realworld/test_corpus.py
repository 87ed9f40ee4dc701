"""The real-world corpus: minimal homes imitating each framework's pattern, each checked against
the real, untraced shells started the same way in the same home.

For every home, on the FIRST run (nothing cached yet — compinit's dump, nvm's state): every
context traces ok; `go` resolves exactly where the untraced shell's `command -v go` finds it;
`go env GOROOT` agrees; and every error is one the real shells confirm.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from goenv_tui.model import Severity, TraceStatus
from tests.homes import Home
from tests.realworld import corpus, untraced


def _homes() -> list:
    def p(name: str, build: Callable[[Home], object], login: str = "/bin/bash", shells=("bash", "zsh"), marks=()):
        return pytest.param(build, login, shells, id=name, marks=marks)

    return [
        p("goenv", lambda h: corpus.goenv(corpus.skeleton(h))),
        p("goenv-zsh-login", lambda h: corpus.goenv(h, rc_files=(".zshrc",)), login="/bin/zsh"),
        p("gvm", lambda h: corpus.gvm(corpus.skeleton(h))),
        p("gvm-zsh", lambda h: corpus.gvm(h, rc_files=(".zshrc",)), login="/bin/zsh", shells=("zsh",)),
        p("asdf", lambda h: corpus.asdf(corpus.skeleton(h))),
        p("g", lambda h: corpus.g(corpus.skeleton(h))),
        p("prezto", corpus.prezto, login="/bin/zsh"),
        p("oh-my-zsh", corpus.ohmyzsh, login="/bin/zsh"),
        p("nvm", lambda h: corpus.append(corpus.nvm(corpus.skeleton(h)), ".bashrc", corpus.GO_LINES)),
        p("stow", corpus.stow),
        p("zsh-idioms", corpus.zsh_idioms, login="/bin/zsh"),
    ]


def check_against_real_shells(home: Home, login: str, shells: tuple[str, ...]) -> None:
    d = home.diagnose(shells=shells, login_shell=login)
    bad = {t.id: f"{t.status.value}: {t.error}" for t in d.facts.contexts if t.status is not TraceStatus.OK}
    assert not bad, bad
    # Every change is credited to a line that exists in the file named.
    for t in d.facts.contexts:
        for a in t.assignments:
            text = d.facts.files.get(a.location.path)
            if text is not None and text.text is not None and a.location.line:
                assert a.location.line <= len(text.text.splitlines()), (t.id, a.var, a.location)
    truth = {t.id: untraced.truth(home.path, t.spec) for t in d.facts.contexts}
    for t in d.facts.contexts:
        res = d.facts.resolutions[t.id]["go"].resolved
        assert (res.path if res else None) == truth[t.id].go, t.id
        if res is not None:
            ge = d.facts.goenvs[t.id]
            assert ge.error is None and ge.values["GOROOT"].value == truth[t.id].goroot, t.id
    for f in d.findings:
        if f.severity is not Severity.ERROR:
            continue
        # Every error must be one the untraced shells confirm.
        if f.check in ("GOENV-GO-001", "GOENV-GO-002"):
            lacking = [c for c in f.contexts if d.facts.resolutions[c]["go"].resolved is None]
            assert lacking and all(truth[c].go is None for c in lacking), (f.title, {c: truth[c] for c in lacking})
        elif f.check == "GOENV-TOOLS-005":
            # "not installed": the untraced shells must not find it either, in any context named.
            tool = f.data["tool"]
            assert f.contexts and all(getattr(truth[c], tool) is None for c in f.contexts), (
                f.title, {c: truth[c] for c in f.contexts})
        else:
            pytest.fail(f"unexpected error finding on a healthy framework home: {f.id} {f.title}\n{f.detail}")


@pytest.mark.slow
@pytest.mark.parametrize(("build", "login", "shells"), _homes())
def test_framework_home_matches_the_real_shells(home: Home, build, login: str, shells: tuple[str, ...]) -> None:
    build(home)
    check_against_real_shells(home, login, shells)
