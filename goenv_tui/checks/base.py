"""What every check receives and the small vocabulary checks share."""

from __future__ import annotations

import contextvars
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from goenv_tui import display
from goenv_tui.collect import Facts
from goenv_tui.graph import EnvGraph
from goenv_tui.host import Host
from goenv_tui.model import Candidate, Finding, Fix, GoEnvValue, Location, Severity

if TYPE_CHECKING:
    from goenv_tui.fixes.builders import FixContext
    from goenv_tui.fixes.plan import PlannedFix


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


# The tools a check may be about: the ones goenv-tui resolves on PATH and probes.
TOOLS = ("go", "gofmt", "gopls", "dlv", "staticcheck", "golangci-lint")

# A fix builder: reads a finding and plans its fixes against the files as they are now. It sits
# in the check's module, registered with `@<check>.fix` (see goenv_tui/fixes/builders.py).
FixBuilder = Callable[["FixContext", Finding], "list[PlannedFix]"]
CheckFn = Callable[[CheckContext], Iterable[Finding]]


class UndeclaredSeverity(Exception):
    """A check reported a severity it did not declare (raised in strict mode: the tests)."""


@dataclass(frozen=True)
class CheckInfo:
    """A registered check: what `@check` declares, and the fix builders registered next to it.

    The module-level name of a check function is its CheckInfo, so that its fixes are registered
    with `@name.fix` right below it."""

    id: str
    topic: str
    severity: Severity  # the usual one, shown in --list-checks first
    title: str
    doc: str
    run: CheckFn
    severities: tuple[Severity, ...] = ()  # every severity its findings may have (severity first)
    tools: tuple[str, ...] = ()  # the tools it is about (a finding of several says which in data["tool"])
    # Its findings are about which binary of that tool runs (the app links them to how it resolves).
    resolution: bool = False
    # Its findings say the value set at their locations is itself wrong (GOFLAGS=-mod=vendor, a
    # GOROOT that is not there): a fix must not spread that line to more contexts.
    wrong_value: bool = False
    module: str = ""
    fixes: list[FixBuilder] = field(default_factory=list, compare=False)

    def findings(self, ctx: CheckContext) -> list[Finding]:
        """Run the check: `finding()` inside it takes this check's id."""
        token = _CURRENT.set(self)
        try:
            return list(self.run(ctx))
        finally:
            _CURRENT.reset(token)

    def fix(self, builder: FixBuilder) -> FixBuilder:
        """Register a fix builder for this check's findings (a decorator)."""
        self.fixes.append(builder)
        return builder

    def tool_of(self, f: Finding) -> str | None:
        """The tool a finding of this check is about: the one it declares, or, for a check about
        several, the one the finding names."""
        if len(self.tools) == 1:
            return self.tools[0]
        tool = f.data.get("tool")
        return tool if tool in self.tools else None


REGISTRY: list[CheckInfo] = []
_BY_ID: dict[str, CheckInfo] = {}
_CURRENT: contextvars.ContextVar[CheckInfo | None] = contextvars.ContextVar("goenv_tui_check", default=None)


def check(check_id: str, severity: Severity, title: str, *, also: Iterable[Severity] = (),
          tools: Iterable[str] = (), resolution: bool = False,
          wrong_value: bool = False) -> Callable[[CheckFn], CheckInfo]:
    """Register a check. Its docstring explains the real-world failure it catches.

    `also`: the other severities its findings may have (an INFO when the context is not one
    the user works in …); `tools`: which of go / gopls / dlv … it is about (the per-tool summary
    counts its findings there); `resolution`: its findings are about which binary of that tool
    PATH picks; `wrong_value`: the value set where its findings point is wrong in itself."""

    def deco(fn: CheckFn) -> CheckInfo:
        if check_id in _BY_ID:
            raise ValueError(f"check {check_id} registered twice")
        declared = tuple(dict.fromkeys((severity, *also)))
        unknown = [t for t in tools if t not in TOOLS]
        if unknown:
            raise ValueError(f"check {check_id}: unknown tools {unknown}")
        info = CheckInfo(check_id, check_id.split("-")[1].lower(), severity, title, (fn.__doc__ or "").strip(), fn,
                         declared, tuple(tools), resolution, wrong_value, fn.__module__)
        REGISTRY.append(info)
        _BY_ID[check_id] = info
        return info

    return deco


def check_info(check_id: str) -> CheckInfo | None:
    return _BY_ID.get(check_id)


def tool_of(f: Finding) -> str | None:
    """The tool (go, gopls, dlv …) a finding is about, as its check declares it."""
    info = _BY_ID.get(f.check)
    return info.tool_of(f) if info is not None else None


def strict() -> bool:
    """Strict mode, which the test suite sets: a severity a check did not declare, a check or a
    fix builder that crashes, fails the run instead of slipping through (in use, the finding is
    kept as it is and a crash becomes a finding of its own)."""
    return os.environ.get("GOENV_TUI_STRICT_CHECKS") == "1"


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
    """A finding of the check that is running (its id comes from the check), with an id stable
    across runs: the check id plus a hash of `key`, what it is about."""
    info = _CURRENT.get()
    if info is None:
        raise RuntimeError("finding() outside a check: run checks with CheckInfo.findings(ctx)")
    if severity not in info.severities and strict():
        raise UndeclaredSeverity(f"{info.id} reported {severity.value}, but declares only "
                                 f"{', '.join(s.value for s in info.severities)} (add it to `also=` in @check)")
    return make_finding(info.id, key, severity, title, detail, variable=variable, contexts=contexts,
                        locations=locations, evidence=evidence, chain=chain, fixes=fixes, data=data)


def make_finding(
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
    """A Finding of `check_id` (checks use `finding`; this is for the findings goenv-tui makes
    about itself: a check or a fix builder that crashed)."""
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


def context_go(ctx: CheckContext, cid: str) -> tuple[Candidate | None, str | None]:
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


def goenv_value(ctx: CheckContext, cid: str, name: str) -> GoEnvValue | None:
    """The GoEnvValue of `name` in a context (None when go env did not run there)."""
    ge = ctx.facts.goenvs.get(cid)
    return ge.values.get(name) if ge is not None else None


def source_phrase(ctx: CheckContext, value: GoEnvValue | None) -> str:
    if value is None:
        return ""
    if value.source == "env":
        return f" (set at {ctx.where(value.location)})" if value.location else " (from the environment)"
    if value.source == "goenv-file":
        return f" (from `go env -w`, {ctx.where(value.location)})"
    return " (Go's default)"
