"""Contexts whose startup did not finish, and startup files the shell could not read sanely."""

from __future__ import annotations

from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.graph import ctx_node
from goenv_tui.model import ContextTrace, Finding, Location, Severity, TraceStatus


@check("GOENV-TRACE-001", Severity.ERROR, "Shell startup hangs", also=(Severity.WARNING,))
def startup_hangs(ctx: CheckContext) -> Iterator[Finding]:
    """A startup file that waits for input (`read`), sleeps, or `exec`s tmux never finishes when
    no one is typing: VS Code gives up resolving the shell environment ("Unable to resolve your
    shell environment in a reasonable time") and `ssh host cmd` hangs."""
    runaway: dict[str, list[ContextTrace]] = {}
    for t in ctx.graph.contexts.values():
        if t.runaway is not None:
            runaway.setdefault(t.runaway, []).append(t)
    yield from _runaways(ctx, runaway)
    hung = [t for t in ctx.graph.contexts.values() if t.status is TraceStatus.TIMEOUT and t.runaway is None]
    by_place: dict[str, list[ContextTrace]] = {}
    blocked: dict[str, tuple[str, str]] = {}
    for t in hung:
        stuck = _blocked_on(ctx, t)
        if stuck is not None:
            # The last traced line is only where the shell was before it opened the file that
            # never ends (a FIFO waits for a writer, /dev/zero never reaches its end).
            place = ctx.tilde(stuck[0])
            blocked[place] = stuck
        else:
            place = ctx.where(t.stopped_at)
        by_place.setdefault(place, []).append(t)
    for place, traces in by_place.items():
        ids = [t.id for t in traces]
        first = traces[0]
        if place in blocked:
            path, kind = blocked[place]
            yield finding(
                path, Severity.ERROR,
                f"Shell startup hangs reading {place}: it is {kind}",
                f"{ctx.contexts_phrase(ids)}: the shell opens {place} and waits forever, because it is {kind}, "
                "not a regular file (a FIFO blocks until something writes to it; a device like /dev/zero never "
                "ends). Programs that start the shell this way (an editor resolving its environment, `ssh host "
                "cmd`) wait for it until they give up. Replace it with a regular file.",
                contexts=ids, locations=[Location(path, None)], evidence=[ctx_node(i) for i in ids],
                chain=[f"{t.id}: last traced command at {ctx.where(t.stopped_at)}, then opens {place}" for t in traces],
            )
            continue
        # Still running new lines at the ceiling: slow, not stuck; say so rather than "hangs".
        title = (f"Shell startup is too slow (still running at {place})" if all(t.slow for t in traces)
                 else f"Shell startup hangs at {place}")
        yield finding(
            place, Severity.ERROR,
            title,
            f"{ctx.contexts_phrase(ids)}: {first.error or 'startup did not finish'}. Programs that start the "
            "shell this way (an editor resolving its environment, `ssh host cmd`) wait for it until they give up.",
            contexts=ids, locations=[t.stopped_at for t in traces if t.stopped_at],
            evidence=[ctx_node(i) for i in ids],
            chain=[f"{t.id}: last command at {ctx.where(t.stopped_at)}" for t in traces],
        )


def _runaways(ctx: CheckContext, by_headline: dict[str, list[ContextTrace]]) -> Iterator[Finding]:
    """Startups that repeat themselves without end (checked against the untraced shell): a file
    that sources itself, a function that calls itself, an endless loop."""
    home = ctx.facts.home.rstrip("/") + "/"
    for headline, traces in by_headline.items():
        ids = [t.id for t in traces]
        ends = any(t.status is TraceStatus.OK for t in traces)  # the shell's own limit stopped it
        first = traces[0]
        detail = (first.error or next((n for n in first.notes if headline.split(":")[0] in n), "")).replace(home, "~/")
        yield finding(
            f"runaway:{headline}", Severity.WARNING if ends else Severity.ERROR,
            headline.replace(home, "~/"),
            f"{ctx.contexts_phrase(ids)}: {detail}. "
            + ("Every start runs it again and again until the shell's recursion limit stops it, printing an "
               "error and wasting time." if ends else
               "Programs that start the shell this way (an editor resolving its environment, `ssh host cmd`) "
               "get no environment from it."),
            contexts=ids, locations=[t.stopped_at for t in traces if t.stopped_at],
            evidence=[ctx_node(i) for i in ids],
            chain=[f"{t.id}: {ctx.where(t.stopped_at)}" for t in traces],
        )


# The user startup files each shell reads, by mode, in order (shell-startup.md).
def _user_files(t: ContextTrace) -> list[str]:
    spec = t.spec
    if spec.shell == "bash":
        if spec.login:
            return [".bash_profile", ".bash_login", ".profile"]
        return [".bashrc"] if spec.interactive or spec.sshd_command else []
    if spec.shell == "zsh":
        return [".zshenv"] + ([".zprofile"] if spec.login else []) + ([".zshrc"] if spec.interactive else []) \
            + ([".zlogin"] if spec.login else [])
    return []


def _blocked_on(ctx: CheckContext, t: ContextTrace) -> tuple[str, str] | None:
    """The user startup file a hung context was opening, when that file is a FIFO or a device."""
    read = {f.path for f in t.files}
    home = ctx.facts.home.rstrip("/")
    for name in _user_files(t):
        path = f"{home}/{name}"
        entry = ctx.facts.files.get(path)
        error = getattr(entry, "error", None) or ""
        if path in read:
            continue
        for kind in ("a FIFO (named pipe)", "a character device", "a block device", "a socket"):
            if error.startswith(kind):
                return path, error.split(", not a regular file")[0]
        if t.spec.shell == "bash" and t.spec.login and entry is not None and error != "does not exist":
            return None  # bash reads only the first login file that exists
    return None


@check("GOENV-TRACE-002", Severity.ERROR, "Shell startup exits or fails", also=(Severity.WARNING,))
def startup_fails(ctx: CheckContext) -> Iterator[Finding]:
    """A startup file that `exec`s another program or `exit`s ends the shell before the editor
    can read its environment: VS Code falls back to a bare environment with no Go on PATH."""
    for t in ctx.graph.contexts.values():
        if t.status is not TraceStatus.ERROR or t.runaway is not None:
            continue  # a runaway is GOENV-TRACE-001's
        severity = Severity.ERROR if t.id in ctx.facts.primary else Severity.WARNING
        place = ctx.where(t.stopped_at) if t.stopped_at else None
        yield finding(
            t.id, severity,
            f"{t.id}: startup did not complete" + (f" (at {place})" if place else ""),
            f"{t.error}. Programs that start {t.spec.label} shells "
            f"({', '.join(t.used_by) or 'none known here'}) get no usable environment from it.",
            contexts=[t.id], locations=[t.stopped_at] if t.stopped_at else [],
            evidence=[ctx_node(t.id)],
        )


@check("GOENV-TRACE-003", Severity.WARNING, "Startup file unreadable or not text", also=(Severity.INFO,))
def bad_files(ctx: CheckContext) -> Iterator[Finding]:
    """A startup file that cannot be read, or holds binary garbage or invalid UTF-8, makes the
    shell print errors at every start and silently skip the rest of its lines."""
    read_by: dict[str, list[str]] = {}
    for t in ctx.graph.contexts.values():
        for f in t.files:
            read_by.setdefault(f.path, []).append(t.id)
    for path, entry in sorted(ctx.facts.files.items()):
        if entry.error in (None, "does not exist", "a stream (process substitution), not a file"):
            if entry.truncated:
                yield finding(path + ":big", Severity.INFO,
                              f"{ctx.tilde(path)} is very large",
                              f"{ctx.tilde(path)} is over 2 MB; only its first 2 MB were read for the static "
                              "view (the shell trace covers all of it). A startup file this big slows every shell.",
                              contexts=read_by.get(path, []), locations=[_loc(path)])
            continue
        yield finding(
            path, Severity.WARNING,
            f"{ctx.tilde(path)}: {entry.error}",
            f"The startup file {ctx.tilde(path)} {_explain(entry.error)}. "
            + (f"It is read by {', '.join(read_by[path])}." if path in read_by else "No traced context reads it."),
            contexts=read_by.get(path, []), locations=[_loc(path)],
            evidence=[f"file:{path}"],
        )


def _loc(path: str) -> Location:
    return Location(path, None)


def _explain(error: str) -> str:
    if error.startswith("not readable by"):
        return f"is {error}"
    if "not a regular file" in error:
        return (f"is {error.split(', not a regular file')[0]}, not a regular file: a shell that opens it waits "
                "forever (a FIFO until something writes to it, a device like /dev/zero never ends); "
                "goenv-tui did not read it")
    if error.startswith("binary"):
        return ("holds binary data: the shell stops at a syntax error in it, so nothing after that point runs "
                "(restore it from a backup or your dotfiles repository)")
    if "UTF-8" in error:
        return "is not valid UTF-8; values copied from it may be garbled"
    return f"cannot be read ({error}); the shell skips it with an error"
