"""The full-screen app: a thin layer over the diagnosis.

The diagnosis runs in a thread worker; it posts a message per traced context and per stage, so
the first screen paints at once and fills in as results arrive. Nothing here decides what is
wrong: the views only show the Diagnosis (facts, graph, findings) the core produced.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane

from goenv_tui.display import tilde
from goenv_tui.host import Host, LocalHost
from goenv_tui.host.process import resume, stop_all
from goenv_tui.model import ContextTrace, Finding
from goenv_tui.shells.contexts import all_specs, is_primary
from goenv_tui.ui import no_color, present
from goenv_tui.ui.commands import GraphNodes
from goenv_tui.ui.messages import (
    ContextTraced,
    DiagnosisFailed,
    DiagnosisReady,
    Navigate,
    ProbeLine,
    ProbesDone,
    StageChanged,
)
from goenv_tui.ui.screens.help import HelpScreen
from goenv_tui.ui.widgets.findings import FindingsView
from goenv_tui.ui.widgets.init_chain import InitChainView
from goenv_tui.ui.widgets.probes import ProbesView
from goenv_tui.ui.widgets.resolution import ResolutionView
from goenv_tui.ui.widgets.variables import VariablesView

if TYPE_CHECKING:
    from goenv_tui.diagnose import Diagnosis
    from goenv_tui.fixes.engine import Outcome
    from goenv_tui.model import ProbeResult
    from goenv_tui.shells.tracer import TraceOptions

TABS = ("findings", "chain", "variables", "resolution", "probes")
# The widget each view opens with focused: its main list, so ↑ ↓ work at once. A new view adds
# its tab id and main widget here.
MAIN_WIDGET = {
    "findings": "#finding-list",
    "chain": "#chain-files",
    "variables": "#var-table",
    "resolution": "#res-tools",
    "probes": "#probe-log",
}
# The app's own keys work from everywhere on the main screen (priority bindings), even when focus is
# in a view's widget; in a dialog, the palette or an open drop-down they do not (see check_action).
GLOBAL_ACTIONS = frozenset({"tab", "fix", "fix_safe", "history", "rerun", "edit", "help", "quit",
                            "cancel_probes", "toggle_theme", "graph"})
# On the node browser every global key works but q, which closes the browser there.
BROWSER_ACTIONS = GLOBAL_ACTIONS - {"quit"}


class GoenvApp(App[int]):
    """goenv-tui: findings, the init chain, variables and binary resolution."""

    CSS_PATH = "app.tcss"
    TITLE = "goenv-tui"
    # The list of findings, not the tab bar: ↓ at start moves to the next finding.
    AUTO_FOCUS = "#finding-list"
    COMMANDS = App.COMMANDS | {GraphNodes}
    # The view keys stay out of the footer: the tab bar shows them ("1 Findings" …), and at 80
    # columns they pushed Fix, Re-run, Edit, Help and Quit off it. `?` lists every key.
    BINDINGS = [
        Binding("1", "tab('findings')", "Findings", show=False, priority=True),
        Binding("2", "tab('chain')", "Init chain", show=False, priority=True),
        Binding("3", "tab('variables')", "Variables", show=False, priority=True),
        Binding("4", "tab('resolution')", "Resolution", show=False, priority=True),
        Binding("5", "tab('probes')", "Probes", show=False, priority=True),
        Binding("x", "cancel_probes", "Cancel probes", show=False, priority=True),
        Binding("g", "graph", "Graph", show=False, priority=True),
        Binding("f", "fix", "Fix", priority=True),
        Binding("F", "fix_safe", "Fix safe ones", show=False, priority=True),
        Binding("u", "history", "Undo", show=False, priority=True),
        Binding("r", "rerun", "Re-run", priority=True),
        Binding("e", "edit", "Edit", priority=True),
        Binding("question_mark", "help", "Help", priority=True),
        Binding("q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True),
        Binding("escape", "escape", "Back to the list", show=False),
    ]

    def __init__(self, opts: TraceOptions, workspace: str | None = None, host: Host | None = None,
                 stable: bool = False, probes: bool = True) -> None:
        super().__init__()
        no_color.install(self)
        present.use_colour(not self.no_color)
        self.probes_enabled = probes
        self.probe_cancel = threading.Event()
        self.probing = False
        self.opts = opts
        self.workspace = workspace
        self.host = host or LocalHost()
        self.stable = stable  # no clocks on screen (snapshot tests, screenshots)
        self.diagnosis: Diagnosis | None = None
        self.traces: list[ContextTrace] = []
        self.run_id = 0
        self.stage = "starting"
        self.started = time.monotonic()
        self.first_paint: float | None = None
        self.ready_at: float | None = None  # how long the last diagnosis took (the status line says)
        self.diagnosis_started = self.started
        self.total_contexts = len(all_specs(opts.shells))

    # layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with TabbedContent(initial="findings"):
            with TabPane("1 Findings", id="findings"):
                yield FindingsView(id="findings-view")
            with TabPane("2 Init chain", id="chain"):
                yield InitChainView(id="chain-view")
            with TabPane("3 Variables", id="variables"):
                yield VariablesView(id="variables-view")
            with TabPane("4 Resolution", id="resolution"):
                yield ResolutionView(id="resolution-view")
            with TabPane("5 Probes", id="probes"):
                yield ProbesView(id="probes-view")
        yield Footer()

    async def action_quit(self) -> None:
        """Quit at once: whatever is being traced or probed is killed, not waited for."""
        stop_all()
        self.exit()

    def on_mount(self) -> None:
        no_color.fit_colours(self)
        resume()  # children may run again (an earlier app in this process may have quit)
        self.query_one(InitChainView).set_home(self.opts.home)
        self._update_status()
        self.query_one(FindingsView).show_progress([], "starting", self.total_contexts)
        # Paint the frame first, then start the diagnosis: its worker imports the core, and a
        # thread importing holds the interpreter the first frame needs.
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        if self.first_paint is None:
            self.first_paint = time.monotonic() - self.started
            self.start_diagnosis()

    # the worker --------------------------------------------------------------------------
    def start_diagnosis(self) -> None:
        self.probe_cancel.set()
        self.probe_cancel = threading.Event()
        self.probing = False
        self.run_id += 1
        self.diagnosis_started = time.monotonic()
        self.query_one(ProbesView).reset(self.probes_enabled)
        self.traces = []
        self.diagnosis = None
        self.stage = "tracing shells"
        self.query_one(FindingsView).show_progress([], self.stage, self.total_contexts)
        self._update_status()
        self._diagnose(self.run_id)

    @work(thread=True, exclusive=True, group="diagnose")
    def _diagnose(self, run: int) -> None:
        # Imported here, in the worker: the core (networkx, the checks, the tracer) takes longer
        # to import than the frame takes to paint, and the frame comes first.
        from goenv_tui.diagnose import diagnose

        def on_context(t: ContextTrace) -> None:
            self.post_message(ContextTraced(run, t))

        def on_stage(s: str) -> None:
            self.post_message(StageChanged(run, s))

        try:
            d = diagnose(
                self.host, self.opts, self.workspace, on_context=on_context, on_stage=on_stage,
                today="2026-01-01" if self.stable else None,  # fix previews carry a date
            )
        except Exception as exc:  # shown, never swallowed
            self.post_message(DiagnosisFailed(run, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(DiagnosisReady(run, d))

    def on_context_traced(self, message: ContextTraced) -> None:
        if message.run != self.run_id:
            return
        self.traces.append(message.trace)
        self.query_one(FindingsView).show_progress(self.traces, self.stage, self.total_contexts)
        login_shell = self.opts.login_shell or self.host.login_shell()
        self.query_one(InitChainView).add_trace(message.trace, is_primary(message.trace.spec, self.host.os_name(), login_shell))
        self._update_status()

    def on_stage_changed(self, message: StageChanged) -> None:
        if message.run != self.run_id:
            return
        self.stage = message.stage
        self.query_one(FindingsView).show_progress(self.traces, self.stage, self.total_contexts)
        self._update_status()

    def on_diagnosis_ready(self, message: DiagnosisReady) -> None:
        if message.run != self.run_id:
            return
        d = message.diagnosis
        self.diagnosis = d
        self.stage = "done"
        self.query_one(FindingsView).show(d)
        self.query_one(InitChainView).set_diagnosis(d)
        self.query_one(VariablesView).set_diagnosis(d)
        self.query_one(ResolutionView).set_diagnosis(d)
        self.ready_at = time.monotonic() - self.diagnosis_started
        self._update_status()
        self._start_probes(d)

    def _start_probes(self, d: Diagnosis) -> None:
        """Probe `d`'s contexts in a worker; results from an earlier run are dropped when they come."""
        if not self.probes_enabled:
            return
        self.probe_cancel.set()
        self.probe_cancel = threading.Event()
        self.run_id += 1
        self.probing = True
        self.query_one(ProbesView).reset(True)
        self.query_one(ProbesView).running()
        self._update_status()
        self._probe(self.run_id, d, self.probe_cancel)

    @work(thread=True, exclusive=True, group="probes")
    def _probe(self, run: int, d: Diagnosis, cancel: threading.Event) -> None:
        """Probe `d`'s contexts and derive its findings with the results (off the UI thread: that
        re-plans fixes, which reads files through the host)."""
        from goenv_tui.probes.runner import run_probes

        def on_line(label: str, text: str) -> None:
            self.post_message(ProbeLine(run, label, text))

        results: list[ProbeResult] = []
        probed = None
        try:
            results = run_probes(self.host, d.facts, self.workspace, on_line=on_line, cancel=cancel)
            probed = d.with_probes(results, self.host)
        except Exception as exc:
            self.post_message(ProbeLine(run, "probes", f"failed: {exc!r}"))
        self.post_message(ProbesDone(run, results, probed))

    def on_probe_line(self, message: ProbeLine) -> None:
        if message.run == self.run_id:
            self.query_one(ProbesView).line(message.label, message.text)

    def on_probes_done(self, message: ProbesDone) -> None:
        if message.run != self.run_id or self.diagnosis is None:
            return  # a re-run or a fix started newer probes
        self.probing = False
        self.query_one(ProbesView).done(message.results)
        if message.probed is not None:
            self.diagnosis = message.probed
            self.query_one(FindingsView).show(self.diagnosis)
        self._update_status()

    def action_cancel_probes(self) -> None:
        if self.probing:
            self.probe_cancel.set()
            self.notify("Cancelling the probes…", timeout=2)

    def on_diagnosis_failed(self, message: DiagnosisFailed) -> None:
        if message.run != self.run_id:
            return
        self.stage = "failed"
        self.query_one("#status", Static).update(Text(f"Diagnosis failed: {message.error}", "bold red"))
        self.notify(message.error, title="Diagnosis failed", severity="error", timeout=30)

    def on_resize(self) -> None:
        self._update_status()

    def _update_status(self) -> None:
        """The status line, fitted to the width: at 80 columns it was cut mid-word ("9/9 ok  in").
        What goes first when it does not fit: the timing, the full home path, "9/9 ok" (when all
        are ok), the words after the counts, then the program's name."""
        width = max(20, self.size.width - 2)
        for level in range(6):
            t = self._status_text(level)
            if t.cell_len <= width:
                break
        self.query_one("#status", Static).update(t)

    def _status_text(self, level: int) -> Text:
        full_home = tilde(self.host.home(), self.opts.home)
        home = self.opts.home.rstrip("/").rsplit("/", 1)[-1] if self.stable or level >= 2 else full_home
        shell = (self.opts.login_shell or self.host.login_shell() or "?").rsplit("/", 1)[-1]
        t = Text()
        if level < 5:
            t.append("goenv-tui ", "bold")
        if self.host.remote:
            t.append(f"{self.host.name}:", "bold cyan")
        elif not self.stable and (os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT")):
            t.append("[over ssh] ", "cyan")
        t.append(f"{home} ({shell}) ", "dim")
        if self.diagnosis is not None:
            t.append_text(present.counts_line(self.diagnosis, compact=level >= 4))
            contexts = self.diagnosis.facts.contexts
            all_ok = all(c.status.value == "ok" for c in contexts)
            if level < 3 or not all_ok:
                t.append(present.status_counts(contexts), "dim" if all_ok else "bold")
            if not self.stable and self.ready_at is not None and level < 1:
                t.append(f"  in {self.ready_at:.1f}s", "dim")
            if self.probing:
                t.append("  ⟳ probing", "italic yellow")
        elif self.stage != "failed":
            t.append(f"⟳ {self.stage} ({len(self.traces)}/{self.total_contexts} contexts)", "italic yellow")
        t.no_wrap = True
        t.overflow = "ellipsis"
        return t

    # actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The global keys are priority bindings so that no widget inside a view swallows them; they
        stand back where a key means something else: a dialog or the palette on top (its own keys,
        its input). An open drop-down or an input keeps its typed characters without help: Textual
        leaves out the bindings of keys a focused widget consumes."""
        if action not in GLOBAL_ACTIONS or len(self.screen_stack) == 1:
            return True
        # The node browser is a full screen of the app (a view's key leaves it for that view).
        return self._on_browser() and action in BROWSER_ACTIONS

    def _on_browser(self) -> bool:
        """Is the node browser on top? Without importing it (and networkx) before the first paint:
        not yet imported means not open."""
        browser = sys.modules.get("goenv_tui.ui.screens.graph_browser")
        return browser is not None and isinstance(self.screen, browser.GraphBrowser)

    def action_tab(self, tab: str) -> None:
        if self._on_browser():
            # A view's key leaves the node browser for that view.
            self.call_later(self._leave_browser, tab)
            return
        self.query_one(TabbedContent).active = tab
        self.focus_view(tab)

    def focus_view(self, tab: str) -> None:
        """Focus the view's main list. Focusing it also keeps the tab: TabbedContent activates the
        pane of whatever gets focus, and a widget left focused in the pane just hidden would pull
        the old view back."""
        selector = MAIN_WIDGET.get(tab)
        if selector:
            self.query_one(selector).focus(scroll_visible=False)

    def action_escape(self) -> None:
        """Escape: back to the view's main list; from there, back to the findings."""
        tab = self.query_one(TabbedContent).active
        main = MAIN_WIDGET.get(tab)
        if main and self.focused is not self.query_one(main):
            self.focus_view(tab)
        else:
            self.action_tab("findings")

    async def _leave_browser(self, tab: str) -> None:
        await self.pop_screen()
        # The focus is back where it was before the browser (which shows that widget's tab):
        # switch now, and focus the view's first widget so that it stays.
        self.query_one(TabbedContent).active = tab
        self.focus_view(tab)

    def action_rerun(self) -> None:
        self.notify("Running the diagnosis again…", timeout=2)
        self.start_diagnosis()

    def _highlighted_finding(self) -> Finding | None:
        d = self.diagnosis
        if d is None:
            return None
        option = self.query_one("#finding-list", OptionList).highlighted_option
        return next((x for x in d.findings if option and x.id == option.id), None)

    def action_fix(self) -> None:
        if self.diagnosis is None:
            self.notify("Wait for the diagnosis to finish.", timeout=3)
            return
        self.action_tab("findings")
        f = self._highlighted_finding()
        plans = self.diagnosis.plans.get(f.id, []) if f else []
        if f is None or not plans:
            self.notify("No automatic fix for this finding; its detail says what to change.", timeout=4)
            return
        from goenv_tui.ui.screens.fix import FixDialog

        self.push_screen(FixDialog(f, plans), self._after_fix)

    def _after_fix(self, outcome: Outcome | None) -> None:
        if outcome is not None and outcome.after is not None:
            self._show_diagnosis(outcome.after)

    def action_fix_safe(self) -> None:
        if self.diagnosis is not None:
            from goenv_tui.ui.screens.safe_fixes import SafeFixesScreen

            self.push_screen(SafeFixesScreen(self.diagnosis), self._after_safe_fixes)

    def _after_safe_fixes(self, d: Diagnosis | None) -> None:
        if d is not None:
            self._show_diagnosis(d)

    def action_history(self) -> None:
        from goenv_tui.ui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(), self._after_history)

    def _after_history(self, changed: bool | None) -> None:
        if changed:
            self.start_diagnosis()

    def _show_diagnosis(self, d: Diagnosis) -> None:
        """Show a fix's re-check, then probe again: the re-check traces and resolves but does not
        probe, and gopls / dlv / go build results from before the fix no longer hold."""
        self.diagnosis = d
        self.query_one(FindingsView).show(d)
        self.query_one(InitChainView).set_diagnosis(d)
        self.query_one(VariablesView).set_diagnosis(d)
        self.query_one(ResolutionView).set_diagnosis(d)
        self._update_status()
        if not d.facts.probes_ran:
            self._start_probes(d)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # the node browser ------------------------------------------------------------------------
    def graph_start(self) -> str | None:
        """The node the active view is about: the ⇢ row or finding highlighted, the variable or
        file shown, the binary a context runs."""
        d = self.diagnosis
        if d is None:
            return None
        from goenv_tui.graph import ctx_node, file_node, var_node

        tab = self.query_one(TabbedContent).active
        candidates: list[str | None] = []
        if tab == "findings":
            links = self.query_one("#finding-links", OptionList)
            findings = self.query_one(FindingsView)
            if links.has_focus and links.highlighted is not None and links.highlighted < len(findings._links):
                candidates.append(findings._links[links.highlighted].node)
            f = self._highlighted_finding()
            if f is not None:
                candidates.append(f"finding:{f.id}")
        elif tab == "variables":
            variables = self.query_one(VariablesView)
            if variables.context:
                candidates.append(var_node(variables.context, variables.variable))
        elif tab == "chain":
            chain = self.query_one(InitChainView)
            if chain.path:
                candidates.append(file_node(chain.path))
            if chain.context:
                candidates.append(ctx_node(chain.context))
        elif tab == "resolution":
            resolution = self.query_one(ResolutionView)
            cid, tool = resolution.context, resolution.tool
            if cid and tool:
                why = d.graph.why_runs(cid, tool)
                candidates.append(f"bin:{why.binary}" if why.binary else None)
            if cid:
                candidates.append(ctx_node(cid))
        candidates.extend(ctx_node(c) for c in d.graph.g.graph["contexts"])
        return next((c for c in candidates if c and c in d.graph.g), None)

    def action_graph(self) -> None:
        start = self.graph_start()
        if start is None:
            self.notify("Wait for the diagnosis to finish.", timeout=3)
            return
        self.open_graph(start)

    def open_graph(self, node: str) -> None:
        """Show `node` in the node browser (opening it, or walking on in the open one)."""
        d = self.diagnosis
        if d is None or node not in d.graph.g:
            return
        from goenv_tui.ui.screens.graph_browser import GraphBrowser

        if isinstance(self.screen, GraphBrowser) and self.screen.graph is d.graph:
            self.screen.open_node(node)
            return
        self.push_screen(GraphBrowser(d.graph, d.facts.home, node))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def current_location(self) -> tuple[str | None, int | None]:
        """The file:line the active view shows, for `e`."""
        tab = self.query_one(TabbedContent).active
        d = self.diagnosis
        if tab == "chain":
            chain = self.query_one(InitChainView)
            line = None
            if d and chain.path and chain.context:
                notes = present.line_notes(d, chain.context, chain.path)
                line = min(notes) if notes else None
            return chain.path, line
        if tab == "findings" and d is not None:
            f = self._highlighted_finding()
            if f and f.locations:
                return f.locations[0].path, f.locations[0].line
        if tab == "variables" and d is not None:
            variables = self.query_one(VariablesView)
            if variables.context:
                last, _ = d.graph.who_set(variables.variable, variables.context)
                if last:
                    return last.assignment.location.path, last.assignment.location.line
        return None, None

    def action_edit(self) -> None:
        path, line = self.current_location()
        if not path:
            self.notify("Nothing to open here: select a file, a finding with a location, or a variable.", timeout=4)
            return
        at = [f"+{line}"] if line else []
        if self.host.remote:
            # The file is on the remote host: open it there, in the remote user's editor, over a tty.
            remote = ["sh", "-c", 'exec ${VISUAL:-${EDITOR:-vi}} "$@"', "editor", *at, path]
            argv = self.host.interactive_argv(remote, None, None, tty=True)[0]
        else:
            editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
            if not editor:
                self.notify(f"Set $EDITOR to open {tilde(self.opts.home, path)}:{line or 1} from here.", timeout=6)
                return
            argv = [*shlex.split(editor), *at, path]
        with self.suspend():
            subprocess.call(argv)
        self.notify("Press r to re-run the diagnosis after editing.", timeout=4)

    def on_navigate(self, message: Navigate) -> None:
        if message.view != "graph":
            self.action_tab(message.view)
        if message.view == "chain" and message.context:
            chain = self.query_one(InitChainView)
            chain.picked = True
            chain.show_context(message.context, message.path, message.line)
            self.query_one("#chain-source-scroll").focus()
        elif message.view == "variables" and message.variable:
            self.query_one(VariablesView).show_variable(message.variable, message.context)
            self.query_one("#var-table").focus()
        elif message.view == "resolution" and message.context:
            self.query_one(ResolutionView).show(message.context, message.tool)
            self.query_one("#res-tools").focus()
        elif message.view == "findings" and message.finding:
            self.query_one(FindingsView).select_finding(message.finding)
        if message.view == "graph" and message.node:
            self.open_graph(message.node)

    # command palette -----------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Show findings", "The overview, worst first", lambda: self.action_tab("findings"))
        yield SystemCommand("Show init chain", "Startup files per context", lambda: self.action_tab("chain"))
        yield SystemCommand("Show variables", "One variable across contexts", lambda: self.action_tab("variables"))
        yield SystemCommand("Show resolution", "Which go/gopls/dlv runs where", lambda: self.action_tab("resolution"))
        yield SystemCommand("Show probes", "gopls, dlv and go build, live", lambda: self.action_tab("probes"))
        yield SystemCommand("Re-run diagnosis", "Trace every context again", self.action_rerun)
        yield SystemCommand("Fix the selected finding", "Preview, apply, verify", self.action_fix)
        yield SystemCommand("Fix all safe ones", "Reversible edits, previewed first", self.action_fix_safe)
        yield SystemCommand("Undo history", "Every fix, with undo", self.action_history)
        d = self.diagnosis
        if d is None:
            return
        for t in d.facts.contexts:
            yield SystemCommand(f"Context: {t.id}", ", ".join(t.used_by[:2]) or t.spec.label,
                                lambda cid=t.id: self.post_message(Navigate("chain", cid)), discover=False)
        for name in present.variables_of(d):
            yield SystemCommand(f"Variable: {name}", "Compare across contexts",
                                lambda n=name: self.post_message(Navigate("variables", variable=n)), discover=False)
        seen: set[str] = set()
        for t in d.facts.contexts:
            for sf in t.files:
                if sf.path in seen or sf.path.startswith(("/dev/", "/proc/")):
                    continue
                seen.add(sf.path)
                yield SystemCommand(f"File: {tilde(d.facts.home, sf.path)}", f"read by {t.id}",
                                    lambda cid=t.id, p=sf.path: self.post_message(Navigate("chain", cid, p)), discover=False)
        for f in d.findings:
            yield SystemCommand(f"Finding: {f.title}", f.id,
                                lambda fid=f.id: self.post_message(Navigate("findings", finding=fid)), discover=False)


def run_app(opts: TraceOptions, workspace: str | None = None, probes: bool = True) -> int:
    """Run the app on this machine (the CLI passes a remote host when --ssh is given)."""
    GoenvApp(opts, workspace, probes=probes).run()
    return 0
