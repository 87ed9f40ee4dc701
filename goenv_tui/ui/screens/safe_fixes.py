"""Fix all safe ones: every reversible edit the findings offer, listed with its preview first,
filtered by severity (a: all, e: errors, w: warnings), applied one by one, each verified."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import RichLog, Static

from goenv_tui.diagnose import Diagnosis
from goenv_tui.fixes.engine import apply_safe, safe_candidates
from goenv_tui.ui import present
from goenv_tui.ui.screens.fix import diff_text

LEVELS = {"a": ({"error", "warning", "info"}, "all"), "e": ({"error"}, "errors"), "w": ({"error", "warning"}, "errors and warnings")}


class SafeFixesScreen(ModalScreen[Diagnosis | None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "level('a')", "All"),
        Binding("e", "level('e')", "Errors"),
        Binding("w", "level('w')", "Warnings"),
        Binding("enter", "apply", "Apply these"),
    ]

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__()
        self.diagnosis = diagnosis
        self.level = "w"
        self.busy = False
        self.done: Diagnosis | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="safe-box"):
            yield Static(id="safe-title")
            with VerticalScroll(id="safe-list-scroll"):
                yield Static(id="safe-list")
            yield RichLog(id="safe-log", wrap=True, markup=False)

    def on_mount(self) -> None:
        self.query_one("#safe-log", RichLog).display = False
        self._show()

    def _show(self) -> None:
        severities, label = LEVELS[self.level]
        todo = safe_candidates(self.diagnosis, severities)
        title = Text.assemble(("Fix all safe ones: ", "bold"), f"{len(todo)} fix{'es' if len(todo) != 1 else ''} for {label}",
                              ("   a all · e errors · w warnings · enter apply · esc close", "dim"))
        self.query_one("#safe-title", Static).update(title)
        t = Text()
        for f, p in todo:
            t.append_text(present.finding_label(f))
            t.append("\n")
            t.append(f"  {p.fix.title}\n", "bold")
            t.append_text(diff_text("\n".join("    " + ln for ln in p.fix.preview.splitlines())))
            t.append("\n")
        if not todo:
            t.append("Nothing safe to apply automatically at this level.", "dim")
        self.query_one("#safe-list", Static).update(t)

    def action_level(self, level: str) -> None:
        if not self.busy:
            self.level = level
            self._show()

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.done)

    def action_apply(self) -> None:
        if self.busy or not safe_candidates(self.diagnosis, LEVELS[self.level][0]):
            return
        self.busy = True
        log = self.query_one("#safe-log", RichLog)
        log.display = True
        log.write("Applying, each one verified by a fresh trace before the next…")
        self._run(LEVELS[self.level][0])

    @work(thread=True, exclusive=True, group="safe-fixes")
    def _run(self, severities: set[str]) -> None:
        app = self.app
        log = self.query_one("#safe-log", RichLog)

        def report(f, out) -> None:
            app.call_from_thread(log.write, f"{'✓' if out.cleared else '!' if out.applied else '✗'} {f.title}: {out.verdict}")

        outcomes, d = apply_safe(app.host, app.opts, app.workspace, self.diagnosis, severities, report)  # type: ignore[attr-defined]
        app.call_from_thread(self._finished, d, len(outcomes))

    def _finished(self, d: Diagnosis, n: int) -> None:
        self.busy = False
        self.done = d
        self.diagnosis = d
        self.query_one("#safe-log", RichLog).write(f"Done: {n} fix{'es' if n != 1 else ''} tried. esc closes.")
        self._show()
