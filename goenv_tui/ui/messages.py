"""Every message the diagnosis worker sends the UI: small dataclasses, one line of docs each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from goenv_tui.model import ContextTrace, ProbeResult

if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis


@dataclass
class ContextTraced(Message):
    """One launch context finished tracing (results stream in before the whole diagnosis)."""

    run: int
    trace: ContextTrace


@dataclass
class StageChanged(Message):
    """The diagnosis moved on to another stage ("resolving go, gopls, dlv", …)."""

    run: int
    stage: str


@dataclass
class DiagnosisReady(Message):
    """The whole diagnosis is done: graph, findings and all."""

    run: int
    diagnosis: Diagnosis


@dataclass
class DiagnosisFailed(Message):
    """The diagnosis crashed; the message says why."""

    run: int
    error: str


@dataclass
class Navigate(Message):
    """Show something in another view: a file:line, a variable, a binary, a finding."""

    view: str
    context: str | None = None
    path: str | None = None
    line: int | None = None
    variable: str | None = None
    tool: str | None = None
    finding: str | None = None
    node: str | None = None  # a graph node, for the node browser


@dataclass
class ProbeLine(Message):
    """One line of a live probe's transcript (gopls LSP traffic, the dlv prompt, go build)."""

    run: int
    label: str
    text: str


@dataclass
class ProbesDone(Message):
    """Every probe finished (or was cancelled); `probed` is the diagnosis with the checks run again
    over the results (None when probing failed)."""

    run: int
    results: list[ProbeResult]
    probed: Diagnosis | None
