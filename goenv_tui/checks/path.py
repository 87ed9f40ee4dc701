"""PATH hygiene: empty elements, the current directory, relative entries, duplicates, missing
directories. Each finding names the assignment that introduced the bad entry."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from goenv_tui import display
from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.checks.contexts import go_relevant
from goenv_tui.fixes import edits
from goenv_tui.fixes.builders import FixContext, disable, loc_of
from goenv_tui.fixes.plan import FileEdit, PlannedFix
from goenv_tui.graph import var_node
from goenv_tui.model import Finding, Location, Severity


def _introduced(ctx: CheckContext, cid: str, pred: Callable[[list[str]], bool]) -> Location | None:
    """The first assignment after which PATH satisfies `pred` (it did not before)."""
    for s in ctx.graph.chain("PATH", cid):
        before = (s.assignment.before or "").split(":") if s.assignment.before is not None else []
        after = (s.assignment.value or "").split(":") if s.assignment.value is not None else []
        if pred(after) and not pred(before):
            return s.assignment.location
    return None


def _holds(entry: str, entries: list[str]) -> bool:
    return entry in entries


def _repeats(entry: str, entries: list[str]) -> bool:
    return entries.count(entry) > 1


def _per_entry(ctx: CheckContext, bad: Callable[[str], bool]) -> dict[str, dict[str, Location | None]]:
    """entry → {context: where it was introduced} for every context whose PATH has a bad entry."""
    out: dict[str, dict[str, Location | None]] = {}
    for t in ctx.graph.ok_contexts():
        entries = (t.env.get("PATH") or "").split(":")
        for e in dict.fromkeys(entries):
            if bad(e):
                out.setdefault(e, {})[t.id] = _introduced(ctx, t.id, functools.partial(_holds, e))
    return out


def _emit(ctx: CheckContext, severity: Severity, found: dict[str, dict[str, Location | None]],
          title: Callable[[str], str], detail: Callable[[str], str]) -> Iterator[Finding]:
    for entry, where in found.items():
        locs = [loc for loc in where.values() if loc]
        chain = [f"{cid}: introduced at {ctx.where(loc)}" if loc else f"{cid}: inherited" for cid, loc in where.items()]
        yield finding(
            entry, severity, title(entry),
            detail(entry) + f" Seen in {ctx.contexts_phrase(sorted(where))}.",
            variable="PATH", contexts=list(where), locations=locs,
            evidence=[var_node(c, "PATH") for c in where], chain=chain,
        )


@check("GOENV-PATH-001", Severity.WARNING, "Empty PATH element")
def empty_element(ctx: CheckContext) -> Iterator[Finding]:
    """An empty PATH element (`::`, or a leading/trailing `:`, typically from `$PATH:$GOBIN` with
    GOBIN unset) means the current directory: whatever `go` sits in a repository runs."""
    yield from _emit(ctx, Severity.WARNING, _per_entry(ctx, lambda e: e == ""),
                     lambda e: "PATH has an empty element (the current directory)",
                     lambda e: "An empty element in PATH makes the shell look in the current directory, so a "
                               "file named `go` or `gopls` in whatever folder you are in runs instead of the real tool. "
                               "It usually comes from appending a variable that is empty, such as `$PATH:$GOBIN`.")


@check("GOENV-PATH-002", Severity.WARNING, "Current directory on PATH")
def dot_entry(ctx: CheckContext) -> Iterator[Finding]:
    """`.` on PATH runs programs from the current directory: a repository can shadow `go`."""
    yield from _emit(ctx, Severity.WARNING, _per_entry(ctx, lambda e: e == "."),
                     lambda e: "PATH contains `.` (the current directory)",
                     lambda e: "With `.` on PATH, a program named like a Go tool in the current directory runs "
                               "instead of the installed one.")


@check("GOENV-PATH-003", Severity.WARNING, "Relative or unexpanded PATH entry")
def relative_entry(ctx: CheckContext) -> Iterator[Finding]:
    """`export PATH="~/go/bin:$PATH"` keeps a literal `~`: bash still finds tools there, but
    VS Code, gopls, `exec.LookPath` and zsh do not — "gopls not found" only in the editor."""
    def detail(e: str) -> str:
        if e.startswith("~"):
            return (f"`{e}` is a literal tilde: it was quoted, so the shell never expanded it. bash happens to "
                    "expand `~` when it searches PATH, but editors, Go's exec.LookPath and zsh do not, so tools "
                    "there are found in a bash terminal and nowhere else. Use $HOME instead of ~ inside quotes.")
        return (f"`{e}` is relative: it is looked up from whatever the current directory is, so it finds "
                "different programs (or none) depending on where a command runs.")
    yield from _emit(ctx, Severity.WARNING,
                     _per_entry(ctx, lambda e: bool(e) and e != "." and not e.startswith("/")),
                     lambda e: (f"PATH contains a literal `{e}`: the ~ was never expanded" if e.startswith("~")
                                else f"PATH entry `{e}` is relative"), detail)


@check("GOENV-PATH-004", Severity.INFO, "Duplicate PATH entries")
def duplicates(ctx: CheckContext) -> Iterator[Finding]:
    """Duplicates are harmless alone but usually mean a startup file runs twice (e.g. sourced from
    both ~/.profile and ~/.bashrc), which is how later overrides sneak in."""
    found: dict[str, dict[str, Location | None]] = {}
    for t in ctx.graph.ok_contexts():
        entries = [e for e in (t.env.get("PATH") or "").split(":") if e]
        for e in dict.fromkeys(entries):
            if entries.count(e) > 1:
                found.setdefault(e, {})[t.id] = _introduced(ctx, t.id, functools.partial(_repeats, e))
    yield from _emit(ctx, Severity.INFO, found,
                     lambda e: f"PATH lists {ctx.tilde(e)} more than once",
                     lambda e: f"{ctx.tilde(e)} appears several times in PATH; only the first one counts.")


@check("GOENV-PATH-005", Severity.INFO, "PATH entry does not exist", also=(Severity.WARNING,))
def missing_dir(ctx: CheckContext) -> Iterator[Finding]:
    """A PATH entry that does not exist is often a typo or an uninstalled Go (`/usr/local/go/bin`
    after an upgrade moved it), and the tool you expected there is silently not found."""
    seed = set(ctx.facts.seed_path.split(":"))

    def bad(e: str) -> bool:
        info = ctx.facts.dirs.get(e)
        # An entry with a carriage return is GOENV-CRLF-001's (the file's line endings are the cause).
        return (bool(e) and e.startswith("/") and e not in seed and "\r" not in e and info is not None
                and not info.is_dir)

    found = _per_entry(ctx, bad)
    for entry, where in found.items():
        goish = go_relevant(ctx, entry)
        sev = Severity.WARNING if goish else Severity.INFO
        tail = " — it is where Go tools are expected (GOROOT/bin, GOBIN or GOPATH/bin), so they are not found." if goish else "."
        yield from _emit(ctx, sev, {entry: where},
                         lambda e: f"PATH entry {ctx.tilde(e)} does not exist",
                         functools.partial(_not_a_directory, ctx, tail))


def _not_a_directory(ctx: CheckContext, tail: str, entry: str) -> str:
    return f"{ctx.tilde(entry)} is on PATH but is not a directory{tail}"


# --- fixes ---------------------------------------------------------------------------------------

@relative_entry.fix
def literal_tilde(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out = []
    for loc in {loc for loc in f.locations if loc.line}:
        text = fc.text(loc.path)
        if text is None or not fc.editable(loc.path) or loc.line is None:
            continue
        new = edits.replace_in(text, loc.line, '"~/', '"$HOME/')
        new = edits.replace_in(new, loc.line, ':~/', ':$HOME/')
        p = fc.edit_fix(f, "tilde-to-home", f"Use $HOME instead of a quoted ~ at {display.where(fc.home, loc)}",
                        [FileEdit(loc.path, text, new)])
        if p:
            out.append(p)
    return out[:1]


@duplicates.fix
def duplicate(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = loc_of(f)
    if loc is None:
        return []
    p = disable(fc, f, loc, "it only added a PATH entry that was already there", "remove-duplicate",
                 f"Comment out the duplicate PATH entry at {display.where(fc.home, loc)}")
    return [p] if p else []
