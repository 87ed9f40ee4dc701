"""The init-chain browser: pick a context, see the startup files in the order it read them, and
each file's source with the lines that set, override or never ran marked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Select, Static, Tree
from textual.widgets.tree import TreeNode

from goenv_tui.display import tilde, where
from goenv_tui.model import ContextTrace
from goenv_tui.ui import present

if TYPE_CHECKING:  # the core is imported when the diagnosis runs, not before the first paint
    from goenv_tui.diagnose import Diagnosis


class InitChainView(Vertical):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.diagnosis: Diagnosis | None = None
        self.traces: dict[str, ContextTrace] = {}
        self.home = ""
        self.context: str | None = None
        self.path: str | None = None
        self.picked = False  # the user chose a context: keep it across re-runs

    def compose(self) -> ComposeResult:
        yield Select([], id="chain-context", prompt="context", allow_blank=True)
        with Horizontal(id="chain-body"):
            yield Tree("startup files", id="chain-files")
            with VerticalScroll(id="chain-source-scroll"):
                yield Static(Text("Pick a context, then a file.", "dim"), id="chain-source")

    def set_home(self, home: str) -> None:
        self.home = home

    def add_trace(self, trace: ContextTrace, primary: bool = False) -> None:
        """A context finished tracing: list it (and show it, if nothing better is shown yet)."""
        self.traces[trace.id] = trace
        self._refresh_contexts()
        if self.context is None or (primary and not self.picked):
            self.show_context(trace.id)

    def set_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.home = d.facts.home
        self.traces = {t.id: t for t in d.facts.contexts}
        self._refresh_contexts()
        primary = [t.id for t in d.facts.contexts if t.id in d.facts.primary]
        keep = self.context if (self.picked and self.context in self.traces) else (
            primary[0] if primary else d.facts.contexts[0].id)
        self.show_context(keep, self.path if self.picked else None)

    def _refresh_contexts(self) -> None:
        primary = self.diagnosis.facts.primary if self.diagnosis else set()
        select = self.query_one("#chain-context", Select)
        options = [(present.context_label(t, t.id in primary), t.id) for t in self.traces.values()]
        with select.prevent(Select.Changed):
            select.set_options(options)
            if self.context in self.traces:
                select.value = self.context

    def show_context(self, cid: str, path: str | None = None, line: int | None = None) -> None:
        trace = self.traces.get(cid)
        if trace is None:
            return
        self.context = cid
        select = self.query_one("#chain-context", Select)
        if select.value != cid:
            with select.prevent(Select.Changed):
                select.value = cid
        tree = self.query_one("#chain-files", Tree)
        tree.clear()
        tree.root.set_label(Text(f"{cid}  ({trace.status.value})"))
        nodes: dict[str, TreeNode[str]] = {}
        rows = present.file_tree(trace)
        parents = {site.path for _, _, site, _ in rows if site}
        for order, fpath, site, _depth in rows:
            parent = nodes.get(site.path) if site else None
            label = Text.assemble((f"{order} ", "dim"), tilde(self.home, fpath))
            if site and parent is not None and site.line:
                # Nested under the file that sourced it: that file's line is all the label needs
                # (the full "← ~/.bashrc:4" cut the tree at 40 columns).
                label.append(f"  ← line {site.line}", "dim")
            elif site:
                label.append(f"  ← {where(self.home, site)}", "dim")
            under = parent or tree.root
            if fpath in parents:
                nodes[fpath] = under.add(label, data=fpath, expand=True)
            else:
                nodes[fpath] = under.add_leaf(label, data=fpath)
        tree.root.expand()
        if not trace.files:
            tree.root.add_leaf(Text("(no startup file read)", "dim"))
        if trace.error:
            tree.root.add_leaf(Text(trace.error[:200], "red"))
        mine = [f.path for f in trace.files if f.path.startswith(self.home.rstrip("/") + "/")]
        target = path or (mine[0] if mine else (trace.files[0].path if trace.files else None))
        if target:
            self.show_file(target, line)

    def show_file(self, path: str, line: int | None = None) -> None:
        self.path = path
        source = self.query_one("#chain-source", Static)
        if self.diagnosis is None:
            source.update(Text(f"{tilde(self.home, path)}\n\nAnnotations appear when the diagnosis finishes.", "dim"))
            return
        header = Text(f"{tilde(self.home, path)}", "bold")
        header.append(f"  in {self.context}\n", "dim")
        source.update(header + present.source_text(self.diagnosis, self.context, path))
        scroll = self.query_one("#chain-source-scroll", VerticalScroll)
        if line:
            self.call_after_refresh(scroll.scroll_to, y=max(0, line - 4), animate=False)
        else:
            scroll.scroll_home(animate=False)
        tree = self.query_one("#chain-files", Tree)
        for node in _walk(tree.root):
            if node.data == path:
                self.call_after_refresh(tree.move_cursor, node)
                break

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "chain-context" and isinstance(event.value, str):
            self.picked = True
            self.show_context(event.value)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        # Only the user moving the cursor picks a file; programmatic cursor moves follow show_file.
        if event.control.has_focus and isinstance(event.node.data, str) and event.node.data != self.path:
            self.picked = True
            self.show_file(event.node.data)


def _walk(node: TreeNode[str]) -> Iterator[TreeNode[str]]:
    yield node
    for child in node.children:
        yield from _walk(child)
