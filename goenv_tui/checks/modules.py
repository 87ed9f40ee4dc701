"""The workspace's modules: not downloaded yet (a fresh clone) versus downloads blocked (GOPROXY,
a proxy, a private module the public proxy does not have) — told apart by asking the proxy in
each context (collect/modules.py)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding, goenv_value, source_phrase
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.model import Finding, Location, Severity

_NOT_THERE = re.compile(r"404 Not Found|410 Gone|not found: |unknown revision|invalid version|reading file://\S+: no such file|"
                        r"repository not found|terminal prompts disabled", re.I)


def _private_patterns(ctx: CheckContext, cid: str) -> list[str]:
    out = []
    for name in ("GOPRIVATE", "GONOPROXY"):
        v = goenv_value(ctx, cid, name)
        out += [p.strip() for p in (v.value.split(",") if v and v.value else []) if p.strip()]
    return out


def matches(patterns: list[str], path: str) -> bool:
    """Go's GOPRIVATE matching: a glob per path prefix element count (path.Match on prefixes)."""
    import fnmatch

    parts = path.split("/")
    for pat in patterns:
        n = len(pat.split("/"))
        prefix = "/".join(parts[:n])
        if len(parts) >= n and fnmatch.fnmatchcase(prefix, pat):
            return True
    return False


@check("GOENV-MODDL-001", Severity.WARNING, "Required modules not downloaded yet")
def not_downloaded(ctx: CheckContext) -> Iterator[Finding]:
    """A fresh clone: go.mod lists modules the cache does not have, and gopls never downloads by
    itself ("module lookup disabled by GOPROXY=off" in its own go list) — it looks like blocked
    downloads, but `go mod download` once is all it takes."""
    for st in ctx.facts.modules:
        if st.blocked or not st.reachable:
            continue
        first = st.missing[0]
        yield finding(
            f"{st.gomod}|{'|'.join(st.contexts)}", Severity.WARNING,
            f"{len(st.missing)} module{'s' if len(st.missing) > 1 else ''} required by {ctx.tilde(st.gomod)} "
            "not downloaded yet",
            f"{ctx.tilde(st.gomod)} requires {first.path} {first.version}"
            + (f" and {len(st.missing) - 1} more" if len(st.missing) > 1 else "")
            + f", which are not in the module cache ({ctx.tilde(st.gomodcache)}). gopls does not download modules "
            "itself, so it reports missing packages until they are there. The module proxy answers in "
            f"{ctx.contexts_phrase(st.contexts)}, so downloading works: run `go mod download` once.",
            contexts=st.contexts, locations=[Location(st.gomod, first.line)],
            chain=[f"{ctx.tilde(st.gomod)}:{r.line} {r.path} {r.version} → not in the cache" for r in st.missing[:3]]
            + [f"the proxy has {r.path}@{r.version}" for r in st.reachable[:1]],
            data={"gomod": st.gomod},
        )


@check("GOENV-MODDL-002", Severity.ERROR, "Module downloads are blocked")
def downloads_blocked(ctx: CheckContext) -> Iterator[Finding]:
    """GOPROXY=off, an unreachable HTTP proxy, a corporate proxy that refuses, or a private module
    the public proxy does not have: `go mod download` fails, and so do gopls and builds."""
    for st in ctx.facts.modules:
        if not st.blocked:
            continue
        cid = st.contexts[0]
        private = [(r, why) for r, why in st.blocked if _NOT_THERE.search(why)]
        if private and st.reachable:
            continue  # GOENV-MODDL-003 says which modules need GOPRIVATE
        r, why = st.blocked[0]
        proxy = goenv_value(ctx, cid, "GOPROXY")
        causes = [f"GOPROXY={_redact(proxy.value)}{source_phrase(ctx, proxy)}"] if proxy else []
        t = ctx.graph.contexts.get(cid)
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            if t is not None and t.full_env.get(name):
                causes.append(f"{name} is set ({_redact(t.full_env[name])})")
                break
        yield finding(
            f"{st.gomod}|{'|'.join(st.contexts)}", Severity.ERROR,
            f"Module downloads are blocked in {cid}" + (f" (+{len(st.contexts) - 1})" if len(st.contexts) > 1 else ""),
            f"{ctx.tilde(st.gomod)} requires modules that are not in the module cache, and asking for "
            f"{r.path}@{r.version} in {ctx.contexts_phrase(st.contexts)} fails: {_redact(why)}. Until that works, "
            "gopls, builds and `go mod download` fail the same way.",
            contexts=st.contexts, locations=[Location(st.gomod, r.line)] + ([proxy.location] if proxy and proxy.location else []),
            chain=[f"go said: {_redact(why)[:240]}"] + causes, data={"gomod": st.gomod},
        )


@check("GOENV-MODDL-003", Severity.ERROR, "Private module fetched through the public proxy")
def needs_goprivate(ctx: CheckContext) -> Iterator[Finding]:
    """go.mod requires git.corp.example/…, GOPRIVATE does not name it: go asks proxy.golang.org
    (404/410) and the public checksum database for it — downloads fail, and its path leaks."""
    for st in ctx.facts.modules:
        cid = st.contexts[0]
        pats = _private_patterns(ctx, cid)
        private = [(r, why) for r, why in st.blocked if _NOT_THERE.search(why) and not matches(pats, r.path)]
        if not private or not st.reachable:
            continue
        hosts = sorted({r.path.split("/")[0] for r, _ in private})
        r, why = private[0]
        yield finding(
            f"{st.gomod}|{'|'.join(hosts)}", Severity.ERROR,
            f"{r.path} is not on the module proxy: set GOPRIVATE={','.join(h + '/*' for h in hosts)}",
            f"{ctx.tilde(st.gomod)} requires {r.path}, which the proxy in {ctx.contexts_phrase(st.contexts)} does not "
            f"have ({_redact(why)[:200]}), while public modules download fine: it is a private module. GOPRIVATE (or "
            "GONOPROXY and GONOSUMDB) must name it so that go fetches it directly and does not ask the public "
            "checksum database about it.",
            variable="GOPRIVATE", contexts=st.contexts, locations=[Location(st.gomod, r.line)],
            chain=[f"{ctx.tilde(st.gomod)}:{x.line} {x.path} → {_redact(w)[:160]}" for x, w in private[:3]],
            data={"gomod": st.gomod, "hosts": ",".join(hosts)},
        )


def _redact(text: str) -> str:
    """user:password@ in URLs → ***@ (credentials never shown)."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


# --- fixes ---------------------------------------------------------------------------------------

@not_downloaded.fix
def mod_download(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """`go mod download` in the workspace, with the context's go and environment (fills the module
    cache: nothing in the home's files changes, so there is nothing to undo)."""
    gomod = f.data.get("gomod", "")
    cid = next((c for c in f.contexts if fc.context_go(c)), None)
    go = fc.context_go(cid) if cid else None
    if not gomod or go is None or cid is None:
        return []
    return [fc.command_fix(f, "go-mod-download", "Download the required modules (`go mod download`)",
                           [go, "mod", "download"], fc.context_env(cid), posixpath.dirname(gomod), [],
                           undoable=False)]
