"""What every check receives and the small vocabulary checks share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from goenv_tui.collect import Facts
from goenv_tui.graph import EnvGraph
from goenv_tui.model import Finding, Fix, Location, Severity


@dataclass
class CheckContext:
    facts: Facts
    graph: EnvGraph

    def tilde(self, path: str | None) -> str:
        """Show paths under the analysed HOME as ~/…, the way the user thinks of them."""
        if path is None:
            return "?"
        home = self.facts.home.rstrip("/")
        if path == home:
            return "~"
        if path.startswith(home + "/"):
            return "~" + path[len(home):]
        return path

    def where(self, loc: Location | None) -> str:
        if loc is None:
            return "?"
        return f"{self.tilde(loc.path)}:{loc.line}" if loc.line else self.tilde(loc.path)

    def contexts_phrase(self, ids: Iterable[str]) -> str:
        """Context ids with the programs that use them: `zsh-login-interactive (VS Code …)`."""
        parts = []
        for cid in ids:
            t = self.graph.contexts.get(cid)
            users = [u for u in (t.used_by if t else ()) if not u.startswith("`")][:2]
            parts.append(f"{cid} ({', '.join(users)})" if users else cid)
        return "; ".join(parts)


@dataclass(frozen=True)
class CheckInfo:
    id: str
    topic: str
    severity: Severity
    title: str
    doc: str
    run: Callable[[CheckContext], Iterable[Finding]]


REGISTRY: list[CheckInfo] = []


def check(check_id: str, severity: Severity, title: str) -> Callable[[Callable[[CheckContext], Iterable[Finding]]], Callable[[CheckContext], Iterable[Finding]]]:
    """Register a check. Its docstring explains the real-world failure it catches."""

    def deco(fn: Callable[[CheckContext], Iterable[Finding]]) -> Callable[[CheckContext], Iterable[Finding]]:
        topic = check_id.split("-")[1].lower()
        REGISTRY.append(CheckInfo(check_id, topic, severity, title, (fn.__doc__ or "").strip(), fn))
        return fn

    return deco


def finding(
    check_id: str,
    key: str,
    severity: Severity,
    title: str,
    detail: str,
    *,
    variable: str | None = None,
    contexts: Iterable[str] = (),
    locations: Iterable[Location] = (),
    evidence: Iterable[str] = (),
    chain: Iterable[str] = (),
    fixes: Iterable[Fix] = (),
) -> Finding:
    """A Finding whose id is stable across runs: the check id plus a hash of what it is about."""
    digest = hashlib.sha1(key.encode()).hexdigest()[:6]
    return Finding(
        id=f"{check_id}@{digest}",
        check=check_id,
        severity=severity,
        title=title,
        detail=detail,
        variable=variable,
        contexts=tuple(sorted(set(contexts))),
        locations=tuple(dict.fromkeys(locations)),
        evidence=tuple(dict.fromkeys(evidence)),
        chain=tuple(chain),
        fixes=tuple(fixes),
    )
