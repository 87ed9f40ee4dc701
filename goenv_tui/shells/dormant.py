"""What never ran: startup files no context reads, and assignments in branches never taken.

Found by reading the files statically (shells/static.py) and comparing with what the traces
executed. Everything here is reported as dormant (`live: false`), never as the truth of a
context's environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from goenv_tui.host import Host, HostError
from goenv_tui.model import ContextTrace, DormantAssignment, Location, TraceStatus
from goenv_tui.shells.registry import DRIVERS, make_driver
from goenv_tui.shells.tracer import FileCache


@dataclass(frozen=True)
class UnreadFile:
    path: str
    reason: str
    shell: str


def find_dormant(host: Host, home: str, traces: list[ContextTrace], files: FileCache,
                 watched: set[str]) -> tuple[list[DormantAssignment], list[UnreadFile]]:
    ok = [t for t in traces if t.status is TraceStatus.OK]
    read_by: dict[str, list[str]] = {}
    for t in traces:
        for f in t.files:
            read_by.setdefault(f.path, []).append(t.id)
    # In the order the shells are listed; each driver says which of its files could have been read.
    traced_shells = [name for name in DRIVERS if name in {t.spec.shell for t in ok}]
    drivers = {name: make_driver(name, host) for name in traced_shells}
    owner: dict[str, str] = {}
    for name, driver in drivers.items():
        for path in driver.dormant_candidates(home, traces):
            owner.setdefault(path, name)
    candidates = list(owner)
    existing = {c for c in candidates if host.stat(c).is_file}

    dormant: list[DormantAssignment] = []
    unread: list[UnreadFile] = []
    for path in candidates:
        if path not in existing or path in read_by:
            continue
        shell = owner[path]
        unread.append(UnreadFile(path, drivers[shell].why_not_read(path, home, existing, traces), shell))
        entry = files.get(path)
        if entry.index is None:
            continue
        for a in entry.index.assignments:
            if a.var in watched or a.var.startswith("GO"):
                dormant.append(DormantAssignment(a.var, a.op, a.value, Location(path, a.line), "file-not-read"))

    # Branches never taken, in files that did run.
    for path, contexts in read_by.items():
        if not path.startswith("/"):
            continue
        try:
            entry = files.get(path)
        except HostError:
            continue
        if entry.index is None:
            continue
        readers = [t for t in ok if t.id in contexts]
        if not readers:
            continue
        for a in entry.index.assignments:
            if not (a.var in watched or a.var.startswith("GO")):
                continue
            ran = False
            for t in readers:
                lines = [(path, ln) for ln in range(a.line, a.end + 1)]
                if any(key in t.executed for key in lines) and any(
                    a.var in t.assigned_on.get(key, ()) for key in lines
                ):
                    ran = True
                    break
            if not ran:
                dormant.append(DormantAssignment(a.var, a.op, a.value, Location(path, a.line),
                                                 "branch-not-taken", tuple(contexts)))
    return dormant, unread
