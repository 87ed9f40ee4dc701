"""Live probes: a file that exists is not a tool that works.

gopls is started the way an editor starts it and spoken to in LSP; dlv is driven at its
`(dlv)` prompt; go builds and vets a scratch module. Each probe runs in one context's exact
environment, under a deadline, in its own process group, and says what failed in the tool's own
words plus a classification the checks turn into findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProbeResult:
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
