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


@dataclass(frozen=True)
class DormantAssignment:
    """A watched-variable assignment found by the static parser in a file or branch that never ran."""

    var: str
    op: Op
    value: str | None
    location: Location
    reason: str  # "file-not-read" | "branch-not-taken"
    read_by: tuple[str, ...] = ()
