"""Command-palette providers: search any node of the environment graph by name and open it in the
node browser (a context, a file, an assignment, a variable, a binary, a finding …)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# Kinds worth offering first when the query is empty, in this order.
DISCOVER = ("finding", "context", "file", "binary", "goroot")


class GraphNodes(Provider):
    """Every node of the graph, by its label (`~/.bashrc:14 GOROOT=…`, `bash-login-interactive`)."""

    def _nodes(self) -> list[tuple[str, str, str]]:
        d = getattr(self.app, "diagnosis", None)
        if d is None:
            return []
        # Imported here: graph_export pulls in networkx, which the app loads after its first paint.
        from goenv_tui.graph_export import node_label

        home = d.facts.home
        return [(n, node_label(n, data, home), data.get("kind", "")) for n, data in d.graph.g.nodes(data=True)]

    async def discover(self) -> Hits:
        nodes = self._nodes()
        for kind in DISCOVER:
            for node, label, k in sorted(nodes, key=lambda x: x[1]):
                if k == kind:
                    yield DiscoveryHit(f"Graph: {label}", partial(self._open, node), help=f"{kind} — open in the node browser")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for node, label, kind in self._nodes():
            text = f"Graph: {label}"
            score = matcher.match(f"{text} {kind}")
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._open, node), help=f"{kind} — open in the node browser")

    def _open(self, node: str) -> None:
        opener = getattr(self.app, "open_graph", None)
        if opener is not None:
            opener(node)
