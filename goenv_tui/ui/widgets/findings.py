"""The overview: findings grouped by severity; the selected one's detail, evidence and fixes,
and rows that lead to the places it names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from goenv_tui.display import severity_count
from goenv_tui.model import ContextTrace, Severity
from goenv_tui.summary import tool_summary
from goenv_tui.ui import present
from goenv_tui.ui.messages import Navigate

if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis


def tool_summary_text(d: Diagnosis) -> Text:
    """go, gopls, dlv in one line each (as `report --text` opens): what works, what does not."""
    lines = [Text.assemble((line.mark + " ", {"ok": "green", "warning": "yellow", "error": "red"}[line.status] + " bold"),
                           line.text) for line in tool_summary(d)]
    return Text("\n").join(lines)


class FindingsView(Horizontal):
    """Left: the findings list. Right: the highlighted finding, and where it leads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnosis: Diagnosis | None = None
        self._links: list[present.Link] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="findings-left"):
            yield Static(id="findings-counts")
            yield Static(id="tool-summary")
            yield OptionList(id="finding-list")
        with Vertical(id="findings-right"):
            with VerticalScroll(id="finding-detail-scroll"):
                yield Static(id="finding-detail")
            yield OptionList(id="finding-links")

    def show_progress(self, traces: list[ContextTrace], stage: str, total: int) -> None:
        counts = self.query_one("#findings-counts", Static)
        counts.display = True
        counts.update(Text(f"Diagnosing… {stage}", "italic"))
        self.query_one("#tool-summary", Static).display = False
        t = Text()
        t.append("Tracing every way your shells get started.\n", "bold")
        t.append("Findings appear here when all contexts are traced.\n\n", "dim")
        for trace in traces:
            t.append(f" {present.STATUS_MARK[trace.status]} {trace.id}", "green" if trace.status.value == "ok" else "red")
            t.append(f"  {len(trace.files)} files, {len(trace.assignments)} changes\n", "dim")
        t.append(f"\n {len(traces)}/{total} contexts traced\n", "dim")
        self.query_one("#finding-detail", Static).update(t)

    def show(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.query_one("#findings-counts", Static).display = False  # the status line has the counts
        summary = self.query_one("#tool-summary", Static)
        summary.display = True
        summary.update(tool_summary_text(d))
        options: list[Option | None] = []
        for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            items = [f for f in d.findings if f.severity is sev]
            if not items:
                continue
            options.append(Option(Text(severity_count(sev, len(items)), present.severity_style(sev) + " underline"),
                                  id=f"group:{sev.value}", disabled=True))
            options.extend(Option(present.finding_row(f), id=f.id) for f in items)
        lst = self.query_one("#finding-list", OptionList)
        lst.clear_options()
        lst.add_options([o for o in options if o is not None])
        if not d.findings:
            self.query_one("#finding-detail", Static).update(
                Text("✓ No problems found in any context.", "bold green"))
            self.query_one("#finding-links", OptionList).clear_options()
            return
        first = next(i for i, o in enumerate(options) if o is not None and not o.disabled)
        lst.highlighted = first
        self._show_finding(d.findings[0].id)

    def select_finding(self, finding_id: str) -> None:
        lst = self.query_one("#finding-list", OptionList)
        try:
            lst.highlighted = lst.get_option_index(finding_id)
        except Exception:
            return
        lst.focus()

    def _show_finding(self, finding_id: str) -> None:
        d = self.diagnosis
        if d is None:
            return
        f = next((x for x in d.findings if x.id == finding_id), None)
        if f is None:
            return
        self.query_one("#finding-detail", Static).update(present.finding_detail(d, f))
        self.query_one("#finding-detail-scroll", VerticalScroll).scroll_home(animate=False)
        self._links = present.finding_links(d, f)
        links = self.query_one("#finding-links", OptionList)
        links.clear_options()
        links.add_options([Option(link.label) for link in self._links])
        links.display = bool(self._links)
        if self._links:
            links.highlighted = 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "finding-list" and event.option.id:
            self._show_finding(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "finding-list":
            self.query_one("#finding-links", OptionList).focus()
            return
        if event.option_list.id == "finding-links" and 0 <= event.option_index < len(self._links):
            link = self._links[event.option_index]
            self.post_message(Navigate(link.view, link.context, link.path, link.line, link.variable, link.tool,
                                       node=link.node))
