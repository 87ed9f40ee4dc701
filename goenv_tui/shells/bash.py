"""bash: how each launch context starts it, and how its xtrace is read.

PS4 carries the call stack (BASH_SOURCE, BASH_LINENO, FUNCNAME), the subshell depth, `$$`
and every watched variable with its attributes (`${V@a}` tells exported from not). bash
repeats PS4's first character once per level of indirection (sourced file, eval, command
substitution); the levels not explained by sourced files or subshells are `eval`s.

bash ignores PS4 from the environment when its effective uid is 0, so as root the shell is
started in a user namespace under the home's owner (or `nobody`); see `root_prefix`.
"""

from __future__ import annotations

import functools
import re
import shlex
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from goenv_tui.host import Host, HostError, RunResult
from goenv_tui.model import ContextSpec, ContextTrace, Location
from goenv_tui.shells.driver import (
    Launch,
    Reading,
    ShellDriver,
    TraceJob,
    env_dump,
    fold_records,
    mode_flags,
    sshd_env,
)
from goenv_tui.shells.trace import END_MARK, Frame, Record, VarState, defined_functions

NAME = "bash"
_FS, _RS, _END, _SET = "\x1f", "\x1e", "\x1d", "\x1a"
_RECORD_RE = re.compile(r"(\x1e+)([^\x1d\x1e]*)\x1d")


def ps4(watched: list[str], modern: bool = True) -> str:
    """The trace record. It must read the same whatever the startup files set: arrays are
    expanded with `[@]` (joined by a space in a prompt, where `[*]` would join with the first
    character of a user's IFS, e.g. gvm's `local IFS=:`), and every field is guarded with `+`
    so that `set -u` cannot turn an unset variable into an error. `$$` is written `${$:0}`: bash
    splits the digits of a bare `$$` on IFS in a prompt (`local IFS=1` turned pid 31358 into
    "3 358"), not those of a substring."""
    q = "@Q" if modern else ""
    head = _FS.join([
        f"{_RS}${{$:0}}", "${BASH_SUBSHELL}", f"${{BASH_SOURCE[@]+${{BASH_SOURCE[@]{q}}}}}",
        "${BASH_LINENO[@]+${BASH_LINENO[@]}}", f"${{FUNCNAME[@]+${{FUNCNAME[@]{q}}}}}", "${LINENO}",
    ])
    # No literal IFS-prone character inside a `${V+word}`: bash splits that word on IFS (an `=`
    # there became a space with IFS='='), so attributes and value are parted by a control character.
    if modern:
        fields = [f"${{{v}+${{{v}@a}}{_SET}${{{v}}}}}" for v in watched]
    else:
        fields = [f"${{{v}+{_SET}${{{v}}}}}" for v in watched]
    return head + _FS + _FS.join(fields) + _END


_QUOTED_RE = re.compile(r"'([^']*)'(?: |$)")


@functools.lru_cache(maxsize=4096)
def _words(field: str, modern: bool) -> tuple[str, ...]:
    """The words of a `${A[@]@Q}` field. Records repeat the same stack line after line, hence the
    cache; plain '…' words (no quote or control character inside) skip shlex, which is slow."""
    if not field:
        return ()
    if modern and "\\" not in field and "$'" not in field:
        words = _QUOTED_RE.findall(field)
        if sum(len(w) + 3 for w in words) == len(field) + 1:
            return tuple(words)
    if modern:
        try:
            return tuple(shlex.split(field))
        except ValueError:
            return tuple(field.split(" "))
    return tuple(field.split(" "))


def driver_argv(spec: ContextSpec, shell_path: str, ps4_value: str, files: list[str], command: str) -> list[str]:
    """The fallback when bash runs as root and cannot be moved into a user namespace (a root
    container without CAP_SYS_ADMIN): bash ignores PS4 from the environment as root, so a
    shell with the same flags but no startup files (`--noprofile --norc`) sets PS4 itself and
    sources the startup files in bash's documented order (shell.c run_startup_files)."""
    steps = [f"PS4={shlex.quote(ps4_value)}", "set -x"]
    steps += [f"if [ -r {shlex.quote(f)} ]; then . {shlex.quote(f)}; fi" for f in files]
    return [shell_path, "--noprofile", "--norc", *mode_flags(spec), "-c", "; ".join(steps) + "; " + command]


def parse(stderr: str, watched: list[str], modern: bool = True, level_offset: int = 0) -> list[Record]:
    """Records from bash's xtrace. `level_offset` is 1 when the startup files were sourced by a
    driver command (they then sit one indirection level deeper than files bash reads itself)."""
    records: list[Record] = []
    matches = list(_RECORD_RE.finditer(stderr))
    last_key: str | None = None
    last_values: dict[str, VarState] = {}
    depths: list[int] = []  # per record: how many `eval`s are running around it
    for i, m in enumerate(matches):
        level = len(m.group(1))
        parts = m.group(2).split(_FS)
        if len(parts) != 6 + len(watched):
            continue  # garbled (a value holding our separators, output cut at a kill): skip it
        try:
            pid = int(parts[0])
            subshell = int(parts[1] or 0)
            lineno = int(parts[5] or 0)
            sources, frames, source_frames = _stack(parts[2], parts[3], parts[4], modern)
        except ValueError:
            continue
        raw_values = parts[6 : 6 + len(watched)]
        key = "\x1f".join(raw_values)
        if key != last_key:
            last_values = _values(watched, raw_values, modern)
            last_key = key
        values = last_values  # shared between consecutive records with the same state
        end = matches[i + 1].start() if i + 1 < len(matches) else len(stderr)
        command = stderr[m.end() : end].rstrip("\n")
        file = sources[0] if sources else NAME
        rec = Record(pid, subshell, file, lineno, frames, values, command)
        depths.append(max(0, level - 1 - level_offset - subshell - source_frames) if sources else 0)
        records.append(rec)
    _resolve_evals(records, depths)
    return records


@functools.lru_cache(maxsize=4096)
def _stack(source_field: str, lineno_field: str, func_field: str, modern: bool
           ) -> tuple[tuple[str, ...], tuple[Frame, ...], int]:
    """(BASH_SOURCE words, call frames, how many are `source` frames) of one record. Cached:
    consecutive records share their stack, and building a deep one (a startup file that sources
    itself) for every record made parsing quadratic. ValueError on a garbled line-number field."""
    sources = _words(source_field, modern)
    linenos = [int(x) for x in lineno_field.split()]
    funcs = _words(func_field, modern)
    frames: list[Frame] = []
    source_frames = 0
    for depth, path in enumerate(sources):
        kind = "source"
        name = path
        if funcs and depth < len(funcs) and funcs[depth] not in ("source", "main"):
            kind, name = "function", funcs[depth]
        elif depth < len(sources) - 1:
            source_frames += 1
        call = None
        if depth + 1 < len(sources) and depth < len(linenos):
            call = Location(sources[depth + 1], linenos[depth])
        frames.append(Frame(kind, name, call))
    return sources, tuple(frames), source_frames


def _values(watched: list[str], raw_values: list[str], modern: bool) -> dict[str, VarState]:
    values: dict[str, VarState] = {}
    for var, raw in zip(watched, raw_values, strict=False):
        if _SET not in raw:
            values[var] = VarState(False)
        elif modern:
            attrs, _, value = raw.partition(_SET)
            values[var] = VarState(True, "x" in attrs, value)
        else:
            values[var] = VarState(True, True, raw[1:])
    return values


@dataclass
class _Scope:
    """One function call or sourced file as the trace walks through it."""

    base: int  # eval depth of the line that entered it
    entry: Location  # that line, as it is reported
    anchor: Location | None = None  # its latest line that ran outside any of its own evals


def _resolve_evals(records: list[Record], depths: list[int]) -> None:
    """Lines run by `eval` carry bogus line numbers: attribute them to the line that ran the eval.

    bash counts evals dynamically (its PS4 repeats once per active eval), so a line's own depth is
    its depth minus that of the line that called its function or sourced its file. Functions that
    an eval *defined* (`eval "$(goenv init -)"` defines `goenv()`, which itself evals) report lines
    counted from the eval string, possibly past the end of the file: everything they do is
    credited to the line that called them, itself resolved the same way."""
    eval_defined: set[str] = set()
    scopes: dict[tuple[int, tuple[str, ...]], _Scope] = {}
    prev_key: tuple[int, tuple[str, ...]] | None = None
    prev_loc: Location | None = None
    prev_depth = 0
    for rec, depth in zip(records, depths, strict=True):
        names = tuple(f.name for f in rec.frames)
        key = (rec.subshell, names)
        entering = prev_key is not None and key != prev_key and (
            len(names) > len(prev_key[1]) and names[len(names) - len(prev_key[1]):] == prev_key[1]
            or rec.subshell > prev_key[0])
        scope = scopes.get(key)
        if scope is None or entering:
            scope = scopes[key] = _Scope(prev_depth if prev_key is not None else 0,
                                         prev_loc or Location(rec.file, rec.line))
        own = Location(rec.file, rec.line)
        inner = rec.frames[0] if rec.frames else None
        if inner is not None and inner.kind == "function" and inner.name in eval_defined:
            rec.eval_site = scope.entry
        elif depth > scope.base:
            rec.eval_site = scope.anchor or scope.entry
        else:
            scope.anchor = own
        if rec.command.startswith("eval"):
            eval_defined |= defined_functions(rec.command)
        prev_key, prev_depth = key, depth
        prev_loc = rec.eval_site or own


def toplevel_files(spec: ContextSpec, home: str, sys_bashrc: str | None, exists: Callable[[str], bool]) -> list[str]:
    """The files bash itself opens for this context (bash's shell.c run_startup_files).

    Used only to name startup files that ran without tracing a single command (empty files);
    which files ran is otherwise read from the trace.
    """
    h = home.rstrip("/")
    if spec.sshd_command:
        return [p for p in (sys_bashrc, f"{h}/.bashrc") if p]
    if spec.login:
        for name in (".bash_profile", ".bash_login", ".profile"):
            if exists(f"{h}/{name}"):
                return ["/etc/profile", f"{h}/{name}"]
        return ["/etc/profile"]
    if spec.interactive:
        return [p for p in (sys_bashrc, f"{h}/.bashrc") if p]
    return []


def candidate_files(home: str) -> list[str]:
    h = home.rstrip("/")
    return [f"{h}/{n}" for n in (".bash_profile", ".bash_login", ".profile", ".bashrc", ".bash_logout")]


def version_is_modern(version_output: str) -> bool:
    """bash ≥ 4.4 has ${V@a} and ${A[*]@Q}."""
    m = re.search(r"version (\d+)\.(\d+)", version_output)
    if not m:
        return True
    return (int(m.group(1)), int(m.group(2))) >= (4, 4)


def end_command(env_bin: str, true_bin: str) -> str:
    """The command run after the startup files: mark the end, print the environment, end.

    `env -0` runs as a child, not exec'd: with a huge exported value (over 128 KiB) exec fails
    with E2BIG and the shell would exit without printing anything; then the shell's own
    builtins print it. `exec -c true` ends the shell without running logout files (as exec'ing
    env did) and without passing the huge environment on. `command` skips functions (a startup
    file may redefine `builtin` or `printf`).
    """
    mark = "\\036GOENV_TUI_ENV\\036"
    dump = ("IFS=$'\\n'; for __goenv_v in $(compgen -e); do "
            "command printf '%s=%s\\0' \"$__goenv_v\" \"${!__goenv_v}\"; done")
    return f": {END_MARK}; command printf '{mark}'; command {env_bin} -0 || {{ {dump}; }}; exec -c {true_bin}"


LOGOUT_FILES = (".bash_logout", "bash.bash_logout")
_NAMESPACE_ERROR = "could not start bash in a user namespace"
_SOURCED_NOTE = ("traced by sourcing the startup files in bash's own order (bash ignores PS4 as root, and "
                 "no user namespace was available to trace it as the home's owner)")


@dataclass(frozen=True)
class _Setup:
    modern: bool  # bash ≥ 4.4
    sys_bashrc: str | None  # the system bashrc compiled into this bash, if any


class BashDriver(ShellDriver):
    name = NAME

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self._setup: _Setup | None = None
        # The first context asks bash once while the others wait (all five bash contexts used to
        # run `bash --version` at the same moment).
        self._lock = threading.Lock()

    def context_env(self, spec: ContextSpec, base: dict[str, str]) -> dict[str, str]:
        # SHLVL unset under sshd, so bash counts itself as level 1.
        return sshd_env(base, drop_shlvl=True) if spec.sshd_command else dict(base)

    def candidate_files(self, home: str, env: Mapping[str, str]) -> list[str]:
        return candidate_files(home)

    def dormant_candidates(self, home: str, traces: list[ContextTrace]) -> list[str]:
        return [p for p in candidate_files(home) if not p.endswith(LOGOUT_FILES)]

    def why_not_read(self, path: str, home: str, existing: set[str], traces: list[ContextTrace]) -> str:
        h = home.rstrip("/")
        name = path.rsplit("/", 1)[-1]
        if name in (".profile", ".bash_login"):
            order = [".bash_profile", ".bash_login", ".profile"]
            shadow = next((n for n in order[: order.index(name)] if f"{h}/{n}" in existing), None)
            if shadow:
                return (f"bash login shells read only the first of ~/.bash_profile, ~/.bash_login, "
                        f"~/.profile; ~/{shadow} exists and does not source ~/{name}")
            return "no context that was traced reads it"
        if name == ".bashrc":
            return ("bash reads ~/.bashrc only in interactive non-login shells (and under sshd); "
                    "the login files do not source it")
        if name == ".bash_profile":
            return "read only by bash login shells"
        return "no context that was traced reads it"

    def unreported_files(self, spec: ContextSpec, home: str) -> list[str]:
        # Startup files bash opened itself but that ran no command: from bash's own rules.
        sys_bashrc = self._setup.sys_bashrc if self._setup is not None else None
        return toplevel_files(spec, home, sys_bashrc, lambda p: self.host.stat(p).is_file)

    def setup(self, shell_path: str) -> _Setup:
        """bash's version and compiled-in system bashrc, asked once."""
        with self._lock:
            if self._setup is None:
                res = self.host.run([shell_path, "--version"], env={"PATH": "/usr/bin:/bin"}, timeout=5)
                modern = version_is_modern(res.stdout.decode(errors="replace"))
                names = ("/etc/bash.bashrc\0", "/etc/bash/bashrc\0")  # SYS_BASHRC compiled into bash, if any
                try:
                    found = self.host.file_contains(self.host.realpath(shell_path), list(names))
                except (HostError, OSError):
                    found = set()
                self._setup = _Setup(modern, next((p.rstrip("\0") for p in names if p in found), None))
            return self._setup

    def _root_prefix(self, home: str) -> tuple[list[str], str | None]:
        """bash resets PS4 when euid is 0; run it as the home's owner in a user namespace."""
        if self.host.euid() != 0:
            return [], None
        unshare = self.host.which("unshare", "/usr/bin:/bin:/usr/sbin:/sbin")
        if not unshare:
            return [], "bash ignores PS4 when run as root and `unshare` is not available to trace it as another user"
        owner = self.host.stat(home).uid
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

    def prepare(self, job: TraceJob) -> Launch:
        setup = self.setup(job.shell_path)
        command = end_command(job.env_bin, job.true_bin)
        env = dict(job.env)
        env["PS4"] = ps4(job.watched, setup.modern)
        env = self.context_env(job.spec, env)
        notes: list[str] = []
        prefix, note = self._root_prefix(job.home)
        if self.host.euid() == 0 and (job.fallback or job.force_fallback or not prefix):
            files = toplevel_files(job.spec, job.home, setup.sys_bashrc, lambda p: self.host.stat(p).is_file)
            args = driver_argv(job.spec, job.shell_path, env.pop("PS4"), files, command)
            note = _SOURCED_NOTE
        else:
            args = prefix + [job.shell_path, *mode_flags(job.spec), "-x", "-c", command]
        sourced = note == _SOURCED_NOTE
        if note:
            notes.append(note)
        if not setup.modern:
            notes.append("bash older than 4.4: exported and unexported values are not told apart")
        # Untraced: the same command line without -x (as the user's bash starts; not when the
        # files are sourced by a driver command, which is not how bash starts).
        untraced = None if sourced else ([a for a in args if a != "-x"], {k: v for k, v in env.items() if k != "PS4"})
        return _BashLaunch(args, env, notes, untraced=untraced, sourced=sourced, in_namespace=bool(prefix) and not sourced)

    def read(self, job: TraceJob, launch: Launch, res: RunResult) -> Reading:
        assert isinstance(launch, _BashLaunch)
        stderr = res.stderr.decode("utf-8", errors="replace")
        records = parse(stderr, job.watched, self.setup(job.shell_path).modern, level_offset=1 if launch.sourced else 0)
        reading = fold_records(records, job, LOGOUT_FILES)
        reading.env = env_dump(res.stdout)
        if launch.in_namespace and not reading.records:
            reading.start_error = f"{_NAMESPACE_ERROR}: {stderr.strip()[:300] or 'no output'}"
        return reading

    def wants_fallback(self, trace: ContextTrace) -> bool:
        # A root container without user namespaces: source the startup files from a driver.
        return (trace.error or "").startswith(_NAMESPACE_ERROR)


@dataclass
class _BashLaunch(Launch):
    sourced: bool = False  # the startup files are sourced by a driver command (bash as root)
    in_namespace: bool = False  # started by unshare as the home's owner
