"""Undo history: every fix from the journal, newest last; Enter undoes the highlighted one
(refused when the file changed since the fix)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from goenv_tui.display import tilde
from goenv_tui.fixes.engine import FixRefused, undo, undo_chain
from goenv_tui.fixes.journal import Journal

if TYPE_CHECKING:
    from goenv_tui.ui.app import GoenvApp


class HistoryScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "undo", "Undo")]

    def __init__(self) -> None:
        super().__init__()
        self.changed = False
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static(Text.assemble(("Undo history", "bold"), ("   enter undo · esc close", "dim")))
            yield DataTable(id="history-table", cursor_type="row")
            yield Static(id="history-status")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_columns("entry", "state", "fix", "files")
        table.focus()
        self.busy = True
        self._load(None)

    @work(thread=True, exclusive=True, group="history")
    def _load(self, undo_id: str | None) -> None:
        """Undo `undo_id` (when given), then read the journal: both go through the host, which over
        SSH means round trips, so never on the UI thread."""
        app = cast("GoenvApp", self.app)  # only GoenvApp opens this screen
        home = app.opts.home
        msg: Text | None = None
        if undo_id is not None:
            try:
                chain = undo_chain(app.host, home, undo_id)
                entry = undo(app.host, home, undo_id)
                self.changed = True
                msg = Text(f"Undone: {entry.title}", "bold green")
                if len(chain) > 1:
                    # The later fixes of the same files were made on top of this one: undone first.
                    msg.append(" — and first, the later fixes of the same file: "
                               + "; ".join(e.title for e in chain[:-1]), "green")
            except FixRefused as exc:
                msg = Text(f"Not undone: {exc}", "bold red")
            except Exception as exc:  # shown, never swallowed
                msg = Text(f"Not undone: {type(exc).__name__}: {exc}", "bold red")
        try:
            entries = Journal(app.host, home).entries()
        except Exception as exc:
            entries, msg = [], Text(f"Cannot read the undo journal: {exc}", "bold red")
        if not entries and msg is None:
            msg = Text("No fixes applied yet.", "dim")
        rows = [(e.id, e.state, e.title, ", ".join(tilde(home, r.path) for r in e.files)) for e in entries]
        app.call_from_thread(self._show, rows, msg)

    def _show(self, rows: list[tuple[str, str, str, str]], msg: Text | None) -> None:
        table = self.query_one("#history-table", DataTable)
        row = table.cursor_row
        table.clear()
        for r in rows:
            table.add_row(*r, key=r[0])
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        self.query_one("#history-status", Static).update(msg or "")
        self.busy = False

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the table selects the row: that is the undo gesture.
        event.stop()
        self.action_undo()

    def action_undo(self) -> None:
        table = self.query_one("#history-table", DataTable)
        if self.busy or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.busy = True
        self.query_one("#history-status", Static).update(Text("⟳ undoing…", "italic yellow"))
        self._load(str(key))

    def action_close(self) -> None:
        self.dismiss(self.changed)
