"""Turning a shell's xtrace into attributed assignments and the list of files it read.

Each shell module parses its own trace lines into `Record`s: where the command is (file, line),
the call frames around it, and the values of the watched variables *before* it ran (the
shells expand them into PS4). A change between two consecutive records of the main shell is
caused by the first of them, whatever it was — an assignment, `export`, a function that turned
tracing off, `eval`, a sourced process substitution. That makes attribution independent of how
the assignment was spelt.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from goenv_tui.model import Assignment, Location, Op, SourcedFile

PATH_LIKE = {"PATH", "MANPATH", "GOPATH", "INFOPATH", "FPATH"}


@dataclass(frozen=True)
class VarState:
    """A watched variable as the shell had it: unset, or set (exported or not) to a value."""

    set: bool
    exported: bool = False
    value: str = ""

    @staticmethod
    def unset() -> VarState:
        return VarState(False)


UNSET = VarState.unset()


@dataclass(frozen=True)
class Frame:
    """One call frame around a traced command, innermost first.

    kind: "function", "source" (a sourced or startup file) or "eval".
    `call_site` is where this frame was entered from (None for files the shell read itself).
    """

    kind: str
    name: str
    call_site: Location | None


@dataclass
class Record:
    pid: int
    subshell: int
    file: str
    line: int
    frames: tuple[Frame, ...]
    values: dict[str, VarState]
    command: str
    eval_site: Location | None = None  # set by shells that cannot name eval frames
    is_sourcetrace: bool = False
    # A line inside the shell's own function library, traced without its stack or values (see
    # zsh.ps4): it only tells where the shell is.
    opaque: bool = False
    weight: int = 1  # trace lines this record stands for (a run of opaque lines is kept as one)
    at: float | None = None  # when the line started (seconds since the epoch), if the shell says
    quiet: str = ""  # a library function run untraced from here (zsh's compinit): its name


# A function definition inside a traced `eval` command (shells print the eval's words quoted,
# zsh as $'…\n…', hence the literal "\n").
_FUNC_DEF_RE = re.compile(
    r"(?:^|[\s;&|({]|\\n)(?:function\s+([^\s(){}<>;&|'\"\\]+)|([^\s(){}<>;&|'\"=$`\\]+)\s*\(\s*\))")


def defined_functions(command: str) -> set[str]:
    """Names of the functions a traced `eval` command defines: their lines are counted from the
    eval string, not from the file they are reported in."""
    return {m.group(1) or m.group(2) for m in _FUNC_DEF_RE.finditer(command)}


STREAM_PREFIX = "<(…) at "


def is_stream(path: str) -> bool:
    """A process substitution or pipe, as seen by `source <(…)` (or as named by `stream_name`)."""
    return path.startswith(STREAM_PREFIX) or (path.startswith(("/dev/fd/", "/proc/")) and "/fd/" in path)


def stream_name(path: str, site: Location | None) -> str:
    """What the files list calls a sourced stream: `/proc/self/fd/19` means nothing to the user
    (and the next `source <(…)` may get the same number); the line that ran it does."""
    if site is None or not is_stream(path) or path.startswith(STREAM_PREFIX):
        return path
    return f"{STREAM_PREFIX}{site.path}:{site.line}"


@dataclass
class Attribution:
    location: Location
    via: str | None
    call_site: Location | None


def attribute(rec: Record, start_of: dict[str, dict[int, int]] | None = None) -> Attribution:
    """Where a change made by this record should be reported."""

    def place(path: str, line: int) -> Location:
        if start_of and path in start_of:
            line = start_of[path].get(line, line)
        return Location(path, line)

    if rec.eval_site is not None:
        return Attribution(rec.eval_site, "eval", None)
    evals = [f for f in rec.frames if f.kind == "eval"]
    if evals and evals[-1].call_site is not None:
        at = evals[-1].call_site
        return Attribution(place(at.path, at.line or 0), "eval", None)
    inner = rec.frames[0] if rec.frames else None
    if is_stream(rec.file):
        # Code from `source <(…)`: report the line that sourced it.
        for f in rec.frames:
            if f.kind == "source" and f.call_site is not None and not is_stream(f.call_site.path):
                return Attribution(place(f.call_site.path, f.call_site.line or 0), "source", None)
        return Attribution(Location(rec.file, rec.line), "source", None)
    if inner is not None and inner.kind == "function":
        site = inner.call_site
        if site is not None and is_stream(site.path):
            site = None
        return Attribution(place(rec.file, rec.line), f"function {inner.name}", site)
    return Attribution(place(rec.file, rec.line), None, None)


def where_time_went(records: list[Record], start_of: dict[str, dict[int, int]] | None = None) -> str:
    """Where most of the main shell's start went, for a slow start: "… in FILE (…)". By the time
    each line started when the shell says (zsh), else by lines run (bash: the cost of tracing and
    of starting is roughly proportional to them). For zsh's own library (compinit) also the
    user's line that called into it."""
    mine = [r for r in records if records and r.pid == records[0].pid]
    if not mine:
        return ""
    timed = len(mine) > 1 and all(r.at is not None for r in mine)
    cost: dict[str, float] = {}
    entered: dict[str, Location] = {}
    outside: Record | None = None
    for i, rec in enumerate(mine):
        key = f"{rec.quiet} (zsh's library, run untraced)" if rec.quiet else rec.file
        if timed:
            after = mine[i + 1].at if i + 1 < len(mine) else rec.at
            spent = max(0.0, (after or 0.0) - (rec.at or 0.0))
        else:
            spent = rec.weight
        cost[key] = cost.get(key, 0) + spent
        if rec.opaque:
            if outside is not None and key not in entered:
                entered[key] = attribute(outside, start_of).location
        else:
            outside = rec
    total = sum(cost.values())
    top = max(cost, key=lambda f: cost[f])
    if timed:
        text = f"{top} ({cost[top]:.1f} of {total:.1f} s traced)"
    else:
        text = f"{top} ({cost[top]:.0f} of {total:.0f} traced lines)"
    if top in entered:
        site = entered[top]
        text += f", entered from {site.path}:{site.line}"
    return text


def classify(var: str, before: VarState, after: VarState, command: str) -> Op:
    if not after.set:
        return Op.UNSET
    newly_exported = after.exported and not (before.set and before.exported)
    if before.set and before.value == after.value:
        return Op.EXPORT if newly_exported else Op.OTHER
    if var in PATH_LIKE and before.set and before.value:
        if after.value.endswith(":" + before.value):
            return Op.PREPEND
        if after.value.startswith(before.value + ":"):
            return Op.APPEND
    words = command.split()
    head = words[0] if words else ""
    if newly_exported or (head == "export" or head in ("declare", "typeset") and any(
            w.startswith("-") and "x" in w for w in words[1:3])):
        return Op.EXPORT
    return Op.SET


@dataclass
class TraceResult:
    files: list[SourcedFile] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    final: dict[str, VarState] = field(default_factory=dict)
    executed: set[tuple[str, int]] = field(default_factory=set)
    # Names each executed line assigned, exported or unset (from the traced command text).
    assigned_on: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    last: Record | None = None  # last record of the main shell, in a subshell or not
    finished: bool = False
    # `source X` commands whose file showed no traced command of its own (empty, or unreadable):
    # (path as the shell expanded it, where it was sourced, index in `files` to insert before).
    quiet_sources: list[tuple[str, Location, int]] = field(default_factory=list)
    # `return` run at the top level of a startup file: the rest of that file was skipped.
    early_returns: list[Location] = field(default_factory=list)
    # Where the variables read from command text ended (see `fold`); None: unreadable.
    by_text: dict[str, VarState] | None = field(default_factory=dict)


END_MARK = "GOENV_TUI_END"
_ASSIGN_RE = re.compile(r"(?:^|[\s;(])([A-Za-z_][A-Za-z0-9_]*)\+?=")
_NAMED_RE = re.compile(r"^\s*(?:export|unset|typeset|declare|readonly)\s+((?:-\S+\s+)*)(.*)$", re.S)


def assigned_names(command: str) -> set[str]:
    """Variable names a traced command assigns, exports or unsets (upper-cased `path`)."""
    names = set(_ASSIGN_RE.findall(command))
    m = _NAMED_RE.match(command)
    if m:
        names.update(w for w in m.group(2).split() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", w))
    return {"PATH" if n == "path" else "MANPATH" if n == "manpath" else n for n in names}


def _source_target(command: str) -> str | None:
    if not command.startswith((". ", "source ")):
        return None
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        words = command.split()
    if len(words) >= 2 and words[0] in (".", "source"):
        return words[1]
    return None


def fold(records: list[Record], watched: list[str], initial: dict[str, VarState],
         start_of: dict[str, dict[int, int]] | None = None, by_text: dict[str, VarState] | None = None
         ) -> TraceResult:
    """Walk the main shell's records in order; produce files read, assignments, final values.

    `by_text`: variables the records do not carry (GO* names only a framework's file mentions,
    learnt after the shell ran), with their starting state: their changes are read from the traced
    commands (see `_text_changes`), in order with the others; `result.by_text` is where they end,
    None if some command could not be read."""
    result = TraceResult()
    text_state = dict(by_text) if by_text else {}
    if not records:
        result.final = dict(initial)
        return result
    main_pid = records[0].pid
    state = dict(initial)
    prev: Record | None = None
    seen_files: dict[str, int] = {}

    def add_file(path: str, sourced_from: Location | None) -> None:
        path = stream_name(path, sourced_from)
        if path in seen_files or path in ("bash", "zsh", "sh", "-bash", "-zsh", ""):
            return
        seen_files[path] = len(result.files)
        result.files.append(SourcedFile(path=path, order=len(result.files) + 1, sourced_from=sourced_from))

    for rec in records:
        if rec.pid != main_pid:
            continue
        if rec.opaque:
            # Inside the shell's own library: it only says where the shell is. A change made in
            # there is credited, at the next line outside, to the line that called in (`prev`).
            result.last = rec
            continue
        if not rec.is_sourcetrace and rec.eval_site is None and not any(f.kind == "eval" for f in rec.frames):
            line = rec.line
            if start_of and rec.file in start_of:
                line = start_of[rec.file].get(line, line)
            result.executed.add((rec.file, line))
            result.executed.add((rec.file, rec.line))
            names = assigned_names(rec.command)
            if names:
                result.assigned_on.setdefault((rec.file, line), set()).update(names)
        if rec.subshell != 0:
            # A subshell (or, in zsh, the child forked to run an external command): its state is
            # not the shell's, but it shows where the shell is.
            result.last = rec
            continue
        if rec.command.startswith(": " + END_MARK):
            if prev is not None and rec.values is not prev.values:
                _diff(prev, rec.values, state, watched, result, start_of)
            if prev is not None:
                _by_text(prev, text_state, result, start_of)
            state.update(rec.values)
            result.finished = True
            result.last = rec
            break
        # Files: the shell's sourcetrace, or the frames around the command.
        if rec.is_sourcetrace:
            site = None
            if prev is not None and _source_target(prev.command) is not None:
                site = Location(prev.file, _mapped(prev, start_of))
            add_file(rec.file, site)
        else:
            for depth in range(len(rec.frames) - 1, -1, -1):
                f = rec.frames[depth]
                if f.kind == "source":
                    path = _frame_file(rec, depth)
                    if path:
                        add_file(path, f.call_site)
            if not rec.frames:
                add_file(rec.file, None)
        if rec.command.strip().split(" ", 1)[0] == "return" and (not rec.frames or rec.frames[0].kind == "source"):
            result.early_returns.append(Location(rec.file, _mapped(rec, start_of)))
        if prev is not None:
            target = _source_target(prev.command)
            if target is not None and not rec.is_sourcetrace and target not in seen_files and not any(
                f.kind == "source" and f.name == target for f in rec.frames
            ):
                site = Location(prev.file, _mapped(prev, start_of))
                named = stream_name(target, site)
                if named not in seen_files:
                    result.quiet_sources.append((named, site, len(result.files)))
            if rec.values is not prev.values:
                _diff(prev, rec.values, state, watched, result, start_of)
                state.update(rec.values)
            _by_text(prev, text_state, result, start_of, rec)
        else:
            state.update(rec.values)
        prev = rec
        result.last = rec
    result.final = state
    if by_text and result.by_text is not None:
        result.by_text = text_state
    return result


def _by_text(rec: Record, state: dict[str, VarState], result: TraceResult,
             start_of: dict[str, dict[int, int]] | None, nxt: Record | None = None) -> None:
    if not state or result.by_text is None:
        return
    changes = _text_changes(rec, state, start_of, nxt)
    if changes is None:
        result.by_text = None
    else:
        result.assignments.extend(changes)


def _mapped(rec: Record, start_of: dict[str, dict[int, int]] | None) -> int:
    if start_of and rec.file in start_of:
        return start_of[rec.file].get(rec.line, rec.line)
    return rec.line


def _frame_file(rec: Record, depth: int) -> str | None:
    """The file of the `depth`-th frame: frames carry names; source frames are named by path."""
    f = rec.frames[depth]
    return f.name if f.kind == "source" else None


def _diff(prev: Record, now: dict[str, VarState], state: dict[str, VarState], watched: list[str],
          result: TraceResult, start_of: dict[str, dict[int, int]] | None) -> None:
    att: Attribution | None = None
    for var in watched:
        before = state.get(var, UNSET)
        after = now.get(var, before)
        if before == after:
            continue
        if att is None:
            att = attribute(prev, start_of)
        op = classify(var, before, after, prev.command)
        result.assignments.append(
            Assignment(
                var=var,
                op=op,
                value=after.value if after.set else None,
                before=before.value if before.set else None,
                location=att.location,
                via=att.via,
                call_site=att.call_site,
                exported=after.exported,
                command=prev.command.strip()[:400],
            )
        )



_DECLARE = {"export", "declare", "typeset", "readonly"}
_ASSIGN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


def _text_changes(rec: Record, state: dict[str, VarState], start_of: dict[str, dict[int, int]] | None,
                  nxt: Record | None = None) -> list[Assignment] | None:
    """What `rec` did to the variables in `state` (not watched by the record: see `fold`), read
    from its traced command — the shell prints each assignment it runs, expanded (`export
    GOFOO=/x`). Updates `state`; None when the command cannot be read that way.

    bash traces `export V=x` as two lines, `export V=x` then `V=x`, and its records see the value
    change on the second: the change is reported as that line's (`nxt`), as the records would.
    bash also traces `V=x cmd` (V set for cmd only) as `V=x` then `cmd`, which reads as setting V:
    the replay then ends elsewhere than the shell did and the context is traced again (fold)."""
    line = rec.command.split("\n", 1)[0]
    if not any(n in line for n in state):
        return []
    if "$'" in line:
        return None
    try:
        words = shlex.split(line, posix=True)
    except ValueError:
        return None
    if not words:
        return []
    head = words[0]
    if head == "local" and any(w.split("=", 1)[0].rstrip("+") in state for w in words[1:]):
        return None  # a function's own variable, not what the start leaves behind
    if head in _DECLARE or head == "unset":
        args = words[1:]
    elif all(_ASSIGN_WORD.match(w) for w in words):
        args = words  # a plain assignment statement
    else:
        return []  # a command's words (`echo V=x`) set nothing
    export = head == "export" or (head in ("declare", "typeset") and any(
        w.startswith("-") and "x" in w for w in args))
    out: list[Assignment] = []
    for word in args:
        if word.startswith(("-", "+")):
            continue
        name, eq, value = word.partition("=")
        append = name.endswith("+")
        name = name.rstrip("+")
        if name not in state:
            continue
        before = state[name]
        if head == "unset":
            after = UNSET
        elif eq:
            after = VarState(True, before.exported or export, (before.value if append else "") + value)
        elif export and before.set:
            after = VarState(True, True, before.value)
        else:
            continue
        if after == before:
            continue
        by = rec
        if (head in _DECLARE and eq and nxt is not None and (nxt.file, nxt.line) == (rec.file, rec.line)
                and nxt.command.split("\n", 1)[0] == line.split(" ", 1)[-1].strip()):
            by = nxt
        att = attribute(by, start_of)
        out.append(Assignment(var=name, op=classify(name, before, after, by.command),
                              value=after.value if after.set else None, before=before.value if before.set else None,
                              location=att.location, via=att.via, call_site=att.call_site, exported=after.exported,
                              command=by.command.strip()[:400]))
        state[name] = after
    return out


def text_matches(state: dict[str, VarState], final: dict[str, str]) -> bool:
    """Whether the changes read from command text end where the shell really ended (`final`, its
    exported environment)."""
    for name, st in state.items():
        real = final.get(name)
        if real is None:
            if st.set and st.exported:
                return False
        elif not (st.set and st.exported and st.value == real):
            return False
    return True
