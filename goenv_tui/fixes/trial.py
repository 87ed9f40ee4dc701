"""A fix tried on a private copy before it is offered.

The edited files are written into a private home that mirrors the real one by symlinks (every
other entry links back to the real file; nothing is copied, nothing in the real home is written),
the contexts that read an edited file are traced there by the real shells, and their traces are
mapped back onto the real home's paths so that the rest of the diagnosis (resolution of go, gopls
and dlv, `go env`, the checks) runs exactly as it does for the real home. The trial is then
judged against the diagnosis the fix was planned from (`assess`):

- the finding the fix is for clears;
- no context gets a new error or warning;
- no context that found go, gopls or dlv loses it;
- every edited file passes its shell's own syntax check (`bash -n`, `zsh -n`, `fish --no-execute`);
- no context ends in a timeout or an error it did not have, or starts much slower.

The same judgement runs again after the fix is applied for real (engine.apply_fix), against the
real result: if that differs, the fix is rolled back.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from goenv_tui.diagnose import Diagnosis
from goenv_tui.display import tilde
from goenv_tui.fixes.plan import PlannedFix, sha, shown, to_bytes
from goenv_tui.host import FileInfo, Host, HostError
from goenv_tui.model import ContextSpec, ContextTrace, Finding, TraceStatus
from goenv_tui.shells.registry import make_driver

if TYPE_CHECKING:
    from goenv_tui.shells.tracer import TraceOptions

TOOLS = ("go", "gopls", "dlv")
# "No slower start": a context may take this much longer (factor and absolute ms) before the
# trial calls it slower; traces on a busy machine vary by a few hundred ms.
SLOWER_FACTOR = 1.6
SLOWER_MS = 800.0


@dataclass(frozen=True)
class Trial:
    """What trying a fix on a private copy showed."""

    tried: bool  # False: a command, or a host where a private copy cannot be made
    safe: bool
    cleared: bool
    problems: tuple[str, ...] = ()  # why it is not safe, one line each
    evidence: tuple[str, ...] = ()  # what the trial saw (per context), shown with the verdict
    contexts: tuple[str, ...] = ()  # the contexts traced on the copy
    seconds: float = 0.0
    note: str = ""

    @property
    def verdict(self) -> str:
        if not self.tried:
            return f"not tried on a copy: {self.note}"
        n = len(self.contexts)
        if self.safe:
            return (f"safe: tried on a private copy ({n} context{'s' if n != 1 else ''} traced): "
                    "the finding clears and nothing else gets worse")
        return "not safe: " + "; ".join(self.problems)

    def to_json(self) -> dict[str, Any]:
        return {"tried": self.tried, "safe": self.safe, "cleared": self.cleared, "problems": list(self.problems),
                "evidence": list(self.evidence), "contexts": list(self.contexts), "seconds": round(self.seconds, 3),
                "verdict": self.verdict}


# --- judging a result ---------------------------------------------------------------------------

def _probe(f: Finding) -> bool:
    return f.check.startswith("GOENV-PROBE")


def same_problem(a: Finding, b: Finding) -> bool:
    """Whether b is a still-open a: ids hash locations, and fixing a file shifts line numbers."""
    if a.check != b.check or a.variable != b.variable:
        return False
    if a.data.get("tool") != b.data.get("tool"):
        return False  # one check, several tools (gopls missing is not dlv missing)
    if a.check.startswith("GOENV-VSCODE") and a.title != b.title:
        # Several settings can trip one check (two missing alternate tools, user and workspace
        # go.goroot); the title names the setting and its file.
        return False
    if a.contexts or b.contexts:
        return bool(set(a.contexts) & set(b.contexts))
    return bool({loc.path for loc in a.locations} & {loc.path for loc in b.locations})


def target_of(before: Diagnosis, planned: PlannedFix) -> Finding | None:
    """The finding a fix must clear. A fix borrowed from a failed probe's cause is judged by the
    cause (the trial and the re-check do not probe)."""
    fid = planned.cause or planned.finding_id
    return next((f for f in before.findings if f.id == fid), None)


def still_there(target: Finding | None, fid: str, after: Diagnosis) -> bool:
    return any(f.id == fid or (target is not None and same_problem(target, f)) for f in after.findings)


@dataclass
class Judgement:
    cleared: bool
    problems: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.cleared and not self.problems


def assess(before: Diagnosis, after: Diagnosis, planned: PlannedFix, home: str,
           contexts: Iterable[str] | None = None, syntax: list[str] | None = None, timing: bool = True) -> Judgement:
    """Did the fix clear its finding, and did nothing get worse? `contexts`: the ones that were
    traced again (the others are the same by construction)."""
    target = target_of(before, planned)
    fid = planned.cause or planned.finding_id
    cleared = not still_there(target, fid, after)
    j = Judgement(cleared)
    if not cleared:
        j.problems.append(f"{fid} is still there after the fix")
    gained, changed = _gains(before, after)
    for f in after.findings:
        if f.severity.value == "info" or _probe(f) or f.id == fid:
            continue
        if any(f.id == b.id or same_problem(b, f) for b in before.findings) or _narrowed(f, before.findings):
            continue
        if (_comes_with_a_gain(f, gained, changed) or _same_variable_now_differs(f, target)
                or _the_added_folder(f, target, home)):
            j.evidence.append(f"now visible: {f.title} ({f.id})")
            continue
        j.problems.append(f"new {f.severity.value}: {f.title} ({f.id})")
    befores = {t.id: t for t in before.facts.contexts}
    retraced = set(contexts) if contexts is not None else None
    for t in after.facts.contexts:
        if retraced is not None and t.id not in retraced:
            continue
        b = befores.get(t.id)
        if b is None:
            continue
        if b.status is TraceStatus.OK and t.status is not TraceStatus.OK:
            at = f" at {tilde(home, t.stopped_at.path)}:{t.stopped_at.line}" if t.stopped_at else ""
            j.problems.append(f"{t.id} no longer starts: {t.status.value}{at}" + (f" ({t.error})" if t.error else ""))
        elif (timing and b.status is TraceStatus.OK and b.duration_ms and
              t.duration_ms > b.duration_ms * SLOWER_FACTOR + SLOWER_MS):
            j.problems.append(f"{t.id} starts slower: {b.duration_ms:.0f} ms → {t.duration_ms:.0f} ms")
        for tool in TOOLS:
            rb = before.facts.resolutions.get(t.id, {}).get(tool)
            ra = after.facts.resolutions.get(t.id, {}).get(tool)
            had = rb.resolved.path if rb is not None and rb.resolved is not None else None
            has = ra.resolved.path if ra is not None and ra.resolved is not None else None
            if had is not None and has is None:
                j.problems.append(f"{t.id} loses {tool} (it found {tilde(home, had)})")
            elif had is not None and has is not None and had != has:
                j.evidence.append(f"{t.id}: {tool} {tilde(home, had)} → {tilde(home, has)}")
        differs = sorted(k for k in set(b.env) | set(t.env) if b.env.get(k) != t.env.get(k) and k in after.facts.watched)
        for k in differs[:6]:
            j.evidence.append(f"{t.id}: {_change(home, k, b.env.get(k), t.env.get(k))}")
    j.problems.extend(syntax or [])
    return j


# Checks that say a value is itself wrong: never excused by a gain elsewhere.
WRONG_VALUE = ("GOENV-MOD-001", "GOENV-MOD-002", "GOENV-PROXY-001", "GOENV-GOROOT-001", "GOENV-GODIR-001")


def _gains(before: Diagnosis, after: Diagnosis) -> tuple[set[str], set[str]]:
    """Contexts that found go/gopls/dlv (or a working `go env`) only after the fix, and contexts
    whose environment changed."""
    gained: set[str] = set()
    changed: set[str] = set()
    befores = {t.id: t for t in before.facts.contexts}
    for t in after.facts.contexts:
        b = befores.get(t.id)
        if b is None:
            continue
        if b.env != t.env or b.status != t.status:
            changed.add(t.id)
        for tool in TOOLS:
            rb = before.facts.resolutions.get(t.id, {}).get(tool)
            ra = after.facts.resolutions.get(t.id, {}).get(tool)
            if (rb is None or rb.resolved is None) and ra is not None and ra.resolved is not None:
                gained.add(t.id)
        # `go env` that failed before (a GOROOT that does not exist) and works now.
        gb, ga = before.facts.goenvs.get(t.id), after.facts.goenvs.get(t.id)
        if (gb is None or gb.error or not gb.values) and ga is not None and not ga.error and ga.values:
            gained.add(t.id)
    return gained, changed


def _comes_with_a_gain(f: Finding, gained: set[str], changed: set[str]) -> bool:
    """A warning that only appears because the fix gave some contexts go: a check that needs go
    (GOBIN not on PATH) now runs where it could not, or a comparison ("PATH lacks the Go folder
    in `ssh host cmd`") now sees contexts that are as they were next to ones that improved. Not
    "worse": no context that changed lost anything, and the others did not change at all."""
    if not gained or f.severity.value == "error" or f.check in WRONG_VALUE or not f.contexts:
        return False
    return all(c in gained or c not in changed for c in f.contexts)


def _same_variable_now_differs(f: Finding, target: Finding | None) -> bool:
    """Exporting GOFLAGS in ~/.bashrc (the fix for "set but not exported") makes it differ from
    the contexts that never read ~/.bashrc: the variable now works where it was written, and the
    difference is shown as evidence, not counted as worse."""
    return (target is not None and f.severity.value != "error" and f.check.startswith("GOENV-CTXDIFF")
            and f.variable is not None and f.variable == target.variable)


def _the_added_folder(f: Finding, target: Finding | None, home: str) -> bool:
    """GOBIN added to PATH before anything was installed there: `go install` creates it."""
    d = target.data.get("dir") if target is not None else None
    return bool(d) and f.check == "GOENV-PATH-005" and f"PATH entry {tilde(home, d)} does not exist" == f.title


def _topic(check: str) -> str:
    return check.rsplit("-", 1)[0]


def _narrowed(f: Finding, before: list[Finding]) -> bool:
    """A problem that was there before in a wider form: "no go in any context" (GO-001) that
    became "go missing in two contexts" (GO-002) once a fix gave the others go."""
    kin = [b for b in before if _topic(b.check) == _topic(f.check) and b.variable == f.variable
           and b.severity.rank <= f.severity.rank]
    if not kin or not f.contexts:
        return False
    return set(f.contexts) <= {c for b in kin for c in b.contexts}


def _change(home: str, name: str, old: str | None, new: str | None) -> str:
    if name in ("PATH", "MANPATH") and old is not None and new is not None:
        a, b = old.split(":"), new.split(":")
        added = [e for e in b if e not in a]
        gone = [e for e in a if e not in b]
        parts = [f"+{_short(home, e)}" for e in added] + [f"-{_short(home, e)}" for e in gone]
        return f"{name} {' '.join(parts)}" if parts else f"{name} reordered"
    return f"{name} {_short(home, old)} → {_short(home, new)}"


def _short(home: str, v: str | None) -> str:
    if v is None:
        return "(unset)"
    h = home.rstrip("/")
    v = "~" if v == h else v.replace(h + "/", "~/")
    return v if len(v) <= 70 else v[:67] + "…"


# --- syntax -------------------------------------------------------------------------------------

def shell_of(path: str) -> str | None:
    """Which shell reads this startup file (None: not a shell file, e.g. a settings.json)."""
    base = posixpath.basename(path)
    if base.endswith((".json", ".jsonc")) or base in ("go.mod", "go.work", "env") or "/go/env" in path:
        return None
    if path.endswith(".fish") or "/fish/" in path:
        return "fish"
    if base.startswith(".z") or base.endswith(".zsh") or "/zsh/" in path or base in ("zshenv", "zshrc", "zprofile", "zlogin"):
        return "zsh"
    return "bash"


def syntax_error(host: Host, path: str, shell: str | None = None) -> str | None:
    """The shell's own verdict on a file (None: fine, not a shell file, or the shell is not installed)."""
    shell = shell or shell_of(path)
    if shell is None:
        return None
    exe = host.which(shell)
    if exe is None:
        return None
    res = host.run(make_driver(shell, host).syntax_argv(exe, path), env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"},
                   timeout=10.0)
    if res.timed_out:
        return f"`{shell} -n` did not finish"
    if res.returncode == 0:
        return None
    msg = (res.stderr or res.stdout).decode(errors="replace").strip().splitlines()
    return msg[0] if msg else f"{shell} -n exited with {res.returncode}"


# --- the private home ---------------------------------------------------------------------------

def _rehome(obj: Any, old: str, new: str) -> Any:
    """obj with every string's `old` prefix-path replaced by `new` (traces of the private home
    mapped back onto the real home's paths)."""
    if isinstance(obj, str):
        return obj.replace(old, new) if old in obj else obj
    if isinstance(obj, Enum) or obj is None or isinstance(obj, (int, float, bool, bytes)):
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _rehome(getattr(obj, f.name), old, new) for f in fields(obj) if f.init}
        return replace(obj, **changes)
    if isinstance(obj, dict):
        return {_rehome(k, old, new): _rehome(v, old, new) for k, v in obj.items()}
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_rehome(x, old, new) for x in obj)
    if isinstance(obj, list):
        return [_rehome(x, old, new) for x in obj]
    if isinstance(obj, frozenset):
        return frozenset(_rehome(x, old, new) for x in obj)
    if isinstance(obj, set):
        return {_rehome(x, old, new) for x in obj}
    return obj


def build_private_home(home: str, files: dict[str, bytes | None], root: str) -> str:
    """A directory that reads like `home`: every entry a symlink to the real one, except the
    directories on the way to an edited file (real directories, mirrored one level at a time)
    and the edited files themselves (private copies with the new bytes). Returns its path."""
    h = home.rstrip("/")
    rel = {p[len(h) + 1:]: data for p, data in files.items() if p.startswith(h + "/")}
    # State the shells themselves write when they start (compinit's dump, fish's universal
    # variables, histories): private copies, so that a write follows no symlink into the real home.
    volatile = [n for n in _listdir(h) if n.startswith((".zcompdump", ".zsh_history", ".bash_history"))]
    volatile += [".config/fish/fish_variables", ".local/share/fish/fish_history"]
    for v in volatile:
        src = os.path.join(h, v)
        if v not in rel and os.path.isfile(src) and not os.path.islink(src):
            with open(src, "rb") as fh:
                rel[v] = fh.read()
    priv = os.path.join(root, "home")
    owner = os.stat(h)

    def mirror(src: str, dst: str, wanted: dict[str, bytes | None]) -> None:
        os.mkdir(dst)
        os.chmod(dst, os.stat(src).st_mode & 0o7777 if os.path.isdir(src) else 0o755)
        here = {w.split("/", 1)[0] for w in wanted}
        with contextlib.suppress(OSError):
            for name in os.listdir(src):
                if name not in here:
                    os.symlink(os.path.join(src, name), os.path.join(dst, name))
        for name in here:
            sub = {w.split("/", 1)[1]: d for w, d in wanted.items() if w.startswith(name + "/")}
            if name in wanted:
                data = wanted[name]
                if data is not None:
                    target = os.path.join(dst, name)
                    with open(target, "wb") as fh:
                        fh.write(data)
                    with contextlib.suppress(OSError):
                        os.chmod(target, os.stat(os.path.join(src, name)).st_mode & 0o7777)
            elif sub:
                mirror(os.path.join(src, name), os.path.join(dst, name), sub)

    mirror(h, priv, rel)
    if os.geteuid() == 0 and owner.st_uid != 0:
        # The home's shells run as its owner: the private copy must be theirs to read.
        for dirpath, dirnames, filenames in os.walk(root):
            for n in [*dirnames, *filenames]:
                with contextlib.suppress(OSError):
                    os.lchown(os.path.join(dirpath, n), owner.st_uid, owner.st_gid)
            with contextlib.suppress(OSError):
                os.lchown(dirpath, owner.st_uid, owner.st_gid)
    return priv


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


class OverlayHost:
    """The real host, except that the edited files read as their new bytes: what the static
    parts of the diagnosis (dormant lines, editor settings) see of the trial."""

    def __init__(self, host: Host, files: dict[str, bytes | None]) -> None:
        self._host = host
        self._files = files

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        if path in self._files:
            data = self._files[path]
            if data is None:
                raise HostError(f"{path}: No such file or directory")
            return data if limit is None else data[:limit]
        return self._host.read_bytes(path, limit)

    def read_text(self, path: str, limit: int | None = None) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def binary_sample(self, path: str, magic: bytes, limit: int) -> bytes:
        if path in self._files:
            return self.read_bytes(path, limit + 1)
        return self._host.binary_sample(path, magic, limit)

    def _info(self, path: str, base: FileInfo) -> FileInfo:
        data = self._files[path]
        if data is None:
            return FileInfo(path=path, exists=False, error="No such file or directory")
        if base.exists and base.is_file:
            return replace(base, size=len(data))
        return FileInfo(path=path, exists=True, is_file=True, mode=0o100644, size=len(data))

    def stat(self, path: str) -> FileInfo:
        base = self._host.stat(path)
        return self._info(path, base) if path in self._files else base

    def lstat(self, path: str) -> FileInfo:
        base = self._host.lstat(path)
        return self._info(path, base) if path in self._files else base

    def file_contains(self, path: str, needles: list[str]) -> set[str]:
        if path in self._files:
            data = self._files[path] or b""
            return {n for n in needles if n.encode() in data}
        return self._host.file_contains(path, needles)


# --- running a trial ----------------------------------------------------------------------------

_TrialKey = tuple[str, str, tuple[tuple[str, str | None, str | None], ...], str | None, int]
_CACHE: dict[_TrialKey, Trial] = {}
_CACHE_LOCK = threading.Lock()


def _key(planned: PlannedFix, before: Diagnosis) -> _TrialKey:
    """The fix's exact edits and what the diagnosis it was planned from saw (each context's
    status and environment): a trial is reused only for the same change of the same home state."""
    seen = repr([(t.id, t.status.value, sorted(t.env.items())) for t in before.facts.contexts])
    return (planned.finding_id, planned.id, tuple((e.path, sha(e.before), sha(e.after)) for e in planned.edits),
            sha(seen), len(before.findings))


def affected_contexts(before: Diagnosis, planned: PlannedFix) -> list[str]:
    """The contexts an edit can change: those that read an edited file (or its symlink), every
    context of a shell whose startup file is created, and the contexts the fix is for."""
    paths = {p for e in planned.edits if e.changes for p in (e.path, e.link) if p}
    created_shells = {shell_of(e.link or e.path) for e in planned.edits if e.changes and e.before is None} - {None}
    out = []
    for t in before.facts.contexts:
        if t.status is TraceStatus.UNAVAILABLE:
            continue
        reads = any(sf.path in paths or (sf.realpath and sf.realpath in paths) for sf in t.files)
        if reads or t.spec.shell in created_shells or t.id in planned.contexts:
            out.append(t.id)
    return out


def run_trial(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix,
              use_cache: bool = True) -> Trial:
    """Try `planned` on a private copy (see the module doc). Never writes the real home."""
    if planned.argv or not planned.edits:
        return Trial(False, False, False, note="a command cannot be tried on a copy; it is checked after it runs "
                                                 "and undone from its backup if anything got worse")
    if host.remote:
        return Trial(False, False, False, note="a remote home is not tried on a copy yet; the fix is checked after "
                                                 "it is applied and rolled back if anything got worse")
    key = _key(planned, before)
    if use_cache:
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
    t0 = time.monotonic()
    try:
        result = _trial(host, opts, workspace, before, planned, t0)
    except Exception as exc:  # a trial that cannot run is a fix that is not offered as safe
        result = Trial(True, False, False, problems=(f"the trial could not run: {type(exc).__name__}: {exc}",),
                       seconds=time.monotonic() - t0)
    with _CACHE_LOCK:
        _CACHE[key] = result
    return result


def trial_diagnosis(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis,
                    files: dict[str, bytes | None], links: dict[str, str], cids: list[str]
                    ) -> tuple[Diagnosis | None, list[str]]:
    """The diagnosis of the home with `files` replaced, re-tracing only `cids` in a private home.
    Returns it and the syntax problems of the edited files (None and the problems when a shell
    no longer finishes starting)."""
    from goenv_tui.checks import CheckContext, run_checks
    from goenv_tui.collect import DIR_VARS, GO_TOOLS, Facts, collect_vscode
    from goenv_tui.collect.goenv import collect_goenvs
    from goenv_tui.collect.resolve import resolve_all
    from goenv_tui.graph import EnvGraph
    from goenv_tui.shells.contexts import all_specs
    from goenv_tui.shells.dormant import find_dormant
    from goenv_tui.shells.tracer import FileCache, trace_all

    home = opts.home.rstrip("/")
    root = tempfile.mkdtemp(prefix="goenv-tui-trial-")
    try:
        placed = dict(files)
        for link, target in links.items():  # the symlinked dotfile reads the edited target
            if target in files:
                placed[link] = files[target]
        priv = build_private_home(home, placed, root)
        syntax: list[str] = []
        for path, data in files.items():
            if data is None or not path.startswith(home + "/"):
                continue
            # A symlinked dotfile's target may be named anything (~/dotfiles/zsh/zshrc): the
            # link's name says which shell reads it.
            shell = shell_of(next((lk for lk, tg in links.items() if tg == path), path))
            if shell is None:
                continue
            was = syntax_error(host, path, shell) if os.path.exists(path) else None
            now = syntax_error(host, priv + path[len(home):], shell)
            if now and not was:
                syntax.append(f"{tilde(home, path)} fails `{shell} -n`: {now.replace(priv, '~')}")
        extra = {k: v.replace(home, priv) for k, v in opts.extra_env.items()}
        topts = replace(opts, home=priv, extra_env=extra)
        specs = [s for s in all_specs(opts.shells) if s.id in set(cids)]
        stuck = _starts(host, topts, specs, before)
        if stuck:
            # A shell that no longer finishes starting (a sourcing loop, a `read`): tracing it
            # would only produce a flood of trace output until the deadline.
            return None, syntax + stuck
        traced, tracer = trace_all(host, topts, specs=specs)
        # Map the private home back onto the real one (its realpath too, in case /tmp is a link).
        for old in dict.fromkeys((os.path.realpath(priv), priv)):
            traced = [_rehome(t, old, home) for t in traced]
        new_files = {_rehome(p, priv, home): _rehome(ft, priv, home) for p, ft in tracer.files.all().items()}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    by_id: dict[str, ContextTrace] = {t.id: t for t in traced}
    contexts = [by_id.get(t.id, t) for t in before.facts.contexts]
    overlay = OverlayHost(host, files)
    cache = FileCache(overlay)
    for p, ft in {**before.facts.files, **new_files}.items():
        if p not in files:
            cache._files[p] = ft
    for p, data in files.items():
        if data is not None and p not in new_files:
            cache._files.pop(p, None)
    b = before.facts
    facts = Facts(home=b.home, workspace=b.workspace, host_name=b.host_name, os_name=b.os_name, arch=b.arch,
                  remote=b.remote, login_shell=b.login_shell, contexts=contexts, primary=set(b.primary),
                  watched=list(b.watched), seed_path=b.seed_path, session_env=b.session_env, sshd_env=b.sshd_env,
                  workspace_facts=b.workspace_facts, editor=b.editor)
    facts.dormant, facts.unread = find_dormant(overlay, home, contexts, cache, set(b.watched))
    dirs = sorted({e for t in contexts for name, value in t.env.items()
                   if name in ("PATH", "MANPATH") or name in DIR_VARS for e in value.split(":") if e.startswith("/")})
    facts.dirs = {d: b.dirs[d] if d in b.dirs else host.stat(d) for d in dirs}
    facts.tools_in = {d: [n for n in GO_TOOLS if host.stat(f"{d.rstrip('/')}/{n}").is_file]
                      for d, info in facts.dirs.items() if info.is_dir}
    facts.tools_in = {d: t for d, t in facts.tools_in.items() if t}
    redo = [t for t in traced if t.status is TraceStatus.OK]
    fresh = resolve_all(host, redo, workspace or home) if redo else {}
    facts.resolutions = {}
    for t in contexts:
        res = fresh.get(t.id) if t.id in by_id else b.resolutions.get(t.id)
        if res is not None:
            facts.resolutions[t.id] = res
    goenvs = collect_goenvs(host, redo, facts.resolutions, home) if redo else {}
    facts.goenvs = {cid: ge for cid, ge in b.goenvs.items() if cid not in by_id}
    facts.goenvs.update(goenvs)
    if any(p.endswith((".json", ".jsonc")) for p in files):
        facts.editor = collect_vscode(overlay, home, workspace, b.os_name)
    facts.files = cache.all()
    graph = EnvGraph.build(facts.contexts, facts.dormant, facts.resolutions)
    findings = run_checks(CheckContext(facts, graph, overlay))
    return Diagnosis(facts, graph, findings, today=before.today), syntax


def _starts(host: Host, opts: TraceOptions, specs: list[ContextSpec], before: Diagnosis) -> list[str]:
    """Start each context's real shell, untraced, on the private home: does it still finish?
    The deadline is generous (three times its traced start before, at least 3 s)."""
    from concurrent.futures import ThreadPoolExecutor

    from goenv_tui.shells.tracer import hermetic_env

    befores = {t.id: t for t in before.facts.contexts}

    def one(spec: ContextSpec) -> str | None:
        driver = make_driver(spec.shell, host)
        if driver.writes_state_at_start:
            return None  # its trace (on a private copy of that state) says whether it ends
        exe = host.which(spec.shell)
        b = befores.get(spec.id)
        if exe is None or b is None or b.status is not TraceStatus.OK:
            return None
        argv = driver.argv(spec, exe, "exit 0")
        env = driver.context_env(spec, hermetic_env(host, opts, exe))
        limit = min(max(3.0, 3 * b.duration_ms / 1000), max(3.0, opts.timeout))
        res = host.run(argv, env=env, cwd=opts.home, timeout=limit)
        if res.timed_out:
            return (f"{spec.id} no longer starts: `{' '.join(argv[:-2]).replace(exe, spec.shell)} -c exit` did not "
                    f"finish within {limit:.0f}s (a sourcing loop or something that waits)")
        return None

    with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
        return [x for x in pool.map(one, specs) if x]


def _trial(host: Host, opts: TraceOptions, workspace: str | None, before: Diagnosis, planned: PlannedFix, t0: float) -> Trial:
    files = {e.path: (to_bytes(e.after) if e.after is not None else None) for e in planned.edits if e.changes}
    links = {e.link: e.path for e in planned.edits if e.changes and e.link}
    cids = affected_contexts(before, planned)
    after, syntax = trial_diagnosis(host, opts, workspace, before, files, links, cids)
    if after is None:
        return Trial(True, False, False, tuple(dict.fromkeys(syntax)), (), tuple(cids), time.monotonic() - t0)
    j = assess(before, after, planned, opts.home, cids, syntax)
    return Trial(True, j.ok, j.cleared, tuple(dict.fromkeys(j.problems)), tuple(dict.fromkeys(j.evidence)),
                 tuple(cids), time.monotonic() - t0)


def describe(trial: Trial) -> str:
    """The verdict and its evidence, as lines under a preview."""
    lines = [f"Trial: {trial.verdict}" + (f" [{trial.seconds:.1f}s]" if trial.tried else "")]
    lines += [f"  {shown(e)}" for e in trial.evidence[:10]]
    return "\n".join(lines)
