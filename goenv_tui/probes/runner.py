"""Which probes to run and in which environments: one run per distinct environment of the
contexts that matter (contexts that resolve the same tools with the same Go settings share
it), the three tools in parallel, results streamed line by line."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from goenv_tui.collect import Facts
from goenv_tui.collect.gosandbox import copy_private_modules, go_sandbox
from goenv_tui.host import Host
from goenv_tui.model import ContextTrace, ProbeResult, Resolution, TraceStatus

PROBED_TOOLS = ("go", "gopls", "dlv")
_ENV_KEYS = ("PATH", "HOME", "GOROOT", "GOPATH", "GOBIN", "GOFLAGS", "GOPROXY", "GOSUMDB", "GOPRIVATE",
             "GONOSUMDB", "GO111MODULE", "GOTOOLCHAIN", "GOCACHE", "GOMODCACHE", "GOENV", "GOWORK")


@dataclass(frozen=True)
class ProbeJob:
    tool: str
    binary: str | None
    contexts: tuple[str, ...]
    env: dict[str, str]
    go_version: str | None
    goroot: str | None


def _realpath(r: Resolution | None) -> str | None:
    return r.resolved.realpath if r is not None and r.resolved is not None else None


def plan(facts: Facts, contexts: set[str] | None = None) -> list[ProbeJob]:
    ok = [t for t in facts.contexts if t.status is TraceStatus.OK]
    if contexts is not None:
        chosen = [t for t in ok if t.id in contexts]
    else:
        chosen = [t for t in ok if t.id in facts.primary] or ok
    groups: dict[tuple[tuple[str, str | None], ...], list[ContextTrace]] = {}
    for t in chosen:
        res = facts.resolutions.get(t.id, {})
        key = tuple((tool, _realpath(res.get(tool))) for tool in PROBED_TOOLS) + tuple(
            (k, t.full_env.get(k)) for k in _ENV_KEYS)
        groups.setdefault(key, []).append(t)
    jobs: list[ProbeJob] = []
    for traces in groups.values():
        t = traces[0]
        res = facts.resolutions.get(t.id, {})
        go = res.get("go")
        ge = facts.goenvs.get(t.id)
        go_version = ge.values["GOVERSION"].value if ge and "GOVERSION" in ge.values else (
            go.resolved.go_install_version if go and go.resolved else None)
        goroot = go.resolved.goroot if go and go.resolved else None
        for tool in PROBED_TOOLS:
            r = res.get(tool)
            jobs.append(ProbeJob(tool, r.resolved.path if r and r.resolved else None, tuple(x.id for x in traces),
                                 dict(t.full_env), go_version, goroot))
    return jobs


def run_job(host: Host, job: ProbeJob, workspace: str | None, timeout: float,
            on_line: Callable[[str, str], None] | None, cancel: threading.Event | None) -> ProbeResult:
    label = f"{job.tool}@{job.contexts[0]}"

    def line(text: str) -> None:
        if on_line is not None:
            on_line(label, text)

    ctx = job.contexts[0]
    if job.binary is None:
        return ProbeResult(job.tool, ctx, "skipped", None, None, f"no {job.tool} on this context's PATH",
                           "not-installed", contexts=job.contexts)
    try:
        if job.tool == "gopls":
            from goenv_tui.probes.gopls import probe_gopls

            r = probe_gopls(host, job.binary, job.env, ctx, workspace, job.go_version, timeout,
                            expected_goroot=job.goroot, on_line=line, cancel=cancel)
        elif job.tool == "dlv":
            from goenv_tui.probes.dlv import probe_dlv

            r = probe_dlv(host, job.binary, job.env, ctx, job.go_version, timeout, on_line=line, cancel=cancel)
        else:
            from goenv_tui.probes.smoke import probe_go

            r = probe_go(host, job.binary, job.env, ctx, job.go_version, timeout, on_line=line)
    except Exception as exc:  # a probe bug must not sink the others
        r = ProbeResult(job.tool, ctx, "fail", None, None, f"internal error: {exc!r}", "internal")
    return replace(r, contexts=job.contexts)


def run_probes(host: Host, facts: Facts, workspace: str | None = None, timeout: float = 90.0,
               on_line: Callable[[str, str], None] | None = None, cancel: threading.Event | None = None,
               tools: tuple[str, ...] = PROBED_TOOLS, contexts: set[str] | None = None) -> list[ProbeResult]:
    jobs = [j for j in plan(facts, contexts) if j.tool in tools]
    if not jobs:
        return []
    # The probes' go, gopls and dlv write their caches, telemetry and config in the tool's own
    # places, never in the analysed home (collect/gosandbox.py).
    with go_sandbox(host) as sandbox, ThreadPoolExecutor(max_workers=3) as pool:
        private_lock = threading.Lock()
        private_done: set[tuple[str, str]] = set()

        def own(job: ProbeJob) -> ProbeJob:
            # The probes' module cache is their own and reads through the user's (gosandbox.py).
            ge = facts.goenvs.get(job.contexts[0])
            modcache = ge.values.get("GOMODCACHE") if ge else None
            goproxy = ge.values.get("GOPROXY") if ge else None
            user = modcache.value if modcache is not None and modcache.value.startswith("/") else None
            if user is not None and not host.stat(f"{user}/cache/download").is_dir:
                user = None  # nothing downloaded yet: nothing to read through
            noproxy = ge.values.get("GONOPROXY") if ge else None  # go env gives GOPRIVATE's when unset
            if user is not None and noproxy is not None and noproxy.value:
                # Private modules never go through a proxy, file:// included: the ones the user
                # has are copied into the probes' cache, once, before any probe needs them.
                with private_lock:
                    if (user, noproxy.value) not in private_done:
                        private_done.add((user, noproxy.value))
                        copy_private_modules(host, sandbox, user, noproxy.value)
            return replace(job, env=sandbox.env(job.env, ge.file_values if ge else None, probe=True, user_modcache=user,
                                                user_goproxy=goproxy.value if goproxy is not None else None))

        return list(pool.map(lambda j: run_job(host, own(j), workspace, timeout, on_line, cancel), jobs))
