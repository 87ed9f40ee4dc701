"""The one interface every shell implements, and the registry of shells goenv-tui can trace.

`shells/tracer.py` knows nothing about any one shell: it builds the hermetic environment, asks the
shell's driver how to start a traced session (`prepare`), runs it under the deadlines, asks the
driver to read what came out (`read`), and turns that into a `ContextTrace`. Everything a shell
does its own way — flags, how the trace record is made (bash/zsh PS4, fish's event hook), how the
trace is parsed, which startup files exist, what the shell leaves behind in the home — lives in
its driver module (`bash.py`, `zsh.py`, `fish.py`).

A driver instance belongs to one `Tracer` (one host, one home): what it learns about a shell
binary (bash's version, fish's data directory, zsh's function library) is cached on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from goenv_tui.host import Host, RunResult
from goenv_tui.model import ContextSpec, ContextTrace, Location
from goenv_tui.shells.trace import Record, TraceResult, attribute, fold

ENV_MARK = "\x1eGOENV_TUI_ENV\x1e"


class StartError(Exception):
    """A traced start could not even be prepared (the message says why, for the report)."""


@dataclass(frozen=True)
class TraceJob:
    """One context about to be traced, with everything a driver may need from the tracer."""

    spec: ContextSpec
    shell_path: str
    home: str
    watched: list[str]
    env: dict[str, str]  # the hermetic environment of a fresh session (sshd's PATH included)
    env_bin: str  # absolute paths of env(1) and true(1), for the command run after startup
    true_bin: str
    # Trace again with `%` escaped in values (zsh prompt-expands its PS4); see retrace_escaped.
    escape: bool = False
    # Trace in the driver's fallback mode (bash as root: source the files from a driver command).
    fallback: bool = False
    force_fallback: bool = False  # TraceOptions.force_driver: tests cover the fallback path
    # Trace without the driver's speed-ups (zsh: compinit run with tracing off), because they
    # changed what the startup files did (see Reading.again).
    plain: bool = False
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # The startup file's text (read once per run by the tracer's FileCache) and, for the
    # records of a trace, every traced file's physical line → first line of its statement.
    text: Callable[[str], str | None] = lambda _path: None
    start_map: Callable[[list[Record]], dict[str, dict[int, int]]] = lambda _records: {}


@dataclass
class Launch:
    """How to start one traced session: argv and environment, and what to undo afterwards."""

    argv: list[str]
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)
    cleanup: Callable[[], None] | None = None
    # The same start without tracing (argv, environment): started alongside when the traced one
    # runs past the deadline, to tell a slow start from one that never ends (tracer._run_watched).
    # None: the driver cannot start it untraced the same way.
    untraced: tuple[list[str], dict[str, str]] | None = None


@dataclass
class Reading:
    """What a driver read from a finished (or killed) traced start."""

    folded: TraceResult
    env: dict[str, str]  # the final environment the shell printed (empty if it never got there)
    records: list[Record] = field(default_factory=list)  # line records, for timing (where_time_went)
    start_of: dict[str, dict[int, int]] = field(default_factory=dict)
    stopped_at: Location | None = None  # the last line that ran
    notes: list[str] = field(default_factory=list)
    # Set when the session did not start at all for a reason the driver knows (bash in a user
    # namespace that could not be created): reported instead of "exited with status N".
    start_error: str | None = None
    # The driver's speed-ups changed what the startup files did: trace again with `plain=True`
    # (the rest of this reading is then empty).
    again: bool = False


class ShellDriver(ABC):
    """One shell: how each launch context starts it, and how its startup is traced and read."""

    name: str = ""
    # Starting it writes into the home (fish rewrites its universal variables): a fix's trial
    # then does not start it untraced on the private home; its trace, on a private copy of that
    # state, says whether it still ends.
    writes_state_at_start: bool = False
    # Every watched variable costs every traced line (bash and zsh expand them into PS4): the
    # tracer then watches only `tracer.PER_LINE` and the names the home's files mention, and
    # reads the others' changes from the traced commands. False: watching costs nothing until
    # a variable changes (fish's `--on-variable` handlers), so every name is watched.
    watch_costs_per_line: bool = True

    def __init__(self, host: Host) -> None:
        self.host = host

    # --- starting the shell -------------------------------------------------------------------
    def argv(self, spec: ContextSpec, shell_path: str, command: str) -> list[str]:
        """The shell as a context starts it, running `command` after its startup files (no tracing)."""
        return [shell_path, *mode_flags(spec), "-c", command]

    def context_env(self, spec: ContextSpec, base: dict[str, str]) -> dict[str, str]:
        """The environment the program behind `spec` gives the shell (sshd sets its own variables)."""
        return sshd_env(base) if spec.sshd_command else dict(base)

    def syntax_argv(self, shell_path: str, path: str) -> list[str]:
        """The shell's own syntax check of a startup file (parse, run nothing)."""
        return [shell_path, "-n", path]

    # --- startup files ------------------------------------------------------------------------
    @abstractmethod
    def candidate_files(self, home: str, env: Mapping[str, str]) -> list[str]:
        """The user's startup files this shell may read, whether they exist or not (read before
        tracing, for the GO* names they mention)."""

    def dormant_candidates(self, home: str, traces: list[ContextTrace]) -> list[str]:
        """Startup files that, when they exist and no traced context read them, are reported as
        never read (dormant); `traces` tell where the shell looked (zsh: ZDOTDIR)."""
        return []

    def why_not_read(self, path: str, home: str, existing: set[str], traces: list[ContextTrace]) -> str:
        """Why no traced context of this shell read `path`, one of its dormant candidates."""
        return "no context that was traced reads it"

    def unreported_files(self, spec: ContextSpec, home: str) -> list[str]:
        """Startup files the shell opens itself in this context, in order, that a trace cannot show
        when they run no command (empty files). Most shells' traces name every file they read."""
        return []

    # --- tracing ------------------------------------------------------------------------------
    @abstractmethod
    def prepare(self, job: TraceJob) -> Launch:
        """The traced start of `job`: argv, environment (with the trace record set up), notes.
        Raises StartError when it cannot be prepared."""

    @abstractmethod
    def read(self, job: TraceJob, launch: Launch, res: RunResult) -> Reading:
        """Parse and fold what the traced start printed."""

    def final_env(self, stdout: bytes) -> dict[str, str]:
        """The final environment a start printed (ENV_MARK, then NUL-separated), without the
        driver's own variables."""
        return env_dump(stdout)

    def retrace_escaped(self, watched: Mapping[str, str]) -> bool:
        """Whether these final values can have been mangled by the trace record itself, so the
        context must be traced again with `escape=True`."""
        return False

    def wants_fallback(self, trace: ContextTrace) -> bool:
        """Whether this failed trace should be tried again in the driver's fallback mode."""
        return False

    def sweeper(self, home: str) -> Callable[[list[ContextTrace]], None] | None:
        """Called before any context of this shell is traced: returns what removes, after all
        contexts ran, what the traced shells wrote into the home (None: nothing to remove)."""
        return None


def mode_flags(spec: ContextSpec) -> list[str]:
    """`-l` / `-i`: the same two flags in every shell goenv-tui knows."""
    return (["-l"] if spec.login else []) + (["-i"] if spec.interactive else [])


def sshd_env(base: Mapping[str, str], drop_shlvl: bool = False) -> dict[str, str]:
    """What sshd adds for `ssh host cmd` (its PATH is set by the tracer)."""
    env = dict(base)
    env["SSH_CLIENT"] = "127.0.0.1 50022 22"
    env["SSH_CONNECTION"] = "127.0.0.1 50022 127.0.0.1 22"
    if drop_shlvl:
        env.pop("SHLVL", None)
    return env


def env_dump(stdout: bytes) -> dict[str, str]:
    """The environment printed after ENV_MARK by the command run after the startup files."""
    at = stdout.rfind(ENV_MARK.encode())
    if at < 0:
        return {}
    env: dict[str, str] = {}
    for item in stdout[at + len(ENV_MARK) :].split(b"\0"):
        if b"=" in item:
            k, _, v = item.partition(b"=")
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def fold_records(records: list[Record], job: TraceJob, logout_files: tuple[str, ...]) -> Reading:
    """The common reading of an xtrace made of line records (bash, zsh): fold the records into
    assignments, the statement map and the last line that ran."""
    # Logout files run only because the shell was ending (an `exit` in a startup file, the
    # SIGHUP at the deadline): the line that ended it is the last one before them.
    records = [r for r in records if r.file.rsplit("/", 1)[-1] not in logout_files]
    start_of = job.start_map(records)
    initial = records[0].values if records else {}
    folded = fold(records, job.watched, dict(initial), start_of)
    stopped = attribute(folded.last, start_of).location if folded.last is not None else None
    return Reading(folded, {}, records, start_of, stopped)
