"""Backups and the journal that makes every fix undoable.

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

from goenv_tui.host import Host, HostError


def state_dir(home: str, env: dict[str, str] | None = None) -> str:
    xdg = (env or {}).get("XDG_STATE_HOME")
    base = xdg if xdg and xdg.startswith("/") else posixpath.join(home, ".local", "state")
    return posixpath.join(base, "goenv-tui")


@dataclass
class FileRecord:
    path: str
    existed: bool
    backup: str | None
    mode: int | None
    sha_before: str | None
    sha_after: str | None = None
    link: str | None = None  # the symlink through which the home reads `path` (kept as it is)


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

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["files"] = [dict(f.__dict__) for f in self.files]
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> Entry:
        files = [FileRecord(**f) for f in d.get("files", [])]
        return Entry(**{**d, "files": files})


class Journal:
    def __init__(self, host: Host, home: str) -> None:
        self.host = host
        self.home = home
        self.dir = state_dir(home)
        self.path = posixpath.join(self.dir, "journal.jsonl")

    def entries(self) -> list[Entry]:
        try:
            text = self.host.read_text(self.path)
        except HostError:
            return []
        out = []
        for line in text.splitlines():
            if line.strip():
                try:
                    out.append(Entry.from_json(json.loads(line)))
                except (ValueError, TypeError):
                    continue
        return out

    def get(self, entry_id: str) -> Entry | None:
        matches = [e for e in self.entries() if e.id == entry_id or e.id.startswith(entry_id)]
        return matches[-1] if len(matches) >= 1 and len({m.id for m in matches}) == 1 else None

    def save(self, entry: Entry) -> None:
        """Record `entry` (updated in place if known, so the journal keeps its order). Locked
        across processes: two fixes saving at once both stay in the journal."""
        from goenv_tui.fixes.lock import journal_locked

        with journal_locked(self.host, self.home):
            self._save(entry)

    def _save(self, entry: Entry) -> None:
        entries = self.entries()
        ids = [e.id for e in entries]
        if entry.id in ids:
            entries[ids.index(entry.id)] = entry
        else:
            entries.append(entry)
        self.host.makedirs(self.dir)
        data = "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in entries)
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
        return FileRecord(path, True, target, info.mode & 0o7777, sha(data))
