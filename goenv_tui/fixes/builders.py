"""Which fixes each finding offers, planned against the files as they are now.

One small builder per check id: it reads the finding's evidence (file:line, contexts, go env
sources) and returns PlannedFix objects with exact edits or argv. A builder that cannot plan
safely returns nothing — a finding without a fix is better than a wrong edit.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from goenv_tui.diagnose import Diagnosis
from goenv_tui.display import tilde, where
from goenv_tui.fixes import edits
from goenv_tui.fixes.edits import EditRefused
from goenv_tui.fixes.plan import (
    FileEdit,
    PlannedFix,
    command_preview,
    from_bytes,
    lines_of,
    unified_diff,
)
from goenv_tui.frameworks import Ownership, describe, owned_line, owner_of
from goenv_tui.host import Host, HostError
from goenv_tui.model import REINSTALL_CURES, TOOL_MODULES, Finding, Fix, Location, TraceStatus

Builder = Callable[["FixContext", Finding], list[PlannedFix]]
BUILDERS: dict[str, Builder] = {}


def builds(*check_ids: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        for cid in check_ids:
            BUILDERS[cid] = fn
        return fn

    return deco


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

    def edit_fix(self, finding: Finding, fix_id: str, title: str, changes: list[FileEdit], contexts=(),
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


def _loc_of(f: Finding, index: int = 0) -> Location | None:
    locs = [loc for loc in f.locations if loc.line]
    return locs[index] if len(locs) > index else None


def _is_fish(path: str) -> bool:
    return path.endswith(".fish") or "/fish/" in path


def _disable(fc: FixContext, f: Finding, loc: Location, why: str, fix_id: str, title: str,
             var: str | None = None, dead_value: bool = False) -> PlannedFix | None:
    if not fc.editable(loc.path) or loc.line is None:
        return None
    text = fc.text(loc.path)
    if text is None:
        return None
    try:
        new = edits.comment_out(text, loc.line, why, fc.today, var=var if var is not None else f.variable,
                                fish=_is_fish(loc.path), name=tilde(fc.home, loc.path), dead_value=dead_value)
    except EditRefused as exc:
        fc.refuse(f, f"{title}: {exc}")
        return None
    return fc.edit_fix(f, fix_id, title, [FileEdit(loc.path, text, new)])


# --- startup-file fixes ------------------------------------------------------------------------

# Checks that say a variable's value is itself wrong: a context that lacks it is the healthy one.
HARMFUL_VALUE = ("GOENV-MOD-001", "GOENV-MOD-002", "GOENV-PROXY-001", "GOENV-GOROOT-001", "GOENV-GODIR-001",
                 "GOENV-NET-001", "GOENV-NET-002")


def _wrong_here(fc: FixContext, loc: Location) -> bool:
    """Whether a check says the value set at this line is itself wrong (then it must not be
    moved where more contexts read it)."""
    return any(x.check in HARMFUL_VALUE and (loc.path, loc.line) in {(y.path, y.line) for y in x.locations}
               for x in fc.d.findings)


@builds("GOENV-OVERRIDE-001")
def override(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out = []
    first, later = _loc_of(f, 0), _loc_of(f, 1)
    if first is None or later is None:
        return out
    dead = any(x.check == "GOENV-GODIR-001" and (later.path, later.line) in {(y.path, y.line) for y in x.locations}
               for x in fc.d.findings)
    p = _disable(fc, f, later, f"it overrode {f.variable} from {where(fc.home, first)} in some contexts only",
                 "comment-out-override", f"Comment out the override at {where(fc.home, later)}", dead_value=dead)
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
        fc.refuse(f, f"Move {where(fc.home, loc)}: {exc}")
        return []
    needed = edits.needs_from(moved, rest)
    if needed:
        # ~/.zshenv and ~/.zprofile run before ~/.zshrc: the moved line would read it unset.
        fc.refuse(f, f"Move {where(fc.home, loc)}: it uses ${needed}, which {tilde(fc.home, loc.path)} sets; "
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
                                         f"moved from {where(fc.home, loc)} so that {who} see it", fc.today)
        p = fc.edit_fix(f, f"move-to-{target.lstrip('.')}", f"Move {where(fc.home, loc)} to ~/{target} ({who})",
                        [FileEdit(loc.path, text, rest), FileEdit(tpath, ttext, new_target)])
        if p:
            out.append(p)
    return out


@builds("GOENV-CTXDIFF-001")
def ctxdiff(fc: FixContext, f: Finding) -> list[PlannedFix]:
    harmful = [x for x in fc.d.findings if x.check in HARMFUL_VALUE and x.variable == f.variable]
    if harmful:
        # Spreading GOFLAGS=-mod=vendor (or GOPROXY=off, a wrong GOROOT) to every context would
        # make them agree on the wrong value: remove it where it is set instead.
        return _borrow(fc, f, harmful)
    out = []
    for loc in f.locations:
        out += _move_to_profile(fc, f, loc)
    return out[:2]


@builds("GOENV-CTXDIFF-002")
def path_entry_to_zshenv(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """A PATH entry added in ~/.zshrc reaches `zsh -c` only from ~/.zshenv (bash: GUARD-001's fix)."""
    out: list[PlannedFix] = []
    for loc in dict.fromkeys(f.locations):
        for p in _move_to_profile(fc, f, loc, targets=(".zshenv",)):
            if all(q.id != p.id for q in out):
                out.append(p)
    return out[:1]


@builds("GOENV-GUARD-001")
def guard(fc: FixContext, f: Finding) -> list[PlannedFix]:
    ret = _loc_of(f, 0)
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
        fc.refuse(f, f"Move above the early return at {where(fc.home, ret)}: {exc}")
        return []
    p = fc.edit_fix(f, "move-above-guard",
                    f"Move {len(lines)} line{'s' if len(lines) > 1 else ''} above the early return at {where(fc.home, ret)}",
                    [FileEdit(ret.path, text, new)])
    return [p] if p else []


@builds("GOENV-DORMANT-001")
def unread_profile(fc: FixContext, f: Finding) -> list[PlannedFix]:
    unread = next((u for u in fc.d.facts.unread if u.path in {loc.path for loc in f.locations}), None)
    if unread is None or posixpath.basename(unread.path) != ".profile":
        return []
    folder = posixpath.dirname(unread.path)
    for name in (".bash_profile", ".bash_login"):
        shadow = posixpath.join(folder, name)
        text = fc.text(shadow)
        if text is not None:
            loop = _sources_back(fc, unread.path, shadow)
            if loop:
                fc.refuse(f, f"Make ~/{name} source ~/.profile: {loop}")
                return []
            new = edits.insert_before(text, _first_code_line(text), ['[ -f "$HOME/.profile" ] && . "$HOME/.profile"'],
                                      f"bash reads only ~/{name}; source ~/.profile so its settings apply", fc.today)
            p = fc.edit_fix(f, "source-profile", f"Make ~/{name} source ~/.profile", [FileEdit(shadow, text, new)])
            return [p] if p else []
    return []


_SOURCE_RE = r"(?:^|[;&|{(]|\bthen|\bdo|\belse)\s*(?:\.|source)\s+[\"']?([^\s;\"')]+)"


def _sources_back(fc: FixContext, start: str, back_to: str) -> str | None:
    """Whether `start` (through the files it sources, statically) would source `back_to`:
    then making `back_to` source `start` is an endless loop and `bash -l` never starts."""
    import re

    seen: list[str] = []
    todo = [start]
    home = fc.home.rstrip("/")
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = fc.text(path) or ""
        for line in lines_of(text):
            code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            for m in re.finditer(_SOURCE_RE, code):
                ref = m.group(1).replace("${HOME}", home).replace("$HOME", home)
                ref = home + ref[1:] if ref.startswith("~/") else ref
                if not ref.startswith("/"):
                    continue
                if ref == back_to or posixpath.realpath(ref) == posixpath.realpath(back_to):
                    chain = " → ".join(tilde(fc.home, p) for p in [back_to, *seen, back_to])
                    return f"that would make a sourcing loop ({chain}): bash would never finish starting"
                todo.append(ref)
    return None


def _first_code_line(text: str) -> int | None:
    for n, line in enumerate(lines_of(text), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return n
    return None


@builds("GOENV-PATH-003")
def literal_tilde(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out = []
    for loc in {loc for loc in f.locations if loc.line}:
        text = fc.text(loc.path)
        if text is None or not fc.editable(loc.path):
            continue
        new = edits.replace_in(text, loc.line, '"~/', '"$HOME/')
        new = edits.replace_in(new, loc.line, ':~/', ':$HOME/')
        p = fc.edit_fix(f, "tilde-to-home", f"Use $HOME instead of a quoted ~ at {where(fc.home, loc)}",
                        [FileEdit(loc.path, text, new)])
        if p:
            out.append(p)
    return out[:1]


@builds("GOENV-PATH-004")
def duplicate(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _loc_of(f)
    if loc is None:
        return []
    p = _disable(fc, f, loc, "it only added a PATH entry that was already there", "remove-duplicate",
                 f"Comment out the duplicate PATH entry at {where(fc.home, loc)}")
    return [p] if p else []


@builds("GOENV-EXPORT-001")
def not_exported(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _loc_of(f)
    if loc is None or not fc.editable(loc.path):
        return []
    text = fc.text(loc.path)
    if text is None:
        return []
    fish = _is_fish(loc.path)
    p = fc.edit_fix(f, "export", f"Export {f.variable} at {where(fc.home, loc)}",
                    [FileEdit(loc.path, text, edits.export_statement(text, loc.line or 1, fish=fish))])
    return [p] if p else []


@builds("GOENV-GOROOT-001", "GOENV-GOROOT-002", "GOENV-GODIR-001")
def goroot_line(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out = []
    for loc in f.locations:
        if loc.line and fc.editable(loc.path) and not loc.path.endswith("/go/env"):
            p = _disable(fc, f, loc, "go finds its own GOROOT; a fixed one breaks when Go moves or upgrades",
                         "unset-goroot", f"Comment out GOROOT at {where(fc.home, loc)} (go finds its own)",
                         dead_value=f.check == "GOENV-GODIR-001")
            if p:
                out.append(p)
    out += _go_env_unset(fc, f, "GOROOT")
    return out[:2]


def _read_by_all(fc: FixContext, contexts: list[str]) -> str | None:
    """A home startup file that every one of these contexts reads (ties: the earliest read).
    Never a file only some of them read: "go missing in zsh -c" edited into ~/.zshrc, which
    `zsh -c` never reads, would fix nothing there."""
    common: set[str] | None = None
    order: dict[str, int] = {}
    for cid in contexts:
        t = fc.d.graph.contexts.get(cid)
        if t is None:
            return None
        read = set()
        for sf in t.files:
            if fc.editable(sf.path) and "/.bashrc.d/" not in sf.path:
                read.add(sf.path)
                order.setdefault(sf.path, sf.order)
        common = read if common is None else common & read
    if not common:
        return None
    return min(common, key=lambda p: order[p])


# A path component that names one version: 1.26.8, go1.22.5, 1.21rc2.
_VERSIONED = re.compile(r"/(go)?\d+\.\d+(\.\d+)?([a-z]+\d*)?(/|$)")


def _managed_var(fc: FixContext, contexts: list[str], directory: str) -> str | None:
    """`$GOBIN` or `$GOPATH/bin` when, in every one of these shells, that variable is exported
    with the value that gives `directory` (then the line follows the manager's version switch)."""
    traces = [fc.d.graph.contexts[c] for c in contexts if c in fc.d.graph.contexts]
    if not traces:
        return None
    for var, form in (("GOBIN", "$GOBIN"), ("GOPATH", "$GOPATH/bin")):
        values = {t.env.get(var) for t in traces}
        if len(values) != 1 or None in values:
            continue
        value = values.pop() or ""
        if ":" in value:
            continue
        if (value if var == "GOBIN" else posixpath.join(value, "bin")).rstrip("/") == directory.rstrip("/"):
            return form
    return None


@builds("GOENV-GOBIN-001", "GOENV-TOOLS-001", "GOENV-GO-002")
def add_to_path(fc: FixContext, f: Finding) -> list[PlannedFix]:
    directory = f.data.get("dir")
    if not directory:
        return []
    affected = f.data["missing_in"].split(",") if f.data.get("missing_in") else list(f.contexts or ())
    ok = [c for c in affected if fc.d.graph.contexts.get(c) and fc.d.graph.contexts[c].status is TraceStatus.OK]
    if not ok:
        return []
    by_var = _managed_var(fc, ok, directory) if _VERSIONED.search(directory) else None
    if by_var is None and _VERSIONED.search(directory) and fc.owner(directory) is not None:
        # ~/.asdf/installs/golang/1.26.8/…, ~/.gvm/gos/go1.26.8/bin: the manager's own version
        # folder, which its shims or its `use` command stand for; pinning it would bypass them.
        fc.refuse(f, f"Add {tilde(fc.home, directory)} to PATH: that folder belongs to one version of "
                     f"{fc.owner(directory).framework}'s Go; pinning it would bypass the manager's switch")
        return []
    by_shell: dict[str, list[str]] = {}
    for c in ok:
        by_shell.setdefault(fc.d.graph.contexts[c].spec.shell, []).append(c)
    changes: list[FileEdit] = []
    for shell, cids in by_shell.items():
        rc = _read_by_all(fc, cids)
        if rc is None and shell == "zsh":
            # ~/.zshenv is the one file every zsh reads (`zsh -c` reads nothing else); it may not
            # exist yet.
            zdotdirs = {fc.d.graph.contexts[c].env.get("ZDOTDIR") or fc.home for c in cids}
            rc = posixpath.join(zdotdirs.pop(), ".zshenv") if len(zdotdirs) == 1 else None
        if rc is None:
            fc.refuse(f, f"Add {tilde(fc.home, directory)} to PATH: no startup file of the home is read by every "
                         f"{shell} context that lacks it ({', '.join(cids)}); editing one that some never read "
                         "would not fix them")
            return []
        text = fc.text(rc) or ""
        # Before the first early return any of these contexts takes in that file (the guard of
        # ~/.bashrc fires for sshd, not for terminals).
        returns = [r.line for c in cids for r in fc.d.graph.contexts[c].early_returns if r.path == rc and r.line]
        guard = min(returns) if returns else None
        fish = shell == "fish" or _is_fish(rc)
        if by_var is not None:
            # ~/go/1.26.8/bin (goenv's GOPATH per version) stops being right at the next
            # `goenv global`; the variable the manager keeps up to date follows it.
            line = f"set -gx PATH $PATH {by_var}" if fish else f'export PATH="$PATH:{by_var}"'
        else:
            line = edits.add_path_line(directory, fc.home, fish=fish)
        why = "go lives here" if f.check == "GOENV-GO-002" else "tools installed with `go install` land here"
        changes.append(FileEdit(rc, fc.text(rc), edits.insert_before(text, guard, [line], why, fc.today)))
    where_ = ", ".join(tilde(fc.home, c.path) for c in changes)
    named = by_var or tilde(fc.home, directory)
    p = fc.edit_fix(f, "add-to-path", f"Add {named} to PATH in {where_}", changes,
                    contexts=ok)
    return [p] if p else []


# --- go env -w values and Go settings -----------------------------------------------------------

def _go_env_unset(fc: FixContext, f: Finding, name: str) -> list[PlannedFix]:
    for cid in f.contexts or [t.id for t in fc.d.facts.contexts]:
        ge = fc.d.facts.goenvs.get(cid)
        v = ge.values.get(name) if ge else None
        go = fc.context_go(cid)
        if v is not None and v.source == "goenv-file" and go and ge and ge.file:
            return [fc.command_fix(f, f"go-env-u-{name}", f"Remove {name} from the go env file (`go env -u {name}`)",
                                   [go, "env", "-u", name], fc.context_env(cid), None, [ge.file])]
    return []


@builds("GOENV-MOD-001", "GOENV-MOD-002", "GOENV-PROXY-001", "GOENV-NET-001", "GOENV-NET-004")
def go_setting(fc: FixContext, f: Finding) -> list[PlannedFix]:
    name = f.variable or ""
    out = _go_env_unset(fc, f, name)
    for loc in f.locations:
        if loc.line and fc.editable(loc.path) and not loc.path.endswith("/go/env"):
            why = {"GOSUMDB": "it turned off checksum verification", "GOINSECURE": "it skipped HTTPS checks"}.get(
                name, f"{name} breaks module builds and gopls")
            p = _disable(fc, f, loc, why, f"remove-{name.lower()}",
                         f"Comment out {name} at {where(fc.home, loc)}")
            if p:
                out.append(p)
    return out


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


def _borrow(fc: FixContext, f: Finding, causes: list[Finding]) -> list[PlannedFix]:
    """The causes' fixes, offered for f and verified against f."""
    out: list[PlannedFix] = []
    for cause in causes:
        builder = BUILDERS.get(cause.check)
        for p in builder(fc, cause) if builder else []:
            if p is None or any(q.id == p.id for q in out):
                continue
            fix = replace(p.fix, verifies=f.check, title=f"Fix the cause ({cause.id}): {p.fix.title}")
            out.append(replace(p, fix=fix, finding_id=f.id, check=f.check, cause=cause.id,
                               contexts=tuple(dict.fromkeys((*p.contexts, *f.contexts)))))
    return out


def _cause_fixes(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """The fixes of the findings that explain a failed probe, verified by probing again."""
    for cause_check in CAUSES.get(f.data.get("classification", ""), ()):
        causes = [c for c in fc.d.findings
                  if c.check == cause_check and (not c.contexts or set(c.contexts) & set(f.contexts))]
        out = _borrow(fc, f, causes)
        if out:
            return out  # the first cause that has a fix is the one to offer
    return []


@builds("GOENV-PROBE-001", "GOENV-PROBE-002", "GOENV-PROBE-003", "GOENV-TOOLS-002", "GOENV-TOOLS-003")
def reinstall(fc: FixContext, f: Finding) -> list[PlannedFix]:
    if f.check.startswith("GOENV-PROBE"):
        cause = _cause_fixes(fc, f)
        if cause or f.data.get("classification", "") not in REINSTALL_CURES | {""}:
            return cause
    tool = f.data.get("tool")
    if tool not in TOOL_MODULES or not f.contexts:
        return []
    return install_tool(fc, f, tool, f.contexts[0])


@builds("GOENV-TOOLS-005")
def install_missing(fc: FixContext, f: Finding) -> list[PlannedFix]:
    tool = f.data.get("tool")
    cid = next((c for c in f.contexts if fc.context_go(c)), None)
    if tool not in TOOL_MODULES or cid is None:
        return []
    return install_tool(fc, f, tool, cid)


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


@builds("GOENV-TOOLS-006")
def use_newer_go(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """Put the newer Go's bin directory where the PATH entry of the old one is written."""
    entry, newer = f.data.get("entry", ""), f.data.get("newer_go", "")
    loc = _loc_of(f)
    if not entry or not newer or loc is None or not fc.editable(loc.path):
        return []
    text = fc.text(loc.path)
    if text is None:
        return []
    start, end = edits.span(text, loc.line or 1)
    lines = text.splitlines()[start - 1:end]
    shown = ["$HOME" + entry[len(fc.home.rstrip("/")):]] if fc.home_file(entry) else []
    old = next((e for e in [entry, *shown] if any(e in ln for ln in lines)), None)
    if old is None:
        return []
    new_dir = posixpath.dirname(newer)
    new = edits.replace_in(text, loc.line or 1, old, new_dir)
    p = fc.edit_fix(f, "use-newer-go", f"Use Go {f.data.get('newer_version', '').removeprefix('go')} "
                    f"({tilde(fc.home, new_dir)}) instead of {tilde(fc.home, entry)} at {where(fc.home, loc)}",
                    [FileEdit(loc.path, text, new)])
    return [p] if p else []


@builds("GOENV-CRLF-001")
def crlf_to_lf(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """Convert the file's line endings to LF: an edit like any other (trialled, backed up, undone)."""
    path = f.data.get("path", "")
    text = fc.text(path) if path and fc.editable(path) else None
    if text is None or "\r\n" not in text:
        return []
    p = fc.edit_fix(f, "crlf-to-lf", f"Convert {tilde(fc.home, path)} to Unix (LF) line endings",
                    [FileEdit(path, text, text.replace("\r\n", "\n"))], safe=True)
    return [p] if p else []


@builds("GOENV-MODDL-001")
def mod_download(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """`go mod download` in the workspace, with the context's go and environment (fills the module
    cache: nothing in the home's files changes, so there is nothing to undo)."""
    gomod = f.data.get("gomod", "")
    cid = next((c for c in f.contexts if fc.context_go(c)), None)
    go = fc.context_go(cid) if cid else None
    if not gomod or go is None or cid is None:
        return []
    return [fc.command_fix(f, "go-mod-download", "Download the required modules (`go mod download`)",
                           [go, "mod", "download"], fc.context_env(cid), posixpath.dirname(gomod), [],
                           undoable=False)]


# --- workspace -----------------------------------------------------------------------------------

@builds("GOENV-WORKSPACE-001")
def workspace_init(fc: FixContext, f: Finding) -> list[PlannedFix]:
    ws = fc.d.facts.workspace_facts
    cid = next((c for c in fc.d.facts.primary if fc.context_go(c)), None)
    if ws is None or cid is None:
        return []
    go = fc.context_go(cid)
    assert go is not None
    if ws.child_gomods:
        dirs = ["./" + posixpath.relpath(posixpath.dirname(p), ws.root) for p in ws.child_gomods]
        return [fc.command_fix(f, "go-work-init", "Create a go.work that uses the modules below",
                               [go, "work", "init", *dirs], fc.context_env(cid), ws.root, [posixpath.join(ws.root, "go.work")])]
    if ws.has_go_files and ws.parent_gomod is None:
        name = "example.com/" + (posixpath.basename(ws.root) or "module")
        return [fc.command_fix(f, "go-mod-init", f"Create go.mod (`go mod init {name}`)",
                               [go, "mod", "init", name], fc.context_env(cid), ws.root, [posixpath.join(ws.root, "go.mod")])]
    return []


@builds("GOENV-WORKSPACE-002")
def workspace_dropuse(fc: FixContext, f: Finding) -> list[PlannedFix]:
    ws = fc.d.facts.workspace_facts
    cid = next((c for c in fc.d.facts.primary if fc.context_go(c)), None)
    if ws is None or ws.gowork is None or cid is None:
        return []
    go = fc.context_go(cid)
    assert go is not None
    bad = [u.directory for u in ws.uses if not u.exists or not u.has_gomod]
    argv = [go, "work", "edit", *[f"-dropuse={d}" for d in bad]]
    return [fc.command_fix(f, "go-work-dropuse", f"Drop {', '.join(bad)} from go.work", argv, fc.context_env(cid),
                           posixpath.dirname(ws.gowork), [ws.gowork])]


@builds("GOENV-WORKSPACE-004")
def gowork_go_line(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """`go work edit -go=X`: X the highest go line of the modules it uses, when the Go that runs
    can build them all (else lowering it would only move the error)."""
    from goenv_tui.checks.base import parse_go_version
    from goenv_tui.collect.workspace import parse_gomod

    ws = fc.d.facts.workspace_facts
    cid = next((c for c in f.contexts if fc.context_go(c)), None)
    if ws is None or ws.gowork is None or cid is None:
        return []
    running = parse_go_version(f.data.get("version"))
    lines = []
    for u in ws.uses:
        text = fc.text(posixpath.join(u.resolved, "go.mod")) if u.has_gomod else None
        m = parse_gomod(text, u.resolved).go if text is not None else None
        if m:
            lines.append(m)
    need = max(lines, key=lambda x: parse_go_version(x) or (0, 0, 0)) if lines else None
    if need is None or running is None or (parse_go_version(need) or (9, 9, 9)) > running:
        return []
    go = fc.context_go(cid)
    assert go is not None
    return [fc.command_fix(f, "go-work-go-line", f"Set go.work's go line to {need} (what its modules need)",
                           [go, "work", "edit", f"-go={need}"], fc.context_env(cid), posixpath.dirname(ws.gowork),
                           [ws.gowork])]


def plan_for(d: Diagnosis, host: Host, today: str) -> dict[str, list[PlannedFix]]:
    """Every finding's planned fixes (findings without a builder get none)."""
    with contextlib.suppress(ImportError):  # editor-settings fixes register themselves on import
        import goenv_tui.fixes.settings  # noqa: F401
    fc = FixContext(d, host, today)
    out: dict[str, list[PlannedFix]] = {}
    for f in d.findings:
        builder = BUILDERS.get(f.check)
        if builder is None:
            continue
        try:
            plans = [p for p in builder(fc, f) if p is not None]
        except Exception:  # a builder bug must not hide the finding
            plans = []
        if plans:
            out[f.id] = plans
    d.refused = fc.refused
    return out
