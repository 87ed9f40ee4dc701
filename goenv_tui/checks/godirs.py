"""GOROOT, GOPATH and GOBIN naming directories that do not exist."""

from __future__ import annotations

from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.checks.goroot import goroot_line
from goenv_tui.graph import var_node
from goenv_tui.model import Finding, Location, Severity

_WHY = {
    "GOROOT": (Severity.ERROR,
               "go refuses to run with a GOROOT that does not exist (\"cannot find GOROOT directory\"), and "
               "gopls and dlv fail with it."),
    "GOPATH": (Severity.INFO,
               "go creates it on first use, but a GOPATH that does not exist usually means a typo or a path from "
               "another machine: tools installed with `go install` land somewhere you do not expect."),
    "GOBIN": (Severity.INFO,
              "`go install` creates it, but nothing has been installed there yet: if you expected gopls or dlv "
              "there, they were installed somewhere else."),
}


def _dangling(ctx: CheckContext, path: str) -> str | None:
    """Where a dangling symbolic link on the way to `path` points (the first link whose target is
    missing), else None."""
    if ctx.host is None:
        return None
    import posixpath

    parts = path.rstrip("/").split("/")
    for i in range(2, len(parts) + 1):
        prefix = "/".join(parts[:i])
        info = ctx.host.lstat(prefix)
        if info.is_symlink and not ctx.host.stat(prefix).exists:
            target = info.link_target or ""
            return posixpath.normpath(posixpath.join(posixpath.dirname(prefix), target))
        if not info.exists:
            return None
    return None


def _check(ctx: CheckContext, var: str) -> Iterator[Finding]:
    severity, why = _WHY[var]
    missing: dict[str, dict[str, Location | None]] = {}
    for t in ctx.graph.ok_contexts():
        value = t.env.get(var)
        if not value:
            continue
        for d in value.split(":") if var == "GOPATH" else [value]:
            if not d.startswith("/") or "\r" in d:
                continue  # a value ending in \r is GOENV-CRLF-001's: the file's line endings are the cause
            info = ctx.facts.dirs.get(d)
            if info is not None and not info.is_dir:
                last, _ = ctx.graph.who_set(var, t.id)
                missing.setdefault(d, {})[t.id] = last.assignment.location if last else None
    for d, where in missing.items():
        locs = [loc for loc in where.values() if loc]
        link = _dangling(ctx, d)
        yield finding(
            f"{var}|{d}", severity,
            f"{var} points to {ctx.tilde(d)}, which does not exist"
            + (f" (a symbolic link to {ctx.tilde(link)}, which is gone)" if link else ""),
            f"{var}={d} in {ctx.contexts_phrase(sorted(where))}, but there is no such directory"
            + (f": {ctx.tilde(d)} is a symbolic link to {ctx.tilde(link)}, and nothing is there (a Go that was "
               "removed or moved; re-point the link or set it to an installed Go)" if link else "")
            + f". {why}",
            variable=var, contexts=list(where), locations=locs,
            evidence=[var_node(c, var) for c in where],
            chain=[f"{c}: {var} set at {ctx.where(loc)}" for c, loc in where.items()],
        )


@check("GOENV-GODIR-001", Severity.ERROR, "GOROOT does not exist", tools=("go",), wrong_value=True)
def goroot_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A GOROOT left over from an uninstalled or moved Go makes every go command fail."""
    yield from _check(ctx, "GOROOT")


@check("GOENV-GODIR-002", Severity.INFO, "GOPATH directory does not exist")
def gopath_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A GOPATH that does not exist is usually a typo or copied from another machine."""
    yield from _check(ctx, "GOPATH")


@check("GOENV-GODIR-003", Severity.INFO, "GOBIN directory does not exist")
def gobin_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A GOBIN that does not exist means nothing was ever installed where you expect tools."""
    yield from _check(ctx, "GOBIN")


# --- fixes ---------------------------------------------------------------------------------------

goroot_missing.fix(goroot_line)  # from goenv_tui.checks.goroot
