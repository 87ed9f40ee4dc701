"""The resolution view: for go, gopls, dlv … in one context, every candidate on PATH in order,
symlink hops, the Go installation and version each lands in, and what is shadowed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Select, Static
from textual.widgets.option_list import Option

from goenv_tui.ui import present

if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis


class ResolutionView(Vertical):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnosis: Diagnosis | None = None
        self.context: str | None = None
        self.tool = "go"

    def compose(self) -> ComposeResult:
        yield Select([], id="res-context", prompt="context", allow_blank=True)
        with Horizontal(id="res-body"):
            yield OptionList(id="res-tools")
            with VerticalScroll(id="res-detail-scroll"):
                yield Static(Text("Resolution appears when the diagnosis finishes.", "dim"), id="res-detail")

    def set_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        select = self.query_one("#res-context", Select)
        ids = [t.id for t in d.facts.contexts]
        with select.prevent(Select.Changed):
            select.set_options([(present.context_label(t, t.id in d.facts.primary), t.id) for t in d.facts.contexts])
        primary = [c for c in ids if c in d.facts.primary and c in d.facts.resolutions]
        keep = self.context if self.context in ids else (primary[0] if primary else (ids[0] if ids else None))
        if keep:
            self.show(keep, self.tool)

    def show(self, cid: str, tool: str | None = None) -> None:
        d = self.diagnosis
        if d is None:
            return
        self.context = cid
        self.tool = tool or self.tool
        select = self.query_one("#res-context", Select)
        if select.value != cid:
            with select.prevent(Select.Changed):
                select.value = cid
        from goenv_tui.collect.resolve import TOOLS

        tools = self.query_one("#res-tools", OptionList)
        tools.clear_options()
        tools.add_options([Option(present.tool_label(d, cid, t), id=t) for t in TOOLS])
        with tools.prevent(OptionList.OptionHighlighted):
            tools.highlighted = TOOLS.index(self.tool) if self.tool in TOOLS else 0
        self._show_tool(self.tool)

    def _show_tool(self, tool: str) -> None:
        if self.diagnosis is None or self.context is None:
            return
        self.tool = tool
        self.query_one("#res-detail", Static).update(present.resolution_detail(self.diagnosis, self.context, tool))
        self.query_one("#res-detail-scroll", VerticalScroll).scroll_home(animate=False)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "res-context" and isinstance(event.value, str):
            self.show(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "res-tools" and event.option.id:
            self._show_tool(event.option.id)
