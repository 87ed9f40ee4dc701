"""The corpus homes for tests/fixes/test_property.py: every fix offered on a framework's home
must keep the invariants (syntax, go, clears its finding, byte-exact undo) and never touch a
framework's file. (gvm's healthy home offers no fix at all, so it is not here; that no fix
ever edits its generated file is tests/realworld/test_managers.py's.) name → builder(home) → the shells to trace (the first is the login shell)."""

from __future__ import annotations

from collections.abc import Callable

from tests.homes import Home
from tests.realworld import corpus


def _goenv(home: Home) -> tuple[str, ...]:
    corpus.goenv(corpus.skeleton(home))
    return ("bash", "zsh")


def _asdf(home: Home) -> tuple[str, ...]:
    corpus.asdf(corpus.skeleton(home))
    return ("bash",)


def _g(home: Home) -> tuple[str, ...]:
    corpus.g(corpus.skeleton(home))
    return ("bash",)


def _stow(home: Home) -> tuple[str, ...]:
    corpus.stow(home)
    return ("bash", "zsh")


BUILDERS: dict[str, Callable[[Home], tuple[str, ...]]] = {
    "realworld-goenv": _goenv, "realworld-asdf": _asdf, "realworld-g": _g,
    "realworld-stow": _stow,
}
