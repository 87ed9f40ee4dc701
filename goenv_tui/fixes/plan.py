"""What a fix will do, exactly: file edits (old and new text) or a command (argv, env, cwd).

A PlannedFix carries everything needed to preview it (a unified diff or the argv), to refuse it if
a file changed since it was read, to apply it and to verify it (which contexts to re-trace).
"""

from __future__ import annotations

import difflib
import hashlib
import shlex
from dataclasses import dataclass, field

from goenv_tui.display import tilde
from goenv_tui.model import Fix


def to_bytes(text: str) -> bytes:
    """A file's text back to its exact bytes: files are decoded with surrogateescape, so bytes
    that are not UTF-8 (Latin-1 comments, stray binary) survive an edit of another line."""
    return text.encode("utf-8", "surrogateescape")


def from_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def shown(text: str) -> str:
    """Text fit to print: undecodable bytes as \\xNN escapes (a terminal cannot show them)."""
    return to_bytes(text).decode("utf-8", "backslashreplace")


def lines_of(text: str) -> list[str]:
    """Lines as the shell counts them: split on \\n only. str.splitlines also splits on form
    feed, U+2028 and others, which would shift every later line number off the one the shell
    (and the trace) reported."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def sha(text: str | bytes | None) -> str | None:
    if text is None:
        return None
    data = to_bytes(text) if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileEdit:
    path: str  # the file written: for a symlinked dotfile, the link's target (the link is kept)
    before: str | None  # None: the file does not exist yet
    after: str | None  # None: the file is removed
    link: str | None = None  # the symlink (stow, rcup, yadm) through which the home reads `path`

    @property
    def changes(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class PlannedFix:
    fix: Fix
    finding_id: str
    check: str
    edits: tuple[FileEdit, ...] = ()
    argv: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    # Files a command writes (go env file, go.mod, go.work, an installed binary): backed up first
    # so that the command can be undone like an edit.
    touches: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()  # re-traced to verify the fix
    safe: bool = False  # a reversible edit that needs no judgement: offered by "fix all safe ones"
    undoable: bool = True
    # A fix borrowed from the finding that causes this one (a failed probe): the trial, which
    # does not probe, judges it by that finding.
    cause: str | None = None
    # Why the builder would not plan the obvious edit (a line that does several things, a
    # compound it would break): shown instead of a fix, never applied.
    refused: str | None = None

    @property
    def id(self) -> str:
        return self.fix.id

    @property
    def is_noop(self) -> bool:
        return not self.argv and not any(e.changes for e in self.edits)


def unified_diff(edits: tuple[FileEdit, ...], home: str) -> str:
    out: list[str] = []
    for e in edits:
        if not e.changes:
            continue
        name = tilde(home, e.path)
        if e.link:
            out.append(f"# {tilde(home, e.link)} is a symlink: its target {name} is edited, the link is kept\n")
        before = [shown(ln) for ln in lines_of(e.before or "")]
        after = [shown(ln) for ln in lines_of(e.after or "")]
        diff = difflib.unified_diff(before, after, fromfile=name if e.before is not None else "/dev/null",
                                    tofile=name if e.after is not None else "/dev/null", n=2)
        for line in diff:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def command_preview(argv: tuple[str, ...], env_changes: dict[str, str], cwd: str | None, home: str) -> str:
    lines = []
    if cwd:
        lines.append(f"(in {tilde(home, cwd)})")
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env_changes.items()))
    lines.append("$ " + (prefix + " " if prefix else "") + " ".join(shlex.quote(tilde(home, a)) for a in argv))
    return "\n".join(lines)
