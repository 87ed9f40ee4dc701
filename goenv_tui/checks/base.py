"""What every check receives and the small vocabulary checks share."""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from goenv_tui import display
from goenv_tui.collect import Facts
from goenv_tui.graph import EnvGraph
from goenv_tui.host import Host
from goenv_tui.model import Finding, Fix, Location, Severity


@dataclass
class CheckContext:
    """What a check sees: the facts, the graph, and read-only access to the host for small lookups
    (a realpath, a VERSION file) that collection did not need to make."""

    facts: Facts
    graph: EnvGraph
    host: Host | None = None

    def host_realpath(self, path: str) -> str:
        import posixpath

        if self.host is None:
            return posixpath.normpath(path)
        return self.host.realpath(path)

    def read_first_line(self, path: str) -> str | None:
        if self.host is None:
            return None
        try:
            lines = self.host.read_text(path, 4096).splitlines()
        except Exception:
            return None
        return lines[0].strip() if lines else None

    def is_dir(self, path: str) -> bool:
        return bool(self.host and self.host.stat(path).is_dir)

    def is_file(self, path: str) -> bool:
        return bool(self.host and self.host.stat(path).is_file)

    def tilde(self, path: str | None) -> str:
        return display.tilde(self.facts.home, path)

    def tilde_list(self, value: str) -> str:
        """A value as the user writes it: each PATH-like element under the home as ~/…."""
        return ":".join(display.tilde(self.facts.home, e) if e else e for e in value.split(":"))

    def where(self, loc: Location | None) -> str:
        return display.where(self.facts.home, loc)

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


# The analysed HOME while checks run: ids hash paths under it as ~/…, so one home gives the same
# ids wherever it lives (the demo's temporary home, a home copied to another machine).
ID_HOME: contextvars.ContextVar[str | None] = contextvars.ContextVar("goenv_tui_id_home", default=None)


def stable_key(key: str, home: str | None) -> str:
    home = (home or "").rstrip("/")
    if not home:
        return key
    # The home itself or a path under it; not /home/al inside /home/alice.
    return re.sub(re.escape(home) + r"(?=[/|:,;\s'\")\]]|$)", "~", key)


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
    data: dict[str, str] | None = None,
) -> Finding:
    """A Finding whose id is stable across runs: the check id plus a hash of what it is about."""
    digest = hashlib.sha1(stable_key(key, ID_HOME.get()).encode()).hexdigest()[:6]
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
        data=dict(data or {}),
    )


def relevant_contexts(ctx: CheckContext) -> list[str]:
    """Contexts whose problems users meet: the primary ones that traced fine, else every ok one."""
    ok = [t.id for t in ctx.graph.ok_contexts()]
    primary = [c for c in ok if c in ctx.facts.primary]
    return primary or ok


def parse_go_version(text: str | None) -> tuple[int, int, int] | None:
    """"go1.26.8" / "1.22" / "go1.21rc1" → (1, 26, 8) / (1, 22, 0) / (1, 21, -1)."""
    import re

    if not text:
        return None
    m = re.search(r"(?:go)?(\d+)\.(\d+)(?:\.(\d+)|(rc|beta)\d*)?", text)
    if not m:
        return None
    patch = int(m.group(3)) if m.group(3) else (-1 if m.group(4) else 0)
    return int(m.group(1)), int(m.group(2)), patch


def parse_semver(text: str | None) -> tuple[int, ...] | None:
    import re

    if not text:
        return None
    m = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else None


def context_go(ctx: CheckContext, cid: str):
    """(the `go` candidate a context runs, its version) — version from `go env`, else VERSION."""
    res = ctx.facts.resolutions.get(cid, {}).get("go")
    cand = res.resolved if res else None
    ge = ctx.facts.goenvs.get(cid)
    version = None
    if ge is not None and "GOVERSION" in ge.values:
        version = ge.values["GOVERSION"].value
    if version is None and cand is not None:
        version = cand.go_install_version or (cand.info.go_version if cand.info else None)
    return cand, version


def goenv_value(ctx: CheckContext, cid: str, name: str):
    """The GoEnvValue of `name` in a context (None when go env did not run there)."""
    ge = ctx.facts.goenvs.get(cid)
    return ge.values.get(name) if ge is not None else None


def source_phrase(ctx: CheckContext, value) -> str:
    if value is None:
        return ""
    if value.source == "env":
        return f" (set at {ctx.where(value.location)})" if value.location else " (from the environment)"
    if value.source == "goenv-file":
        return f" (from `go env -w`, {ctx.where(value.location)})"
    return " (Go's default)"
