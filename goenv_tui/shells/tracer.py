"""Tracing every launch context: run the real shell, read its trace, return a ContextTrace.

The shell runs in a hermetic environment built from the analysed HOME (never the tool's own
environment), with stdin from /dev/null, in its own session, under a deadline. Contexts run in
parallel threads; each child is a separate process, so the threads mostly wait.
"""

from __future__ import annotations

import functools
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from goenv_tui.host import FileInfo, Host, HostError, RunResult
from goenv_tui.host.process import RUN_TOKEN_VAR
from goenv_tui.model import ContextSpec, ContextTrace, Location, Op, SourcedFile, TraceStatus
from goenv_tui.shells import static
from goenv_tui.shells.contexts import all_specs, used_by
from goenv_tui.shells.driver import ENV_MARK, ShellDriver, StartError, TraceJob
from goenv_tui.shells.registry import DRIVERS, make_driver
from goenv_tui.shells.trace import (
    Record,
    TraceResult,
    VarState,
    fold,
    is_stream,
    text_matches,
    where_time_went,
)

# Variables always watched (reported, compared, looked for in files that never ran). Every
# GO*/CGO_* name a startup file mentions is added to these.
BASE_WATCHED = [
    "PATH", "MANPATH", "SHELL", "ZDOTDIR", "BASH_ENV",
    "GOROOT", "GOPATH", "GOBIN", "GO111MODULE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN",
    "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOINSECURE", "GOENV", "GOWORK",
    "GOMODCACHE", "GOCACHE", "GOOS", "GOARCH", "GOTELEMETRY", "GOEXPERIMENT", "CGO_ENABLED",
]
# Of those, the ones every trace record carries whatever the home's files say: the non-Go
# names (nothing else would catch a change to them) and the Go names that version managers and
# frameworks set from files of their own (goenv, gvm, asdf, mise, g: GOROOT/GOPATH/GOBIN…).
# Each carried name costs every traced line an expansion (~0.9 ms per interactive zsh start of
# ~1 400 lines: 26 names made oh-my-zsh's start 2.5× its untraced time, 10 names 1.8×). A
# GO*/CGO_* name outside this list is carried too when a file of the home mentions it; when only
# a framework's file does (learnt from the files the shell read), its changes are read from the
# traced commands and kept only if they end where the shell really ended, else the context is
# traced again carrying it (`Tracer.trace`), so the result is the same, only costlier.
PER_LINE = ["PATH", "MANPATH", "SHELL", "ZDOTDIR", "BASH_ENV", "GOROOT", "GOPATH", "GOBIN", "GO111MODULE",
            "GOTOOLCHAIN"]
MAX_STATIC_BYTES = 2 * 1024 * 1024

# The PATH a fresh login session starts from, before any startup file: login(1)'s ENV_PATH
# on Debian, launchd's default on macOS.
SEED_PATH = {
    "linux": "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games",
    "darwin": "/usr/bin:/bin:/usr/sbin:/sbin",
    "other": "/usr/local/bin:/usr/bin:/bin",
}


# What sshd itself puts in PATH for `ssh host cmd` before any startup file (Debian's openssh is
# built --with-default-path=/usr/local/bin:/usr/bin:/bin:/usr/games and a sbin-first superuser
# path); checked against a real sshd by tests/remote and, on remote hosts, by GOENV-SSH-001.
SSHD_PATH = {
    "linux": ("/usr/local/bin:/usr/bin:/bin:/usr/games",
              "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    "darwin": ("/usr/bin:/bin:/usr/sbin:/sbin", "/usr/bin:/bin:/usr/sbin:/sbin"),
    "other": ("/usr/local/bin:/usr/bin:/bin", "/usr/local/bin:/usr/bin:/bin"),
}


@dataclass
class TraceOptions:
    home: str
    shells: tuple[str, ...] = ("bash", "zsh")
    # A context that runs no new line for `timeout` seconds is stuck (a `read`, a `sleep`, an
    # `exec tmux`). One that keeps running lines is slow, not stuck — a first start's compinit —
    # and is given up to `ceiling` seconds.
    timeout: float = 5.0
    ceiling: float = 60.0
    # The whole tracing stage (every context, retraces included) ends within this many seconds
    # of its start, whatever the home does; None: `trace_budget(timeout, ceiling)`.
    total: float | None = None
    lang: str = "C.UTF-8"
    login_shell: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # Trace bash as root by sourcing its startup files from a driver even when a user namespace
    # is available (what happens in root containers without one; tests use it to cover that path).
    force_driver: bool = False


def trace_budget(timeout: float, ceiling: float = 60.0) -> float:
    """How long tracing a home may take in all: the slow-start ceiling, or twelve deadlines when
    `--timeout` is so large that they exceed it (the figure --help and the README give)."""
    return max(ceiling, 12 * timeout)


# What the untraced shell says when it stops a runaway recursion itself (zsh: `job table full
# or recursion limit exceeded`, bash with FUNCNEST: `maximum function nesting level exceeded`).
_RUNAWAY_READ = 1024 * 1024
UNTRACED_MIN_S = 10.0
_LIMIT_WORDS = ("recursion limit exceeded", "nesting level exceeded", "maximum nested function level reached")
_CRASH_SIGNALS: dict[int, str] = {signal.SIGSEGV: "a segmentation fault", signal.SIGBUS: "a bus error",
                  signal.SIGABRT: "an abort"}


@dataclass(frozen=True)
class Untraced:
    """What the same context's shell did without tracing, when the traced one ran on for longer
    than the deadline: `crash` (killed by a signal, e.g. its stack overflowed), `limit` (it stopped a
    runaway recursion itself and went on), `endless` (still running at its own deadline)."""

    kind: str
    detail: str
    seconds: float
    env: dict[str, str] = field(default_factory=dict)


def _runaway_site(records: list[Record]) -> tuple[str, Location] | None:
    """The call that repeats itself ever deeper, from the deepest call stack the trace reached:
    ("sources FILE" | "calls FUNCTION", where that call is made)."""
    deepest = max(records, key=lambda r: len(r.frames), default=None)
    if deepest is None or len(deepest.frames) < 16:
        return None
    counts = Counter((f.kind, f.name, f.call_site) for f in deepest.frames if f.call_site is not None)
    if not counts:
        return None
    (kind, name, site), n = counts.most_common(1)[0]
    if n < 8 or site is None:
        return None
    what = f"sources {name}" if kind == "source" else f"calls {name}" if kind == "function" else "evals"
    return what, site


def _loop_lines(records: list[Record], start_of: dict[str, dict[int, int]]) -> tuple[str, list[int]] | None:
    """The lines a shell that never finishes keeps running: those of its last few hundred trace
    records, in the file most of them are in."""
    tail = [r for r in records[-400:] if r.file.startswith("/")]
    if not tail:
        return None
    path = Counter(r.file for r in tail).most_common(1)[0][0]
    lines = sorted({start_of.get(path, {}).get(r.line, r.line) for r in tail if r.file == path})
    return path, lines


@dataclass
class FileText:
    path: str
    text: str | None
    error: str | None = None
    truncated: bool = False
    index: static.FileIndex | None = None
    realpath: str | None = None


def _unreadable_by_shell(host: Host, info: FileInfo) -> str | None:
    """Why the user the shells run as cannot read this file (goenv-tui may be root, or reading
    it as another user), from its mode and owner; None when it can."""
    uid = host.euid()
    if uid == 0 or info.uid < 0:
        return None
    mode = info.mode & 0o777
    if info.uid == uid:
        readable = bool(mode & 0o400)
    else:
        groups: set[int] = set()
        run_as = host.run_as
        if run_as is not None:
            groups = set(run_as.groups) | {run_as.gid}
        elif not host.remote:
            import os

            groups = set(os.getgroups()) | {os.getegid()}
        gid = info.extra.get("gid")
        readable = bool(mode & 0o040) if isinstance(gid, int) and gid in groups else bool(mode & 0o004)
    if readable:
        return None
    who = host.run_as.name if host.run_as is not None else f"uid {uid}"
    return (f"not readable by {who}, who runs the shell (mode {mode:03o}, owner uid {info.uid}): the shell "
            "skips it with \"Permission denied\"")


class FileCache:
    """Reads and statically indexes each startup file once, shared by every context."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._files: dict[str, FileText] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, path: str) -> FileText:
        with self._lock:
            cached = self._files.get(path)
            if cached is not None:
                return cached
            path_lock = self._loading.setdefault(path, threading.Lock())
        # One read and index per file: the contexts that finish together (both interactive zsh
        # starts read the same framework files) wait for the first instead of indexing it again.
        with path_lock:
            with self._lock:
                cached = self._files.get(path)
            if cached is not None:
                return cached
            entry = self._load(path)
            with self._lock:
                self._files.setdefault(path, entry)
                return self._files[path]

    def load_many(self, paths: list[str]) -> None:
        """Load these files together: on a remote host their lookups share one round trip and
        their reads overlap, instead of three round trips per file one after another."""
        todo = [p for p in dict.fromkeys(paths) if not is_stream(p) and p not in self._files]
        if len(todo) < 2:
            return
        self.host.prefetch(todo, dirs=todo)
        if self.host.remote:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
                list(pool.map(self.get, todo))

    def _load(self, path: str) -> FileText:
        if is_stream(path):
            return FileText(path, None, "a stream (process substitution), not a file")
        info = self.host.stat(path)
        if not info.exists:
            link = self.host.lstat(path)
            if link.exists and link.is_symlink:
                return FileText(path, None, f"symlink that cannot be followed: {info.error}")
            if link.exists:
                return FileText(path, None, info.error or "cannot be read")
            return FileText(path, None, "does not exist")
        if info.is_dir:
            return FileText(path, None, "is a directory")
        try:
            data = self.host.read_bytes(path, MAX_STATIC_BYTES + 1)
        except HostError as exc:
            return FileText(path, None, str(exc).split(": ", 1)[-1])
        truncated = len(data) > MAX_STATIC_BYTES
        data = data[:MAX_STATIC_BYTES]
        text = data.decode("utf-8", errors="replace")
        error = _unreadable_by_shell(self.host, info)
        if error is not None:
            pass  # goenv-tui could read it, the shell's user cannot: that is what matters
        elif b"\0" in data[:8192]:
            error = "binary content"
        elif not _valid_utf8(data, truncated):
            error = "not valid UTF-8 (undecodable bytes shown as \ufffd)"
        real = None
        try:
            real = self.host.realpath(path)
        except OSError:
            real = None
        return FileText(path, text, error, truncated, static.index_text(text), real if real != path else None)

    def all(self) -> dict[str, FileText]:
        with self._lock:
            return dict(self._files)


def _valid_utf8(data: bytes, truncated: bool) -> bool:
    """Judged on the bytes: a file may hold a literal U+FFFD and still be valid UTF-8. A file cut
    at the read limit may end inside a character; that is not its fault."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return truncated and exc.reason == "unexpected end of data"
    return True


def hermetic_env(host: Host, opts: TraceOptions, shell_path: str) -> dict[str, str]:
    """The environment a freshly started session gives the shell: nothing of ours leaks in."""
    user_env = host.environ()
    user = user_env.get("USER") or user_env.get("LOGNAME") or "user"
    env = {
        "HOME": opts.home,
        "PATH": SEED_PATH.get(host.os_name(), SEED_PATH["other"]),
        "USER": user,
        "LOGNAME": user,
        "SHELL": shell_path,
        "TERM": "xterm-256color",
        "LANG": opts.lang,
    }
    env.update(opts.extra_env)
    return env


class Tracer:
    """Traces launch contexts for one HOME on one host."""

    def __init__(self, host: Host, opts: TraceOptions) -> None:
        self.host = host
        self.opts = opts
        self.files = FileCache(host)
        self._shell_paths: dict[str, str | None] = {}
        self._drivers: dict[str, ShellDriver] = {}
        self._drivers_lock = threading.Lock()
        self.watched = list(BASE_WATCHED)
        self.per_line = list(PER_LINE)  # what each trace record carries (see PER_LINE)
        self._discover_names(self._home_candidates())
        self.os_name = host.os_name()
        self.login_shell = opts.login_shell or host.login_shell()
        total = opts.total if opts.total is not None else trace_budget(opts.timeout, opts.ceiling)
        self.deadline = time.monotonic() + total

    def _left(self) -> float:
        """Seconds left of the whole tracing stage's budget."""
        return self.deadline - time.monotonic()

    # setup ---------------------------------------------------------------------------
    def driver(self, shell: str) -> ShellDriver:
        """This tracer's driver of `shell` (it caches what it learns about the shell's binary)."""
        with self._drivers_lock:
            if shell not in self._drivers:
                self._drivers[shell] = make_driver(shell, self.host)
            return self._drivers[shell]

    def _home_candidates(self) -> list[str]:
        found: list[str] = []
        for shell in self.opts.shells:
            if shell in DRIVERS:
                found += self.driver(shell).candidate_files(self.opts.home, self.opts.extra_env)
        return list(dict.fromkeys(found))

    def _discover_names(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        self.files.load_many(paths)
        for path in paths:
            entry = self.files.get(path)
            if entry.text:
                for name in sorted(static.go_names(entry.text)):
                    if name not in self.watched:
                        self.watched.append(name)
                    if name not in self.per_line:
                        self.per_line.append(name)

    def shell_path(self, shell: str) -> str | None:
        if shell not in self._shell_paths:
            found = None
            candidates = (f"/bin/{shell}", f"/usr/bin/{shell}", f"/usr/local/bin/{shell}", f"/opt/homebrew/bin/{shell}")
            self.host.prefetch(candidates)
            for candidate in candidates:
                if self.host.stat(candidate).is_file:
                    found = candidate
                    break
            self._shell_paths[shell] = found or self.host.which(shell)
        return self._shell_paths[shell]

    def _text(self, path: str) -> str | None:
        return self.files.get(path).text

    # tracing -------------------------------------------------------------------------
    def trace(self, spec: ContextSpec) -> ContextTrace:
        ub = tuple(used_by(spec, self.os_name, self.login_shell))
        shell_path = self.shell_path(spec.shell)
        if shell_path is None:
            return ContextTrace(spec, None, TraceStatus.UNAVAILABLE, ub, error=f"{spec.shell} is not installed")
        driver = self.driver(spec.shell)
        fallback = False
        carried = self.per_line if driver.watch_costs_per_line else self.watched
        trace = self._trace_once(spec, shell_path, ub, list(carried))
        if trace.status is TraceStatus.ERROR and driver.wants_fallback(trace):
            fallback = True
            trace = self._trace_once(spec, shell_path, ub, list(carried), fallback=True)
        if trace.status is TraceStatus.OK and trace.runaway is None:
            # Names whose changes the trace could not show exactly: carried by no record, and
            # not read back from the commands in a way the final environment confirms.
            extra = self._unwatched_names(list(trace.exact), trace.env, trace.files, trace.assigned_on)
            escape = driver.retrace_escaped(trace.watched)
            if (extra or escape) and self._left() < self.opts.timeout:
                # The budget is spent (a slow home): the first trace stands, its values are exact.
                trace = replace(trace, notes=(*trace.notes, "not traced again for the variables "
                                              f"{', '.join(extra) or 'with %'} (the tracing time budget was spent): "
                                              "their final values are exact, where they were set is not shown"))
            elif extra or escape:
                trace = self._trace_once(spec, shell_path, ub, list(carried) + extra, escape=escape,
                                         fallback=fallback)
        return trace

    def _unwatched_names(self, watched: list[str], env: dict[str, str], files: Iterable[SourcedFile],
                         assigned_on: dict[tuple[str, int], set[str]] | dict[tuple[str, int], frozenset[str]]
                         ) -> list[str]:
        """GO*/CGO_* names the trace did not watch: set in the final environment, or named by a file
        it read and assigned by a line it ran (a name a file only mentions changes nothing)."""
        names: set[str] = {k for k in env if (k.startswith("GO") or k.startswith("CGO_")) and k.isupper()}
        assigned = set().union(*assigned_on.values()) if assigned_on else set()
        for f in files:
            entry = self.files.get(f.path)
            if entry.text:
                names |= static.go_names(entry.text) & assigned
        return sorted(n for n in names if n not in watched and n != RUN_TOKEN_VAR)

    def _trace_once(self, spec: ContextSpec, shell_path: str, ub: tuple[str, ...], watched: list[str],
                    escape: bool = False, fallback: bool = False, plain: bool = False) -> ContextTrace:
        driver = self.driver(spec.shell)
        env = hermetic_env(self.host, self.opts, shell_path)
        if spec.sshd_command:
            user, root = SSHD_PATH.get(self.os_name, SSHD_PATH["other"])
            env["PATH"] = root if self.host.euid() == 0 and self.host.stat(self.opts.home).uid == 0 else user
        job = TraceJob(spec, shell_path, self.opts.home, watched, env,
                       env_bin=self.host.which("env", "/usr/bin:/bin") or "/usr/bin/env",
                       true_bin=self.host.which("true", "/usr/bin:/bin") or "/bin/true",
                       escape=escape, fallback=fallback, force_fallback=self.opts.force_driver, plain=plain,
                       extra_env=self.opts.extra_env, text=self._text, start_map=self._start_map)
        try:
            launch = driver.prepare(job)
        except StartError as exc:
            return ContextTrace(spec, shell_path, TraceStatus.ERROR, ub, error=str(exc))
        try:
            res, verdict = self._run_watched(launch.argv, launch.env, launch.untraced, driver)
        finally:
            if launch.cleanup is not None:
                launch.cleanup()
        if verdict is not None:
            # A runaway's trace grows without end, and a call stack as deep as it got costs time to
            # read on every line; its first part already shows the repeating call (or loop).
            res = replace(res, stderr=res.stderr[:_RUNAWAY_READ])
        reading = driver.read(job, launch, res)
        if reading.again and not plain:
            return self._trace_once(spec, shell_path, ub, watched, escape, fallback, plain=True)
        notes = [*launch.notes, *reading.notes]
        folded, records, start_of = reading.folded, reading.records, reading.start_of
        stdout = res.stdout
        files = self._files_read(spec, folded)
        env_out = reading.env
        watched_env = {k: v for k, v in env_out.items() if k in watched or k.startswith("GO") or k.startswith("CGO_")}
        watched_env.pop(RUN_TOKEN_VAR, None)
        final_values = {k: v.value for k, v in folded.final.items() if v.set}
        exact = set(watched)
        if records:
            late = self._unwatched_names(watched, env_out, files, folded.assigned_on)
            if late:
                # GO* names that only a framework's file mentions (learnt now): their changes are
                # read from the traced commands rather than by tracing the context again, when
                # that ends where the shell really ended (else `trace` traces it again).
                env = launch.env
                by_text = {n: VarState(True, True, env[n]) if n in env else VarState(False) for n in late}
                again = fold(records, watched, dict(records[0].values), start_of, by_text)
                if again.by_text is not None and text_matches(again.by_text, env_out):
                    folded = again
                    final_values.update({k: v.value for k, v in again.by_text.items() if v.set})
                    exact.update(late)
        _settle_exports(folded, env_out)
        common: dict[str, Any] = dict(
            used_by=ub, files=tuple(files), assignments=tuple(folded.assignments),
            duration_ms=res.duration_ms, notes=tuple(notes),
            executed=frozenset(folded.executed), watched=final_values,
            assigned_on={k: frozenset(v) for k, v in folded.assigned_on.items()},
            early_returns=tuple(folded.early_returns), exact=frozenset(exact),
        )
        if res.error and not res.timed_out:
            return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=res.error, **common)
        stopped = reading.stopped_at
        last_cmd = _first_line(folded.last.command) if folded.last else ""
        if folded.last is not None and folded.last.is_sourcetrace:
            last_cmd = ""
        printed = _printed_after(folded.last.command) if folded.last else ""
        costly = where_time_went(records, start_of) if records else ""
        if verdict is not None:
            return self._runaway(spec, shell_path, verdict, records, start_of, stopped, last_cmd, common)
        if res.timed_out:
            children = [h.split(" ", 1)[-1] for h in res.hung if not h.split(" ", 1)[-1].startswith((shell_path, "unshare"))]
            slow = not res.stalled
            if slow:
                msg = (f"startup still running after {max(self.opts.ceiling, self.opts.timeout):g}s: slow, not stuck "
                       "(it kept running new lines)")
                if costly:
                    msg += f"; most of the time in {costly}"
                if stopped:
                    msg += f"; it was at {_short(stopped)}"
            else:
                msg = f"startup made no progress for {self.opts.timeout:g}s"
                if stopped:
                    msg += f"; stopped at {_short(stopped)}" + (f" (`{last_cmd[:80]}`)" if last_cmd else "")
                if children:
                    msg += f"; waiting for: {', '.join(c[:80] for c in children[:3])}"
            return ContextTrace(spec, shell_path, TraceStatus.TIMEOUT, error=msg, stopped_at=stopped, slow=slow,
                                **common)
        if res.duration_ms > self.opts.timeout * 1000 and costly:
            notes.append(f"slow start: {res.duration_ms / 1000:.1f}s traced; most of the time in {costly}")
            common["notes"] = tuple(notes)
        if not folded.finished and ENV_MARK.encode() in stdout and res.returncode == 0 and records:
            # The shell ran to the end (it printed its environment) but the trace stopped
            # earlier: a startup file blinded it (PS4 reassigned or readonly, `set +x`, `unsetopt
            # xtrace`, `exec 2>/dev/null`). The final environment is still the truth; only the
            # attribution of later changes is missing.
            where = _short(stopped) if stopped else "an unknown line"
            notes.append(f"the trace went blind after {where}" + (f" (`{last_cmd[:80]}`)" if last_cmd else "")
                         + ": the final environment is exact, but changes made after that line are not "
                         "attributed to a file and line (partial)")
            full_env = {k: v for k, v in env_out.items() if k != RUN_TOKEN_VAR}
            common["notes"] = tuple(notes)
            return ContextTrace(spec, shell_path, TraceStatus.OK, env=watched_env, full_env=full_env,
                                stopped_at=stopped, **common)
        if not folded.finished or ENV_MARK.encode() not in stdout:
            if reading.start_error:
                return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=reading.start_error,
                                    **common)
            msg = f"{spec.shell} exited with status {res.returncode} before its startup files finished"
            if stopped:
                msg += f"; last ran {_short(stopped)}" + (f" (`{last_cmd[:80]}`)" if last_cmd else "")
            if printed:
                msg += f"; it printed: {printed}"
            return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=msg, stopped_at=stopped, **common)
        full_env = {k: v for k, v in env_out.items() if k != RUN_TOKEN_VAR}
        return ContextTrace(spec, shell_path, TraceStatus.OK, env=watched_env, full_env=full_env, **common)

    def _run_watched(self, argv: list[str], env: dict[str, str], untraced: tuple[list[str], dict[str, str]] | None,
                     driver: ShellDriver) -> tuple[RunResult, Untraced | None]:
        """Run the traced shell. One that still runs new lines after the deadline may be slow (a
        first start's compinit) or may never finish (a file sourcing itself, an endless loop):
        then the same shell is started untraced, and if that one crashes, stops a runaway
        recursion itself or does not finish in twice the deadline (10 s at least) either, waiting for the traced
        one is pointless and it is stopped (the verdict says why). If it finishes, the traced
        one is slow, not stuck, and goes on up to the ceiling."""
        limit = max(0.5, min(max(self.opts.ceiling, self.opts.timeout), self._left()))
        run = functools.partial(self.host.run, argv, env=env, cwd=self.opts.home, timeout=limit,
                                idle_timeout=self.opts.timeout, hold_stdin=True)
        if untraced is None or limit <= self.opts.timeout:
            return run(), None
        done, stop = threading.Event(), threading.Event()
        verdict: list[Untraced] = []

        def watch() -> None:
            if done.wait(self.opts.timeout + 0.25):
                return  # it finished, or stalled (stuck, not slow), within the deadline
            found = self._untraced(untraced[0], untraced[1], done, driver)
            if found is not None and not done.is_set():
                verdict.append(found)
                stop.set()

        watcher = threading.Thread(target=watch, name="goenv-tui-untraced", daemon=True)
        watcher.start()
        try:
            res = run(cancel=stop)
        finally:
            done.set()
            watcher.join()
        return res, (verdict[0] if verdict and res.cancelled else None)

    def _untraced(self, argv: list[str], env: dict[str, str], done: threading.Event, driver: ShellDriver
                  ) -> Untraced | None:
        """Start the context's shell untraced; None when it finishes normally (or the traced one
        finished first)."""
        # Ten seconds at least: what VS Code waits for a shell's environment before it gives up, so
        # a start that takes longer untraced is broken for the editor either way.
        limit = max(0.5, min(max(2 * self.opts.timeout, UNTRACED_MIN_S), self._left()))
        res = self.host.run(argv, env=env, cwd=self.opts.home, timeout=limit, hold_stdin=True, cancel=done)
        seconds = res.duration_ms / 1000
        if res.cancelled or (res.error and not res.timed_out):
            return None
        if res.timed_out:
            return Untraced("endless", f"untraced, the shell had not finished after {limit:g}s either", seconds)
        code = res.returncode if res.returncode is not None else 0
        sig = -code if code < 0 else code - 128 if code > 128 else 0
        if sig in _CRASH_SIGNALS:
            return Untraced("crash", f"untraced, the shell crashes with {_CRASH_SIGNALS[sig]} after {seconds:.1f}s "
                            "(its stack overflows)", seconds)
        said = res.stderr.decode(errors="replace")
        hit = next((ln.strip() for ln in said.splitlines() if any(w in ln for w in _LIMIT_WORDS)), None)
        if hit is not None:
            return Untraced("limit", f"untraced, the shell stops it at its recursion limit (`{hit[:160]}`) and "
                            f"goes on, after {seconds:.1f}s", seconds, driver.final_env(res.stdout))
        return None

    def _runaway(self, spec: ContextSpec, shell_path: str, verdict: Untraced, records: list[Record],
                 start_of: dict[str, dict[int, int]], stopped: Location | None, last_cmd: str,
                 common: dict[str, Any]) -> ContextTrace:
        """The context of a shell that never finishes starting (see `_run_watched`)."""
        site = _runaway_site(records)
        if site is not None:
            what, where = site
            head = f"{_short(where)} {what} again and again"
            stopped = where
        else:
            loop = _loop_lines(records, start_of)
            if loop is not None:
                path, lines = loop
                span = f"{lines[0]}" if len(lines) == 1 else f"{lines[0]}-{lines[-1]}"
                head = f"{path}:{span} runs again and again (an endless loop?)"
                stopped = Location(path, lines[-1]) if stopped is None or stopped.path != path else stopped
            else:
                head = f"{_short(stopped)} runs on and on" if stopped else "the startup files run on and on"
        depth = max((len(r.frames) for r in records), default=0)
        traced = f"traced, it was over {depth} calls deep when stopped" if site is not None else "traced, it kept running lines until stopped"
        if verdict.kind == "limit":
            msg = f"{head}: {verdict.detail}; {traced}"
            notes = [*common["notes"], f"{msg}. The environment is the untraced shell's (exact); the trace is partial"]
            env = {k: v for k, v in verdict.env.items() if k != RUN_TOKEN_VAR}
            watched_env = {k: v for k, v in env.items() if k in self.watched or k.startswith(("GO", "CGO_"))}
            kept = {**common, "notes": tuple(notes)}
            return ContextTrace(spec, shell_path, TraceStatus.OK, env=watched_env, full_env=env,
                                stopped_at=stopped, runaway=f"{head}: every start runs it up to the limit", **kept)
        # A loop is judged by the clock alone (the untraced shell did not finish in time either);
        # a recursion that only goes deeper, or a crash, never finishes.
        end = ("startup does not finish" if verdict.kind == "endless" and site is None
               else "startup never finishes")
        crash = " (the shell crashes)" if verdict.kind == "crash" else ""
        msg = f"{head}: {end}{crash}; {verdict.detail}; {traced}"
        status = TraceStatus.TIMEOUT if verdict.kind == "endless" else TraceStatus.ERROR
        return ContextTrace(spec, shell_path, status, error=msg, stopped_at=stopped,
                            runaway=f"{head}: {end}", **common)

    def _start_map(self, records: list[Record]) -> dict[str, dict[int, int]]:
        """For every traced file: physical line → first line of its statement."""
        out: dict[str, dict[int, int]] = {}
        paths = {r.file for r in records if not r.opaque and r.file.startswith("/")}
        self.files.load_many(sorted(paths))
        for path in paths:
            if not path.startswith("/"):
                continue
            entry = self.files.get(path)
            if entry.index is not None:
                out[path] = entry.index._start_of
        return out

    def _files_read(self, spec: ContextSpec, folded: TraceResult) -> list[SourcedFile]:
        files = list(folded.files)
        # `source X` of a file that traced nothing (empty, comments only).
        for target, site, before in reversed(folded.quiet_sources):
            path = target if target.startswith("/") or is_stream(target) else f"{self.opts.home.rstrip('/')}/{target}"
            if (is_stream(path) or self.host.stat(path).is_file) and all(f.path != path for f in files):
                files.insert(min(before, len(files)), SourcedFile(path, 0, site))
        # Startup files the shell opened itself but that ran no command (so the trace cannot show them).
        top = self.driver(spec.shell).unreported_files(spec, self.opts.home)
        seen = {f.path for f in files}
        for pos, path in enumerate(top):
            if path in seen or not self.host.stat(path).is_file:
                continue
            later = [i for i, f in enumerate(files) if f.path in top[pos + 1 :] and f.sourced_from is None]
            files.insert(later[0] if later else len(files), SourcedFile(path, 0, None))
            seen.add(path)
        out: list[SourcedFile] = []
        for i, f in enumerate(files, start=1):
            entry = self.files.get(f.path) if f.path.startswith("/") else None
            out.append(replace(f, order=i, realpath=entry.realpath if entry else None))
        return out


def _settle_exports(folded: TraceResult, env_out: dict[str, str]) -> None:
    """The final environment is the truth about what was exported. A variable exported without a
    traced `export` (inside a function that turned tracing off) is credited to its last change."""
    if not env_out:
        return
    last: dict[str, int] = {}
    for i, a in enumerate(folded.assignments):
        last[a.var] = i
    for var, i in last.items():
        a = folded.assignments[i]
        if var in env_out and a.value is not None and not a.exported:
            folded.assignments[i] = replace(a, exported=True, op=Op.EXPORT if a.op is Op.SET else a.op)


def _first_line(command: str) -> str:
    return command.strip().split("\n", 1)[0]


def _printed_after(command: str) -> str:
    """What the shell wrote after the last traced command: usually the error that ended it."""
    lines = [ln.strip() for ln in command.strip().split("\n")[1:] if ln.strip()]
    return " / ".join(lines[-3:])[:300]


def _short(loc: Location | None) -> str:
    if loc is None:
        return "?"
    return f"{loc.path}:{loc.line}" if loc.line else loc.path


def trace_all(
    host: Host,
    opts: TraceOptions,
    specs: list[ContextSpec] | None = None,
    on_result: Callable[[ContextTrace], None] | None = None,
) -> tuple[list[ContextTrace], Tracer]:
    """Trace every context in parallel; results come back in the order of `specs`."""
    tracer = Tracer(host, opts)
    specs = specs if specs is not None else all_specs(opts.shells)
    # What the traced shells write into the home, removed once every context has run.
    sweeps = [sweep for shell in dict.fromkeys(s.shell for s in specs) if shell in DRIVERS
              for sweep in [tracer.driver(shell).sweeper(opts.home)] if sweep is not None]
    results: dict[str, ContextTrace] = {}
    start = time.monotonic()

    def one(spec: ContextSpec) -> ContextTrace:
        try:
            result = tracer.trace(spec)
        except Exception as exc:  # a bug in one context must not sink the others
            result = ContextTrace(spec, None, TraceStatus.ERROR, error=f"internal error: {exc!r}")
        if on_result is not None:
            on_result(result)
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
            for spec, res in zip(specs, pool.map(one, specs), strict=True):
                results[spec.id] = res
    finally:
        for sweep in sweeps:
            sweep(list(results.values()))
    _ = time.monotonic() - start
    return [results[s.id] for s in specs], tracer
