"""Startup files themselves: Windows (CRLF) line endings that put a hidden carriage return at
the end of every value."""

from __future__ import annotations

from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.display import tilde
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import FileEdit, PlannedFix
from goenv_tui.model import Finding, Location, Severity


def crlf_values(ctx: CheckContext) -> dict[str, list[tuple[str, str, Location]]]:
    """file → [(variable, value, where)] for every traced assignment whose value carries a \\r."""
    out: dict[str, list[tuple[str, str, Location]]] = {}
    for t in ctx.graph.ok_contexts():
        for a in t.assignments:
            if a.value and "\r" in a.value and a.live:
                rows = out.setdefault(a.location.path, [])
                if all(r[2] != a.location for r in rows):
                    rows.append((a.var, a.value, a.location))
    return out


def has_cr(value: str | None) -> bool:
    return bool(value) and "\r" in (value or "")


@check("GOENV-CRLF-001", Severity.ERROR, "Startup file with Windows (CRLF) line endings", tools=("go",))
def crlf_file(ctx: CheckContext) -> Iterator[Finding]:
    """A ~/.bashrc copied from Windows (or saved by an editor set to CRLF): the shell keeps the \\r
    at the end of each line, so `export GOROOT=/usr/local/go` sets "/usr/local/go\\r" — a directory
    that does not exist — and `go`, gopls and dlv are "not found" for no visible reason."""
    for path, rows in crlf_values(ctx).items():
        if ctx.host is not None:
            try:
                if b"\r\n" not in ctx.host.read_bytes(path, 1 << 20):
                    continue  # the \r came from elsewhere (a literal $'\r'); not a line-ending problem
            except Exception:
                continue
        ids = sorted({t.id for t in ctx.graph.ok_contexts() for a in t.assignments if a.location.path == path and has_cr(a.value)})
        shown = [f"{ctx.where(loc)}: {var}={value!r}" for var, value, loc in rows[:4]]
        yield finding(
            path, Severity.ERROR,
            f"{ctx.tilde(path)} has Windows (CRLF) line endings: every value ends in a hidden \\r",
            f"The shell reads each line of {ctx.tilde(path)} up to the line feed, so the carriage return before it "
            f"becomes part of the value: {rows[0][0]} is {rows[0][1]!r}, a path that does not exist. Directories "
            "built from it are not found (go, gopls, dlv: \"not found\", GOROOT \"does not exist\"). Convert the file "
            "to Unix line endings (LF).",
            contexts=ids, locations=[loc for _, _, loc in rows], chain=shown,
            data={"path": path},
        )


# --- fixes ---------------------------------------------------------------------------------------

@crlf_file.fix
def crlf_to_lf(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """Convert the file's line endings to LF: an edit like any other (trialled, backed up, undone)."""
    path = f.data.get("path", "")
    text = fc.text(path) if path and fc.editable(path) else None
    if text is None or "\r\n" not in text:
        return []
    p = fc.edit_fix(f, "crlf-to-lf", f"Convert {tilde(fc.home, path)} to Unix (LF) line endings",
                    [FileEdit(path, text, text.replace("\r\n", "\n"))], safe=True)
    return [p] if p else []
