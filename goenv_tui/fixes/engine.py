"""Applying a fix safely, verifying it, undoing it.

plan → preview → (the caller confirms) → refuse if a file changed since it was read → backup →
journal `pending` → atomic write (or the command) → journal `applied` → re-trace → verdict: did
the finding clear, did anything new appear. Undo restores from the journal, refusing if the file
changed since the fix.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pexpect
from pexpect.popen_spawn import PopenSpawn

from goenv_tui.diagnose import Diagnosis, diagnose
from goenv_tui.display import tilde
from goenv_tui.fixes.journal import Entry, Journal
from goenv_tui.fixes.lock import LockTimeout, files_locked
from goenv_tui.fixes.plan import PlannedFix, sha, to_bytes
from goenv_tui.fixes.trial import Trial, assess, run_trial, shell_of, still_there, syntax_error
from goenv_tui.fixes.trial import same_problem as _same_problem
from goenv_tui.host import Host, HostError
from goenv_tui.model import Finding
from goenv_tui.probes.session import Session
from goenv_tui.redact import redactor_for
from goenv_tui.shells.tracer import TraceOptions

COMMAND_TIMEOUT = 900.0


class FixRefused(Exception):
    """The fix was not applied; the message says why (fit to show a person)."""


class NotSafe(FixRefused):
    """The trial on a private copy showed the fix would not clear its finding or would make
    something worse; it is applied only when forced."""

    def __init__(self, trial: Trial) -> None:
        super().__init__(f"{trial.verdict}. Tried on a private copy, nothing was written; "
                         "apply it anyway only with --force-unsafe.")
        self.trial = trial


@dataclass
class Outcome:
    entry: Entry | None
    applied: bool
    cleared: bool = False
    new: list[str] = field(default_factory=list)
    verdict: str = ""
    output: str = ""
    after: Diagnosis | None = None
    trial: Trial | None = None
    rolled_back: bool = False


def _crash_point(name: str) -> None:
    """Test hook: simulate the process dying at a given point (GOENV_TUI_TEST_CRASH=name)."""
    if os.environ.get("GOENV_TUI_TEST_CRASH") == name:
        os._exit(70)


def _check_unchanged(host: Host, planned: PlannedFix, home: str) -> None:
    for e in planned.edits:
        try:
            current = host.read_bytes(e.path) if host.stat(e.path).exists else None
        except HostError:
            current = None
        if sha(current) != sha(e.before):
            raise FixRefused(f"{tilde(home, e.path)} changed since it was read; run the diagnosis again "
                             "before fixing (nothing was written).")
        if e.link is not None:
            info = host.lstat(e.link)
            if not info.is_symlink or host.realpath(e.link) != e.path:
                raise FixRefused(f"{tilde(home, e.link)} no longer links to {tilde(home, e.path)}; run the diagnosis "
                                 "again before fixing (nothing was written).")


def _run_command(host: Host, planned: PlannedFix, on_line: Callable[[str], None] | None) -> tuple[bool, str]:
    """Run a fix's command, streaming its output line by line (go install can take a minute)."""
    lines: list[str] = []

    def note(text: str) -> None:
        lines.append(text)
        if on_line:
            on_line(text)

    with Session(host, planned.argv, planned.env, planned.cwd, COMMAND_TIMEOUT, pty=False, on_line=note) as s:
        assert isinstance(s.child, PopenSpawn)  # pty=False: a pipe, bytes
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


def _edited_paths(planned: PlannedFix) -> list[str]:
    return list(dict.fromkeys([e.path for e in planned.edits if e.changes] + list(planned.touches)))


def apply_fix(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix,
              on_line: Callable[[str], None] | None = None, verify: bool = True, trial: Trial | None = None,
              force: bool = False) -> Outcome:
    """Apply a fix that its trial found safe (`force`: even one it did not), verify it by a fresh
    diagnosis, and roll it back byte for byte if the real result is not what the trial showed."""
    home = opts.home
    _refuse_for_another_user(host, home)
    if planned.is_noop:
        return Outcome(None, False, verdict="Nothing to change: the fix is already in place.")
    if trial is None:
        trial = run_trial(host, opts, workspace, before, planned)
    if trial.tried and not trial.safe and not force:
        # A file another fix changed meanwhile makes the trial's "worse" someone else's doing:
        # say that the file changed, not that this fix is unsafe.
        _check_unchanged(host, planned, home)
        raise NotSafe(trial)
    try:
        with files_locked(host, home, _edited_paths(planned)):
            return _apply_locked(host, opts, workspace, before, planned, on_line, verify, trial, force)
    except LockTimeout as exc:
        raise FixRefused(f"{exc}; nothing was written.") from exc
    except OSError as exc:  # the state directory (locks, backups, journal) cannot be made
        raise FixRefused(f"could not back up before writing ({exc}); nothing was written.") from exc


def _apply_locked(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix,
                  on_line: Callable[[str], None] | None, verify: bool, trial: Trial, force: bool) -> Outcome:
    home = opts.home
    _check_unchanged(host, planned, home)
    journal = Journal(host, home, redactor_for(before.facts))
    entry = journal.new_entry(planned.finding_id, planned.check, planned.id, planned.fix.title)
    entry.argv = list(planned.argv)
    links = {e.path: e.link for e in planned.edits if e.link}
    try:
        for i, path in enumerate(_edited_paths(planned)):
            rec = journal.backup(entry, path, i)
            rec.link = links.get(path)
            entry.files.append(rec)
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
                # e.path is the link's target for a symlinked dotfile: the rename replaces the
                # target, and the link keeps pointing at it.
                host.write_atomic(e.path, to_bytes(e.after))
        ok = True
        if planned.argv:
            ok, output = _run_command(host, planned, on_line)
    except (HostError, OSError) as exc:
        raise _abandon(host, journal, entry, home, exc, planned) from exc
    for rec in entry.files:
        try:
            rec.sha_after = sha(host.read_bytes(rec.path)) if host.stat(rec.path).exists else None
        except HostError:
            rec.sha_after = None
    entry.output = output[-4000:]
    entry.state = "applied" if ok else "failed"
    try:
        journal.save(entry)
    except (HostError, OSError) as exc:  # a disk that filled up after the backups were written
        raise _abandon(host, journal, entry, home, exc, planned) from exc
    if not ok:
        return Outcome(entry, False, verdict=f"The command failed (see its output); nothing else was changed. "
                                              f"Undo with `goenv-tui undo {entry.id}` if it wrote anything.",
                       output=output, trial=trial)
    if not verify:
        entry.verdict = "applied (not verified)"
        _saved(journal, entry)  # the entry is recorded `applied` already; the verdict is a note
        return Outcome(entry, True, verdict=entry.verdict, output=output, trial=trial)
    after = diagnose(host, opts, workspace, probes=planned.check.startswith("GOENV-PROBE"))
    syntax = []
    for e in planned.edits:
        if e.changes and e.after is not None:
            shell = shell_of(e.link or e.path)
            err = syntax_error(host, e.path, shell) if shell else None
            if err:
                syntax.append(f"{tilde(home, e.path)} fails its shell's syntax check: {err}")
    j = assess(before, after, planned, home, syntax=syntax, timing=False)
    if planned.check.startswith("GOENV-PROBE") and planned.cause is not None:
        # Probed again for real: the probe's own finding must clear too.
        j.cleared = j.cleared and not still_there(next((f for f in before.findings if f.id == planned.finding_id), None),
                                                  planned.finding_id, after)
    if not j.ok and not force:
        why = "; ".join(dict.fromkeys(j.problems)) or "the finding did not clear"
        _roll_back(host, journal, entry, home)
        entry.verdict = f"Rolled back: the real result differed from the trial ({why})."
        if not _saved(journal, entry):
            raise FixRefused(f"rolled back (the real result differed from the trial: {why}), but the journal could "
                             f"not record it; entry {entry.id} still reads `applied`")
        return Outcome(entry, False, cleared=False, new=list(j.problems), verdict=entry.verdict, output=output,
                       after=after, trial=trial, rolled_back=True)
    if j.cleared:
        verdict = "Applied and verified: the finding is gone."
    else:
        verdict = "Applied, but the finding is still there."
    new = list(dict.fromkeys(p for p in j.problems if not p.endswith("is still there after the fix")))
    if new:
        verdict += f" Worse: {'; '.join(new[:3])}."
    verdict += f" Undo: goenv-tui undo {entry.id}"
    entry.verdict = verdict
    _saved(journal, entry)  # recorded `applied` already; the verdict is a note
    return Outcome(entry, True, cleared=j.cleared, new=new, verdict=verdict, output=output, after=after, trial=trial)


def _abandon(host: Host, journal: Journal, entry: Entry, home: str, exc: BaseException,
             planned: PlannedFix) -> FixRefused:
    """Writing the fix, or recording it in the journal, failed after the backups were made (a
    disk that filled up meanwhile): nothing may stay half-written. Every file is put back as it
    was and the entry recorded as rolled back; if the journal cannot be written either, this
    entry's backups (no longer needed once the files are back) are removed to make room, and it
    is tried again. The one-line error says what is true at the end."""
    why = (exc.strerror or str(exc)) if isinstance(exc, OSError) and not isinstance(exc, HostError) else str(exc)
    names = ", ".join(tilde(home, r.path) for r in entry.files) or "no file"
    was = "as it was" if len(entry.files) <= 1 else "as they were"
    try:
        _roll_back(host, journal, entry, home)
    except FixRefused as failed:
        entry.state, entry.verdict = "failed", f"failed: {why}; {failed}"
        with contextlib.suppress(HostError, OSError):
            journal.save(entry)
        return FixRefused(f"the fix could not be completed ({why}), and {failed}")
    entry.verdict = f"Rolled back: the fix could not be completed ({why})."
    if not _saved(journal, entry):
        folder = posixpath.join(journal.dir, "backups", entry.id)
        with contextlib.suppress(HostError, OSError):
            host.remove_tree(folder)
        for rec in entry.files:
            rec.backup = None
        if not _saved(journal, entry):
            return FixRefused(f"the fix could not be completed ({why}); {names} left {was}, but the journal "
                              f"could not record it: entry {entry.id} stays `pending` with nothing to undo")
    ran = " (its command had already run)" if planned.argv else ""
    return FixRefused(f"the fix could not be completed ({why}); {names} left {was}{ran}, "
                      f"journal entry {entry.id} marked rolled back")


def _saved(journal: Journal, entry: Entry) -> bool:
    try:
        journal.save(entry)
    except (HostError, OSError):
        return False
    return True


def _roll_back(host: Host, journal: Journal, entry: Entry, home: str) -> None:
    """Put every file back byte for byte (or remove the ones the fix created), then check it.
    A file that already is as it was is not written again."""
    failures = []
    for rec in entry.files:
        try:
            current = host.read_bytes(rec.path) if host.stat(rec.path).exists else None
            if rec.existed and current is not None and sha(current) == rec.sha_before:
                continue
            if rec.existed and rec.backup:
                host.write_atomic(rec.path, host.read_bytes(rec.backup), mode=rec.mode)
            elif not rec.existed and host.stat(rec.path).exists:
                host.remove_file(rec.path)
            now = host.read_bytes(rec.path) if host.stat(rec.path).exists else None
            if sha(now) != rec.sha_before:
                failures.append(tilde(home, rec.path))
        except (HostError, OSError) as exc:
            failures.append(f"{tilde(home, rec.path)} ({exc})")
    entry.state = "rolled-back" if not failures else "failed"
    if failures:
        raise FixRefused(f"the rollback could not restore {', '.join(failures)}; the backups are in "
                         f"{journal.dir}/backups/{entry.id}")


def same_problem(a: Finding, b: Finding) -> bool:
    return _same_problem(a, b)


def _refuse_for_another_user(host: Host, home: str) -> None:
    """As root for another user's home, goenv-tui would write root-owned backups and journals
    into it: fixes run as the home's owner or not at all."""
    run_as = host.run_as
    if run_as is not None:
        raise FixRefused(f"{home} belongs to {run_as.name}; run the fix as that user "
                         f"(sudo -u {run_as.name} goenv-tui …), not as root")


def undo_chain(host: Host, home: str, entry_id: str) -> list[Entry]:
    """What undoing `entry_id` takes, in order: the later fixes that changed the same files
    (newest first; they were made on top of it), then the entry itself."""
    _refuse_for_another_user(host, home)
    journal = Journal(host, home)
    entry = journal.get(entry_id)
    if entry is None:
        raise FixRefused(f"no journal entry {entry_id!r} (see `goenv-tui undo --list`)")
    if entry.state == "undone":
        raise FixRefused(f"{entry.id} was already undone")
    if entry.state == "rolled-back":
        raise FixRefused(f"{entry.id} was rolled back when it was applied; there is nothing to undo")
    entries = journal.entries()
    ids = [e.id for e in entries]
    later = entries[ids.index(entry.id) + 1:] if entry.id in ids else []
    paths = {r.path for r in entry.files}
    chain: list[Entry] = []
    for e in later:
        if e.state == "applied" and paths & {r.path for r in e.files}:
            chain.append(e)
            paths |= {r.path for r in e.files}
    return [*reversed(chain), entry]


def _check_chain(host: Host, home: str, chain: list[Entry]) -> None:
    """Refuse before writing anything if a file changed other than by these fixes."""
    expected: dict[str, str | None] = {}
    for e in chain:  # newest first
        for rec in e.files:
            if rec.path not in expected:
                current = host.read_bytes(rec.path) if host.stat(rec.path).exists else None
                # A `pending` entry means the process died mid-fix: writes are atomic renames,
                # so the file is either untouched or fully written; its backup is right in both cases.
                if e.state != "pending" and sha(current) != rec.sha_after:
                    raise FixRefused(f"{tilde(home, rec.path)} changed since the fix; not restoring it over your "
                                     f"edits (the backup is at {rec.backup}).")
            elif expected[rec.path] != rec.sha_after and e.state != "pending":
                raise FixRefused(f"{tilde(home, rec.path)} was changed between fixes by something else; not restoring "
                                 f"it (the backup is at {rec.backup}).")
            expected[rec.path] = rec.sha_before
        if e.state != "pending":
            for rec in e.files:
                if rec.link is not None and (not host.lstat(rec.link).is_symlink or host.realpath(rec.link) != rec.path):
                    raise FixRefused(f"{tilde(home, rec.link)} no longer links to {tilde(home, rec.path)}; not restoring "
                                     f"(the backup is at {rec.backup}).")


def undo(host: Host, home: str, entry_id: str) -> Entry:
    """Undo a fix, and first the later fixes that changed the same files (undo_chain says which).
    Returns the entry itself; all of the chain are marked undone."""
    chain = undo_chain(host, home, entry_id)
    journal = Journal(host, home)
    try:
        with files_locked(host, home, [r.path for e in chain for r in e.files]):
            _check_chain(host, home, chain)
            saved = _read_backups(host, home, chain)
            for e in chain:
                for rec in e.files:
                    if rec.existed and rec.backup:
                        # rec.path is a symlinked dotfile's target: restoring it keeps the link.
                        host.write_atomic(rec.path, saved[(e.id, rec.path)], mode=rec.mode)
                    elif not rec.existed and host.stat(rec.path).exists:
                        host.remove_file(rec.path)
                e.state = "undone"
                journal.save(e)
    except LockTimeout as exc:
        raise FixRefused(f"{exc}; nothing was restored.") from exc
    return chain[-1]


def _read_backups(host: Host, home: str, chain: list[Entry]) -> dict[tuple[str, str], bytes]:
    """Every backup, read (and checked against its recorded checksum) before anything is
    written: a deleted or altered backup refuses the undo with nothing half-restored."""
    saved: dict[tuple[str, str], bytes] = {}
    for e in chain:
        for rec in e.files:
            if not (rec.existed and rec.backup):
                continue
            try:
                data = host.read_bytes(rec.backup)
            except HostError as exc:
                raise FixRefused(f"the backup of {tilde(home, rec.path)} ({rec.backup}) cannot be read ({exc}); "
                                 "nothing was restored") from None
            if rec.sha_before is not None and sha(data) != rec.sha_before:
                raise FixRefused(f"the backup of {tilde(home, rec.path)} ({rec.backup}) is not the file as it was "
                                 "(its checksum differs); nothing was restored")
            saved[(e.id, rec.path)] = data
    return saved


def latest_undoable(host: Host, home: str) -> Entry | None:
    """The newest fix that can still be undone (`goenv-tui undo` without an id)."""
    for e in reversed(Journal(host, home).entries()):
        if e.state in ("applied", "pending", "failed") and e.files:
            return e
    return None


def safe_candidates(d: Diagnosis, severities: set[str], attempted: set[tuple[str, str, str]] | None = None
                    ) -> list[tuple[Finding, PlannedFix]]:
    """The first safe fix of every finding of these severities (worst first), each change once:
    a failed probe offers its cause's fix, which the cause's own finding offers too."""
    attempted = attempted or set()
    out = []
    seen: set[tuple[tuple[tuple[str, str | None], ...], tuple[str, ...]]] = set()
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
                on_line: Callable[[str], None] | None = None, trial: Trial | None = None) -> Outcome:
    """apply_fix for callers that show the result rather than handle errors (the TUI, the wizard,
    apply_safe): a refusal or any failure becomes an unapplied Outcome whose verdict says why."""
    try:
        return apply_fix(host, opts, workspace, before, planned, on_line=on_line, trial=trial)
    except NotSafe as exc:
        return Outcome(None, False, verdict=f"Not applied: {exc.trial.verdict}", trial=exc.trial)
    except FixRefused as exc:
        return Outcome(None, False, verdict=f"Not applied: {exc}")
    except Exception as exc:  # shown to the person, never swallowed silently
        return Outcome(None, False, verdict=f"Not applied: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class BatchItem:
    finding: Finding
    plan: PlannedFix
    trial: Trial


def safe_batch(host: Host, opts: TraceOptions, workspace: str | None, d: Diagnosis, severities: set[str],
               on_trial: Callable[[int, int], None] | None = None) -> tuple[list[BatchItem], list[BatchItem], list[BatchItem]]:
    """What "fix all safe ones" offers: every candidate tried on a private copy first.

    Returns (batch, later, unsafe): `batch` is exactly what will be applied — the fixes whose trial
    is safe, at most one per file (each was tried against the files as they are now, so a second
    edit of the same file waits for the next round, previewed again); `later` those waiting;
    `unsafe` the candidates whose trial failed, with its evidence."""
    from concurrent.futures import ThreadPoolExecutor

    todo = safe_candidates(d, severities)
    done = [0]

    def one(item: tuple[Finding, PlannedFix]) -> BatchItem:
        t = run_trial(host, opts, workspace, d, item[1])
        done[0] += 1
        if on_trial is not None:
            on_trial(done[0], len(todo))
        return BatchItem(item[0], item[1], t)

    with ThreadPoolExecutor(max_workers=2) as pool:
        tried = list(pool.map(one, todo))
    batch: list[BatchItem] = []
    later: list[BatchItem] = []
    unsafe: list[BatchItem] = []
    taken: set[str] = set()
    for it in tried:
        if not (it.trial.tried and it.trial.safe):
            unsafe.append(it)
            continue
        paths = set(_edited_paths(it.plan))
        if paths & taken:
            later.append(it)
            continue
        taken |= paths
        batch.append(it)
    return batch, later, unsafe


def apply_batch(host: Host, opts: TraceOptions, workspace: str | None, d: Diagnosis, batch: list[BatchItem],
                on_result: Callable[[BatchItem, Outcome], None] | None = None) -> tuple[list[Outcome], Diagnosis]:
    """Apply exactly the previewed batch, in order, each verified against the diagnosis after
    the one before it (and rolled back if the real result differs from its trial)."""
    outcomes: list[Outcome] = []
    for it in batch:
        if not any(f.id == (it.plan.cause or it.plan.finding_id) or _same_problem(it.finding, f) for f in d.findings):
            out = Outcome(None, False, cleared=True, verdict="Already cleared by an earlier fix of this batch.")
        else:
            try:
                out = apply_fix(host, opts, workspace, d, it.plan, trial=it.trial)
            except FixRefused as exc:
                out = Outcome(None, False, verdict=f"Not applied: {exc}", trial=it.trial)
            except Exception as exc:  # shown to the person, never swallowed silently
                out = Outcome(None, False, verdict=f"Not applied: {type(exc).__name__}: {exc}", trial=it.trial)
        outcomes.append(out)
        if on_result is not None:
            on_result(it, out)
        if out.after is not None and out.applied:
            d = out.after
    return outcomes, d
