"""Fix all safe ones: every candidate fix is first tried on a private copy; the ones whose trial
is safe (at most one per file) are listed with their preview and verdict, and Enter applies
exactly that list — nothing more, in that order, each verified. Fixes whose trial was not safe
are listed with why; fixes waiting for a file another one changes are previewed next round.
Filtered by severity (a: all, e: errors, w: warnings)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import RichLog, Static

from goenv_tui.diagnose import Diagnosis
from goenv_tui.fixes.engine import BatchItem, Outcome, apply_batch, safe_batch
from goenv_tui.ui import present
from goenv_tui.ui.screens.fix import diff_text

if TYPE_CHECKING:
    from goenv_tui.ui.app import GoenvApp

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
        self.trying = False
        self.done: Diagnosis | None = None
        # Exactly what Enter applies: set only once every candidate's trial is in. (Not named
        # `batch`: that would hide Textual's Widget.batch(), which recompose() calls.)
        self.to_apply: list[BatchItem] | None = None
        self.later: list[BatchItem] = []
        self.unsafe: list[BatchItem] = []
        self.applied: list[BatchItem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="safe-box"):
            yield Static(id="safe-title")
            with VerticalScroll(id="safe-list-scroll"):
                yield Static(id="safe-list")
            yield RichLog(id="safe-log", wrap=True, markup=False)

    def on_mount(self) -> None:
        self.query_one("#safe-log", RichLog).display = False
        self._try()

    def _try(self) -> None:
        self.to_apply = None
        self.trying = True
        self._show()
        self._run_trials(self.level, self.diagnosis)

    @work(thread=True, exclusive=True, group="safe-trials")
    def _run_trials(self, level: str, d: Diagnosis) -> None:
        app = cast("GoenvApp", self.app)  # only GoenvApp opens this screen

        def progress(n: int, total: int) -> None:
            app.call_from_thread(self._progress, n, total)

        batch, later, unsafe = safe_batch(app.host, app.opts, app.workspace, d, LEVELS[level][0], progress)
        app.call_from_thread(self._tried, level, d, batch, later, unsafe)

    def _progress(self, n: int, total: int) -> None:
        if self.trying:
            self.query_one("#safe-list", Static).update(
                Text(f"⟳ trying each fix on a private copy first… {n}/{total}", "italic yellow"))

    def _tried(self, level: str, d: Diagnosis, batch: list[BatchItem], later: list[BatchItem],
               unsafe: list[BatchItem]) -> None:
        if level != self.level or d is not self.diagnosis:
            return  # the level changed meanwhile: a newer trial run is coming
        self.trying = False
        self.to_apply, self.later, self.unsafe = batch, later, unsafe
        self._show()

    def _show(self) -> None:
        _, label = LEVELS[self.level]
        n = len(self.to_apply or [])
        head = "trying…" if self.to_apply is None else f"{n} fix{'es' if n != 1 else ''} for {label}"
        title = Text.assemble(("Fix all safe ones: ", "bold"), head,
                              ("   a all · e errors · w warnings · enter apply these · esc close", "dim"))
        self.query_one("#safe-title", Static).update(title)
        t = Text()
        if self.to_apply is None:
            t.append("⟳ trying each fix on a private copy first…", "italic yellow")
        else:
            for it in self.to_apply:
                t.append_text(present.finding_label(it.finding))
                t.append("\n")
                t.append(f"  {it.plan.fix.title}\n", "bold")
                t.append_text(diff_text("\n".join("    " + ln for ln in it.plan.fix.preview.splitlines())))
                t.append(f"  Trial: {it.trial.verdict}\n\n", "green")
            if not self.to_apply:
                t.append("Nothing safe to apply automatically at this level.\n", "dim")
            if self.later:
                t.append("\nNext round (they change a file a fix above changes; previewed again after):\n", "bold")
                for it in self.later:
                    t.append(f"  {it.plan.fix.title}\n", "dim")
            if self.unsafe:
                t.append("\nNot safe (not applied):\n", "bold")
                for it in self.unsafe:
                    t.append(f"  {it.plan.fix.title}\n", "bold")
                    t.append(f"    {it.trial.verdict}\n", "red")
        self.query_one("#safe-list", Static).update(t)

    def action_level(self, level: str) -> None:
        if not self.busy and level != self.level:
            self.level = level
            self._try()

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.done)

    def action_apply(self) -> None:
        if self.busy or not self.to_apply:
            return
        self.busy = True
        batch = list(self.to_apply)
        log = self.query_one("#safe-log", RichLog)
        log.display = True
        log.write(f"Applying the {len(batch)} fix{'es' if len(batch) != 1 else ''} above, each verified by a fresh trace…")
        self._run(batch)

    @work(thread=True, exclusive=True, group="safe-fixes")
    def _run(self, batch: list[BatchItem]) -> None:
        app = cast("GoenvApp", self.app)  # only GoenvApp opens this screen
        log = self.query_one("#safe-log", RichLog)

        def report(it: BatchItem, out: Outcome) -> None:
            app.call_from_thread(log.write, f"{'✓' if out.cleared else '!' if out.applied else '✗'} {it.plan.fix.title}: {out.verdict}")

        outcomes, d = apply_batch(app.host, app.opts, app.workspace, self.diagnosis, batch, report)
        app.call_from_thread(self._finished, d, batch, outcomes)

    def _finished(self, d: Diagnosis, batch: list[BatchItem], outcomes: list[Outcome]) -> None:
        self.busy = False
        self.done = d
        self.diagnosis = d
        applied = sum(1 for o in outcomes if o.applied)
        self.query_one("#safe-log", RichLog).write(
            f"Done: {applied} of the {len(batch)} previewed fix{'es' if len(batch) != 1 else ''} applied. "
            "The list shows what is safe now; esc closes.")
        self._try()
