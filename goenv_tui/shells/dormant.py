"""What never ran: startup files no context reads, and assignments in branches never taken.

Found by reading the files statically (shells/static.py) and comparing with what the traces
executed. Everything here is reported as dormant (`live: false`), never as the truth of a
context's environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from goenv_tui.host import Host, HostError
from goenv_tui.model import ContextTrace, DormantAssignment, Location, TraceStatus
from goenv_tui.shells import bash, zsh
from goenv_tui.shells.tracer import FileCache


@dataclass(frozen=True)
class UnreadFile:
    path: str
    reason: str
    shell: str


def _why_not_read(path: str, home: str, exists: set[str], zdotdir: str | None) -> tuple[str, str]:
    h = home.rstrip("/")
    name = path.rsplit("/", 1)[-1]
    if name in (".profile", ".bash_login"):
        order = [".bash_profile", ".bash_login", ".profile"]
        shadow = next((n for n in order[: order.index(name)] if f"{h}/{n}" in exists), None)
        if shadow:
            return "bash", (f"bash login shells read only the first of ~/.bash_profile, ~/.bash_login, "
                            f"~/.profile; ~/{shadow} exists and does not source ~/{name}")
        return "bash", "no context that was traced reads it"
    if name in (".bashrc",):
        return "bash", ("bash reads ~/.bashrc only in interactive non-login shells (and under sshd); "
                        "the login files do not source it")
    if name in (".bash_profile",):
        return "bash", "read only by bash login shells"
    if name.startswith(".z"):
        if zdotdir and not path.startswith(zdotdir.rstrip("/") + "/") and name != ".zshenv":
            return "zsh", f"ZDOTDIR is {zdotdir}, so zsh reads its startup files there instead"
        return "zsh", "no zsh context that was traced reads it"
    return "", "no context that was traced reads it"


def find_dormant(host: Host, home: str, traces: list[ContextTrace], files: FileCache,
                 watched: set[str]) -> tuple[list[DormantAssignment], list[UnreadFile]]:
    ok = [t for t in traces if t.status is TraceStatus.OK]
    read_by: dict[str, list[str]] = {}
    for t in traces:
        for f in t.files:
            read_by.setdefault(f.path, []).append(t.id)
    traced_shells = {t.spec.shell for t in ok}
    zdotdir = next((t.watched.get("ZDOTDIR") for t in ok if t.spec.shell == "zsh" and t.watched.get("ZDOTDIR")), None)

    candidates: list[str] = []
    if "bash" in traced_shells:
        candidates += bash.candidate_files(home)
    if "zsh" in traced_shells:
        candidates += zsh.candidate_files(home, zdotdir)
    candidates = [c for c in dict.fromkeys(candidates) if not c.endswith(("_logout", ".zlogout"))]
    existing = {c for c in candidates if host.stat(c).is_file}

    dormant: list[DormantAssignment] = []
    unread: list[UnreadFile] = []
    for path in candidates:
        if path not in existing or path in read_by:
            continue
        shell, reason = _why_not_read(path, home, existing, zdotdir)
        unread.append(UnreadFile(path, reason, shell))
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
