"""What version managers (gvm, goenv, asdf, g …) leave in the environment."""

from __future__ import annotations

from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding, relevant_contexts
from goenv_tui.model import Finding, Location, Severity


@check("GOENV-MANAGER-001", Severity.WARNING, "GOROOT exported empty")
def goroot_empty(ctx: CheckContext) -> Iterator[Finding]:
    """gvm's installer reads GOROOT from `go env`, whose output Go ≥ 1.21 quotes
    (GOROOT='/usr/local/go'); the "system" environment it writes then carries a broken value and
    `gvm use system --default` leaves ~/.gvm/environments/default with GOROOT="". The go command
    treats an empty GOROOT as unset, but everything that builds paths from $GOROOT gets "/bin",
    "/src": gvm itself puts "/bin" on PATH in place of the Go's bin folder, Makefiles and scripts
    that run $GOROOT/bin/go fail."""
    ids = [c for c in relevant_contexts(ctx) if ctx.graph.contexts[c].env.get("GOROOT", None) == ""]
    if not ids:
        return
    last, _ = ctx.graph.who_set("GOROOT", ids[0])
    loc: Location | None = last.assignment.location if last else None
    at = f" by {ctx.where(loc)}" if loc else ""
    path_has_bin = [c for c in ids if "/bin" in ctx.graph.contexts[c].env.get("PATH", "").split(":")]
    yield finding(
        "empty", Severity.WARNING,
        f"GOROOT is exported empty{at}",
        f"In {ctx.contexts_phrase(ids)}, GOROOT is set to \"\"{at}. The go command ignores an empty GOROOT "
        "and finds its own, but scripts, Makefiles and tools that use $GOROOT/bin or $GOROOT/src get "
        "\"/bin\" and \"/src\""
        + (", and PATH holds \"/bin\" where the Go's bin folder should be" if path_has_bin else "")
        + ". gvm writes this when it was installed over a Go ≥ 1.21 and `gvm use system --default` ran: "
        "choose a Go with `gvm use goX.Y --default` (gvm regenerates the file), or stop sourcing gvm.",
        variable="GOROOT", contexts=ids, locations=[loc] if loc else [],
        evidence=[f"var:{c}:GOROOT" for c in ids],
    )
