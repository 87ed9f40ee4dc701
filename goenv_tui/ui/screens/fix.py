"""The fix dialog: the exact change (diff or command) and the verdict of its trial on a private
copy, Apply or Cancel, then the verdict from a fresh trace. The trial and the apply run in
workers; a command's output streams into the dialog. A fix whose trial was not safe cannot be
applied from here (the CLI's --force-unsafe is the explicit override)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from goenv_tui.fixes.engine import Outcome, attempt_fix
from goenv_tui.fixes.impact import describe, reach
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.fixes.trial import Trial, run_trial
from goenv_tui.model import Finding
from goenv_tui.redact import PLAIN, redactor_for
from goenv_tui.ui.present import outcome_text


def diff_text(preview: str) -> Text:
    t = Text()
    for line in PLAIN.text(preview).splitlines():
        style = ("green" if line.startswith("+") and not line.startswith("+++") else
                 "red" if line.startswith("-") and not line.startswith("---") else
                 "cyan" if line.startswith("@@") else "bold" if line.startswith(("$", "---", "+++")) else "")
        t.append(line + "\n", style)
    return t


class FixDialog(ModalScreen[Outcome | None]):
    """Preview → Apply/Cancel → verdict. Dismisses with the Outcome (None when cancelled)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("a", "apply", "Apply"),
    ]

    def __init__(self, finding: Finding, plans: list[PlannedFix]) -> None:
        super().__init__()
        self.finding = finding
        self.plans = plans
        self.chosen = 0
        self.outcome: Outcome | None = None
        self.busy = False
        self.trials: dict[str, Trial] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="fix-box"):
            yield Static(Text.assemble(("Fix: ", "bold"), self.finding.title), id="fix-title")
            yield OptionList(*[Option(Text.assemble(p.fix.title, (f"  [{p.fix.kind}]", "dim")), id=p.id)
                               for p in self.plans], id="fix-choices")
            with VerticalScroll(id="fix-preview-scroll"):
                yield Static(id="fix-impact")
                yield Static(id="fix-preview")
            yield RichLog(id="fix-log", wrap=True, markup=False, max_lines=2000)
            yield Static(id="fix-verdict")
            with Horizontal(id="fix-buttons"):
                yield Button("Apply (a)", id="fix-apply", variant="primary")
                yield Button("Cancel (esc)", id="fix-cancel")

    def on_mount(self) -> None:
        choices = self.query_one("#fix-choices", OptionList)
        choices.display = len(self.plans) > 1
        choices.highlighted = 0
        self.query_one("#fix-log", RichLog).display = False
        self._preview()
        self.query_one("#fix-apply", Button).focus()
        self._try_all()

    @work(thread=True, exclusive=True, group="fix-trial")
    def _try_all(self) -> None:
        app = self.app
        for p in [self.plans[self.chosen], *[q for i, q in enumerate(self.plans) if i != self.chosen]]:
            t = run_trial(app.host, app.opts, app.workspace, app.diagnosis, p)  # type: ignore[attr-defined]
            app.call_from_thread(self._tried, p.id, t)

    def _tried(self, plan_id: str, trial: Trial) -> None:
        self.trials[plan_id] = trial
        if self.plans[self.chosen].id == plan_id:
            self._preview()

    def _safe(self, p: PlannedFix) -> bool:
        t = self.trials.get(p.id)
        return t is not None and (t.safe or not t.tried)

    def _preview(self) -> None:
        p = self.plans[self.chosen]
        head = Text()
        head.append(f"{p.fix.title}\n", "bold")
        head.append("This runs a command:\n" if p.fix.kind == "command" else "This changes:\n", "dim")
        head.append_text(diff_text(p.fix.preview))
        t = self.trials.get(p.id)
        if t is None:
            head.append("\n⟳ trying it on a private copy of the files first…\n", "italic yellow")
        else:
            style = "bold green" if t.safe else "bold red" if t.tried else "yellow"
            head.append("\nTrial: ", "bold")
            head.append(t.verdict + "\n", style)
            for line in t.evidence[:8]:
                head.append(f"  {line}\n", "dim")
        head.append("\nA backup is kept; undo with u (history) or `goenv-tui undo`.", "dim")
        self.query_one("#fix-preview", Static).update(head)
        self.query_one("#fix-impact", Static).update(self._impact(p))
        if self.outcome is None and not self.busy:
            self.query_one("#fix-apply", Button).disabled = not self._safe(p)

    def _impact(self, plan: PlannedFix) -> Text:
        """What the edit reaches, from the graph, before anything is written."""
        d = getattr(self.app, "diagnosis", None)
        t = Text()
        if d is None:
            return t
        t.append("What this reaches", "bold underline")
        t.append(" (from the graph, before anything is written)\n", "dim")
        for line in describe(reach(d.graph, plan), d.facts.home):
            t.append(f" {line}\n")
        return t

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "fix-choices" and event.option_index is not None:
            self.chosen = event.option_index
            self._preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "fix-apply":
            self.action_apply()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(self.outcome)

    def action_apply(self) -> None:
        if self.busy or self.outcome is not None:
            if self.outcome is not None:
                self.dismiss(self.outcome)
            return
        if not self._safe(self.plans[self.chosen]):
            return  # still trying it, or its trial was not safe: the verdict says which
        self.busy = True
        self.query_one("#fix-apply", Button).disabled = True
        self.query_one("#fix-verdict", Static).update(Text("⟳ applying, then tracing again to verify…", "italic yellow"))
        if self.plans[self.chosen].fix.kind == "command":
            self.query_one("#fix-log", RichLog).display = True
        self._apply(self.plans[self.chosen])

    @work(thread=True, exclusive=True, group="fix")
    def _apply(self, plan: PlannedFix) -> None:
        app = self.app
        log = self.query_one("#fix-log", RichLog)
        red = redactor_for(app.diagnosis.facts)  # type: ignore[attr-defined]

        def on_line(line: str) -> None:
            app.call_from_thread(log.write, red.text(line))

        out = attempt_fix(app.host, app.opts, app.workspace, app.diagnosis, plan,  # type: ignore[attr-defined]
                          on_line=on_line, trial=self.trials.get(plan.id))
        app.call_from_thread(self._done, out)

    def _done(self, out: Outcome) -> None:
        self.busy = False
        self.outcome = out
        self.query_one("#fix-verdict", Static).update(outcome_text(out))
        button = self.query_one("#fix-apply", Button)
        button.label = "Close (a)"
        button.disabled = False
        button.focus()
