"""`goenv-tui wizard`: for someone who just wants Go working in their editor.

Which editor and how it is started → which workspace → a diagnosis of the contexts that editor
really uses (probes included) → each problem in plain words with its evidence and its fix
(apply or skip) → verification (go build, gopls, dlv in that context) → a summary of what changed
and how to undo it. Back/next with the keyboard alone; the progress is saved after every step, so
quitting and starting again resumes where it stopped.
"""

from __future__ import annotations

import os
import posixpath

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Footer, Input, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from goenv_tui.diagnose import Diagnosis, diagnose
from goenv_tui.display import SEVERITY_MARK, tilde, tilde_in
from goenv_tui.fixes.engine import Outcome, attempt_fix
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.host import Host, LocalHost
from goenv_tui.host.process import resume, stop_all
from goenv_tui.model import Finding, ProbeResult
from goenv_tui.probes.runner import run_probes
from goenv_tui.redact import redactor_for
from goenv_tui.shells.tracer import TraceOptions
from goenv_tui.ui import no_color, present
from goenv_tui.ui.screens.fix import diff_text
from goenv_tui.wizard import (
    EDITOR_NAME,
    EDITORS,
    WizardState,
    contexts_for,
    count_change,
    in_plain_words,
    plain_name,
    problems,
    still_blocking,
    verification_lines,
)

__all__ = ["EDITORS", "WizardApp", "WizardState", "contexts_for", "run_wizard"]

STEPS = ("editor", "workspace", "diagnose", "problems", "verify", "summary")


class WizardApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "goenv-tui wizard"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+b", "step_back", "Back"),
        Binding("q", "quit", "Quit (progress is kept)"),
    ]

    def __init__(self, opts: TraceOptions, workspace: str | None = None, host: Host | None = None,
                 stable: bool = False, fresh: bool = False) -> None:
        super().__init__()
        no_color.install(self)
        present.use_colour(not self.no_color)
        self.opts = opts
        self.host = host or LocalHost()
        self.stable = stable
        # On a remote host this machine's cwd means nothing there: start from the home instead.
        self.default_workspace = workspace or (opts.home if self.host.remote else os.getcwd())
        self.workspace = workspace
        saved = None if fresh else WizardState.load(self.host, opts.home)
        self.resumable = saved is not None and saved.step not in ("editor", "summary")
        self.state = saved if self.resumable and saved else WizardState()
        self.diagnosis: Diagnosis | None = None
        self.problems: list[Finding] = []
        self.own: set[str] = set()  # ids of the problems in the editor's own contexts
        self.keep_verdict = False  # the last fix's verdict stays up over the next problem
        self.last_outcome: Outcome | None = None
        self.verification: list[ProbeResult] = []
        self.busy = False

    # layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="wiz-steps")
        with ContentSwitcher(initial="editor", id="wiz-switch"):
            with Vertical(id="editor", classes="wiz-step"):
                yield Static(id="wiz-resume")
                yield Static(Text("How do you run Go code and tools?", "bold"))
                yield Static(Text("Each way starts your shell differently and sees a different environment.", "dim"))
                yield OptionList(*[Option(label, id=key) for key, label in EDITORS], id="wiz-editor")
            with Vertical(id="workspace", classes="wiz-step"):
                yield Static(Text("Which folder do you open in the editor?", "bold"))
                yield Static(Text("The folder with go.mod (or go.work). Enter to continue.", "dim"))
                yield Input(id="wiz-workspace")
                yield Static(id="wiz-workspace-error")
            with Vertical(id="diagnose", classes="wiz-step"):
                yield Static(id="wiz-diagnose")
            with Vertical(id="problems", classes="wiz-step"):
                with VerticalScroll(id="wiz-problem-scroll"):
                    yield Static(id="wiz-problem")
                yield Static(id="wiz-verdict")
                yield RichLog(id="wiz-log", wrap=False, markup=False, highlight=False, max_lines=2000)
                with Horizontal(classes="wiz-buttons"):
                    yield Button("Apply fix (a)", id="wiz-apply", variant="primary")
                    yield Button("Skip (s)", id="wiz-skip")
                    yield Button("Back (ctrl+b)", id="wiz-back")
            with Vertical(id="verify", classes="wiz-step"):
                yield Static(id="wiz-verify")
                yield RichLog(id="wiz-verify-log", wrap=False, markup=False, highlight=False, max_lines=2000)
            with Vertical(id="summary", classes="wiz-step"):
                yield Static(id="wiz-summary")
        yield Footer()

    async def action_quit(self) -> None:
        """Quit at once: whatever is being traced or probed is killed, not waited for."""
        stop_all()
        self.exit()

    def on_mount(self) -> None:
        no_color.fit_colours(self)
        resume()  # children may run again (an earlier app in this process may have quit)
        self.query_one("#wiz-workspace", Input).value = tilde(self.opts.home, self.state.workspace or self.default_workspace)
        if self.resumable:
            self.query_one("#wiz-resume", Static).update(Text.assemble(
                ("You stopped at step ", "yellow"), (self.state.step, "bold yellow"),
                (" last time. Press r to resume, or pick an answer below to start over.\n", "yellow")))
        else:
            self.query_one("#wiz-resume", Static).display = False
        self.show("editor")
        if self.state.editor:
            lst = self.query_one("#wiz-editor", OptionList)
            lst.highlighted = [k for k, _ in EDITORS].index(self.state.editor)

    def on_key(self, event: events.Key) -> None:
        if event.key == "r" and self.resumable and self.current == "editor":
            self.resumable = False
            step = self.state.step
            self.show("diagnose" if step in ("diagnose", "problems", "verify") else step)
            if step in ("diagnose", "problems", "verify"):
                self._diagnose()
            event.stop()
        elif self.current == "problems" and event.key in ("a", "s"):
            (self.action_apply if event.key == "a" else self.action_skip)()
            event.stop()

    @property
    def current(self) -> str:
        return self.query_one("#wiz-switch", ContentSwitcher).current or "editor"

    def show(self, step: str) -> None:
        self.query_one("#wiz-switch", ContentSwitcher).current = step
        t = Text()
        for i, name in enumerate(STEPS, start=1):
            style = "bold reverse" if name == step else "dim"
            t.append(f" {i} {name} ", style)
            t.append(" ")
        self.query_one("#wiz-steps", Static).update(t)
        if step != "editor":
            self.state.step = step
            self.state.save(self.host, self.opts.home)
        focus = {"editor": "#wiz-editor", "workspace": "#wiz-workspace", "problems": "#wiz-apply"}.get(step)
        if focus:
            self.query_one(focus).focus()

    @property
    def editor(self) -> str:
        return self.state.editor or "terminal"

    @property
    def editor_words(self) -> str:
        """The editor's contexts in the user's words: "VS Code started from the Dock"."""
        return " and ".join(plain_name(c, self.editor, self.contexts) for c in self.contexts)

    def plain(self, text: str) -> str:
        """Context ids in `text` as the user would say them; home paths as ~/…."""
        ids = [t.id for t in self.diagnosis.facts.contexts] if self.diagnosis else list(self.contexts)
        return tilde_in(self.opts.home, in_plain_words(text, self.editor, self.contexts, ids))

    @property
    def contexts(self) -> list[str]:
        return contexts_for(self.state.editor or "terminal", self.opts.login_shell or self.host.login_shell(),
                            self.host.os_name())

    def workspace_path(self, typed: str) -> str:
        """The folder typed in step 2, absolute on the host being diagnosed: `~` is the home under
        diagnosis (--home, or the remote user's), relative paths start from the default folder."""
        typed = typed.strip() or self.default_workspace
        if typed == "~" or typed.startswith("~/"):
            typed = self.opts.home + typed[1:]
        return posixpath.normpath(posixpath.join(self.default_workspace, typed))

    # step 1 & 2 ---------------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "wiz-editor" and event.option.id:
            self.state = WizardState(editor=event.option.id, workspace=self.state.workspace)
            self.resumable = False
            self.query_one("#wiz-resume", Static).display = False
            self.show("workspace")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = self.workspace_path(event.value)
        if not self.host.stat(path).is_dir:
            self.query_one("#wiz-workspace-error", Static).update(Text(f"{path} is not a folder.", "bold red"))
            return
        self.state.workspace = path
        self.workspace = path
        self.show("diagnose")
        self._diagnose()

    # step 3 ------------------------------------------------------------------------------
    def _diagnose(self) -> None:
        self.workspace = self.state.workspace
        box = self.query_one("#wiz-diagnose", Static)
        box.update(Text.assemble(("Looking at how ", ""), (self.editor_words, "bold"),
                                 (" starts your shell, then running go build, gopls and dlv there…", "")))
        self.busy = True
        self._run_diagnosis()

    @work(thread=True, exclusive=True, group="wizard")
    def _run_diagnosis(self) -> None:
        d = diagnose(self.host, self.opts, self.workspace, today="2026-01-01" if self.stable else None)
        self.call_from_thread(self._diagnosed, self._probed(d))

    def _probed(self, d: Diagnosis, log: str = "#wiz-log") -> Diagnosis:
        """`d` with go build, gopls and dlv probed live in the contexts the editor uses (in a worker);
        what they print goes to the step's log as it comes."""
        results = run_probes(self.host, d.facts, self.workspace, contexts=set(self.contexts),
                             on_line=lambda label, text: self.call_from_thread(self._write_log, log, label, text))
        return d.with_probes(results, self.host)

    def _write_log(self, selector: str, label: str, text: str) -> None:
        tool, _, cid = label.partition("@")
        where = f"{tool} in {self.plain(cid)}" if cid else label
        self.query_one(selector, RichLog).write(Text.assemble((f"{where}: ", "cyan"), self.plain(text)))

    def _diagnosed(self, d: Diagnosis) -> None:
        self.busy = False
        self.diagnosis = d
        found = problems(d, self.contexts, self.editor, set(self.state.skipped))
        self.own = {f.id for f in found.own}
        self.problems = found.ordered
        self.state.index = 0
        if not self.problems:
            self.show("verify")
            self._verify()
            return
        self.show("problems")
        self._show_problem()

    # step 4 ------------------------------------------------------------------------------
    def _show_problem(self) -> None:
        d = self.diagnosis
        if d is None:
            return
        if self.state.index >= len(self.problems):
            self.show("verify")
            self._verify()
            return
        f = self.problems[self.state.index]
        t = Text()
        mine = f.id in self.own
        n_own = sum(1 for p in self.problems if p.id in self.own)
        if mine:
            t.append(f"Problem {self.state.index + 1} of {n_own} that keep {EDITOR_NAME.get(self.editor, 'the editor')} "
                     "from working\n\n", "dim")
        else:
            t.append(f"Also worth fixing ({self.state.index - n_own + 1} of {len(self.problems) - n_own}): "
                     f"not in {self.editor_words}, but elsewhere you start Go tools\n\n", "dim")
        t.append_text(Text.assemble((SEVERITY_MARK[f.severity], present.severity_style(f.severity)), " ",
                                    (self.plain(f.title), "bold")))
        t.append("\n\n" + self.plain(redactor_for(d.facts).text(f.detail)) + "\n")
        if f.chain:
            t.append("\nWhy we think so\n", "bold underline")
            for line in f.chain:
                t.append(f" → {self.plain(line)}\n")
        plans = d.plans.get(f.id, [])
        if plans:
            t.append("\nThe fix\n", "bold underline")
            t.append(plans[0].fix.title + "\n", "bold")
            t.append_text(diff_text(plans[0].fix.preview))
        else:
            t.append("\nNo automatic fix for this one: the explanation above says what to change by hand. "
                     "s skips it (the end screen lists it again).\n", "italic")
        self.query_one("#wiz-problem", Static).update(t)
        self.query_one("#wiz-problem-scroll", VerticalScroll).scroll_home(animate=False)
        if not self.keep_verdict:
            self.query_one("#wiz-verdict", Static).update("")
        self.keep_verdict = False
        self.query_one("#wiz-log", RichLog).display = False
        apply = self.query_one("#wiz-apply", Button)
        apply.display = bool(plans)  # never offer "Apply fix" where there is none
        apply.focus() if plans else self.query_one("#wiz-skip", Button).focus()
        self.state.save(self.host, self.opts.home)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"wiz-apply": self.action_apply, "wiz-skip": self.action_skip, "wiz-back": self.action_step_back}.get(
            event.button.id or "", lambda: None)()

    def action_apply(self) -> None:
        if self.busy or self.current != "problems" or self.diagnosis is None:
            return
        f = self.problems[self.state.index]
        plans = self.diagnosis.plans.get(f.id, [])
        if not plans:
            return
        self.busy = True
        self.query_one("#wiz-verdict", Static).update(Text(
            f"⟳ applying “{plans[0].fix.title}”, then tracing your shells again and running go build, gopls and dlv "
            f"in {self.editor_words} (with an empty Go build cache this takes a minute; their output below)…",
            "italic yellow"))
        log = self.query_one("#wiz-log", RichLog)
        log.clear()
        log.display = True
        self._apply(self.diagnosis, plans[0])

    @work(thread=True, exclusive=True, group="wizard")
    def _apply(self, d: Diagnosis, plan: PlannedFix) -> None:
        self.call_from_thread(self._write_log, "#wiz-log", "fix", "trial on a private copy, then applying and tracing again")
        out = attempt_fix(self.host, self.opts, self.workspace, d, plan)
        self.call_from_thread(self._write_log, "#wiz-log", "fix", out.verdict)
        if out.after is not None and not out.after.facts.probes_ran:
            # The re-check does not probe: without this, gopls / dlv problems the fix left would
            # drop out of the list of problems still to go through.
            out.after = self._probed(out.after)
        self.call_from_thread(self._applied, out)

    def _applied(self, out: Outcome) -> None:
        self.busy = False
        self.last_outcome = out
        verdict = present.outcome_text(out)
        if out.entry is not None and out.applied:
            self.state.applied.append(out.entry.id)
            self.state.titles.append(out.entry.title)
        if out.after is not None:
            # Re-plan the remaining problems against the changed files, and say why their number
            # changed: a fix clears its symptoms too, and can let a later step run and show more.
            before = self.problems[self.state.index + 1:]
            done = {p.id for p in self.problems[: self.state.index + 1]}
            self.diagnosis = out.after
            found = problems(out.after, self.contexts, self.editor, set(self.state.skipped) | done)
            self.own |= {f.id for f in found.own}
            self.problems = self.problems[: self.state.index + 1] + found.ordered
            change = count_change(before, found.ordered, self.problems[self.state.index].id)
            if change.cleared or change.new:
                verdict.append("\n" + self.plain(change.sentence()), "")
        self.query_one("#wiz-verdict", Static).update(verdict)
        self.keep_verdict = True
        self.state.index += 1
        self.state.save(self.host, self.opts.home)
        self.set_timer(1.5 if not self.stable else 0.01, self._show_problem)

    def action_skip(self) -> None:
        if self.busy or self.current != "problems":
            return
        self.state.skipped.append(self.problems[self.state.index].id)
        self.state.index += 1
        self._show_problem()

    # step 5 & 6 --------------------------------------------------------------------------
    def _verify(self) -> None:
        self.query_one("#wiz-verify", Static).update(Text(
            f"⟳ tracing your shells again, then running go build, gopls (an LSP handshake) and dlv (a debug "
            f"session) in {self.editor_words}. Their output, as it comes:", "italic yellow"))
        log = self.query_one("#wiz-verify-log", RichLog)
        log.clear()
        log.display = True
        self.busy = True
        self._run_verify()

    @work(thread=True, exclusive=True, group="wizard")
    def _run_verify(self) -> None:
        d = diagnose(self.host, self.opts, self.workspace, today="2026-01-01" if self.stable else None)
        probed = self._probed(d, "#wiz-verify-log")
        self.call_from_thread(self._verified, probed)

    def _verified(self, d: Diagnosis) -> None:
        self.busy = False
        self.diagnosis = d
        self.verification = list(d.facts.probes)
        t = Text()
        t.append(f"Checked in {self.editor_words}:\n\n", "bold")
        for tool, what, ok in verification_lines(self.verification, self.contexts):
            t.append(" ✓ " if ok else " ✗ ", "green" if ok else "red")
            t.append({"go": "go build", "gopls": "gopls", "dlv": "dlv debug"}.get(tool, tool), "bold")
            t.append(f"  {self.plain(what)}\n", "" if ok else "red")
        t.append("\nctrl+n: summary", "dim")
        self.query_one("#wiz-verify", Static).update(t)
        # The output was for while it ran; the results above now say what it found.
        self.query_one("#wiz-verify-log", RichLog).display = False
        self.state.save(self.host, self.opts.home)

    def _summary(self) -> None:
        t = Text()
        editor = EDITOR_NAME.get(self.editor, "your editor")
        blockers = still_blocking(self.diagnosis, self.verification, self.contexts, self.editor, self.state.skipped)
        lines = verification_lines(self.verification, self.contexts)
        passed = sum(1 for _, _, ok in lines if ok)
        if blockers:
            t.append(f"Not done yet: {editor} is still blocked.\n\n", "bold red")
            t.append("What still blocks it\n", "bold underline")
            for b in blockers:
                t.append(" ✗ ", "red")
                t.append(self.plain(b.text) + "\n")
            by_hand = [b for b in blockers if b.by_hand]
            if by_hand:
                t.append("\nWhat you must do by hand\n", "bold underline")
                for b in by_hand:
                    todo = b.todo or ("its explanation (in `goenv-tui`, with the file and line) says what to change")
                    t.append(f" • {self.plain(b.text)}\n   {self.plain(todo)}\n")
        else:
            t.append(f"{editor} should work now: go build, gopls and dlv pass in {self.editor_words} "
                     f"({passed} of {len(lines)} checks).\n", "bold green")
        t.append("\n")
        if self.state.applied:
            t.append("What changed (each with a backup), and how to undo it\n", "bold underline")
            for eid, title in zip(self.state.applied, self.state.titles, strict=False):
                shown = "<entry>" if self.stable else eid  # entry ids carry the time of day
                t.append(f" • {title}\n   undo: goenv-tui undo {shown}\n")
            t.append("   (goenv-tui undo with no id undoes the last one)\n", "dim")
        else:
            t.append("Nothing was changed.\n")
        if self.state.skipped:
            t.append(f"\nSkipped: {len(self.state.skipped)} problem(s); `goenv-tui` shows them all.\n", "dim")
        t.append(f"\nRestart {editor} (or reload its window) so it reads the new environment. q quits.", "bold")
        self.query_one("#wiz-summary", Static).update(t)
        self.show("summary")
        self.state.save(self.host, self.opts.home)

    async def action_next(self) -> None:
        if self.busy:
            return
        step = self.current
        if step == "editor":
            lst = self.query_one("#wiz-editor", OptionList)
            if lst.highlighted is not None:
                lst.action_select()
        elif step == "workspace":
            # Input.action_submit is a coroutine: not awaited, ctrl+n here did nothing.
            await self.query_one("#wiz-workspace", Input).action_submit()
        elif step == "problems":
            self.action_skip()
        elif step == "verify":
            self._summary()

    def action_step_back(self) -> None:
        """One step back (named apart from App.action_back, an async action Textual itself uses)."""
        if self.busy:
            return
        step = self.current
        if step == "workspace":
            self.show("editor")
        elif step == "problems" and self.state.index > 0:
            self.state.index -= 1
            self._show_problem()
        elif step in ("problems", "diagnose"):
            self.show("workspace")
        elif step == "verify":
            self.show("problems") if self.problems else self.show("workspace")
            self._show_problem()
        elif step == "summary":
            self.show("verify")


def run_wizard(opts: TraceOptions, workspace: str | None = None) -> int:
    WizardApp(opts, workspace).run()
    return 0

