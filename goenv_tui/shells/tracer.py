"""Tracing every launch context: run the real shell, read its trace, return a ContextTrace.

The shell runs in a hermetic environment built from the analysed HOME (never the tool's own
environment), with stdin from /dev/null, in its own session, under a deadline. Contexts run in
parallel threads; each child is a separate process, so the threads mostly wait.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from goenv_tui.host import Host, HostError, RunResult
from goenv_tui.host.process import RUN_TOKEN_VAR
from goenv_tui.model import ContextSpec, ContextTrace, Location, Op, SourcedFile, TraceStatus
from goenv_tui.shells import bash, fish, static, zsh
from goenv_tui.shells.contexts import all_specs, used_by
from goenv_tui.shells.trace import (
    END_MARK,
    Record,
    TraceResult,
    VarState,
    attribute,
    fold,
    is_stream,
    text_matches,
    where_time_went,
)

# Variables always watched. Every GO*/CGO_* name a startup file mentions is added to these.
BASE_WATCHED = [
    "PATH", "MANPATH", "SHELL", "ZDOTDIR", "BASH_ENV",
    "GOROOT", "GOPATH", "GOBIN", "GO111MODULE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN",
    "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOINSECURE", "GOENV", "GOWORK",
    "GOMODCACHE", "GOCACHE", "GOOS", "GOARCH", "GOTELEMETRY", "GOEXPERIMENT", "CGO_ENABLED",
]
ENV_MARK = "\x1eGOENV_TUI_ENV\x1e"
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


def _untraced_argv(shell: str, argv: list[str]) -> list[str]:
    """The traced command line without its tracing options: the shell as the user starts it."""
    if shell == "bash":
        return [a for a in argv if a != "-x"]
    out: list[str] = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a == "-o" and i + 1 < len(argv) and argv[i + 1] in ("xtrace", "sourcetrace", "promptsubst"):
            skip = True
            continue
        out.append(a)
    return out


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


def _unreadable_by_shell(host: Host, info) -> str | None:
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

    def get(self, path: str) -> FileText:
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
        self._bash_modern: bool | None = None
        self._sys_bashrc: str | None | bool = False
        self._fish_info: dict[str, fish.FishInfo | None] = {}
        self._fish_lock = threading.Lock()
        # One lock per shell's setup: the first context of a shell asks it once while the others
        # wait (all five bash contexts used to run `bash --version` at the same moment), and a
        # zsh context does not wait for fish's.
        self._bash_lock = threading.Lock()
        self._zsh_lock = threading.Lock()
        self._zsh_lib: dict[str, tuple[str, ...]] = {}
        self.watched = list(BASE_WATCHED)
        self._discover_names(self._home_candidates())
        self.os_name = host.os_name()
        self.login_shell = opts.login_shell or host.login_shell()
        total = opts.total if opts.total is not None else trace_budget(opts.timeout, opts.ceiling)
        self.deadline = time.monotonic() + total

    def _left(self) -> float:
        """Seconds left of the whole tracing stage's budget."""
        return self.deadline - time.monotonic()

    # setup ---------------------------------------------------------------------------
    def _home_candidates(self) -> list[str]:
        found = bash.candidate_files(self.opts.home) + zsh.candidate_files(self.opts.home)
        if "fish" in self.opts.shells:
            found += fish.candidate_files(self.opts.home, self.host.listdir, self.opts.extra_env.get("XDG_CONFIG_HOME"))
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

    def _bash_setup(self, path: str) -> tuple[bool, str | None]:
        with self._bash_lock:
            if self._bash_modern is None:
                res = self.host.run([path, "--version"], env={"PATH": "/usr/bin:/bin"}, timeout=5)
                self._bash_modern = bash.version_is_modern(res.stdout.decode(errors="replace"))
            if self._sys_bashrc is False:
                names = ("/etc/bash.bashrc\0", "/etc/bash/bashrc\0")  # SYS_BASHRC compiled into bash, if any
                try:
                    found = self.host.file_contains(self.host.realpath(path), list(names))
                except (HostError, OSError):
                    found = set()
                self._sys_bashrc = next((p.rstrip("\0") for p in names if p in found), None)
            return self._bash_modern, self._sys_bashrc  # type: ignore[return-value]

    def _fish_setup(self, path: str) -> fish.FishInfo | None:
        """fish's data directory and version (`fish -N`, with a scratch HOME: fish creates its
        config directories in HOME)."""
        with self._fish_lock:
            if path not in self._fish_info:
                scratch = self.host.make_temp_dir("goenv-tui-fish-")
                try:
                    res = self.host.run([path, "-N", "-c", "echo $__fish_data_dir; echo $version"],
                                        env={"PATH": "/usr/bin:/bin", "HOME": scratch}, cwd=scratch, timeout=5)
                    self._fish_info[path] = fish.parse_info(res.stdout.decode(errors="replace"))
                finally:
                    self.host.remove_tree(scratch)
            return self._fish_info[path]

    def _zsh_library(self, path: str) -> tuple[str, ...]:
        """zsh's own function directories (from its default $fpath, `zsh -f`: no startup file)."""
        with self._zsh_lock:
            if path not in self._zsh_lib:
                res = self.host.run([path, "-f", "-c", "print -rl -- $fpath"], env={"PATH": "/usr/bin:/bin"}, timeout=5)
                fpath = res.stdout.decode(errors="replace").splitlines() if res.ok else []
                self._zsh_lib[path] = zsh.library_dirs(fpath)
            return self._zsh_lib[path]

    def _text(self, path: str) -> str | None:
        return self.files.get(path).text

    def _root_prefix(self) -> tuple[list[str], str | None]:
        """bash resets PS4 when euid is 0; run it as the home's owner in a user namespace."""
        if self.host.euid() != 0:
            return [], None
        unshare = self.host.which("unshare", "/usr/bin:/bin:/usr/sbin:/sbin")
        if not unshare:
            return [], "bash ignores PS4 when run as root and `unshare` is not available to trace it as another user"
        owner = self.host.stat(self.opts.home).uid
        uid = owner if owner > 0 else 65534
        keep: list[str] = []
        if owner <= 0:
            # Root's own home: root reads its files whatever their mode (a `chmod 000 ~/.bashrc`
            # included). Keeping the namespace's capabilities keeps that for every file root owns
            # (root is the one id mapped into it), so the traced shell reads what root's reads.
            keep = ["--keep-caps"]
        note = (f"traced as uid {uid} in a user namespace (bash ignores PS4 for root)"
                + (", with root's access to root's files" if keep else "")
                + "; branches that test for root may differ from a real root session")
        return [unshare, "--user", f"--map-user={uid}", f"--map-group={uid}", *keep, "--"], note

    # tracing -------------------------------------------------------------------------
    def trace(self, spec: ContextSpec) -> ContextTrace:
        ub = tuple(used_by(spec, self.os_name, self.login_shell))
        shell_path = self.shell_path(spec.shell)
        if shell_path is None:
            return ContextTrace(spec, None, TraceStatus.UNAVAILABLE, ub, error=f"{spec.shell} is not installed")
        trace = self._trace_once(spec, shell_path, ub, list(self.watched))
        if trace.status is TraceStatus.ERROR and (trace.error or "").startswith("could not start bash in a user namespace"):
            # A root container without user namespaces: source the startup files from a driver.
            trace = self._trace_once(spec, shell_path, ub, list(self.watched), driver_mode=True)
        if trace.status is TraceStatus.OK and trace.runaway is None:
            extra = [n for n in self._unwatched_names(self.watched, trace.env, trace.files, trace.assigned_on)
                     if n not in trace.watched]
            percent = spec.shell == "zsh" and any("%" in v for v in trace.watched.values())
            if (extra or percent) and self._left() < self.opts.timeout:
                # The budget is spent (a slow home): the first trace stands, its values are exact.
                trace = replace(trace, notes=(*trace.notes, "not traced again for the variables "
                                              f"{', '.join(extra) or 'with %'} (the tracing time budget was spent): "
                                              "their final values are exact, where they were set is not shown"))
            elif extra or percent:
                driven = any(n.startswith("traced by sourcing") for n in trace.notes)
                trace = self._trace_once(spec, shell_path, ub, list(self.watched) + extra, escape=percent,
                                         driver_mode=driven)
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
                    escape: bool = False, driver_mode: bool = False, quiet: bool = True) -> ContextTrace:
        driver = {"bash": bash, "zsh": zsh, "fish": fish}[spec.shell]
        env_bin = self.host.which("env", "/usr/bin:/bin") or "/usr/bin/env"
        command = _dump_command(spec.shell, env_bin, self.host.which("true", "/usr/bin:/bin") or "/bin/true")
        env = hermetic_env(self.host, self.opts, shell_path)
        notes: list[str] = []
        prefix: list[str] = []
        modern = True
        hook_dir: str | None = None
        fish_info: fish.FishInfo | None = None
        driven: list[str] | None = None  # bash as root without a user namespace: files to source
        if spec.sshd_command:
            user, root = SSHD_PATH.get(self.os_name, SSHD_PATH["other"])
            env["PATH"] = root if self.host.euid() == 0 and self.host.stat(self.opts.home).uid == 0 else user
        base_env = env
        if spec.shell == "fish":
            fish_info = self._fish_setup(shell_path)
            if fish_info is None:
                return ContextTrace(spec, shell_path, TraceStatus.ERROR, ub,
                                    error=f"could not ask {shell_path} for its data directory and version")
            base_env = env = fish.context_env(spec, env)
            hook_dir = self.host.make_temp_dir("goenv-tui-fish-")
            # fish's own state (universal variables, its folders) in a private mirror: see fish.py.
            mirrored = self.host.run(fish.mirror_argv(hook_dir, self.opts.home, env), env={"PATH": "/usr/bin:/bin"},
                                     timeout=10)
            if not mirrored.ok:
                self.host.remove_tree(hook_dir)
                return ContextTrace(spec, shell_path, TraceStatus.ERROR, ub, error="could not prepare a private copy "
                                    f"of fish's state: {mirrored.error or mirrored.stderr.decode(errors='replace')[:200]}")
            hook = fish.hook_path(hook_dir)
            self.host.makedirs(hook.rsplit("/", 1)[0])
            self.host.write_atomic(hook, fish.hook_script(watched, hook_dir, env, fish_info).encode())
            env = fish.trace_env(env, hook_dir, fish_info)
            command = fish.command(env_bin)
        elif spec.shell == "bash":
            modern, sys_bashrc = self._bash_setup(shell_path)
            env["PS4"] = bash.ps4(watched, modern)
            env = bash.context_env(spec, env)
            prefix, note = self._root_prefix()
            if self.host.euid() == 0 and (driver_mode or self.opts.force_driver or not prefix):
                prefix = []
                driven = bash.toplevel_files(spec, self.opts.home, sys_bashrc, lambda p: self.host.stat(p).is_file)
                note = ("traced by sourcing the startup files in bash's own order (bash ignores PS4 as root, and "
                        "no user namespace was available to trace it as the home's owner)")
            if note:
                notes.append(note)
            if not modern:
                notes.append("bash older than 4.4: exported and unexported values are not told apart")
        else:
            env.update(zsh.ps4(watched, escape, self._zsh_library(shell_path), quiet=quiet))
            env = zsh.context_env(spec, env)
        if driven is not None:
            argv = bash.driver_argv(spec, shell_path, env.pop("PS4"), driven, command)
        else:
            argv = prefix + driver.argv(spec, shell_path, command)
        untraced: tuple[list[str], dict[str, str]] | None = None
        if fish_info is None and driven is None:
            untraced = (_untraced_argv(spec.shell, argv), {k: v for k, v in env.items() if k not in ("PS4", zsh.BODY_VAR)})
        try:
            res, verdict = self._run_watched(argv, env, untraced)
        finally:
            if hook_dir is not None:
                self.host.remove_tree(hook_dir)
        raw = res.stderr
        if verdict is not None:
            # A runaway's trace grows without end, and a call stack as deep as it got costs time to
            # read on every line; its first part already shows the repeating call (or loop).
            raw = raw[:_RUNAWAY_READ]
        stderr = raw.decode("utf-8", errors="replace")
        stdout = res.stdout
        if hook_dir is not None:
            stderr = fish.unmirror(stderr, hook_dir, self.opts.home, base_env)
            stdout = fish.unmirror(stdout.decode("utf-8", errors="surrogateescape"), hook_dir, self.opts.home,
                                   base_env).encode("utf-8", errors="surrogateescape")
        fish_stop: Location | None = None
        if fish_info is not None and hook_dir is not None:
            records: list[Record] = []
            start_of: dict[str, dict[int, int]] = {}
            initial = {v: VarState(True, True, base_env[v]) for v in watched if v in base_env}
            traced = fish.fold(stderr, watched, initial, self.opts.home, self._text, hook_dir,
                               fish_info.data_dir, fish.variables_path(self.opts.home, base_env),
                               exited=not res.timed_out)
            folded, fish_stop = traced.result, traced.stopped_at
            if not traced.hooked and (folded.finished or not res.timed_out):
                notes.append(f"fish {'.'.join(map(str, fish_info.version))}: the tracing hook did not run before "
                             "the config files, so no change is attributed to a line (the final environment is exact)")
        else:
            if spec.shell == "bash":
                records = bash.parse(stderr, watched, modern, level_offset=1 if driven is not None else 0)
            else:
                records = zsh.parse(stderr, watched, {k for k in env if k in watched})
                if quiet and zsh.quiet_misfired(stderr, records):
                    return self._trace_once(spec, shell_path, ub, watched, escape, driver_mode, quiet=False)
            # Logout files run only because the shell was ending (an `exit` in a startup file, the
            # SIGHUP at the deadline): the line that ended it is the last one before them.
            records = [r for r in records if not is_logout_file(r.file)]
            start_of = self._start_map(records)
            initial = records[0].values if records else {}
            folded = fold(records, watched, dict(initial), start_of)
        files = self._files_read(spec, folded, records)
        env_out = self._final_env(stdout)
        if fish_info is not None:
            env_out = fish.clean_env(env_out, env, base_env)
        watched_env = {k: v for k, v in env_out.items() if k in watched or k.startswith("GO") or k.startswith("CGO_")}
        watched_env.pop(RUN_TOKEN_VAR, None)
        final_values = {k: v.value for k, v in folded.final.items() if v.set}
        if records:
            late = self._unwatched_names(watched, env_out, files, folded.assigned_on)
            if late:
                # GO* names that only a framework's file mentions (learnt now): their changes are
                # read from the traced commands rather than by tracing the context again, when
                # that ends where the shell really ended (else `trace` traces it again).
                by_text = {n: VarState(True, True, env[n]) if n in env else VarState(False) for n in late}
                again = fold(records, watched, dict(records[0].values), start_of, by_text)
                if again.by_text is not None and text_matches(again.by_text, env_out):
                    folded = again
                    final_values.update({k: v.value for k, v in again.by_text.items() if v.set})
        _settle_exports(folded, env_out)
        common = dict(
            used_by=ub, files=tuple(files), assignments=tuple(folded.assignments),
            duration_ms=res.duration_ms, notes=tuple(notes),
            executed=frozenset(folded.executed), watched=final_values,
            assigned_on={k: frozenset(v) for k, v in folded.assigned_on.items()},
            early_returns=tuple(folded.early_returns),
        )
        if res.error and not res.timed_out:
            return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=res.error, **common)  # type: ignore[arg-type]
        stopped = fish_stop if spec.shell == "fish" else self._stopped_at(folded.last, start_of)
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
            return ContextTrace(spec, shell_path, TraceStatus.TIMEOUT, error=msg, stopped_at=stopped, slow=slow,  # type: ignore[arg-type]
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
            return ContextTrace(spec, shell_path, TraceStatus.OK, env=watched_env, full_env=full_env,  # type: ignore[arg-type]
                                stopped_at=stopped, **common)
        if not folded.finished or ENV_MARK.encode() not in stdout:
            if prefix and not records:
                msg = f"could not start bash in a user namespace: {stderr.strip()[:300] or 'no output'}"
                return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=msg, **common)  # type: ignore[arg-type]
            msg = f"{spec.shell} exited with status {res.returncode} before its startup files finished"
            if stopped:
                msg += f"; last ran {_short(stopped)}" + (f" (`{last_cmd[:80]}`)" if last_cmd else "")
            if printed:
                msg += f"; it printed: {printed}"
            return ContextTrace(spec, shell_path, TraceStatus.ERROR, error=msg, stopped_at=stopped, **common)  # type: ignore[arg-type]
        full_env = {k: v for k, v in env_out.items() if k != RUN_TOKEN_VAR}
        return ContextTrace(spec, shell_path, TraceStatus.OK, env=watched_env, full_env=full_env, **common)  # type: ignore[arg-type]

    def _run_watched(self, argv: list[str], env: dict[str, str],
                     untraced: tuple[list[str], dict[str, str]] | None) -> tuple[RunResult, Untraced | None]:
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
            found = self._untraced(untraced[0], untraced[1], done)
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

    def _untraced(self, argv: list[str], env: dict[str, str], done: threading.Event) -> Untraced | None:
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
                            f"goes on, after {seconds:.1f}s", seconds, self._final_env(res.stdout))
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
        traced = f"traced, it was over {depth} calls deep when stopped" if site is not None else "traced, it kept running lines"
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
        msg = f"{head}: {end}{crash}; {verdict.detail}; {traced}, and was stopped"
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

    def _stopped_at(self, last: Record | None, start_of: dict[str, dict[int, int]]) -> Location | None:
        if last is None:
            return None
        return attribute(last, start_of).location

    def _files_read(self, spec: ContextSpec, folded: TraceResult, records: list[Record]) -> list[SourcedFile]:
        files = list(folded.files)
        # `source X` of a file that traced nothing (empty, comments only).
        for target, site, before in reversed(folded.quiet_sources):
            path = target if target.startswith("/") or is_stream(target) else f"{self.opts.home.rstrip('/')}/{target}"
            if (is_stream(path) or self.host.stat(path).is_file) and all(f.path != path for f in files):
                files.insert(min(before, len(files)), SourcedFile(path, 0, site))
        if spec.shell == "bash":
            # Startup files bash opened itself but that ran no command: from bash's own rules.
            shell_path = self.shell_path("bash") or "bash"
            _, sys_bashrc = self._bash_setup(shell_path)
            top = bash.toplevel_files(spec, self.opts.home, sys_bashrc, lambda p: self.host.stat(p).is_file)
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

    @staticmethod
    def _final_env(stdout: bytes) -> dict[str, str]:
        env = Tracer._env_dump(stdout)
        for name in zsh.OURS:
            env.pop(name, None)  # ours, not the user's
        return env

    @staticmethod
    def _env_dump(stdout: bytes) -> dict[str, str]:
        at = stdout.rfind(ENV_MARK.encode())
        if at < 0:
            return {}
        env: dict[str, str] = {}
        for item in stdout[at + len(ENV_MARK) :].split(b"\0"):
            if b"=" in item:
                k, _, v = item.partition(b"=")
                env[k.decode(errors="replace")] = v.decode(errors="replace")
        return env


class CompinitSweep:
    """Removes what the traced zsh's `compinit` wrote into the analysed home: its completion dump
    (~/.zcompdump, oh-my-zsh's ~/.zcompdump-HOST-VERSION, prezto's ~/.cache/prezto/zcompdump), the
    `.HOST.PID` temp files a start killed mid-dump leaves, .zwc compilations and lock
    directories, and the cache directories it created for them. A diagnosis writes nothing into
    the home; entries that existed before the run are left alone.

    Only names containing "zcompdump" are candidates, in the home, ~/.cache and its
    subdirectories, and any ZDOTDIR the traced shells ended with."""

    def __init__(self, host: Host, home: str) -> None:
        self.host = host
        self.home = home.rstrip("/") or "/"
        self.cache = f"{self.home}/.cache"
        self.before: dict[str, set[str]] = {}
        for d in [self.home, self.cache, *self._subdirs(self.cache)]:
            names = self._list(d)
            if names is not None:
                self.before[d] = set(names)

    def _list(self, path: str) -> list[str] | None:
        try:
            return self.host.listdir(path)
        except (HostError, OSError):
            return None

    def _subdirs(self, path: str) -> list[str]:
        return [f"{path}/{n}" for n in self._list(path) or [] if self.host.lstat(f"{path}/{n}").is_dir]

    def clean(self, zdotdirs: Iterable[str | None] = ()) -> None:
        dirs = [self.home, *self._subdirs(self.cache)] + [d.rstrip("/") for d in zdotdirs if d]
        for d in dict.fromkeys(dirs):
            known = self.before.get(d)
            if known is None and not (d == self.home or d.startswith(self.home + "/")):
                continue  # a ZDOTDIR outside the home is not ours to tidy
            for name in self._list(d) or []:
                if "zcompdump" not in name or (known is not None and name in known):
                    continue
                path = f"{d}/{name}"
                if self.host.lstat(path).is_dir:
                    self.host.remove_tree(path)
                else:
                    with contextlib.suppress(HostError, OSError):
                        self.host.remove_file(path)
        # Cache directories the traced shell created (prezto: mkdir -p ~/.cache/prezto), if empty now.
        for d in self._subdirs(self.cache):
            if d not in self.before and self._list(d) == []:
                self.host.remove_tree(d)
        if self.cache not in self.before and self._list(self.cache) == []:
            self.host.remove_tree(self.cache)


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


def _dump_command(shell: str, env_bin: str, true_bin: str) -> str:
    """The command run after the startup files: mark the end, print the environment, end.

    `env -0` runs as a child, not exec'd: with a huge exported value (over 128 KiB) exec fails
    with E2BIG and the shell would exit without printing anything; then the shell's own
    builtins print it. `exec -c true` ends the shell without running logout files (as exec'ing
    env did) and without passing the huge environment on. In bash `command` skips functions
    (a startup file may redefine `builtin` or `printf`); in zsh `builtin` is a reserved word.
    """
    mark = "\\036GOENV_TUI_ENV\\036"
    if shell == "zsh":
        dump = ("for __goenv_v in ${(k)parameters[(R)*export*]}; do "
                "builtin printf '%s=%s\\0' $__goenv_v ${(P)__goenv_v}; done")
        return f": {END_MARK}; builtin printf '{mark}'; command {env_bin} -0 || {{ {dump}; }}; exec -c {true_bin}"
    dump = ("IFS=$'\\n'; for __goenv_v in $(compgen -e); do "
            "command printf '%s=%s\\0' \"$__goenv_v\" \"${!__goenv_v}\"; done")
    return f": {END_MARK}; command printf '{mark}'; command {env_bin} -0 || {{ {dump}; }}; exec -c {true_bin}"


def is_logout_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in (".zlogout", "zlogout", ".bash_logout", "bash.bash_logout")


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
    sweep = CompinitSweep(host, opts.home) if "zsh" in {s.shell for s in specs} else None
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
        if sweep is not None:
            sweep.clean([r.env.get("ZDOTDIR") or r.full_env.get("ZDOTDIR") for r in results.values()])
    _ = time.monotonic() - start
    return [results[s.id] for s in specs], tracer
