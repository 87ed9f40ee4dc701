"""Integration tests on frameworks as Debian packages them, against the real untraced shells:
every context ok on the first run, go where the real shell finds it, no error they contradict."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests import gotools
from tests.homes import Home
from tests.realworld import corpus, debian
from tests.realworld.test_corpus import check_against_real_shells


def _homes() -> list:
    def p(name: str, build: Callable[[Home], object], login: str = "/bin/bash", shells=("bash", "zsh"), marks=()):
        return pytest.param(build, login, shells, id=name, marks=marks)

    return [
        p("rbenv", lambda h: debian.rbenv(corpus.skeleton(h))),
        p("liquidprompt", lambda h: debian.liquidprompt(corpus.skeleton(h)), shells=("bash",)),
        p("direnv", lambda h: debian.direnv(corpus.skeleton(h))),
        p("fzf", lambda h: debian.fzf(corpus.skeleton(h))),
        p("zsh-autosuggestions+syntax-highlighting", debian.zsh_plugins, login="/bin/zsh", shells=("zsh",)),
        p("zsh-antigen", debian.antigen, login="/bin/zsh", shells=("zsh",)),
        p("zplug", debian.zplug, login="/bin/zsh", shells=("zsh",)),
        p("bash-completion", lambda h: debian.bash_completion(corpus.skeleton(h)), shells=("bash",)),
        p("golang-go-link", lambda h: debian.golang_go_link(corpus.skeleton(h)), shells=("bash",)),
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("build", "login", "shells"), _homes())
def test_debian_framework_home_matches_the_real_shells(home: Home, build, login: str, shells: tuple[str, ...]) -> None:
    build(home)
    check_against_real_shells(home, login, shells)


@pytest.mark.slow
def test_rbenv_shim_runs_the_go_behind_it(home: Home) -> None:
    """rbenv's real shim and `rbenv exec`: the report names the shim and the Go it runs."""
    import os

    debian.rbenv(corpus.skeleton(home))
    d = home.diagnose(shells=("bash",))
    c = d.facts.resolutions["bash-nologin-interactive"]["go"].resolved
    assert c.path == home.p(".rbenv/shims/go") and c.shim == "rbenv" and c.info.format == "script"
    assert c.shim_target == os.path.realpath(gotools.go())
    assert c.go_install_version == gotools.go_version(gotools.go())
