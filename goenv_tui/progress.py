"""Progress of a headless run (`goenv-tui report`) on a terminal: one line on stderr that ticks
as each launch context is traced and as the probes talk to gopls, dlv and go, and is gone when
the report prints. A report that prints nothing for 30 seconds looks hung; piped or redirected,
stderr gets nothing (scripts and CI read the report, not a spinner).
"""

from __future__ import annotations

import shutil
import threading
from typing import TextIO

from goenv_tui.model import ContextTrace, TraceStatus


class Progress:
    """Callbacks for diagnose(): on_context, on_stage, on_probe_line. Thread-safe (probes run in
    a pool); a no-op when `stream` is not a terminal."""

    def __init__(self, stream: TextIO, total_contexts: int) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.total = total_contexts
        self.traced = 0
        self.failed = 0
        self.stage = "tracing shells"
        self._lock = threading.Lock()
        self._shown = False

    def on_context(self, trace: ContextTrace) -> None:
        with self._lock:
            self.traced += 1
            self.failed += trace.status is not TraceStatus.OK
            mark = "✓" if trace.status is TraceStatus.OK else "✗"
            self._show(f"tracing shells: {self.traced}/{self.total} contexts  {mark} {trace.id}")

    def on_stage(self, stage: str) -> None:
        with self._lock:
            self.stage = stage
            self._show(stage + ("" if not stage.startswith("probing") else " …"))

    def on_probe_line(self, label: str, text: str) -> None:
        with self._lock:
            self._show(f"probing: {label}  {' '.join(text.split())}")

    def done(self) -> None:
        with self._lock:
            if self.enabled and self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            self._shown = False

    def _show(self, text: str) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 24)).columns
        line = f"⟳ {text}"
        if len(line) > width - 1:
            line = line[: width - 2] + "…"
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()
        self._shown = True
