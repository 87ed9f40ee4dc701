"""Differences between launch contexts: overrides that happen only sometimes, Go settings and
PATH entries that depend on how the editor or terminal was started, values never exported."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from goenv_tui import display
from goenv_tui.checks.base import CheckContext, check, check_info, finding
from goenv_tui.display import tilde
from goenv_tui.fixes import edits
from goenv_tui.fixes.builders import FixContext, borrow, disable, is_fish, loc_of
from goenv_tui.fixes.edits import EditRefused
from goenv_tui.fixes.plan import FileEdit, PlannedFix
from goenv_tui.graph import Step, ctx_node, var_node
from goenv_tui.model import Finding, Location, Op, Severity

_SKIP = {"SHELL"}


def _describe(ctx: CheckContext, step: Step) -> str:
    a = step.assignment
    via = f" (via {a.via}" + (f", called at {ctx.where(a.call_site)}" if a.call_site else "") + ")" if a.via else ""
    if a.op is Op.UNSET:
        return f"{ctx.where(a.location)} unset {a.var}{via}"
    return f"{ctx.where(a.location)} {a.op.value} {a.var}={ctx.tilde_list(a.value or '')}{via}"


def _compare_set(ctx: CheckContext) -> list[str]:
    """The contexts whose differences matter: those editors and terminals really use."""
    ok = {t.id for t in ctx.graph.ok_contexts()}
    primary = [c for c in ctx.graph.contexts if c in ctx.facts.primary and c in ok]
    return primary if len(primary) >= 2 else []


@check("GOENV-OVERRIDE-001", Severity.WARNING, "Overridden by a later file in some contexts only")
def partial_override(ctx: CheckContext) -> Iterator[Finding]:
    """`~/.zshrc` replacing a GOROOT or PATH set in `~/.zprofile` (or the reverse) means Terminal,
    VS Code's terminal and VS Code launched from the Dock each run a different Go."""
    ran_in: dict[tuple[str, Location], set[str]] = {}
    overridden: dict[tuple[str, Location], dict[str, tuple[Step, Step]]] = {}
    for t in ctx.graph.ok_contexts():
        for var in {a.var for a in t.assignments}:
            if var in _SKIP:
                continue
            steps = ctx.graph.chain(var, t.id)
            for s in steps:
                key = (var, s.assignment.location)
                ran_in.setdefault(key, set()).add(t.id)
                if s.overridden_by is not None:
                    later = steps[s.overridden_by]
                    if later.assignment.location.path != s.assignment.location.path:
                        overridden.setdefault(key, {})[t.id] = (s, later)
    for key, where in overridden.items():
        var, loc = key
        not_over = sorted(ran_in[key] - set(where))
        if not not_over:
            continue
        over_ids = sorted(where)
        s, later = where[over_ids[0]]
        chain = [f"{_describe(ctx, s)} → overridden at {_describe(ctx, later)} in {', '.join(over_ids)}"]
        chain.append(f"not overridden in {', '.join(not_over)}: {var} stays {ctx.tilde_list(s.assignment.value or '')!r} there")
        yield finding(
            f"{var}|{loc}", Severity.WARNING,
            f"{var} from {ctx.where(loc)} is overridden by {ctx.where(later.assignment.location)} in some contexts only",
            f"{var} is set at {ctx.where(loc)}, then replaced at {ctx.where(later.assignment.location)} in "
            f"{ctx.contexts_phrase(over_ids)}, but not in {ctx.contexts_phrase(not_over)}. Depending on how a "
            f"terminal or editor was started it sees a different {var}.",
            variable=var, contexts=over_ids + not_over,
            locations=[loc, later.assignment.location],
            evidence=[w[0].node for w in where.values()] + [w[1].node for w in where.values()],
            chain=chain,
        )


@check("GOENV-CTXDIFF-001", Severity.WARNING, "Go setting differs between contexts")
def go_var_differs(ctx: CheckContext) -> Iterator[Finding]:
    """A GO* variable with different values in the terminal and in what VS Code (or `ssh host cmd`)
    sees is the root of "works in my terminal but not in VS Code / over SSH"."""
    ids = _compare_set(ctx)
    if not ids:
        return
    # Pairwise differences from the first context, then every context's value (from the graph's
    # variable nodes): a name that differs anywhere differs from the first somewhere.
    # GOENV_ROOT, GOENV_SHELL … are goenv's own bookkeeping (GOENV_SHELL is "bash" in bash and
    # "zsh" in zsh by design), not settings the go command reads.
    names = sorted({x.name for c in ids[1:] for x in ctx.graph.differences(ids[0], c)
                    if x.name.startswith(("GO", "CGO_")) and not x.name.startswith("GOENV_")})
    for name in names:
        values: dict[str | None, list[str]] = {}
        for c in ids:
            values.setdefault(ctx.graph.final(name, c), []).append(c)
        if len(values) < 2:
            continue
        if name == "GOROOT" and len([v for v in values if v is not None]) < 2:
            # Set in some contexts, unset in others: where it is unset go finds its own, which
            # is never wrong; a GOROOT that is wrong where it is set is GOENV-GOROOT-001's.
            continue
        chain = []
        locations = []
        for value, cs in values.items():
            last, _ = ctx.graph.who_set(name, cs[0])
            origin = f" (set at {ctx.where(last.assignment.location)})" if last and value is not None else ""
            shown = "unset" if value is None else repr(ctx.tilde_list(value))
            chain.append(f"{name} is {shown}{origin} in {', '.join(cs)}")
            if last and value is not None:
                locations.append(last.assignment.location)
        yield finding(
            name, Severity.WARNING,
            f"{name} differs between contexts",
            f"{name} is not the same in every way your shell gets started: "
            + "; ".join(f"{'unset' if v is None else repr(v)} in {ctx.contexts_phrase(cs)}" for v, cs in values.items())
            + ". Go commands run by an editor or over ssh then behave differently from your terminal.",
            variable=name, contexts=ids, locations=locations,
            evidence=[var_node(c, name) for c in ids if name in ctx.graph.contexts[c].watched] + [ctx_node(c) for c in ids],
            chain=chain,
        )


def go_relevant(ctx: CheckContext, entry: str) -> bool:
    if ctx.facts.tools_in.get(entry):
        return True
    for t in ctx.graph.ok_contexts():
        for var in ("GOBIN",):
            if t.env.get(var) == entry:
                return True
        if t.env.get("GOROOT") and entry == t.env["GOROOT"].rstrip("/") + "/bin":
            return True
        for gp in (t.env.get("GOPATH") or "").split(":"):
            if gp and entry == gp.rstrip("/") + "/bin":
                return True
    return False


@check("GOENV-CTXDIFF-002", Severity.WARNING, "PATH entry present in some contexts only", also=(Severity.INFO,))
def path_entry_differs(ctx: CheckContext) -> Iterator[Finding]:
    """A directory holding go, gopls or dlv that is on PATH in the terminal but not in the
    environment VS Code or sshd starts tools with: "gopls not found", "go: command not found"."""
    ids = _compare_set(ctx)
    if not ids:
        return
    entries: dict[str, set[str]] = {}
    for c in ids:
        for e in (ctx.graph.contexts[c].env.get("PATH") or "").split(":"):
            if e:
                entries.setdefault(e, set()).add(c)
    groups: dict[tuple[str, ...], list[str]] = {}
    from goenv_tui.shells.tracer import SSHD_PATH

    # Directories the OS puts on PATH by default (login(1), sshd) differ by design; not news.
    defaults = set(ctx.facts.seed_path.split(":")) | {e for pair in SSHD_PATH.values() for p in pair for e in p.split(":")}
    for e, present in entries.items():
        if len(present) < len(ids) and e not in defaults:
            groups.setdefault(tuple(sorted(set(ids) - present)), []).append(e)
    for missing_in, dirs in groups.items():
        present_in = sorted(set(ids) - set(missing_in))
        relevant = [d for d in dirs if go_relevant(ctx, d)]
        severity = Severity.WARNING if relevant else Severity.INFO
        tools = {d: ctx.facts.tools_in.get(d, []) for d in dirs}
        chain = []
        locations = []
        for d in dirs:
            added = next((a for c in present_in if (a := ctx.graph.entry_origin(c, "PATH", d))), None)
            origin = f"added at {ctx.tilde(added['path'])}:{added['line']}" if added else "from the inherited PATH"
            if added:
                locations.append(Location(added["path"], added["line"]))
            has = f" (holds {', '.join(tools[d])})" if tools[d] else ""
            chain.append(f"{ctx.tilde(d)}{has}: {origin}; missing in {', '.join(missing_in)}")
        shown = ", ".join(ctx.tilde(d) for d in dirs[:4]) + (" …" if len(dirs) > 4 else "")
        yield finding(
            "|".join(missing_in) + "|" + "|".join(sorted(dirs)), severity,
            f"PATH lacks {shown} in {', '.join(missing_in)}",
            f"These PATH entries are present in {ctx.contexts_phrase(present_in)} but missing in "
            f"{ctx.contexts_phrase(missing_in)}"
            + (f"; {', '.join(ctx.tilde(d) for d in relevant)} {'is a' if len(relevant) == 1 else 'are'} Go tool "
               f"director{'y' if len(relevant) == 1 else 'ies'} (GOROOT/bin, GOBIN, GOPATH/bin, or holding go, gopls, dlv), "
               "so those programs will not find the tools there." if relevant else "."),
            variable="PATH", contexts=list(ids), locations=locations,
            evidence=[var_node(c, "PATH") for c in ids], chain=chain,
        )


@check("GOENV-EXPORT-001", Severity.WARNING, "Go variable set but not exported")
def not_exported(ctx: CheckContext) -> Iterator[Finding]:
    """`GOPATH=~/go` without `export` sets a shell variable that `go`, gopls and dlv never see."""
    found: dict[tuple[str, Location | None], list[str]] = {}
    for t in ctx.graph.ok_contexts():
        for name in t.watched:
            if name.startswith(("GO", "CGO_")) and name not in t.env:
                last, _ = ctx.graph.who_set(name, t.id)
                found.setdefault((name, last.assignment.location if last else None), []).append(t.id)
    for (name, loc), ids in found.items():
        yield finding(
            f"{name}|{loc}", Severity.WARNING,
            f"{name} is set but not exported" + (f" ({ctx.where(loc)})" if loc else ""),
            f"{name} is assigned at {ctx.where(loc)} without `export`, so it exists only inside the shell: "
            f"go, gopls and dlv started from {ctx.contexts_phrase(ids)} do not see it. Write `export {name}=…`.",
            variable=name, contexts=ids, locations=[loc] if loc else [],
            evidence=[var_node(c, name) for c in ids],
        )


@check("GOENV-GUARD-001", Severity.WARNING, "Exports after an early return", also=(Severity.INFO,))
def after_guard(ctx: CheckContext) -> Iterator[Finding]:
    """Exports placed after the "not interactive → return" guard of ~/.bashrc run in terminals but
    not for `ssh host cmd` or VS Code Remote-SSH, which then see no Go."""
    for t in ctx.graph.ok_contexts():
        for ret in t.early_returns:
            mine = {(a.var, a.location) for a in t.assignments}
            skipped: dict[tuple[str, Location], list[str]] = {}
            for other in ctx.graph.ok_contexts():
                for a in other.assignments:
                    # GOROOT is not missed where it is not set: go finds its own there.
                    if (a.location.path == ret.path and (a.location.line or 0) > (ret.line or 0)
                            and (a.var, a.location) not in mine and a.var != "GOROOT"):
                        skipped.setdefault((a.var, a.location), []).append(other.id)
            if not skipped:
                continue
            names = sorted({v for v, _ in skipped})
            severity = Severity.WARNING if t.id in ctx.facts.primary else Severity.INFO
            yield finding(
                f"{t.id}|{ret}", severity,
                f"{', '.join(names)} set after the early return at {ctx.where(ret)} "
                f"never reach{'es' if len(names) == 1 else ''} {t.id}",
                f"{ctx.where(ret)} returns early in {ctx.contexts_phrase([t.id])}, so the lines after it never "
                f"run there. They set {', '.join(names)}, which therefore exist in "
                f"{', '.join(sorted({c for cs in skipped.values() for c in cs}))} but not in {t.id}. "
                "Move these exports above the guard (or into a file every context reads).",
                variable=names[0] if len(names) == 1 else None, contexts=[t.id],
                locations=[ret] + sorted({loc for _, loc in skipped}),
                evidence=[ctx_node(t.id)],
                chain=[f"{ctx.where(ret)}: `return` in {t.id}"]
                + [f"{ctx.where(loc)} sets {v} (runs in {', '.join(sorted(set(cs)))})" for (v, loc), cs in sorted(skipped.items(), key=lambda kv: (kv[0][1], kv[0][0]))],
            )


# --- fixes ---------------------------------------------------------------------------------------

def _harmful(x: Finding) -> bool:
    """Whether the finding's check says a variable's value is itself wrong (`@check(wrong_value=True)`):
    a context that lacks it is the healthy one."""
    info = check_info(x.check)
    return info is not None and info.wrong_value


def _wrong_here(fc: FixContext, loc: Location) -> bool:
    """Whether a check says the value set at this line is itself wrong (then it must not be
    moved where more contexts read it)."""
    return any(_harmful(x) and (loc.path, loc.line) in {(y.path, y.line) for y in x.locations}
               for x in fc.d.findings)


@partial_override.fix
def override(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out: list[PlannedFix] = []
    first, later = loc_of(f, 0), loc_of(f, 1)
    if first is None or later is None:
        return out
    dead = any(x.check == "GOENV-GODIR-001" and (later.path, later.line) in {(y.path, y.line) for y in x.locations}
               for x in fc.d.findings)
    p = disable(fc, f, later, f"it overrode {f.variable} from {display.where(fc.home, first)} in some contexts only",
                 "comment-out-override", f"Comment out the override at {display.where(fc.home, later)}", dead_value=dead)
    if p:
        out.append(p)
    if not _wrong_here(fc, later):
        out += _move_to_profile(fc, f, later)
    return out


def _move_to_profile(fc: FixContext, f: Finding, loc: Location,
                     targets: tuple[str, ...] = (".zprofile", ".zshenv")) -> list[PlannedFix]:
    """zsh: move an export from ~/.zshrc (interactive only) to ~/.zshenv or ~/.zprofile."""
    if posixpath.basename(loc.path) != ".zshrc" or not fc.editable(loc.path) or loc.line is None:
        return []
    text = fc.text(loc.path)
    if text is None:
        return []
    out = []
    allowed = {f.variable, (f.variable or "").upper()} if f.variable else None
    try:
        rest, moved = edits.remove_statements(text, [loc.line], whole=False, name=tilde(fc.home, loc.path),
                                              allowed=allowed)
    except EditRefused as exc:
        fc.refuse(f, f"Move {display.where(fc.home, loc)}: {exc}")
        return []
    needed = edits.needs_from(moved, rest)
    if needed:
        # ~/.zshenv and ~/.zprofile run before ~/.zshrc: the moved line would read it unset.
        fc.refuse(f, f"Move {display.where(fc.home, loc)}: it uses ${needed}, which {tilde(fc.home, loc.path)} sets; "
                     "moved to a file read before it, it would read it unset")
        return []
    folder = posixpath.dirname(loc.path)
    for target, who in ((".zprofile", "login shells: Terminal, VS Code from the Dock"),
                        (".zshenv", "every zsh, interactive or not")):
        if target not in targets:
            continue
        tpath = posixpath.join(folder, target)
        ttext = fc.text(tpath)
        new_target = edits.insert_before(ttext or "", None, moved,
                                         f"moved from {display.where(fc.home, loc)} so that {who} see it", fc.today)
        p = fc.edit_fix(f, f"move-to-{target.lstrip('.')}", f"Move {display.where(fc.home, loc)} to ~/{target} ({who})",
                        [FileEdit(loc.path, text, rest), FileEdit(tpath, ttext, new_target)])
        if p:
            out.append(p)
    return out


@go_var_differs.fix
def ctxdiff(fc: FixContext, f: Finding) -> list[PlannedFix]:
    harmful = [x for x in fc.d.findings if _harmful(x) and x.variable == f.variable]
    if harmful:
        # Spreading GOFLAGS=-mod=vendor (or GOPROXY=off, a wrong GOROOT) to every context would
        # make them agree on the wrong value: remove it where it is set instead.
        return borrow(fc, f, harmful)
    out = []
    for loc in f.locations:
        out += _move_to_profile(fc, f, loc)
    return out[:2]


@path_entry_differs.fix
def path_entry_to_zshenv(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """A PATH entry added in ~/.zshrc reaches `zsh -c` only from ~/.zshenv (bash: GUARD-001's fix)."""
    out: list[PlannedFix] = []
    for loc in dict.fromkeys(f.locations):
        for p in _move_to_profile(fc, f, loc, targets=(".zshenv",)):
            if all(q.id != p.id for q in out):
                out.append(p)
    return out[:1]


@after_guard.fix
def guard(fc: FixContext, f: Finding) -> list[PlannedFix]:
    ret = loc_of(f, 0)
    rest = [loc for loc in f.locations[1:] if loc.line]
    if ret is None or not rest or not fc.editable(ret.path):
        return []
    text = fc.text(ret.path)
    if text is None:
        return []
    # Not a line whose value is itself wrong (GOFLAGS=-mod=vendor, a wrong GOROOT): moving it
    # would only carry the breakage to sshd and Remote-SSH.
    lines = sorted({loc.line for loc in rest if loc.path == ret.path and loc.line and not _wrong_here(fc, loc)})
    if not lines:
        return []
    try:
        new = edits.move_above(text, lines, ret.line or 1,
                               f"moved above the early return so that `ssh host cmd` and Remote-SSH get {f.variable or 'them'}",
                               fc.today, name=tilde(fc.home, ret.path))
    except EditRefused as exc:
        fc.refuse(f, f"Move above the early return at {display.where(fc.home, ret)}: {exc}")
        return []
    p = fc.edit_fix(f, "move-above-guard",
                    f"Move {len(lines)} line{'s' if len(lines) > 1 else ''} above the early return at {display.where(fc.home, ret)}",
                    [FileEdit(ret.path, text, new)])
    return [p] if p else []


@not_exported.fix
def export_it(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = loc_of(f)
    if loc is None or not fc.editable(loc.path):
        return []
    text = fc.text(loc.path)
    if text is None:
        return []
    fish = is_fish(loc.path)
    p = fc.edit_fix(f, "export", f"Export {f.variable} at {display.where(fc.home, loc)}",
                    [FileEdit(loc.path, text, edits.export_statement(text, loc.line or 1, fish=fish))])
    return [p] if p else []
