"""One pass of collection: trace every context, find what never ran, stat the directories the
environment names. Produces `Facts`, the only input the graph and the checks need.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from goenv_tui.collect.goenv import GoEnvPipeline, collect_goenvs
from goenv_tui.collect.resolve import resolve_all, through_shims
from goenv_tui.collect.workspace import WorkspaceFacts, collect_workspace
from goenv_tui.host import FileInfo, Host
from goenv_tui.host.base import ConnectionLost
from goenv_tui.model import (
    ContextTrace,
    DormantAssignment,
    EditorFacts,
    GoEnv,
    ProbeResult,
    Resolution,
    TraceStatus,
)
from goenv_tui.shells.contexts import is_primary
from goenv_tui.shells.dormant import UnreadFile, find_dormant
from goenv_tui.shells.tracer import SEED_PATH, FileText, TraceOptions, Tracer, trace_all

if TYPE_CHECKING:
    from goenv_tui.collect.modules import ModuleState

DIR_VARS = ("GOROOT", "GOPATH", "GOBIN", "GOMODCACHE", "GOCACHE")
GO_TOOLS = ("go", "gofmt", "gopls", "dlv", "staticcheck", "golangci-lint")


@dataclass
class Facts:
    home: str
    workspace: str | None
    host_name: str
    os_name: str
    arch: str
    remote: bool
    login_shell: str | None
    contexts: list[ContextTrace]
    dormant: list[DormantAssignment] = field(default_factory=list)
    unread: list[UnreadFile] = field(default_factory=list)
    files: dict[str, FileText] = field(default_factory=dict)
    dirs: dict[str, FileInfo] = field(default_factory=dict)
    # Which Go tools each directory named on a PATH holds (by name; resolution comes later).
    tools_in: dict[str, list[str]] = field(default_factory=dict)
    seed_path: str = ""
    # context id → tool → how that tool resolves on the context's PATH
    resolutions: dict[str, dict[str, Resolution]] = field(default_factory=dict)
    # context id → `go env` as the context's `go` reports it, with sources
    goenvs: dict[str, GoEnv] = field(default_factory=dict)
    editor: EditorFacts = field(default_factory=EditorFacts)
    workspace_facts: WorkspaceFacts | None = None
    # The workspace's required modules per context: downloaded yet, or blocked (collect/modules.py).
    modules: list[ModuleState] = field(default_factory=list)
    probes: list[ProbeResult] = field(default_factory=list)
    probes_ran: bool = False
    lost: str | None = None  # the remote connection dropped mid-run: later stages are missing
    # The tool's own environment when it runs inside an SSH session (PATH and GO*), to compare
    # with what VS Code Remote-SSH will get.
    session_env: dict[str, str] | None = None
    # What sshd really gives `ssh host cmd` on a remote host (run through the login shell).
    sshd_env: dict[str, str] | None = None
    primary: set[str] = field(default_factory=set)
    watched: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def collect_vscode(host: Host, home: str, workspace: str | None, os_name: str) -> EditorFacts:
    try:
        from goenv_tui.collect.vscode import collect_vscode as collect_editor
    except ImportError:  # pragma: no cover - the editor collector is optional during development
        return EditorFacts()
    return collect_editor(host, home, workspace, os_name)


def _dirs_named(traces: list[ContextTrace]) -> set[str]:
    out: set[str] = set()
    for t in traces:
        for name, value in t.env.items():
            if name in ("PATH", "MANPATH") or name in DIR_VARS:
                out.update(e for e in value.split(":") if e.startswith("/"))
    return out


def collect(host: Host, opts: TraceOptions, workspace: str | None = None,
            on_context: Callable[[ContextTrace], None] | None = None,
            on_stage: Callable[[str], None] | None = None) -> Facts:
    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    t0 = time.monotonic()
    stage("tracing shells")
    # On a remote host, ask the real sshd for its environment meanwhile (one more round trip).
    sshd_env: dict[str, dict[str, str] | None] = {}
    asker = None
    if host.remote:
        asker = threading.Thread(target=lambda: sshd_env.update(env=host.login_command_env()), daemon=True)
        asker.start()
    # Locally, each context's resolution and `go env` start as soon as its trace is in (on a
    # remote host the lookups of all contexts are batched instead: see resolve_all).
    pipeline = None if host.remote else GoEnvPipeline(host, workspace or opts.home, opts.home)

    def traced(trace: ContextTrace) -> None:
        if pipeline is not None:
            pipeline.submit(trace)
        if on_context is not None:
            on_context(trace)

    try:
        return _collect(host, opts, workspace, stage, t0, asker, sshd_env, traced, pipeline)
    finally:
        if pipeline is not None:
            pipeline.close()


def _collect(host: Host, opts: TraceOptions, workspace: str | None, stage: Callable[[str], None], t0: float,
             asker: threading.Thread | None, sshd_env: dict[str, dict[str, str] | None], traced: Callable[[ContextTrace], None],
             pipeline: GoEnvPipeline | None) -> Facts:
    traces, tracer = trace_all(host, opts, on_result=traced)
    login_shell = tracer.login_shell
    primary = {t.id for t in traces if t.status is not TraceStatus.UNAVAILABLE and is_primary(t.spec, tracer.os_name, login_shell)}
    facts = Facts(
        home=opts.home, workspace=workspace, host_name=host.name, os_name=tracer.os_name, arch=host.arch(),
        remote=host.remote, login_shell=login_shell, contexts=traces, primary=primary,
        watched=list(tracer.watched), seed_path=SEED_PATH.get(tracer.os_name, ""),
        timings={"trace_ms": (time.monotonic() - t0) * 1000},
    )
    try:
        _rest(host, opts, workspace, facts, tracer, stage, pipeline)
    except ConnectionLost as exc:
        # The remote side went away: keep what was collected; the report says what is missing.
        facts.lost = str(exc)
    facts.files = tracer.files.all()
    if asker is not None:
        asker.join(timeout=30)
        facts.sshd_env = sshd_env.get("env")
    if not host.remote:
        env = host.environ()
        if env.get("SSH_CONNECTION") or env.get("SSH_CLIENT"):
            facts.session_env = {k: v for k, v in env.items() if k in ("PATH", "HOME") or k.startswith(("GO", "CGO_"))}
    return facts


def _rest(host: Host, opts: TraceOptions, workspace: str | None, facts: Facts, tracer: Tracer,
          stage: Callable[[str], None],
          pipeline: GoEnvPipeline | None = None) -> None:
    traces = facts.contexts
    t1 = time.monotonic()
    stage("reading startup files")
    facts.dormant, facts.unread = find_dormant(host, opts.home, traces, tracer.files, set(tracer.watched))
    dirs = sorted(_dirs_named(traces))
    host.prefetch([*dirs, *(f"{d.rstrip('/')}/{name}" for d in dirs for name in GO_TOOLS)])
    facts.dirs = {d: host.stat(d) for d in dirs}
    tools_in = {
        d: [name for name in GO_TOOLS if host.stat(f"{d.rstrip('/')}/{name}").is_file]
        for d, info in facts.dirs.items() if info.is_dir
    }
    facts.tools_in = {d: t for d, t in tools_in.items() if t}
    t2 = time.monotonic()
    cwd = workspace or opts.home
    stage("resolving go, gopls, dlv")
    if pipeline is not None:
        facts.resolutions, goenvs = pipeline.results(traces)
    else:
        facts.resolutions = resolve_all(host, traces, cwd)
    t3 = time.monotonic()
    stage("running go env")
    if pipeline is None:
        goenvs = collect_goenvs(host, traces, facts.resolutions, opts.home)
    facts.goenvs = goenvs
    facts.resolutions = through_shims(host, facts.resolutions, facts.goenvs)
    t4 = time.monotonic()
    stage("reading editor settings")
    facts.editor = collect_vscode(host, opts.home, workspace, tracer.os_name)
    gowork = next((t.env.get("GOWORK") for t in traces if t.env.get("GOWORK")), None)
    facts.workspace_facts = collect_workspace(host, workspace, gowork) if workspace else None
    ws = facts.workspace_facts
    if ws is not None and ws.gomod is not None:
        from goenv_tui.collect.modules import collect_modules

        ok = {t.id for t in traces if t.status is TraceStatus.OK}
        facts.modules = collect_modules(host, traces, facts.resolutions, facts.goenvs, ws.root,
                                        (facts.primary & ok) or ok)
    t5 = time.monotonic()
    facts.timings.update({"static_ms": (t2 - t1) * 1000, "resolve_ms": (t3 - t2) * 1000,
                          "goenv_ms": (t4 - t3) * 1000, "editor_ms": (t5 - t4) * 1000})
