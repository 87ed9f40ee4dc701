"""Applying a fix safely, verifying it, undoing it.

plan → preview → (the caller confirms) → refuse if a file changed since it was read → backup →
journal `pending` → atomic write (or the command) → journal `applied` → re-trace → verdict: did
the finding clear, did anything new appear. Undo restores from the journal, refusing if the file
changed since the fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pexpect

from goenv_tui.diagnose import Diagnosis, diagnose
from goenv_tui.display import tilde
from goenv_tui.fixes.journal import Entry, Journal
from goenv_tui.fixes.plan import PlannedFix, sha
from goenv_tui.host import Host, HostError
from goenv_tui.model import Finding
from goenv_tui.probes.session import Session
from goenv_tui.shells.tracer import TraceOptions

COMMAND_TIMEOUT = 900.0


class FixRefused(Exception):
    """The fix was not applied; the message says why (fit to show a person)."""


@dataclass
class Outcome:
    entry: Entry | None
    applied: bool
    cleared: bool = False
    new: list[str] = field(default_factory=list)
    verdict: str = ""
    output: str = ""
    after: Diagnosis | None = None


def _crash_point(name: str) -> None:
    """Test hook: simulate the process dying at a given point (GOENV_TUI_TEST_CRASH=name)."""
    if os.environ.get("GOENV_TUI_TEST_CRASH") == name:
        os._exit(70)


def _check_unchanged(host: Host, planned: PlannedFix, home: str) -> None:
    for e in planned.edits:
        try:
            current = host.read_text(e.path) if host.stat(e.path).exists else None
        except HostError:
            current = None
        if sha(current) != sha(e.before):
            raise FixRefused(f"{tilde(home, e.path)} changed since it was read; run the diagnosis again "
                             "before fixing (nothing was written).")


def _run_command(host: Host, planned: PlannedFix, on_line: Callable[[str], None] | None) -> tuple[bool, str]:
    """Run a fix's command, streaming its output line by line (go install can take a minute)."""
    lines: list[str] = []

    def note(text: str) -> None:
        lines.append(text)
        if on_line:
            on_line(text)

    with Session(host, planned.argv, planned.env, planned.cwd, COMMAND_TIMEOUT, pty=False, on_line=note) as s:
        buf = b""
        while True:
            try:
                chunk = s.child.read_nonblocking(4096, timeout=0.1)
            except pexpect.EOF:
                break
            if not chunk:
                if not s.alive():
                    try:
                        chunk = s.child.read_nonblocking(65536, timeout=0.1)
                    except pexpect.EOF:
                        chunk = b""
                    buf += chunk
                    break
                s.remaining()
                time.sleep(0.02)
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                note(line.decode(errors="replace"))
        if buf.strip():
            note(buf.decode(errors="replace"))
        s.child.proc.wait(timeout=5)
        code = s.child.proc.returncode
    ok = code == 0
    note(f"(exit status {code})")
    return ok, "\n".join(lines)


def apply_fix(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix,
              on_line: Callable[[str], None] | None = None, verify: bool = True) -> Outcome:
    home = opts.home
    if planned.is_noop:
        return Outcome(None, False, verdict="Nothing to change: the fix is already in place.")
    _check_unchanged(host, planned, home)
    journal = Journal(host, home)
    entry = journal.new_entry(planned.finding_id, planned.check, planned.id, planned.fix.title)
    entry.argv = list(planned.argv)
    paths = [e.path for e in planned.edits if e.changes] + list(planned.touches)
    try:
        for i, path in enumerate(dict.fromkeys(paths)):
            entry.files.append(journal.backup(entry, path, i))
        journal.save(entry)  # pending: the backups exist before anything is written
    except (HostError, OSError) as exc:
        raise FixRefused(f"could not back up before writing ({exc}); nothing was written.") from exc
    _crash_point("after-backup")
    output = ""
    try:
        for e in planned.edits:
            if not e.changes:
                continue
            if e.after is None:
                host.remove_file(e.path)
            else:
                parent = os.path.dirname(e.path)
                if parent:
                    host.makedirs(parent)
                host.write_atomic(e.path, e.after.encode())
        ok = True
        if planned.argv:
            ok, output = _run_command(host, planned, on_line)
    except (HostError, OSError) as exc:
        entry.state = "failed"
        entry.verdict = f"failed: {exc}"
        journal.save(entry)
        raise FixRefused(f"the fix could not be applied: {exc}") from exc
    for rec in entry.files:
        try:
            rec.sha_after = sha(host.read_bytes(rec.path)) if host.stat(rec.path).exists else None
        except HostError:
            rec.sha_after = None
    entry.output = output[-4000:]
    entry.state = "applied" if ok else "failed"
    journal.save(entry)
    if not ok:
        return Outcome(entry, False, verdict=f"The command failed (see its output); nothing else was changed. "
                                              f"Undo with `goenv-tui undo {entry.id}` if it wrote anything.",
                       output=output)
    if not verify:
        entry.verdict = "applied (not verified)"
        journal.save(entry)
        return Outcome(entry, True, verdict=entry.verdict, output=output)
    after = diagnose(host, opts, workspace, probes=planned.check.startswith("GOENV-PROBE"))
    before_ids = {f.id for f in before.findings}
    target = next((f for f in before.findings if f.id == planned.finding_id), None)
    still = any(f.id == planned.finding_id or (target is not None and same_problem(target, f)) for f in after.findings)
    new = [f.title for f in after.findings if f.id not in before_ids and f.severity.value != "info"
           and not any(same_problem(b, f) for b in before.findings)]
    if still:
        verdict = "Applied, but the finding is still there."
    else:
        verdict = "Applied and verified: the finding is gone."
    if new:
        verdict += f" New: {'; '.join(new[:3])}."
    verdict += f" Undo: goenv-tui undo {entry.id}"
    entry.verdict = verdict
    journal.save(entry)
    return Outcome(entry, True, cleared=not still, new=new, verdict=verdict, output=output, after=after)


def same_problem(a: Finding, b: Finding) -> bool:
    """Whether b is a still-open a: ids hash locations, and fixing a file shifts line numbers."""
    if a.check != b.check or a.variable != b.variable:
        return False
    if a.check.startswith("GOENV-VSCODE") and a.title != b.title:
        # Several settings can trip one check (two missing alternate tools, user and workspace
        # go.goroot); the title names the setting and its file.
        return False
    if a.contexts or b.contexts:
        return bool(set(a.contexts) & set(b.contexts))
    return bool({loc.path for loc in a.locations} & {loc.path for loc in b.locations})


def undo(host: Host, home: str, entry_id: str) -> Entry:
    journal = Journal(host, home)
    entry = journal.get(entry_id)
    if entry is None:
        raise FixRefused(f"no journal entry {entry_id!r} (see `goenv-tui undo --list`)")
    if entry.state == "undone":
        raise FixRefused(f"{entry.id} was already undone")
    for rec in entry.files:
        current = host.read_bytes(rec.path) if host.stat(rec.path).exists else None
        # A `pending` entry means the process died mid-fix: writes are atomic renames, so the file
        # is either untouched or fully written; restoring the backup is right in both cases.
        if entry.state != "pending" and sha(current) != rec.sha_after:
            raise FixRefused(f"{tilde(home, rec.path)} changed since the fix; not restoring it over your edits "
                             f"(the backup is at {rec.backup}).")
    for rec in entry.files:
        if rec.existed and rec.backup:
            data = host.read_bytes(rec.backup)
            host.write_atomic(rec.path, data, mode=rec.mode)
        elif not rec.existed and host.stat(rec.path).exists:
            host.remove_file(rec.path)
    entry.state = "undone"
    journal.save(entry)
    return entry


def safe_candidates(d: Diagnosis, severities: set[str], attempted: set[tuple[str, str, str]] | None = None
                    ) -> list[tuple[Finding, PlannedFix]]:
    """The first safe fix of every finding of these severities (worst first), each change once:
    a failed probe offers its cause's fix, which the cause's own finding offers too."""
    attempted = attempted or set()
    out = []
    seen: set[tuple] = set()
    for f in d.findings:
        if f.severity.value not in severities:
            continue
        for p in d.plans.get(f.id, [])[:1]:
            change = (tuple((e.path, e.after) for e in p.edits if e.changes), p.argv)
            if p.safe and not p.is_noop and (f.check, p.id, p.fix.title) not in attempted and change not in seen:
                seen.add(change)
                out.append((f, p))
    return out


def attempt_fix(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix,
                on_line: Callable[[str], None] | None = None) -> Outcome:
    """apply_fix for callers that show the result rather than handle errors (the TUI, the wizard,
    apply_safe): a refusal or any failure becomes an unapplied Outcome whose verdict says why."""
    try:
        return apply_fix(host, opts, workspace, before, planned, on_line=on_line)
    except FixRefused as exc:
        return Outcome(None, False, verdict=f"Not applied: {exc}")
    except Exception as exc:  # shown to the person, never swallowed silently
        return Outcome(None, False, verdict=f"Not applied: {type(exc).__name__}: {exc}")


def apply_safe(host: Host, opts: TraceOptions, workspace: str | None, d: Diagnosis, severities: set[str],
               on_result: Callable[[Finding, Outcome], None] | None = None) -> tuple[list[Outcome], Diagnosis]:
    """Apply every safe fix of these severities one by one, each verified by a fresh trace that
    the next one is planned against (so two fixes to one file never race)."""
    attempted: set[tuple[str, str, str]] = set()
    outcomes: list[Outcome] = []
    while True:
        todo = safe_candidates(d, severities, attempted)
        if not todo:
            return outcomes, d
        f, p = todo[0]
        attempted.add((f.check, p.id, p.fix.title))
        out = attempt_fix(host, opts, workspace, d, p)
        outcomes.append(out)
        if on_result is not None:
            on_result(f, out)
        if out.after is not None:
            d = out.after
