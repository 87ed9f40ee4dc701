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
from collections.abc import Callable
from dataclasses import dataclass

from goenv_tui.model import ContextSpec, Location
from goenv_tui.shells.trace import Frame, Record, VarState, defined_functions

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


def argv(spec: ContextSpec, shell_path: str, command: str) -> list[str]:
    args = [shell_path]
    if spec.login:
        args.append("-l")
    if spec.interactive:
        args.append("-i")
    return [*args, "-x", "-c", command]


def context_env(spec: ContextSpec, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    if spec.sshd_command:
        # What sshd sets for `ssh host cmd`; SHLVL unset so bash counts itself as level 1.
        env["SSH_CLIENT"] = "127.0.0.1 50022 22"
        env["SSH_CONNECTION"] = "127.0.0.1 50022 127.0.0.1 22"
        env.pop("SHLVL", None)
    return env


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
    args = [shell_path, "--noprofile", "--norc"]
    if spec.login:
        args.append("-l")
    if spec.interactive:
        args.append("-i")
    return [*args, "-c", "; ".join(steps) + "; " + command]


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
