"""zsh: how each launch context starts it, and how its xtrace is read.

zsh is started with XTRACE, PROMPT_SUBST and SOURCE_TRACE on the command line, so every file it
opens (the /etc/zsh files, ZDOTDIR moves, `source <(…)`) announces itself with a
`<sourcetrace>` line. PS4 carries %x:%I (the file and line where the code is), `$funcstack`,
`$funcfiletrace` (call sites) and `$funcsourcetrace` (":0" marks a sourced file rather than a
function), `$ZSH_SUBSHELL`, `$$`, and each watched variable as `${V-<NAK>}` (NAK marks unset).
Values are diffed between lines, which also catches assignments made with tracing off
(`emulate -LR zsh` inside a function turns XTRACE off).

zsh's prompt expansion is costly: `${(t)V}` (which would say whether V is exported) for every
variable on every line triples the start-up time, so export status is read from the traced
commands instead (`export`, `typeset -x`, …) and the final environment settles the rest.
PS4 is prompt-expanded after substitution, so a `%` in a value would be mangled; when a value
has one, the context is traced again with `%` escaped (`escape=True`).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping

from goenv_tui.host import Host, HostError, RunResult
from goenv_tui.model import ContextTrace, Location, TraceStatus
from goenv_tui.shells.driver import (
    Launch,
    Reading,
    ShellDriver,
    TraceJob,
    env_dump,
    fold_records,
    mode_flags,
)
from goenv_tui.shells.trace import END_MARK, Frame, Record, TraceResult, VarState, defined_functions

NAME = "zsh"
_FS, _RS, _END, _JS = "\x1f", "\x1e", "\x1d", "\x1c"
_RECORD_RE = re.compile(r"\x1e([^\x1d\x1e]*)\x1d")


_UNSET = "\x15"
_OPAQUE = "\x1a"  # a line inside zsh's function library: no stack, no values
BODY_VAR = "_GOENV_TUI_PS4_BODY"
# Library functions that run thousands of lines at start-up (compinit: ~66 000 on a first start,
# fewer with a dump): even a one-field record per line made a traced start several times
# slower than the function itself, so they run with tracing off (see `_quiet_setup`).
QUIET = ("compinit",)
HELPER = "_goenv_tui_quiet"
HELPER_VAR = "_GOENV_TUI_QUIET_FN"
_DONE_VAR = "_GOENV_TUI_QUIET"
OURS = (BODY_VAR, HELPER_VAR)  # our variables, not the user's: not part of the final environment


def ps4(watched: list[str], escape: bool = False, library: tuple[str, ...] = (), quiet: bool = True
        ) -> dict[str, str]:
    """The variables that make the trace record: PS4, and the body it expands (BODY_VAR).

    Lines of functions from zsh's own function library (`library`: its directories, e.g.
    /usr/share/zsh/; compinit runs ~60 000 lines there on a first start) carry only where they
    are and a mark instead of the pid, call stack and watched values: expanding those on every
    line is what made a traced first start several times slower. A change made in there shows
    up on the next line outside it, credited to the line that called in."""
    # When each line started (seconds since the epoch, to the microsecond): where a slow start
    # spent its time, including in functions run untraced (see `_quiet_setup`).
    head = f"{_RS}%x{_FS}%I{_FS}%D{{%s.%6.}}"
    stack = _FS.join(["$$", "${ZSH_SUBSHELL}",
        f"${{(pj:{_JS}:)funcstack[@]}}",
        f"${{(pj:{_JS}:)funcfiletrace[@]}}",
        f"${{(pj:{_JS}:)funcsourcetrace[@]}}",
    ])
    if escape:
        fields = [f"${{${{{v}-{_UNSET}}}//\\%/%%}}" for v in watched]
    else:
        fields = [f"${{{v}-{_UNSET}}}" for v in watched]
    body = stack + _FS + _FS.join(fields)  # pid, subshell, call stack, values
    if library:
        if quiet:
            body = _quiet_setup() + body
        # zsh parses the whole PS4 text on every line, even the branch it does not take, so the
        # long part lives in a variable of its own and is expanded with (e) only when needed.
        # compinit's dump (~/.zcompdump…), sourced by compinit on later starts, is its cache too.
        pattern = "(" + "|".join([_pattern_quote(d.rstrip("/")) + "/*" for d in library] + ["*zcompdump*"]) + ")"
        # `[@]:0:1` rather than `[1]`: the first element whatever KSH_ARRAYS says.
        short = f"${{${{${{(M)${{funcsourcetrace[@]:0:1}}:#{pattern}}}:+{_OPAQUE}}}:-${{(e){BODY_VAR}}}}}"
        out = {"PS4": head + _FS + short + _END, BODY_VAR: body}
        if quiet:
            out[HELPER_VAR] = _helper(library)
        return out
    return {"PS4": head + _FS + body + _END}


def _quiet_setup() -> str:
    """PS4 text that expands to nothing; on its first expansion (the first file zsh opens, before
    any startup file is read) it defines HELPER and, for each QUIET name with no alias of the
    user's, an alias `compinit` → `HELPER compinit`. PS4 cannot switch tracing off itself (zsh
    restores XTRACE after expanding it), but a function can: its `unsetopt xtrace` lasts until it
    returns (zsh restores XTRACE on every function return). Aliases apply to code parsed later, so
    every `compinit` the startup files run goes through HELPER."""
    aliases = "".join(f"${{${{aliases[{n}]-}}:-${{aliases[{n}]::={HELPER} {n}}}}}" for n in QUIET)
    return f"${{${{{_DONE_VAR}-{aliases}${{functions[{HELPER}]::=${HELPER_VAR}}}${{{_DONE_VAR}::=1}}}}:+}}"


def quiet_misfired(stderr: str, records: list[Record]) -> bool:
    """Whether the `compinit` alias changed what the startup files did: zsh refuses `compinit()
    { … }` when compinit is an alias (zsh-autocomplete defines it so), and with ALIAS_FUNC_DEF
    set it defines HELPER too. The context is then traced again without it (`ps4(quiet=False)`)."""
    if any(f"defining function based on alias `{name}'" in stderr for name in QUIET):
        return True
    for r in records:
        line = r.command.split("\n", 1)[0]  # what follows is output, not the command
        if r.quiet and not (line.startswith("[[ ") or line == _QUIET_CMD or line.split(" ", 1)[0] == r.quiet):
            return True
    return False


def stalled_quietly(res: RunResult, records: list[Record]) -> bool:
    """Whether the shell went silent because HELPER had turned tracing off (compinit running
    untraced) when the no-progress deadline stopped it. Silence there is not evidence of a hang:
    traced, the same compinit prints a line per command, and a slow one (a slow disk, a big
    `$fpath`, a loaded machine) keeps progressing. The context is then traced again without
    HELPER (`ps4(quiet=False)`), so that the usual rule decides — progressing is slow, silent is
    stuck at the line inside compinit that really waits (an `insecure directories` prompt)."""
    if not res.stalled:
        return False
    for rec in reversed(records):
        first = rec.command.split("\n", 1)[0].strip()
        if first == "<sourcetrace>" or rec.file.rsplit("/", 1)[-1] in LOGOUT_FILES:
            continue  # SOURCE_TRACE still names the files compinit opens; zlogout runs on the SIGHUP
        return bool(rec.quiet) and first.endswith(_QUIET_CMD)
    return False


def _helper(library: tuple[str, ...]) -> str:
    """HELPER's body: run the command with tracing off when it is a function of zsh's library
    (loaded from there, or still the autoload stub `compinit` is right after `autoload -Uz
    compinit`); anything else (a user's own `compinit`) runs traced. A change made in there is
    credited, as for any library line, to the user's line that called it."""
    tests = [f"${{functions_source[$1]-}} == {_pattern_quote(d.rstrip('/'))}/*" for d in library]
    tests.append('${functions[$1]-} == "builtin autoload -X"*')
    return f"[[ {' || '.join(tests)} ]] && builtin unsetopt xtrace\n\"$@\"\n"


def _pattern_quote(text: str) -> str:
    return "".join("\\" + c if not (c.isalnum() or c in "/._-") else c for c in text)


def library_dirs(fpath: list[str]) -> tuple[str, ...]:
    """zsh's own function directories (…/share/zsh/…) from its default `$fpath`."""
    roots: list[str] = []
    for entry in fpath:
        at = entry.find("/share/zsh/")
        if at > 0 and entry.startswith("/"):
            root = entry[: at + len("/share/zsh/")]
            if root not in roots:
                roots.append(root)
    return tuple(roots)


_VIA_HELPER = HELPER + " "
_QUIET_CMD = "unsetopt xtrace"  # HELPER's `builtin unsetopt xtrace`, as zsh traces it


def _site(text: str) -> Location | None:
    path, _, line = text.rpartition(":")
    if not path or path in ("zsh", "-zsh") or not line.isdigit():
        return None
    return Location(path, int(line))


def parse(stderr: str, watched: list[str], initial_exported: set[str] | None = None) -> list[Record]:
    records: list[Record] = []
    # str.split, not a regex: a first start's compinit traces ~60 000 lines.
    chunks = stderr.split(_RS)[1:]
    last_key: str | None = None
    last_values: dict[str, VarState] = {}
    frames_of: dict[tuple[str, str, str], tuple[Frame, ...]] = {}  # the stack repeats line after line
    want = 8 + len(watched)
    opaque_tail = _FS + _OPAQUE + _END
    n = len(chunks)
    run = 0
    run_at: float | None = None
    quiet = ""  # the library function the latest call through HELPER runs
    for i, chunk in enumerate(chunks):
        cut = chunk.find(_END)
        if cut < 0:
            continue
        if chunk.startswith(opaque_tail, cut - 2) and i + 1 < n and _FS + _OPAQUE + _END in chunks[i + 1]:
            if not run:
                run_at = _time(chunk.split(_FS, 3)[2:3])
            run += 1
            continue  # of a run of lines inside zsh's library only the last one can matter
        parts = chunk[:cut].split(_FS)
        opaque = len(parts) == 4 and parts[3] == _OPAQUE
        if not opaque and len(parts) != want:
            continue  # garbled (output cut at a kill, a value holding a separator)
        try:
            lineno = int(parts[1] or 0)
            if not opaque:  # library lines do not say; they only mark where the shell is
                pid = int(parts[3])
                subshell = int(parts[4] or 0)
        except ValueError:
            continue
        at = _time(parts[2:3])
        command = chunk[cut + 1 :].rstrip("\n")
        if opaque:
            if not records:
                continue
            rec = Record(records[-1].pid, records[-1].subshell, parts[0], lineno, (), last_values, command.rstrip())
            rec.opaque, rec.weight, rec.at, run = True, run + 1, run_at if run else at, 0
            records.append(rec)
            continue
        stack_key = (parts[5], parts[6], parts[7])
        frames = frames_of.get(stack_key)
        if frames is None:
            frames = frames_of[stack_key] = _frames(*stack_key)
        raw_values = parts[8:]
        key = _FS.join(raw_values)
        if key != last_key:
            last_values = {var: VarState(False) if raw == _UNSET else VarState(True, False, raw)
                           for var, raw in zip(watched, raw_values, strict=False)}
            last_key = key
        if frames and frames[0].name == HELPER and frames[0].kind == "function":
            # HELPER's own lines (see `_quiet_setup`): like a library line, they only say where
            # the shell is — at the user's line that called it.
            site = frames[0].call_site or Location(parts[0], lineno)
            rec = Record(pid, subshell, site.path, site.line or 0, frames[1:], last_values, command.rstrip())
            rec.opaque, rec.at, rec.quiet = True, at, quiet
            records.append(rec)
            continue
        if command.startswith(_VIA_HELPER):
            command = command[len(_VIA_HELPER):]  # the alias, not the user's words
            quiet = command.split(" ", 1)[0]
        rec = Record(pid, subshell, parts[0], lineno, frames, last_values, command.rstrip())
        rec.is_sourcetrace = command.strip() == "<sourcetrace>"
        rec.at = at
        records.append(rec)
    _infer_exports(records, initial_exported or set())
    _credit_eval_defined(records)
    return records


def _time(field: list[str]) -> float | None:
    try:
        return float(field[0]) if field else None
    except ValueError:
        return None


def _frames(stack_text: str, calls_text: str, defs_text: str) -> tuple[Frame, ...]:
    frames = _raw_frames(stack_text, calls_text, defs_text)
    if not any(f.name == HELPER for f in frames[1:]):
        return frames
    # Code called through HELPER (a user's own `compinit`): as if called from HELPER's call site.
    out: list[Frame] = []
    for f in frames:
        if f.name == HELPER and f.kind == "function" and out:
            out[-1] = Frame(out[-1].kind, out[-1].name, f.call_site)
        else:
            out.append(f)
    return tuple(out)


def _raw_frames(stack_text: str, calls_text: str, defs_text: str) -> tuple[Frame, ...]:
    stack = stack_text.split(_JS) if stack_text else []
    calls = calls_text.split(_JS) if calls_text else []
    defs = defs_text.split(_JS) if defs_text else []
    frames: list[Frame] = []
    for depth, name in enumerate(stack):
        call = _site(calls[depth]) if depth < len(calls) else None
        defined = defs[depth] if depth < len(defs) else ""
        if name == "(eval)":
            kind = "eval"
        elif defined == f"{name}:0":
            kind = "source"
        else:
            kind = "function"
        frames.append(Frame(kind, name, call))
    return tuple(frames)


def _credit_eval_defined(records: list[Record]) -> None:
    """A function that an `eval` defined (`eval "$(goenv init -)"` defines `goenv()`) reports
    line numbers counted from the eval string (past the end of the file, or on unrelated lines):
    what runs inside it is credited to where it was called from, or to the eval around that."""
    eval_defined: set[str] = set()
    for rec in records:
        if eval_defined:
            special = [k for k, f in enumerate(rec.frames)
                       if f.kind == "eval" or (f.kind == "function" and f.name in eval_defined)]
            if special and rec.frames[special[-1]].kind == "function" and rec.frames[special[-1]].call_site:
                rec.eval_site = rec.frames[special[-1]].call_site
        if rec.command.startswith("eval"):
            eval_defined |= defined_functions(rec.command)


_DECL = {"export", "typeset", "declare", "local", "readonly", "integer", "float"}


def _infer_exports(records: list[Record], exported: set[str]) -> None:
    """Fill in VarState.exported from the traced commands, in order (see the module docstring)."""
    if not records:
        return
    main = records[0].pid
    current = set(exported)
    memo: dict[tuple[int, frozenset[str]], dict[str, VarState]] = {}
    keep_alive: list[dict[str, VarState]] = []  # so that id() keys stay unique
    for rec in records:
        keep_alive.append(rec.values)
        key = (id(rec.values), frozenset(current))
        marked = memo.get(key)
        if marked is None:
            marked = {var: VarState(True, True, st.value) if st.set and var in current else st
                      for var, st in rec.values.items()}
            memo[key] = marked
        rec.values = marked
        if rec.pid != main or rec.subshell != 0:
            continue
        words = rec.command.split()
        if not words:
            continue
        if words[0] == "unset":
            current.difference_update(words[1:])
            continue
        if words[0] not in _DECL:
            continue
        flags = [w for w in words[1:] if w[:1] in "-+" and "=" not in w]
        names = [w.split("=", 1)[0] for w in words[1:] if w[:1] not in "-+"]
        if words[0] == "export":
            unexport = any("n" in f for f in flags if f.startswith("-"))
            export = not unexport
        else:
            export = any("x" in f for f in flags if f.startswith("-"))
            unexport = any("x" in f for f in flags if f.startswith("+"))
        for name in names:
            if export:
                current.add(name)
            elif unexport:
                current.discard(name)


def candidate_files(home: str, zdotdir: str | None = None) -> list[str]:
    h = home.rstrip("/")
    dirs = [h] + ([zdotdir.rstrip("/")] if zdotdir and zdotdir.rstrip("/") != h else [])
    out = [f"{h}/.zshenv"]
    for d in dirs:
        out += [f"{d}/{n}" for n in (".zshenv", ".zprofile", ".zshrc", ".zlogin", ".zlogout")]
    return list(dict.fromkeys(out))


def end_command(env_bin: str, true_bin: str) -> str:
    """The command run after the startup files: mark the end, print the environment, end.

    `env -0` runs as a child, not exec'd: with a huge exported value (over 128 KiB) exec fails
    with E2BIG and the shell would exit without printing anything; then the shell's own
    builtins print it. `exec -c true` ends the shell without running logout files (as exec'ing
    env did) and without passing the huge environment on. In zsh `builtin` is a reserved word
    (a startup file cannot redefine it).
    """
    mark = "\\036GOENV_TUI_ENV\\036"
    dump = ("for __goenv_v in ${(k)parameters[(R)*export*]}; do "
            "builtin printf '%s=%s\\0' $__goenv_v ${(P)__goenv_v}; done")
    return f": {END_MARK}; builtin printf '{mark}'; command {env_bin} -0 || {{ {dump}; }}; exec -c {true_bin}"


LOGOUT_FILES = (".zlogout", "zlogout")


class ZshDriver(ShellDriver):
    name = NAME

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self._library: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def candidate_files(self, home: str, env: Mapping[str, str]) -> list[str]:
        return candidate_files(home)

    def dormant_candidates(self, home: str, traces: list[ContextTrace]) -> list[str]:
        return [p for p in candidate_files(home, _zdotdir(traces)) if not p.endswith(LOGOUT_FILES)]

    def why_not_read(self, path: str, home: str, existing: set[str], traces: list[ContextTrace]) -> str:
        zdotdir = _zdotdir(traces)
        name = path.rsplit("/", 1)[-1]
        if zdotdir and not path.startswith(zdotdir.rstrip("/") + "/") and name != ".zshenv":
            return f"ZDOTDIR is {zdotdir}, so zsh reads its startup files there instead"
        return "no zsh context that was traced reads it"

    def library(self, shell_path: str) -> tuple[str, ...]:
        """zsh's own function directories (from its default $fpath, `zsh -f`: no startup file)."""
        with self._lock:
            if shell_path not in self._library:
                res = self.host.run([shell_path, "-f", "-c", "print -rl -- $fpath"], env={"PATH": "/usr/bin:/bin"},
                                    timeout=5)
                fpath = res.stdout.decode(errors="replace").splitlines() if res.ok else []
                self._library[shell_path] = library_dirs(fpath)
            return self._library[shell_path]

    def prepare(self, job: TraceJob) -> Launch:
        env = dict(job.env)
        env.update(ps4(job.watched, job.escape, self.library(job.shell_path), quiet=not job.plain))
        env = self.context_env(job.spec, env)
        command = end_command(job.env_bin, job.true_bin)
        args = [job.shell_path, *mode_flags(job.spec), "-o", "xtrace", "-o", "promptsubst", "-o", "sourcetrace",
                "-c", command]
        untraced = {k: v for k, v in env.items() if k not in ("PS4", *OURS)}
        return Launch(args, env, untraced=(self.argv(job.spec, job.shell_path, command), untraced))

    def read(self, job: TraceJob, launch: Launch, res: RunResult) -> Reading:
        stderr = res.stderr.decode("utf-8", errors="replace")
        records = parse(stderr, job.watched, {k for k in launch.env if k in job.watched})
        if not job.plain and (quiet_misfired(stderr, records) or stalled_quietly(res, records)):
            return Reading(TraceResult(), {}, again=True)
        reading = fold_records(records, job, LOGOUT_FILES)
        reading.env = self.final_env(res.stdout)
        return reading

    def final_env(self, stdout: bytes) -> dict[str, str]:
        env = env_dump(stdout)
        for name in OURS:
            env.pop(name, None)  # ours, not the user's
        return env

    def retrace_escaped(self, watched: Mapping[str, str]) -> bool:
        # PS4 is prompt-expanded: a `%` in a value comes out mangled unless escaped.
        return any("%" in v for v in watched.values())

    def sweeper(self, home: str) -> Callable[[list[ContextTrace]], None]:
        sweep = CompinitSweep(self.host, home)
        return lambda traces: sweep.clean([t.env.get("ZDOTDIR") or t.full_env.get("ZDOTDIR") for t in traces])


def _zdotdir(traces: list[ContextTrace]) -> str | None:
    """The ZDOTDIR a traced zsh ended with, if any."""
    return next((t.watched.get("ZDOTDIR") for t in traces
                 if t.status is TraceStatus.OK and t.spec.shell == NAME and t.watched.get("ZDOTDIR")), None)


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
