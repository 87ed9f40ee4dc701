"""Network settings of each context: checksum verification switched off, an HTTP(S) proxy that
cannot be reached, a company module proxy sent through the HTTP proxy (NO_PROXY), GOINSECURE.
Credentials inside proxy URLs are never shown."""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

from goenv_tui.checks.base import (
    CheckContext,
    check,
    finding,
    goenv_value,
    relevant_contexts,
    source_phrase,
)
from goenv_tui.checks.goenv import go_setting
from goenv_tui.model import Finding, Location, Severity

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_reach_lock = threading.Lock()


def redact(text: str) -> str:
    """user:password@ inside URLs → ***@."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


def _loc(ctx: CheckContext, cid: str, name: str) -> Location | None:
    """Where a context's startup files set `name`: the traced assignment when the variable is
    watched, else the last line of the files it read (in reading order) that assigns it. Proxy
    variables are not traced, so that their credentials never enter the trace or the report."""
    last, _ = ctx.graph.who_set(name, cid)
    if last is not None:
        return last.assignment.location
    t = ctx.graph.contexts.get(cid)
    pattern = re.compile(rf"^\s*(?:export\s+|declare\s+-x\s+|typeset\s+-x\s+|set\s+-gx\s+|setenv\s+)?{name}[=\s]")
    found = None
    for sf in (t.files if t else ()):
        ft = ctx.facts.files.get(sf.path)
        for n, line in enumerate(((ft.text if ft else None) or "").splitlines(), start=1):
            if pattern.match(line):
                found = Location(sf.path, n)
    return found


def _endpoint(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url if "://" in url else "http://" + url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname, port or {"https": 443, "socks5": 1080, "socks5h": 1080}.get(parts.scheme, 80)


def _reachable(ctx: CheckContext, host: str, port: int) -> bool:
    """A TCP connect from the analysed machine (bash's /dev/tcp), 3 s, answered once per run."""
    # Cached per diagnosis (on the check context): a proxy started since the last run counts.
    cache: dict[tuple[str, int], bool] = ctx.__dict__.setdefault("_proxy_reach", {})
    key = (host, port)
    with _reach_lock:
        if key in cache:
            return cache[key]
    res = ctx.host.run(["/bin/bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', host, str(port)], env={"PATH": "/usr/bin:/bin"},
                       timeout=3.0) if ctx.host else None
    ok = bool(res and res.ok)
    with _reach_lock:
        cache[key] = ok
    return ok


def no_proxy_covers(no_proxy: str, host: str) -> bool:
    """Go's NO_PROXY rules (golang.org/x/net/http/httpproxy): host names match as suffixes,
    leading dot or not; IPs and CIDRs; "*" matches everything."""
    for raw in no_proxy.replace(" ", "").split(","):
        entry = raw.lower().split(":")[0] if raw.count(":") == 1 else raw.lower()
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            net = ipaddress.ip_network(entry, strict=False)
            try:
                if ipaddress.ip_address(host) in net:
                    return True
            except ValueError:
                pass
            continue
        except ValueError:
            pass
        e = entry.lstrip("*").lstrip(".")
        if host.lower() == e or host.lower().endswith("." + e):
            return True
    return False


def _internal(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
        return ip.is_private or ip.is_loopback
    except ValueError:
        return "." not in host or host.endswith((".local", ".internal", ".corp", ".lan", ".intranet", ".localdomain"))


def _goproxy_hosts(ctx: CheckContext, cid: str) -> list[str]:
    v = goenv_value(ctx, cid, "GOPROXY")
    out = []
    for part in re.split(r"[,|]", v.value if v else ""):
        if part.startswith(("http://", "https://")):
            ep = _endpoint(part)
            if ep:
                out.append(ep[0])
    return out


@check("GOENV-NET-001", Severity.WARNING, "GOSUMDB=off", wrong_value=True)
def sumdb_off(ctx: CheckContext) -> Iterator[Finding]:
    """GOSUMDB=off (a common "fix" for "verifying module: … dial tcp sum.golang.org") turns off the
    check that the code you download is the code everyone else got: a tampered module or a
    compromised proxy goes unnoticed. GOPRIVATE/GONOSUMDB skip it only where it must be skipped."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        v = goenv_value(ctx, cid, "GOSUMDB")
        if v is not None and v.value == "off" and v.source != "default":
            found.setdefault(f"{v.source}|{v.location}", []).append(cid)
    for key, ids in found.items():
        v = goenv_value(ctx, ids[0], "GOSUMDB")
        yield finding(
            key, Severity.WARNING, "GOSUMDB=off: downloaded modules are not verified",
            f"GOSUMDB=off{source_phrase(ctx, v)} in {ctx.contexts_phrase(ids)} turns off checksum verification: go "
            "no longer checks that a module is the one everyone else downloaded, so a tampered module or a compromised "
            "proxy goes unnoticed. If it was set because sum.golang.org is unreachable, the module proxy can serve it "
            "(proxy.golang.org does); for private modules set GOPRIVATE (or GONOSUMDB) to those paths only.",
            variable="GOSUMDB", contexts=ids, locations=[v.location] if v and v.location else [],
        )


@check("GOENV-NET-002", Severity.ERROR, "HTTP(S) proxy set but unreachable", also=(Severity.WARNING,), wrong_value=True)
def proxy_unreachable(ctx: CheckContext) -> Iterator[Finding]:
    """HTTPS_PROXY left over from another network (the office proxy at home, a VPN that is off):
    every download — `go mod download`, the tools installer, gopls's — fails with "proxyconnect
    tcp: dial tcp …: connection refused", while the direct connection would have worked."""
    found: dict[tuple[str, str], list[str]] = {}
    endpoints: dict[tuple[str, str], tuple[str, int]] = {}
    for cid in relevant_contexts(ctx):
        t = ctx.graph.contexts.get(cid)
        env = t.full_env if t else {}
        for name in _PROXY_VARS:
            url = env.get(name)
            ep = _endpoint(url) if url else None
            if ep and not _reachable(ctx, *ep):
                found.setdefault((name, url or ""), []).append(cid)
                endpoints[(name, url or "")] = ep
    for (name, url), ids in found.items():
        ep = endpoints[(name, url)]
        loc = _loc(ctx, ids[0], name)
        no_proxy = (ctx.graph.contexts[ids[0]].full_env.get("NO_PROXY") or ctx.graph.contexts[ids[0]].full_env.get("no_proxy") or "")
        affected = [h for h in (_goproxy_hosts(ctx, ids[0]) or ["proxy.golang.org"]) if not no_proxy_covers(no_proxy, h)]
        sev = Severity.ERROR if affected and name.upper() != "HTTP_PROXY" else Severity.WARNING
        yield finding(
            f"{name}|{ep}", sev,
            f"{name} points to {ep[0]}:{ep[1]}, which does not answer",
            f"{name}={redact(url)}" + (f" (set at {ctx.where(loc)})" if loc else " (from the environment)")
            + f" in {ctx.contexts_phrase(ids)}, but nothing accepts connections at {ep[0]}:{ep[1]} from this machine. "
            + (f"Downloads from {', '.join(affected)} (modules, `go install` of gopls/dlv) go through it and fail with "
               "\"proxyconnect tcp: … connection refused\". " if affected else "")
            + "Remove the setting on networks without that proxy, or fix its address.",
            variable=name, contexts=ids, locations=[loc] if loc else [],
            chain=[f"{name}={redact(url)} → {ep[0]}:{ep[1]} refused or timed out"],
        )


@check("GOENV-NET-003", Severity.WARNING, "Company module proxy sent through the HTTP proxy")
def no_proxy_missing(ctx: CheckContext) -> Iterator[Finding]:
    """GOPROXY=https://goproxy.corp.internal with HTTPS_PROXY set and NO_PROXY not naming it: go
    sends the internal request to the outside proxy, which cannot reach it (or refuses)."""
    found: dict[tuple[str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        env = ctx.graph.contexts[cid].full_env
        proxy = next((env[n] for n in ("HTTPS_PROXY", "https_proxy") if env.get(n)), None)
        if not proxy:
            continue
        no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
        for h in _goproxy_hosts(ctx, cid):
            if _internal(h) and not no_proxy_covers(no_proxy, h):
                found.setdefault((h, no_proxy), []).append(cid)
    for (h, no_proxy), ids in found.items():
        yield finding(
            h, Severity.WARNING, f"Requests to the module proxy {h} go through HTTPS_PROXY",
            f"GOPROXY names {h}, an internal host, and HTTPS_PROXY is set in {ctx.contexts_phrase(ids)}, but NO_PROXY "
            f"({no_proxy or 'unset'}) does not name it: go sends those requests to the outside proxy, which usually "
            f"cannot reach it. Add {h} to NO_PROXY.",
            variable="NO_PROXY", contexts=ids,
        )


@check("GOENV-NET-004", Severity.WARNING, "GOINSECURE set")
def goinsecure(ctx: CheckContext) -> Iterator[Finding]:
    """GOINSECURE lets go fetch matching modules over plain HTTP and skip certificate checks —
    usually copied from a set-up note for one internal server, and then left to match more."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        v = goenv_value(ctx, cid, "GOINSECURE")
        if v is not None and v.value:
            found.setdefault(v.value, []).append(cid)
    for value, ids in found.items():
        v = goenv_value(ctx, ids[0], "GOINSECURE")
        wide = any(p in ("*", "*.*") or p.count(".") == 0 for p in value.split(","))
        yield finding(
            value, Severity.WARNING,
            f"GOINSECURE={value}: modules matching it are fetched without HTTPS checks",
            f"GOINSECURE{source_phrase(ctx, v)} lets go download modules matching {value} over plain HTTP or with an "
            "unverified certificate, so anyone on the network path can change their code"
            + (" — and this pattern matches far more than one server" if wide else "")
            + ". Keep it to the one internal host that needs it, and give that host a real certificate.",
            variable="GOINSECURE", contexts=ids, locations=[v.location] if v and v.location else [],
        )


# --- fixes ---------------------------------------------------------------------------------------

sumdb_off.fix(go_setting)  # from goenv_tui.checks.goenv
goinsecure.fix(go_setting)  # from goenv_tui.checks.goenv
