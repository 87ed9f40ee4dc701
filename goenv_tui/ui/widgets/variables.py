"""The variable view: one variable side by side in every context, and its value step by step
across the init chain of the highlighted context (PATH entry by entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Select, Static

from goenv_tui.display import tilde, tilde_path_list
from goenv_tui.ui import present

if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis


class VariablesView(Vertical):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnosis: Diagnosis | None = None
        self.variable = "PATH"
        self.context: str | None = None

    def compose(self) -> ComposeResult:
        yield Select([], id="var-select", prompt="variable", allow_blank=True)
        yield DataTable(id="var-table", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="var-chain-scroll"):
            yield Static(Text("Variables appear when the diagnosis finishes.", "dim"), id="var-chain")

    def on_mount(self) -> None:
        table = self.query_one("#var-table", DataTable)
        table.add_columns("context", "value", "set at")

    def set_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        names = present.variables_of(d)
        select = self.query_one("#var-select", Select)
        with select.prevent(Select.Changed):
            select.set_options([(n, n) for n in names])
            if self.variable not in names:
                self.variable = names[0] if names else "PATH"
            select.value = self.variable
        self.show_variable(self.variable, self.context)

    def show_variable(self, name: str, context: str | None = None) -> None:
        d = self.diagnosis
        self.variable = name
        if d is None:
            return
        select = self.query_one("#var-select", Select)
        if select.value != name:
            with select.prevent(Select.Changed):
                select.value = name
        table = self.query_one("#var-table", DataTable)
        table.clear()
        rows = present.variable_rows(d, name)
        for cid, value, origin in rows:
            shown = (tilde_path_list(d.facts.home, value) if name in ("PATH", "MANPATH") and value.startswith(("/", "~"))
                     else tilde(d.facts.home, value) if value.startswith("/") else value)
            mark = "*" if cid in d.facts.primary else " "
            table.add_row(f"{mark}{cid}", shown, origin, key=cid)
        ids = [r[0] for r in rows]
        target = context if context in ids else (self.context if self.context in ids else (ids[0] if ids else None))
        if target:
            table.move_cursor(row=ids.index(target))
            self._show_chain(target)

    def _show_chain(self, cid: str) -> None:
        if self.diagnosis is None:
            return
        self.context = cid
        self.query_one("#var-chain", Static).update(present.variable_chain(self.diagnosis, self.variable, cid))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "var-select" and isinstance(event.value, str):
            self.show_variable(event.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self._show_chain(str(event.row_key.value))
