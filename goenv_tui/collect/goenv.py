"""`go env -json` as each context's `go` reports it, every value attributed to its source.

Go reads a variable from the process environment first, then from the go env file (`go env -w`
writes it: $GOENV, else $XDG_CONFIG_HOME/go/env or ~/.config/go/env, ~/Library/Application
Support/go/env on macOS), and only then uses its default. Each value says which one it was, with
the startup file:line (from the trace) or the go env file:line.

`go env` is run in the context's exact final environment, from HOME (not the workspace, whose
go.mod could make go switch toolchains). When the context pins GOTOOLCHAIN to a version, it is
run with GOTOOLCHAIN=local so that a diagnosis never downloads a toolchain; the pinned value is
still reported from the environment.

It runs with the tool's own build cache and telemetry directory (collect/gosandbox.py), so that
it writes nothing into the home; the GOCACHE and GOTELEMETRY* values it prints are then put back
to what the user's own go reports.
"""

from __future__ import annotations

import json
import posixpath
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from goenv_tui.collect.gosandbox import (
    GoSandbox,
    close_sandbox,
    go_sandbox,
    open_sandbox,
    user_go_values,
)
from goenv_tui.collect.resolve import Stamp, stamp_of
from goenv_tui.host import Host, HostError
from goenv_tui.model import ContextTrace, GoEnv, GoEnvValue, Location, Resolution, TraceStatus

_RELEVANT = re.compile(r"^(C?GO[A-Z0-9_]*|HOME|XDG_CONFIG_HOME|XDG_CACHE_HOME|CC|CXX)$")
# The C compilers go may look up on PATH when CC is unset (cmd/go's DefaultCC: gcc, or clang on
# macOS and the BSDs; `cc` where a port builds it so).
_DEFAULT_CCS = ("gcc", "clang", "cc")


class GoEnvKeys:
    """What a `go env -json` run's output depends on, so that contexts that agree share one run.

    Besides the go binary and the GO*/CGO_*/HOME/XDG/CC/CXX variables, go reads PATH in two
    ways only (cmd/go, Go 1.26): it looks up the C compiler (CC, else the default one: whether it
    is found decides CGO_ENABLED's default, and GOGCCFLAGS asks it which flags it supports), and,
    when a go.mod or go.work asks for a newer Go than itself, the toolchain `go1.X.Y` before
    downloading one. So PATH counts through the C compilers it finds, or whole when a go.mod or
    go.work is in the folder go runs in or above it (or GOWORK names one). Two contexts whose PATHs
    differ only in order or in folders without a C compiler (the usual case: bash's and zsh's
    startups build PATH differently) get one run instead of one each: `go env -json` runs the C
    compiler, which made it ~15 ms, and the last context's run was the tail of every report."""

    def __init__(self, host: Host, cwd: str) -> None:
        self.host = host
        self.cwd = cwd
        self._lock = threading.Lock()
        self._module: bool | None = None
        self._found: dict[tuple[str, str], str | None] = {}

    def _module_near(self) -> bool:
        with self._lock:
            if self._module is not None:
                return self._module
        here, seen = posixpath.normpath(self.cwd), False
        while True:
            if self.host.stat(posixpath.join(here, "go.mod")).exists or \
                    self.host.stat(posixpath.join(here, "go.work")).exists:
                seen = True
                break
            up = posixpath.dirname(here)
            if up == here:
                break
            here = up
        with self._lock:
            self._module = seen
        return seen

    def _which(self, name: str, path: str) -> str | None:
        """The file go's exec.LookPath finds for `name` on `path` (absolute names as they are)."""
        if "/" in name:
            return name
        with self._lock:
            if (name, path) in self._found:
                return self._found[(name, path)]
        hit = None
        for entry in path.split(":"):
            directory = entry or "."
            if not directory.startswith("/"):
                directory = posixpath.normpath(posixpath.join(self.cwd, directory))
            st = self.host.stat(posixpath.join(directory, name))
            if st.is_file and st.mode & 0o111:
                hit = posixpath.join(directory, name)
                break
        with self._lock:
            self._found[(name, path)] = hit
        return hit

    def key(self, resolution: dict[str, Resolution], trace: ContextTrace) -> _Key | None:
        go = resolution.get("go")
        if go is None or go.resolved is None:
            return None
        env = trace.full_env
        relevant = tuple(sorted((k, v) for k, v in env.items() if _RELEVANT.match(k)))
        path = env.get("PATH", "")
        gowork = env.get("GOWORK", "")
        if (gowork and gowork != "off") or self._module_near():
            on_path: tuple[tuple[str, str | None], ...] = (("PATH", path),)
        else:
            cc = env.get("CC", "").split()
            names = cc[:1] if cc else list(_DEFAULT_CCS)
            on_path = tuple((n, self._which(n, path)) for n in names)
        return go.resolved.path, relevant + tuple((f"found:{n}", f or "") for n, f in on_path)


def parse_env_file(text: str) -> dict[str, tuple[str, int]]:
    """The go env file format: KEY=VALUE per line (go writes no quoting, no comments)."""
    out: dict[str, tuple[str, int]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = (value, n)
    return out


def _pins_toolchain(value: str | None) -> bool:
    return (value is not None and value not in ("", "local", "auto", "path")
            and not value.startswith(("local+", "path+")))


def _last_assignment(trace: ContextTrace, name: str) -> Location | None:
    loc = None
    for a in trace.assignments:
        if a.var == name:
            loc = a.location
    return loc


def go_env(host: Host, trace: ContextTrace, go: str, cwd: str, timeout: float = 15.0,
           sandbox: GoSandbox | None = None) -> GoEnv:
    if sandbox is None:
        with go_sandbox(host) as own:
            return go_env(host, trace, go, cwd, timeout, own)
    env = sandbox.env(trace.full_env)
    if _pins_toolchain(env.get("GOTOOLCHAIN")):
        env["GOTOOLCHAIN"] = "local"
    res = host.run([go, "env", "-json"], env=env, cwd=cwd, timeout=timeout)
    if not res.ok:
        err = res.error or res.stderr.decode(errors="replace").strip()[:400] or f"exit status {res.returncode}"
        return GoEnv(trace.id, go, error=f"`{go} env -json` failed: {err}")
    try:
        raw: dict[str, str] = json.loads(res.stdout.decode(errors="replace"))
    except json.JSONDecodeError as exc:
        return GoEnv(trace.id, go, error=f"`{go} env -json` printed something that is not JSON: {exc}")
    file = raw.get("GOENV") or None
    file_values: dict[str, tuple[str, int]] = {}
    if file and file != "off":
        try:
            file_values = parse_env_file(host.read_text(file))
        except HostError:
            file_values = {}
    raw = user_go_values(host, raw, trace.full_env, file_values, sandbox.os_name)
    values: dict[str, GoEnvValue] = {}
    for name, value in raw.items():
        if name in trace.full_env:
            shown = trace.full_env[name] if name == "GOTOOLCHAIN" else value
            values[name] = GoEnvValue(name, shown, "env", _last_assignment(trace, name))
        elif name in file_values:
            values[name] = GoEnvValue(name, value, "goenv-file", Location(file or "", file_values[name][1]))
        else:
            values[name] = GoEnvValue(name, value, "default")
    return GoEnv(trace.id, go, values, file if file != "off" else None, file_values)


def collect_goenvs(host: Host, traces: list[ContextTrace], resolutions: dict[str, dict[str, Resolution]],
                   cwd: str) -> dict[str, GoEnv]:
    """One `go env` per distinct (go, relevant environment); contexts that agree share a run."""
    jobs: dict[tuple[str, tuple[tuple[str, str], ...]], list[ContextTrace]] = {}
    out: dict[str, GoEnv] = {}
    keys = GoEnvKeys(host, cwd)
    for t in traces:
        if t.status is not TraceStatus.OK:
            continue
        res = resolutions.get(t.id, {}).get("go")
        if res is None or res.resolved is None:
            out[t.id] = GoEnv(t.id, None, error="no `go` on this context's PATH")
            continue
        key = keys.key(resolutions.get(t.id, {}), t)
        assert key is not None  # a context with a go has a key
        jobs.setdefault(key, []).append(t)

    sandbox: GoSandbox | None = None

    def run(key: tuple[str, tuple[tuple[str, str], ...]]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], GoEnv]:
        first = jobs[key][0]
        return key, go_env(host, first, key[0], cwd, sandbox=sandbox)

    if jobs:
        with go_sandbox(host) as sandbox, ThreadPoolExecutor(max_workers=min(4, len(jobs))) as pool:
            for key, env in pool.map(run, list(jobs)):
                for t in jobs[key]:
                    # Same values; attribution (file:line) is per context.
                    out[t.id] = env if t is jobs[key][0] else _reattribute(env, t)
    return out


def _reattribute(env: GoEnv, trace: ContextTrace) -> GoEnv:
    values = {
        name: GoEnvValue(name, v.value, v.source, _last_assignment(trace, name) if v.source == "env" else v.location)
        for name, v in env.values.items()
    }
    return GoEnv(trace.id, env.go, values, env.file, env.file_values, env.error)


class GoEnvPipeline:
    """Resolution and `go env` for each context as soon as its trace is in (a local host): the
    other contexts' shells are still running meanwhile, so this work hides behind the slowest
    trace instead of following it. The results are those of resolve_all + collect_goenvs: one
    `go env` per distinct (go, relevant environment), in the same order, attributed per context."""

    def __init__(self, host: Host, resolve_cwd: str, goenv_cwd: str) -> None:
        from goenv_tui.collect.resolve import BinaryCache

        self.host = host
        self.resolve_cwd = resolve_cwd
        self.goenv_cwd = goenv_cwd
        self.cache = BinaryCache(host)
        self.keys = GoEnvKeys(host, goenv_cwd)
        self.pool = ThreadPoolExecutor(max_workers=4)
        self.lock = threading.Lock()
        # Made at once, beside the traces (it starts a shell to check the build cache's folder):
        # the first `go env` no longer waits for it, nor does every resolution behind its lock.
        self.sandbox: Future[GoSandbox] = self.pool.submit(open_sandbox, host)
        self.started: dict[str, Future[tuple[dict[str, Resolution], _Key | None]]] = {}
        self.runs: dict[_Key, Future[GoEnv]] = {}
        # context → the stamps its early resolution may be kept on (see _still_valid)
        self.valid: dict[str, dict[str, Stamp | None]] = {}

    def submit(self, trace: ContextTrace) -> None:
        if trace.status is TraceStatus.OK:
            with self.lock:
                if trace.id not in self.started:
                    self.started[trace.id] = self.pool.submit(self._resolve, trace)

    def _resolve(self, trace: ContextTrace) -> tuple[dict[str, Resolution], _Key | None]:
        from goenv_tui.collect.resolve import resolve_context

        before = time.time_ns()
        dirs = self._stamps(self._dirs(trace))
        res = resolve_context(self.host, self.cache, trace, self.resolve_cwd)
        files = self._stamps(sorted({p for r in res.values() for c in r.candidates
                                     for p in (c.path, *c.chain, c.realpath or "") if p}))
        if dirs == self._stamps(self._dirs(trace)) and all(
                st[1] < before - _SETTLED_NS for st in (*dirs.values(), *files.values()) if st is not None):
            self.valid[trace.id] = {**dirs, **files}
        key = self.keys.key(res, trace)
        if key is None:
            return res, None
        with self.lock:
            if key not in self.runs:
                self.runs[key] = self.pool.submit(self._go_env, trace, key[0])
        return res, key

    def _dirs(self, trace: ContextTrace) -> list[str]:
        from goenv_tui.collect.resolve import path_dirs

        return path_dirs(trace.env.get("PATH", ""), self.resolve_cwd)

    def _stamps(self, paths: list[str]) -> dict[str, Stamp | None]:
        """Each path's stamp as lstat sees it (see resolve.stamp_of)."""
        return {p: stamp_of(self.host.lstat(p)) for p in paths}

    def _still_valid(self, trace: ContextTrace) -> bool:
        """Whether the early resolution of `trace` still holds once every shell has ended: its
        PATH folders (an entry added, removed or renamed changes a folder's mtime) and every file
        on its candidates' links stand as they were, and all of them had been left alone for a
        while before it (a change in the same instant may not show in a coarse mtime)."""
        stamps = self.valid.get(trace.id)
        return stamps is not None and self._stamps(list(stamps)) == stamps

    def _go_env(self, trace: ContextTrace, go: str) -> GoEnv:
        return go_env(self.host, trace, go, self.goenv_cwd, sandbox=self.sandbox.result())

    def results(self, traces: list[ContextTrace]) -> tuple[dict[str, dict[str, Resolution]], dict[str, GoEnv]]:
        """The resolutions as every shell left the disk (a context's startup may rewrite what
        another's resolved meanwhile: `rbenv rehash` deletes and re-creates its shims), and the
        early `go env` runs where their go and environment are still those; else all of them
        again, as collect_goenvs would."""
        from goenv_tui.collect.resolve import resolve_all

        ok = [t for t in traces if t.status is TraceStatus.OK]
        for t in ok:
            self.submit(t)
        early = {t.id: self.started[t.id].result() for t in ok}
        # Resolved again, unless nothing it looked at changed (most contexts: the re-run was
        # ~10 ms after the last shell ended, every PATH folder × tool looked up again).
        again = [t for t in ok if not self._still_valid(t)]
        resolutions = resolve_all(self.host, again, self.resolve_cwd, known=self.cache) if again else {}
        resolutions.update({t.id: early[t.id][0] for t in ok if t not in again})
        resolutions = {t.id: resolutions[t.id] for t in ok}  # in the contexts' order
        goenvs: dict[str, GoEnv] = {}
        groups: dict[_Key, list[ContextTrace]] = {}
        for t in ok:
            key = self.keys.key(resolutions.get(t.id, {}), t)
            if key != early[t.id][1]:
                return resolutions, collect_goenvs(self.host, traces, resolutions, self.goenv_cwd)
            if key is None:
                goenvs[t.id] = GoEnv(t.id, None, error="no `go` on this context's PATH")
            else:
                groups.setdefault(key, []).append(t)
        for key, members in groups.items():
            env = self.runs[key].result()
            if env.error:
                return resolutions, collect_goenvs(self.host, traces, resolutions, self.goenv_cwd)
            for t in members:
                # Same values; attribution (file:line) is per context.
                goenvs[t.id] = env if t.id == env.context else _reattribute(env, t)
        return resolutions, goenvs

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self.sandbox.exception() is None:
            close_sandbox(self.host, self.sandbox.result())


_Key = tuple[str, tuple[tuple[str, str], ...]]
_SETTLED_NS = 2_000_000_000  # mtimes this close to the early resolution are not trusted (see _still_valid)


