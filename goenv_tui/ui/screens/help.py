"""`?`: what each view shows and every key, for someone who never read the docs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = [
    ("Views", [
        ("1  Findings", "what is wrong, worst first; Enter on a finding, then on a ⇢ row, jumps to the place"),
        ("2  Init chain", "pick a context: the startup files it read, in order; each file's lines that set,"
                          " override (struck through) or never ran (dim)"),
        ("3  Variables", "one variable in every context side by side, then step by step; PATH entry by entry"),
        ("4  Resolution", "which go / gopls / dlv each context runs, every candidate on PATH, symlink hops"),
        ("5  Probes", "gopls spoken to in LSP, dlv at its prompt, go build — live, in each context's environment"),
    ]),
    ("Keys", [
        ("tab / shift+tab", "move between panes"),
        ("↑ ↓ enter", "move, open"),
        ("f", "fix the highlighted finding: exact preview, apply, verified by a fresh trace"),
        ("F", "fix all safe ones (a all · e errors · w warnings), previewed first"),
        ("u", "undo history: every fix, Enter undoes one"),
        ("r", "run the diagnosis again (after you edit a startup file)"),
        ("e", "open the file at the shown line in $EDITOR (over --ssh: on the remote host)"),
        ("g", "node browser: the graph from what is shown (a finding, a ⇢ row, a variable, a file);"
              " enter follows an edge, backspace goes back"),
        ("x", "cancel the running probes"),
        ("ctrl+p", "command palette: jump to any view, context, variable, file or finding"),
        ("ctrl+t", "switch between the dark and light theme"),
        ("?", "this help"),
        ("q", "quit"),
    ]),
    ("Contexts", [
        ("*", "marks the contexts your terminal, editor and sshd really use for your login shell"),
        ("✓ ⧗ ✗", "traced fine / startup hung (timeout) / startup failed"),
    ]),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        t = Text()
        t.append("goenv-tui — why your Go environment is broken\n\n", "bold")
        for title, rows in HELP:
            t.append(title + "\n", "bold underline")
            for key, text in rows:
                t.append(f"  {key:<16}", "bold cyan")
                t.append(f"{text}\n")
            t.append("\n")
        t.append("Esc closes this help.", "dim")
        with VerticalScroll(id="help-box"):
            yield Static(t)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
