"""Undo history: every fix from the journal, newest last; Enter undoes the highlighted one
(refused when the file changed since the fix)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from goenv_tui.display import tilde
from goenv_tui.fixes.engine import FixRefused, undo
from goenv_tui.fixes.journal import Journal


class HistoryScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "undo", "Undo")]

    def __init__(self) -> None:
        super().__init__()
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static(Text.assemble(("Undo history", "bold"), ("   enter undo · esc close", "dim")))
            yield DataTable(id="history-table", cursor_type="row")
            yield Static(id="history-status")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_columns("entry", "state", "fix", "files")
        self._fill()
        table.focus()

    def _fill(self) -> None:
        app = self.app
        table = self.query_one("#history-table", DataTable)
        table.clear()
        entries = Journal(app.host, app.opts.home).entries()  # type: ignore[attr-defined]
        for e in entries:
            files = ", ".join(tilde(app.opts.home, r.path) for r in e.files)  # type: ignore[attr-defined]
            table.add_row(e.id, e.state, e.title, files, key=e.id)
        if not entries:
            self.query_one("#history-status", Static).update(Text("No fixes applied yet.", "dim"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the table selects the row: that is the undo gesture.
        event.stop()
        self.action_undo()

    def action_undo(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        app = self.app
        try:
            entry = undo(app.host, app.opts.home, str(key))  # type: ignore[attr-defined]
            self.changed = True
            msg = Text(f"Undone: {entry.title}", "bold green")
        except FixRefused as exc:
            msg = Text(f"Not undone: {exc}", "bold red")
        self.query_one("#history-status", Static).update(msg)
        self._fill()

    def action_close(self) -> None:
        self.dismiss(self.changed)
