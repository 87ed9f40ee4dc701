"""Facts the collectors produce and the checks consume: plain, frozen dataclasses.

Nothing here runs anything; every other layer speaks in these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: `path` is absolute, `line` 1-based (None when unknown)."""

    path: str
    line: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line}


class Op(str, Enum):
    SET = "set"
    EXPORT = "export"
    PREPEND = "prepend"
    APPEND = "append"
    UNSET = "unset"
    OTHER = "other"


@dataclass(frozen=True)
class Assignment:
    """One change of a watched variable, in execution order within one context.

    `location` is where the change happened (for `eval` and `source <(…)` the line that
    ran them); `body` is the line inside a function body when `via` is `function NAME`;
    `call_site` is where that function (or the sourced stream) was called from.
    Dormant assignments (`live=False`) come from the static parser and never ran.
    """

    var: str
    op: Op
    value: str | None
    before: str | None
    location: Location
    via: str | None = None
    call_site: Location | None = None
    exported: bool = True
    command: str = ""
    live: bool = True


@dataclass(frozen=True)
class SourcedFile:
    """A startup file as one context read it."""

    path: str
    order: int
    sourced_from: Location | None = None
    realpath: str | None = None


class TraceStatus(str, Enum):
    OK = "ok"
    TIMEOUT = "timeout"
    ERROR = "error"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ContextSpec:
    """A way a process gets its environment: which shell, which flags."""

    id: str
    shell: str
    login: bool
    interactive: bool
    sshd_command: bool = False

    @property
    def label(self) -> str:
        if self.sshd_command:
            return f"{self.shell} run by sshd for `ssh host cmd`"
        return (
            f"{self.shell} {'login' if self.login else 'non-login'}"
            f" {'interactive' if self.interactive else 'non-interactive'}"
        )


@dataclass(frozen=True)
class ContextTrace:
    """Everything one traced launch context showed."""

    spec: ContextSpec
    shell_path: str | None
    status: TraceStatus
    used_by: tuple[str, ...] = ()
    files: tuple[SourcedFile, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    watched: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    stopped_at: Location | None = None
    duration_ms: float = 0.0
    notes: tuple[str, ...] = ()
    executed: frozenset[tuple[str, int]] = frozenset()
    assigned_on: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    early_returns: tuple[Location, ...] = ()
    # The whole final environment (not only watched variables): what a program started in this
    # context gets. Used to run `go env` and the probes exactly as that context would.
    full_env: dict[str, str] = field(default_factory=dict)
    # TIMEOUT only: the shell was still running new lines when it was given up on (slow, not hung).
    slow: bool = False
    # A startup that repeats itself without end (a file sourcing itself, a function calling
    # itself, an endless loop), confirmed by the untraced shell: the one-line headline.
    runaway: str | None = None
    # Variables whose changes this trace shows exactly: carried by every trace record, or read
    # from the traced commands and confirmed by the final environment.
    exact: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return self.spec.id


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Fix:
    """A remedy a finding offers. Applied by the fix engine, previewed everywhere."""

    id: str
    title: str
    kind: str  # edit | command | setting
    preview: str
    needs_confirmation: bool = True
    verifies: str | None = None


@dataclass(frozen=True)
class Finding:
    id: str
    check: str
    severity: Severity
    title: str
    detail: str
    variable: str | None = None
    contexts: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    evidence: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()
    # Machine-readable facts the finding is about (a directory, a tool), for the fix builders.
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DormantAssignment:
    """A watched-variable assignment found by the static parser in a file or branch that never ran."""

    var: str
    op: Op
    value: str | None
    location: Location
    reason: str  # "file-not-read" | "branch-not-taken"
    read_by: tuple[str, ...] = ()


# --- binaries ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BinaryInfo:
    """What a file is, read from its bytes (never by running it): format, CPU arch, Go build info."""

    path: str
    format: str  # "elf" | "macho" | "macho-fat" | "script" | "other" | "unreadable"
    arch: str | None = None  # Go names: amd64, arm64, 386, arm, riscv64, ppc64le, s390x; "a+b" for fat
    go_version: str | None = None  # the Go that built it ("go1.26.8"), from its build info
    module_path: str | None = None  # main module, e.g. golang.org/x/tools/gopls
    module_version: str | None = None  # e.g. v0.23.0, "(devel)"
    package_path: str | None = None  # e.g. golang.org/x/tools/gopls
    interpreter: str | None = None  # for scripts: the #! line
    error: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One file named like the tool in one PATH entry, as execvp would consider it."""

    tool: str
    path: str  # entry + "/" + tool, as PATH spells it
    entry: str
    index: int  # position of the entry in PATH
    exists: bool
    executable: bool
    chain: tuple[str, ...] = ()  # symlink hops, starting at `path`, absolute
    realpath: str | None = None
    problem: str | None = None  # broken-link | loop | not-executable | not-a-file
    shim: str | None = None  # asdf | mise | goenv | gvm | homebrew | debian-alternatives | …
    shim_target: str | None = None
    info: BinaryInfo | None = None
    goroot: str | None = None  # for `go`: the Go installation it belongs to
    go_install_version: str | None = None  # that installation's VERSION


@dataclass(frozen=True)
class Resolution:
    tool: str
    context: str
    resolved: Candidate | None
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class GoEnvValue:
    """One `go env` value and where it came from: the process env (with the startup file:line
    that set it), the go env file (`go env -w`, file:line), or Go's default."""

    name: str
    value: str
    source: str  # "env" | "goenv-file" | "default"
    location: Location | None = None


@dataclass(frozen=True)
class GoEnv:
    context: str
    go: str | None
    values: dict[str, GoEnvValue] = field(default_factory=dict)
    file: str | None = None  # the go env file in effect (GOENV)
    file_values: dict[str, tuple[str, int]] = field(default_factory=dict)  # KEY → (value, line)
    error: str | None = None


# --- editor settings --------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One VS Code setting as written in a settings.json (JSONC), with its line.

    Nested objects are flattened one level for the keys goenv-tui reads: `go.toolsEnvVars` gives
    one Setting per variable, keyed `go.toolsEnvVars.GOFLAGS`; `terminal.integrated.env.linux`
    gives `terminal.integrated.env.linux.PATH`, and so on. The whole object is also kept under
    its own key.
    """

    key: str
    value: object
    path: str
    line: int
    scope: str  # user | user-insiders | vscodium | workspace | remote-machine


@dataclass(frozen=True)
class SettingsFile:
    path: str
    scope: str
    error: str | None = None  # unreadable / invalid JSONC (with line)


@dataclass(frozen=True)
class Extension:
    id: str  # publisher.name, e.g. golang.go
    version: str | None
    path: str


@dataclass(frozen=True)
class EditorFacts:
    settings: tuple[Setting, ...] = ()
    files: tuple[SettingsFile, ...] = ()
    extensions: tuple[Extension, ...] = ()


# The go-installable modules of the tools goenv-tui can (re)install, and the probe failures a
# rebuild with the context's go cures (used by the checks that declare the fix and by its builder).
TOOL_MODULES = {"gopls": "golang.org/x/tools/gopls@latest", "dlv": "github.com/go-delve/delve/cmd/dlv@latest"}
REINSTALL_CURES = frozenset({"go-version", "go-too-old", "go-too-new", "crash", "arch-mismatch"})


@dataclass(frozen=True)
class ProbeResult:
    """What one live probe (gopls, dlv, go build) did in one context's environment."""

    tool: str  # gopls | dlv | go
    context: str
    status: str  # ok | fail | timeout | skipped
    duration_ms: float | None = None
    version: str | None = None
    detail: str | None = None
    classification: str | None = None  # e.g. go-not-found, goroot-mismatch, no-module, …
    timings: dict[str, float] = field(default_factory=dict)
    messages: tuple[str, ...] = ()  # the tool's own error text, verbatim
    transcript: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()  # every context that shares this probe's environment
    leftover: tuple[int, ...] = ()  # pids that had to be killed when the probe ended
