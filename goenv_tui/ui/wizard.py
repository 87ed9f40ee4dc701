"""`goenv-tui wizard`: for someone who just wants Go working in their editor.

Which editor and how it is started → which workspace → a diagnosis of the contexts that editor
really uses (probes included) → each problem in plain words with its evidence and its fix
(apply or skip) → verification (go build, gopls, dlv in that context) → a summary of what changed
and how to undo it. Back/next with the keyboard alone; the progress is saved after every step, so
quitting and starting again resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import asdict, dataclass, field

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from goenv_tui.diagnose import Diagnosis, diagnose
from goenv_tui.display import tilde
from goenv_tui.fixes.engine import Outcome, attempt_fix
from goenv_tui.fixes.journal import state_dir
from goenv_tui.host import Host, HostError, LocalHost
from goenv_tui.host.process import resume, stop_all
from goenv_tui.model import Finding, Severity
from goenv_tui.probes import ProbeResult
from goenv_tui.probes.runner import run_probes
from goenv_tui.redact import redactor_for
from goenv_tui.shells.tracer import TraceOptions
from goenv_tui.ui import no_color, present
from goenv_tui.ui.screens.fix import diff_text

STEPS = ("editor", "workspace", "diagnose", "problems", "verify", "summary")
EDITORS = [
    ("vscode-gui", "VS Code, opened from the Dock, the app menu or a launcher"),
    ("vscode-terminal", "VS Code's integrated terminal"),
    ("remote-ssh", "VS Code Remote-SSH (this machine is the remote)"),
    ("terminal", "A terminal window (GNOME Terminal, iTerm2, Terminal.app, tmux)"),
    ("ssh-cmd", "Commands over `ssh host cmd` (scripts, CI)"),
]


def contexts_for(editor: str, login_shell: str | None, os_name: str) -> list[str]:
    """The launch contexts a way of starting the editor really uses (see shells/contexts.py)."""
    shell = (login_shell or "bash").rsplit("/", 1)[-1]
    shell = shell if shell in ("bash", "zsh") else "bash"
    mac = os_name == "darwin"
    interactive = f"{shell}-login-interactive" if mac else f"{shell}-nologin-interactive"
    sshd = f"{shell}-sshd-command"
    return {
        "vscode-gui": [f"{shell}-login-interactive"],
        "vscode-terminal": [interactive],
        "terminal": [interactive],
        "remote-ssh": [sshd, f"{shell}-login-interactive"],
        "ssh-cmd": [sshd],
    }.get(editor, [interactive])


@dataclass
class WizardState:
    step: str = "editor"
    editor: str | None = None
    workspace: str | None = None
    index: int = 0
    applied: list[str] = field(default_factory=list)  # journal entry ids
    titles: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # finding ids

    @staticmethod
    def path(home: str) -> str:
        return posixpath.join(state_dir(home), "wizard.json")

    def save(self, host: Host, home: str) -> None:
        host.makedirs(state_dir(home))
        host.write_atomic(self.path(home), json.dumps(asdict(self), indent=1).encode(), mode=0o600)

    @classmethod
    def load(cls, host: Host, home: str) -> WizardState | None:
        try:
            data = json.loads(host.read_text(cls.path(home)))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (HostError, ValueError, TypeError):
            return None


def relevant(d: Diagnosis, contexts: list[str], editor: str) -> list[Finding]:
    """Problems that break this editor: errors and warnings in its contexts, plus global ones;
    those with a fix first (fixing a cause often clears its symptoms), then worst first."""
    out = []
    for f in d.findings:
        if f.severity is Severity.INFO:
            continue
        if (set(f.contexts) & set(contexts) or not f.contexts
                or (f.check.startswith("GOENV-VSCODE") and editor.startswith(("vscode", "remote")))):
            out.append(f)
    out.sort(key=lambda f: (0 if d.plans.get(f.id) else 1, f.severity.rank))
    return out


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
                with Horizontal(classes="wiz-buttons"):
                    yield Button("Apply fix (a)", id="wiz-apply", variant="primary")
                    yield Button("Skip (s)", id="wiz-skip")
                    yield Button("Back (ctrl+b)", id="wiz-back")
            with Vertical(id="verify", classes="wiz-step"):
                yield Static(id="wiz-verify")
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

    def on_key(self, event) -> None:
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
        box.update(Text.assemble(("Looking at how ", ""), (", ".join(self.contexts), "bold"),
                                 (" start your shell, then running go build, gopls and dlv there…", "")))
        self.busy = True
        self._run_diagnosis()

    @work(thread=True, exclusive=True, group="wizard")
    def _run_diagnosis(self) -> None:
        d = diagnose(self.host, self.opts, self.workspace, today="2026-01-01" if self.stable else None)
        self.call_from_thread(self._diagnosed, self._probed(d))

    def _probed(self, d: Diagnosis) -> Diagnosis:
        """`d` with go build, gopls and dlv probed live in the contexts the editor uses (in a worker)."""
        return d.with_probes(run_probes(self.host, d.facts, self.workspace, contexts=set(self.contexts)), self.host)

    def _diagnosed(self, d: Diagnosis) -> None:
        self.busy = False
        self.diagnosis = d
        self.problems = [f for f in relevant(d, self.contexts, self.state.editor or "")
                         if f.id not in self.state.skipped]
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
        t.append(f"Problem {self.state.index + 1} of {len(self.problems)}\n\n", "dim")
        t.append_text(present.finding_label(f))
        t.append("\n\n" + redactor_for(d.facts).text(f.detail) + "\n")
        if f.chain:
            t.append("\nWhy we think so\n", "bold underline")
            for line in f.chain:
                t.append(f" → {line}\n")
        plans = d.plans.get(f.id, [])
        if plans:
            t.append("\nThe fix\n", "bold underline")
            t.append(plans[0].fix.title + "\n", "bold")
            t.append_text(diff_text(plans[0].fix.preview))
        else:
            t.append("\nThere is no automatic fix for this one: the explanation above says what to change. "
                     "Skip it to continue.\n", "italic")
        self.query_one("#wiz-problem", Static).update(t)
        self.query_one("#wiz-problem-scroll", VerticalScroll).scroll_home(animate=False)
        self.query_one("#wiz-verdict", Static).update("")
        self.query_one("#wiz-apply", Button).disabled = not plans
        self.query_one("#wiz-apply", Button).focus() if plans else self.query_one("#wiz-skip", Button).focus()
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
        self.query_one("#wiz-verdict", Static).update(Text("⟳ applying and checking again…", "italic yellow"))
        self._apply(self.diagnosis, plans[0])

    @work(thread=True, exclusive=True, group="wizard")
    def _apply(self, d: Diagnosis, plan) -> None:
        out = attempt_fix(self.host, self.opts, self.workspace, d, plan)
        if out.after is not None and not out.after.facts.probes_ran:
            # The re-check does not probe: without this, gopls / dlv problems the fix left would
            # drop out of the list of problems still to go through.
            out.after = self._probed(out.after)
        self.call_from_thread(self._applied, out)

    def _applied(self, out: Outcome) -> None:
        self.busy = False
        self.last_outcome = out
        self.query_one("#wiz-verdict", Static).update(present.outcome_text(out))
        if out.entry is not None and out.applied:
            self.state.applied.append(out.entry.id)
            self.state.titles.append(out.entry.title)
        if out.after is not None:
            # Re-plan the remaining problems against the changed files.
            self.diagnosis = out.after
            done = {p.id for p in self.problems[: self.state.index + 1]}
            self.problems = self.problems[: self.state.index + 1] + [
                f for f in relevant(out.after, self.contexts, self.state.editor or "")
                if f.id not in done and f.id not in self.state.skipped]
        self.state.index += 1
        self.state.save(self.host, self.opts.home)
        self.set_timer(0.8 if not self.stable else 0.01, self._show_problem)

    def action_skip(self) -> None:
        if self.busy or self.current != "problems":
            return
        self.state.skipped.append(self.problems[self.state.index].id)
        self.state.index += 1
        self._show_problem()

    # step 5 & 6 --------------------------------------------------------------------------
    def _verify(self) -> None:
        self.query_one("#wiz-verify", Static).update(Text("⟳ checking that go build, gopls and dlv work in "
                                                          f"{', '.join(self.contexts)}…", "italic yellow"))
        self.busy = True
        self._run_verify()

    @work(thread=True, exclusive=True, group="wizard")
    def _run_verify(self) -> None:
        d = diagnose(self.host, self.opts, self.workspace, today="2026-01-01" if self.stable else None)
        probes = run_probes(self.host, d.facts, self.workspace, contexts=set(self.contexts))
        self.call_from_thread(self._verified, probes)

    def _verified(self, probes: list[ProbeResult]) -> None:
        self.busy = False
        self.verification = probes
        t = Text()
        t.append("Checked in the environment your editor uses:\n\n", "bold")
        for p in probes:
            mark, style = {"ok": ("✓", "green"), "skipped": ("–", "dim")}.get(p.status, ("✗", "red"))
            t.append(f" {mark} ", style)
            t.append({"go": "go build", "gopls": "gopls", "dlv": "dlv debug"}.get(p.tool, p.tool), "bold")
            t.append(f"  {p.detail or p.classification or p.status}\n", "" if p.status == "ok" else style)
        if not probes:
            t.append(" nothing to check: no go in these contexts\n", "red")
        t.append("\nctrl+n: summary", "dim")
        self.query_one("#wiz-verify", Static).update(t)
        self.state.save(self.host, self.opts.home)

    def _summary(self) -> None:
        t = Text()
        ok = [p for p in self.verification if p.status == "ok"]
        t.append("Done.\n\n", "bold")
        if self.verification:
            t.append(f"{len(ok)} of {len(self.verification)} checks pass in {', '.join(self.contexts)}.\n\n",
                     "green" if len(ok) == len(self.verification) else "yellow")
        if self.state.applied:
            t.append("What changed (each with a backup):\n", "bold underline")
            for eid, title in zip(self.state.applied, self.state.titles, strict=False):
                shown = "<entry>" if self.stable else eid  # entry ids carry the time of day
                t.append(f" • {title}\n   undo: goenv-tui undo {shown}\n")
        else:
            t.append("Nothing was changed.\n")
        if self.state.skipped:
            t.append(f"\nSkipped: {len(self.state.skipped)} problem(s); `goenv-tui` shows them all.\n", "dim")
        t.append("\nRestart your editor (or reload its window) so it reads the new environment. q quits.", "bold")
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

