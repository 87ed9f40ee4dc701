"""Backups and the journal that makes every fix undoable.

The journal and its backups are untrusted input (a planted entry must not make `undo`, perhaps
run as root, write anywhere): at read time the journal must be a regular file owned by the
home's owner and writable by no one else, every entry a well-formed object, every file it names
inside the home (or the very file the fix touched: same device and inode), every backup inside
this journal's own backup folder, and modes are masked (no setuid/setgid/sticky, not
world-writable). Anything else is refused with one line saying what and where (JournalError).

State lives under the analysed home: `~/.local/state/goenv-tui/` (or $XDG_STATE_HOME), on the same
host as the files (so remote fixes keep their backups remotely). The journal is a JSON-lines file
rewritten atomically; a backup is written (and fsynced) before the file it protects is touched,
and the entry is recorded as `pending` before the write and `applied` after it — a crash in
between leaves the original file intact (writes are atomic renames) and its backup on disk.
"""

from __future__ import annotations

import json
import posixpath
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from goenv_tui.fixes.lock import journal_locked
from goenv_tui.fixes.state import state_dir
from goenv_tui.host import FileInfo, Host, HostError
from goenv_tui.redact import PLAIN, Redactor


class JournalError(HostError):
    """The journal or an entry cannot be trusted or read; the message says which and why."""


# What a restored file may keep of its recorded mode: no setuid/setgid/sticky, not world-writable.
MODE_MASK = 0o775


@dataclass
class FileRecord:
    path: str
    existed: bool
    backup: str | None
    mode: int | None
    sha_before: str | None
    sha_after: str | None = None
    link: str | None = None  # the symlink through which the home reads `path` (kept as it is)
    dev: int | None = None  # of the file the fix touched, to recognise it outside the home
    ino: int | None = None


@dataclass
class Entry:
    id: str
    time: str
    finding: str
    check: str
    fix: str
    title: str
    state: str  # pending | applied | failed | undone
    files: list[FileRecord] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    output: str = ""
    verdict: str = ""

    def to_json(self, redactor: Redactor = PLAIN) -> dict[str, Any]:
        """The entry as stored. What is only shown (title, command, its output, the verdict) is
        redacted: a journal must not keep the credentials a command printed. Paths and hashes,
        which undo relies on, are kept as they are."""
        d = dict(self.__dict__)
        d["files"] = [dict(f.__dict__) for f in self.files]
        for key in ("title", "output", "verdict"):
            d[key] = redactor.text(d[key])
        d["argv"] = [redactor.text(a) for a in self.argv]
        return d

    @staticmethod
    def from_json(d: Any) -> Entry:
        """An entry from one parsed journal line; ValueError says what is wrong with it."""
        if not isinstance(d, dict):
            raise ValueError(f"not a journal entry (a JSON {type(d).__name__}, not an object)")
        known = {f for f in Entry.__dataclass_fields__}
        missing = [k for k in ("id", "time", "finding", "check", "fix", "title", "state") if not isinstance(d.get(k), str)]
        if missing:
            raise ValueError(f"not a journal entry (no {', '.join(missing)})")
        if d["state"] not in ("pending", "applied", "failed", "undone", "rolled-back"):
            raise ValueError(f"unknown state {d['state']!r}")
        raw_files = d.get("files", [])
        if not isinstance(raw_files, list):
            raise ValueError("'files' is not a list")
        files = []
        fields = set(FileRecord.__dataclass_fields__)
        for f in raw_files:
            if not isinstance(f, dict) or not isinstance(f.get("path"), str) or not isinstance(f.get("existed"), bool):
                raise ValueError("a file record without a path")
            rec = FileRecord(**{k: v for k, v in f.items() if k in fields})
            for name in ("backup", "sha_before", "sha_after", "link"):
                if getattr(rec, name) is not None and not isinstance(getattr(rec, name), str):
                    raise ValueError(f"{name} of {rec.path!r} is not a string")
            if rec.mode is not None:
                if not isinstance(rec.mode, int) or isinstance(rec.mode, bool):
                    raise ValueError(f"mode of {rec.path!r} is not a number")
                rec.mode &= MODE_MASK
            files.append(rec)
        argv = d.get("argv", [])
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError("'argv' is not a list of strings")
        return Entry(**{**{k: v for k, v in d.items() if k in known}, "files": files, "argv": argv})


class Journal:
    def __init__(self, host: Host, home: str, redactor: Redactor = PLAIN) -> None:
        self.host = host
        self.home = home
        self.redactor = redactor
        self.dir = state_dir(home)
        self.path = posixpath.join(self.dir, "journal.jsonl")

    def entries(self, replacing: str | None = None) -> list[Entry]:
        """Every entry, validated (see the module's docstring); JournalError when one is not.
        The entry `replacing` (being saved anew by this process) is parsed but not checked."""
        info = self.host.lstat(self.path)
        if not info.exists:
            return []
        self._check_trusted(info)
        try:
            text = self.host.read_text(self.path)
        except HostError as exc:
            raise JournalError(f"cannot read the journal: {exc}") from exc
        out = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = Entry.from_json(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise JournalError(f"{self.path}:{n}: {exc}; the journal is not used until that line is "
                                   "fixed or removed") from None
            if entry.id != replacing:
                for rec in entry.files:
                    self._check_record(entry, rec, n)
            out.append(entry)
        return out

    def _check_trusted(self, info: FileInfo) -> None:
        owner = self.host.stat(self.home).uid
        if info.is_symlink or not info.is_file:
            raise JournalError(f"{self.path} is not a regular file; not trusted")
        if owner >= 0 and info.uid != owner:
            raise JournalError(f"{self.path} is owned by uid {info.uid}, not by the home's owner (uid {owner}); "
                               "not trusted")
        if info.mode & 0o022:
            raise JournalError(f"{self.path} is writable by others (mode {info.mode & 0o777:o}); not trusted")

    def _inside(self, path: str, root: str) -> bool:
        real = self.host.realpath(path)
        base = self.host.realpath(root).rstrip("/")
        return real == base or real.startswith(base + "/")

    def _check_record(self, entry: Entry, rec: FileRecord, line: int) -> None:
        where = f"{self.path}:{line} ({entry.id})"
        if not rec.path.startswith("/") or posixpath.normpath(rec.path) != rec.path:
            raise JournalError(f"{where}: {rec.path!r} is not a plain absolute path; not trusted")
        if not self._inside(rec.path, self.home):
            st = self.host.stat(rec.path)  # as recorded by save(): the file, not a link to it
            same = rec.dev is not None and (st.extra.get("dev"), st.extra.get("ino")) == (rec.dev, rec.ino)
            # A file the fix was to create and that is not there: undo has nothing to do with it.
            harmless = not rec.existed and not st.exists
            if not same and not harmless:
                raise JournalError(f"{where}: {rec.path!r} is outside {self.home} and not the file the fix "
                                   "changed; not trusted")
        if rec.link is not None:
            home = posixpath.normpath(self.home)
            if posixpath.normpath(rec.link) != rec.link or not rec.link.startswith(home + "/"):
                raise JournalError(f"{where}: link {rec.link!r} is not a path inside {self.home}; not trusted")
        if rec.backup is not None:
            folder = posixpath.join(self.dir, "backups", entry.id)
            if not self._inside(rec.backup, folder) or posixpath.dirname(posixpath.normpath(rec.backup)) != folder:
                raise JournalError(f"{where}: backup {rec.backup!r} is not in {folder}; not trusted")

    def get(self, entry_id: str) -> Entry | None:
        matches = [e for e in self.entries() if e.id == entry_id or e.id.startswith(entry_id)]
        return matches[-1] if len(matches) >= 1 and len({m.id for m in matches}) == 1 else None

    def save(self, entry: Entry) -> None:
        """Record `entry` (updated in place if known, so the journal keeps its order). Locked
        across processes: two fixes saving at once both stay in the journal.

        Each file's device and inode are recorded as they are now (after the fix wrote it):
        they let a later undo recognise the very file the fix touched when it lies outside the
        home (a workspace's go.mod or go.work)."""
        with journal_locked(self.host, self.home):
            self._save(entry)

    def _save(self, entry: Entry) -> None:
        for rec in entry.files:
            if entry.state == "undone":
                continue
            info = self.host.stat(rec.path)
            if info.exists:
                rec.dev, rec.ino = _int(info.extra.get("dev")), _int(info.extra.get("ino"))
        entries = self.entries(replacing=entry.id)
        ids = [e.id for e in entries]
        if entry.id in ids:
            entries[ids.index(entry.id)] = entry
        else:
            entries.append(entry)
        self.host.makedirs(self.dir)
        data = "".join(json.dumps(e.to_json(self.redactor), sort_keys=True) + "\n" for e in entries)
        self.host.write_atomic(self.path, data.encode(), mode=0o600)

    def new_entry(self, finding: str, check: str, fix: str, title: str) -> Entry:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return Entry(f"{stamp}-{uuid.uuid4().hex[:6]}", time.strftime("%Y-%m-%dT%H:%M:%S%z"), finding, check,
                     fix, title, "pending")

    def backup(self, entry: Entry, path: str, index: int) -> FileRecord:
        """Copy `path` into the entry's backup folder (if it exists) before anything touches it."""
        from goenv_tui.fixes.plan import sha

        info = self.host.stat(path)
        if not info.exists:
            return FileRecord(path, False, None, None, None)
        data = self.host.read_bytes(path)
        folder = posixpath.join(self.dir, "backups", entry.id)
        self.host.makedirs(folder)
        target = posixpath.join(folder, f"{index}-{posixpath.basename(path) or 'file'}")
        self.host.write_atomic(target, data, mode=0o600)
        return FileRecord(path, True, target, info.mode & MODE_MASK, sha(data),
                          dev=_int(info.extra.get("dev")), ino=_int(info.extra.get("ino")))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None
