"""Which fixes each finding offers, planned against the files as they are now.

The fix builders live next to their checks (goenv_tui/checks/<topic>.py, registered with
`@<check>.fix`): each reads its finding's evidence (file:line, contexts, go env sources) and
returns PlannedFix objects with exact edits or argv. A builder that cannot plan safely returns
nothing — a finding without a fix is better than a wrong edit. This module holds what they share
(FixContext, commenting a line out, `go env -u`, installing a tool, borrowing a cause's fixes); `diagnose.plan_for` runs them, as a stage of
the pipeline.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from goenv_tui.checks.base import check_info
from goenv_tui.display import tilde
from goenv_tui.fixes import edits
from goenv_tui.fixes.edits import EditRefused
from goenv_tui.fixes.plan import (
    FileEdit,
    PlannedFix,
    command_preview,
    from_bytes,
    unified_diff,
)
from goenv_tui.frameworks import Ownership, describe, owned_line, owner_of
from goenv_tui.host import Host, HostError
from goenv_tui.model import Finding, Fix, Location

if TYPE_CHECKING:
    # Only a type here: the diagnosis module runs the checks, whose modules import this one.
    from goenv_tui.diagnose import Diagnosis


@dataclass
class FixContext:
    d: Diagnosis
    host: Host
    today: str
    _texts: dict[str, str | None] = field(default_factory=dict)
    # finding id → why an edit it would need was not planned (shown instead of a fix)
    refused: dict[str, list[str]] = field(default_factory=dict)
    _owners: dict[str, Ownership | None] = field(default_factory=dict)

    @property
    def home(self) -> str:
        return self.d.facts.home

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            try:
                # Bytes, decoded so that every byte comes back unchanged on write (plan.to_bytes).
                self._texts[path] = from_bytes(self.host.read_bytes(path)) if self.host.stat(path).is_file else None
            except HostError:
                self._texts[path] = None
        return self._texts[path]

    def edit_fix(self, finding: Finding, fix_id: str, title: str, changes: list[FileEdit], contexts: Sequence[str] = (),
                 safe: bool = True) -> PlannedFix | None:
        changes = [c for c in changes if c.changes]
        if not changes:
            return None
        try:
            changes = [self._through_link(c) for c in changes]
        except EditRefused as exc:
            self.refuse(finding, str(exc))
            return None
        for c in changes:
            # Never a framework's file (gvm's generated environment, oh-my-zsh …), nor a line an
            # installer marked as its own (g's "do NOT edit" line): the user's line that calls
            # into them is where a change belongs.
            for path in dict.fromkeys(p for p in (c.link, c.path) if p):
                own = self.owner(path)
                if own is not None:
                    self.refuse(finding, f"{describe(self.home, path, own)}; goenv-tui does not edit it")
                    return None
            marked = self._owned_line_touched(c)
            if marked is not None:
                self.refuse(finding, f"{tilde(self.home, c.link or c.path)}:{marked} was written by an installer that "
                                     "marked it as its own (\"do not edit\"); goenv-tui does not edit it")
                return None
        preview = unified_diff(tuple(changes), self.home)
        return PlannedFix(Fix(fix_id, title, "edit", preview, needs_confirmation=True, verifies=finding.check),
                          finding.id, finding.check, tuple(changes), contexts=tuple(contexts or finding.contexts),
                          safe=safe)

    def command_fix(self, finding: Finding, fix_id: str, title: str, argv: list[str], env: dict[str, str],
                    cwd: str | None, touches: list[str], env_changes: dict[str, str] | None = None,
                    undoable: bool = True) -> PlannedFix:
        preview = command_preview(tuple(argv), env_changes or {}, cwd, self.home)
        return PlannedFix(Fix(fix_id, title, "command", preview, needs_confirmation=True, verifies=finding.check),
                          finding.id, finding.check, argv=tuple(argv), env=dict(env), cwd=cwd,
                          touches=tuple(touches), contexts=tuple(finding.contexts), undoable=undoable)

    def refuse(self, finding: Finding, why: str) -> None:
        self.refused.setdefault(finding.id, [])
        if why not in self.refused[finding.id]:
            self.refused[finding.id].append(why)

    def _through_link(self, e: FileEdit) -> FileEdit:
        """A symlinked dotfile (stow, rcup, yadm) is edited in its target and the link is kept:
        writing over the link would turn it into a regular file the dotfiles repo no longer owns."""
        info = self.host.lstat(e.path)
        if not info.exists or not info.is_symlink:
            return e
        target = self.host.realpath(e.path)
        if not self.host.stat(target).is_file:
            raise EditRefused(f"{tilde(self.home, e.path)} is a symlink to {target}, which is not a file")
        if not self.home_file(target):
            raise EditRefused(f"{tilde(self.home, e.path)} is a symlink to {target}, outside the home; "
                              "not editing a file the home does not own")
        return replace(e, path=target, link=e.path)

    def home_file(self, path: str) -> bool:
        return path.startswith(self.home.rstrip("/") + "/")

    def owner(self, path: str) -> Ownership | None:
        """The framework that owns a file of the home (oh-my-zsh, gvm, a generated file …)."""
        if path not in self._owners:
            real = None
            with contextlib.suppress(OSError, HostError):
                real = self.host.realpath(path)
            text = self.text(path)
            self._owners[path] = owner_of(self.home, path, real, text[:2048] if text else None)
        return self._owners[path]

    def editable(self, path: str) -> bool:
        """A file of the user's own that a fix may change: under the home, not a framework's."""
        return self.home_file(path) and self.owner(path) is None

    @staticmethod
    def _owned_line_touched(change: FileEdit) -> int | None:
        """The first line (1-based) an edit changes or removes that an installer marked as its
        own. The lines between the common head and tail are the changed ones (linear: files
        can be huge)."""
        old = (change.before or "").split("\n")
        new = (change.after or "").split("\n")
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        for n in range(head, len(old) - tail):
            if owned_line(old[n]):
                return n + 1
        return None

    def context_env(self, cid: str) -> dict[str, str]:
        t = self.d.graph.contexts.get(cid)
        return dict(t.full_env) if t else {}

    def context_go(self, cid: str) -> str | None:
        res = self.d.facts.resolutions.get(cid, {}).get("go")
        return res.resolved.path if res and res.resolved else None


def loc_of(f: Finding, index: int = 0) -> Location | None:
    locs = [loc for loc in f.locations if loc.line]
    return locs[index] if len(locs) > index else None


def is_fish(path: str) -> bool:
    return path.endswith(".fish") or "/fish/" in path


def disable(fc: FixContext, f: Finding, loc: Location, why: str, fix_id: str, title: str,
             var: str | None = None, dead_value: bool = False) -> PlannedFix | None:
    if not fc.editable(loc.path) or loc.line is None:
        return None
    text = fc.text(loc.path)
    if text is None:
        return None
    try:
        new = edits.comment_out(text, loc.line, why, fc.today, var=var if var is not None else f.variable,
                                fish=is_fish(loc.path), name=tilde(fc.home, loc.path), dead_value=dead_value)
    except EditRefused as exc:
        fc.refuse(f, f"{title}: {exc}")
        return None
    return fc.edit_fix(f, fix_id, title, [FileEdit(loc.path, text, new)])


# --- go env -w values and Go settings -----------------------------------------------------------

def go_env_unset(fc: FixContext, f: Finding, name: str) -> list[PlannedFix]:
    for cid in f.contexts or [t.id for t in fc.d.facts.contexts]:
        ge = fc.d.facts.goenvs.get(cid)
        v = ge.values.get(name) if ge else None
        go = fc.context_go(cid)
        if v is not None and v.source == "goenv-file" and go and ge and ge.file:
            return [fc.command_fix(f, f"go-env-u-{name}", f"Remove {name} from the go env file (`go env -u {name}`)",
                                   [go, "env", "-u", name], fc.context_env(cid), None, [ge.file])]
    return []


# A probe that failed because of something another check already names is fixed by that check's
# fix, not by reinstalling the tool: gopls cannot load fmt because GOROOT names another Go, not
# because gopls is broken.
CAUSES = {
    "go-not-found": ("GOENV-GO-002",),
    "goroot-mismatch": ("GOENV-GOROOT-001", "GOENV-GODIR-001", "GOENV-GOROOT-002"),
    "module-blocked": ("GOENV-MODDL-001", "GOENV-MODDL-003", "GOENV-PROXY-001", "GOENV-MOD-002"),
    "no-module": ("GOENV-MOD-001", "GOENV-WORKSPACE-001"),
    "gowork-version": ("GOENV-WORKSPACE-004",),
}


def borrow(fc: FixContext, f: Finding, causes: list[Finding]) -> list[PlannedFix]:
    """The causes' fixes, offered for f and verified against f."""
    out: list[PlannedFix] = []
    for cause in causes:
        info = check_info(cause.check)
        for p in [p for build in (info.fixes if info else []) for p in build(fc, cause)]:
            if p is None or any(q.id == p.id for q in out):
                continue
            fix = replace(p.fix, verifies=f.check, title=f"Fix the cause ({cause.id}): {p.fix.title}")
            out.append(replace(p, fix=fix, finding_id=f.id, check=f.check, cause=cause.id,
                               contexts=tuple(dict.fromkeys((*p.contexts, *f.contexts)))))
    return out


def cause_fixes(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """The fixes of the findings that explain a failed probe, verified by probing again."""
    for cause_check in CAUSES.get(f.data.get("classification", ""), ()):
        causes = [c for c in fc.d.findings
                  if c.check == cause_check and (not c.contexts or set(c.contexts) & set(f.contexts))]
        out = borrow(fc, f, causes)
        if out:
            return out  # the first cause that has a fix is the one to offer
    return []


def _install_dir(fc: FixContext, cid: str) -> str:
    ge = fc.d.facts.goenvs[cid]
    gobin = ge.values.get("GOBIN")
    gopath = ge.values.get("GOPATH")
    return gobin.value if gobin and gobin.value else posixpath.join((gopath.value if gopath else "").split(":")[0], "bin")


def install_tool(fc: FixContext, f: Finding, tool: str, cid: str) -> list[PlannedFix]:
    """`go install TOOL@VERSION` with the newest release the context's Go can build, asked of the
    module proxy first; when no release builds with that Go, with a newer Go found on the machine.
    Nothing is offered when the proxy cannot be asked (the install would fail the same way)."""
    from goenv_tui.collect.goinstalls import newer_go
    from goenv_tui.collect.toolversions import pick

    go = fc.context_go(cid)
    ge = fc.d.facts.goenvs.get(cid)
    if go is None or ge is None or ge.error:
        return []
    version = ge.values["GOVERSION"].value if "GOVERSION" in ge.values else None
    proxy = ge.values["GOPROXY"].value if "GOPROXY" in ge.values else ""
    env = fc.context_env(cid)
    target = posixpath.join(_install_dir(fc, cid), tool)
    chosen = pick(fc.host, go, version, tool, env, proxy, ge.file)
    if chosen.error or chosen.latest is None:
        return []
    short = (version or "?").removeprefix("go")
    if chosen.spec:
        note = "" if chosen.version == chosen.latest else f"; {chosen.latest} needs Go {chosen.latest_needs}"
        return [fc.command_fix(f, f"install-{tool}", f"Install {tool} {chosen.version} with {tilde(fc.home, go)} "
                               f"(the newest release Go {short} can build{note})",
                               [go, "install", chosen.spec], env, fc.home, [target])]
    other = newer_go(fc.host, fc.home, fc.d.facts.resolutions, version)
    if other is None:
        return []
    # The newer Go builds it: its own GOROOT, never a toolchain download.
    env2 = {k: v for k, v in env.items() if k != "GOROOT"}
    env2["GOTOOLCHAIN"] = "local"
    alt = pick(fc.host, other.go, other.version, tool, env2, proxy, ge.file)
    if not alt.spec:
        return []
    return [fc.command_fix(f, f"install-{tool}-newer-go",
                           f"Install {tool} {alt.version} with Go {other.version.removeprefix('go')} at "
                           f"{tilde(fc.home, other.go)} (no {tool} release builds with Go {short}; "
                           f"the oldest checked needs Go {chosen.oldest_needs})",
                           [other.go, "install", alt.spec], env2, fc.home, [target],
                           env_changes={"GOTOOLCHAIN": "local"})]
