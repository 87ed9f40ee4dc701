"""The probe panel: each probe's status, and the live transcript as gopls, dlv and go run."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from goenv_tui.model import ProbeResult

MARK = {"ok": ("✓", "green"), "fail": ("✗", "red"), "timeout": ("⧗", "red"), "skipped": ("–", "dim")}


class ProbesView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(Text("Probes start when the diagnosis is done.", "dim"), id="probe-summary")
        yield RichLog(id="probe-log", wrap=False, markup=False, highlight=False, max_lines=5000)

    def reset(self, enabled: bool) -> None:
        self.query_one("#probe-log", RichLog).clear()
        self.query_one("#probe-summary", Static).update(
            Text("Probes start when the diagnosis is done." if enabled else "Probes are off (--no-probes).", "dim"))

    def running(self) -> None:
        self.query_one("#probe-summary", Static).update(
            Text("⟳ probing gopls (LSP handshake), dlv (a debug session) and go build … x cancels", "italic yellow"))

    def line(self, label: str, text: str) -> None:
        self.query_one("#probe-log", RichLog).write(Text.assemble((f"{label:<28} ", "cyan"), text))

    def done(self, results: list[ProbeResult]) -> None:
        t = Text()
        for p in results:
            mark, style = MARK.get(p.status, ("?", ""))
            t.append(f" {mark} ", style)
            t.append(f"{p.tool:<6}", "bold")
            t.append(f" {p.version or '':<10} ", "dim")
            t.append(f"{', '.join(p.contexts or (p.context,))[:48]:<48} ", "")
            t.append(f"{p.classification or p.status}", style)
            if p.duration_ms:
                t.append(f"  {p.duration_ms / 1000:.1f}s", "dim")
            t.append("\n")
        if not results:
            t.append("No context has go, gopls or dlv to probe.", "dim")
        self.query_one("#probe-summary", Static).update(t)
