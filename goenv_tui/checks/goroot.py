"""GOROOT and GOPATH: pointing at another Go than the one that runs, set when not needed,
equal or nested."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from goenv_tui.checks.base import (
    CheckContext,
    check,
    context_go,
    finding,
    goenv_value,
    relevant_contexts,
    source_phrase,
)
from goenv_tui.display import where
from goenv_tui.fixes.builders import FixContext, disable, go_env_unset
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.frameworks import owned_line, owner_of
from goenv_tui.model import Candidate, Finding, GoEnvValue, Severity


def _real(ctx: CheckContext, path: str) -> str:
    try:
        return ctx.host_realpath(path)
    except Exception:
        return posixpath.normpath(path)


def same_goroot(ctx: CheckContext, a: str, b: str) -> bool:
    """Two GOROOTs are one Go when they are one folder, or when the go each provides is the same
    file: g's ~/.go is a folder of links into ~/.go/.versions/X, which may itself link elsewhere."""
    if _real(ctx, a) == _real(ctx, b):
        return True
    go_a, go_b = posixpath.join(a, "bin", "go"), posixpath.join(b, "bin", "go")
    return ctx.is_file(go_a) and _real(ctx, go_a) == _real(ctx, go_b)


def _version_at(ctx: CheckContext, root: str) -> str | None:
    return ctx.read_first_line(posixpath.join(root, "VERSION"))


@check("GOENV-GOROOT-001", Severity.ERROR, "GOROOT is another Go than the go that runs", tools=("go",), resolution=True, wrong_value=True)
def goroot_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """GOROOT left pointing at an old install while PATH runs a newer go: builds fail with
    `compile: version "go1.19" does not match go tool version "go1.26"`, gopls reports broken
    standard-library imports."""
    groups: dict[tuple[str, str], list[str]] = {}
    seen: dict[tuple[str, str], tuple[Candidate, str | None, GoEnvValue]] = {}  # the first context's
    for cid in relevant_contexts(ctx):
        cand, version = context_go(ctx, cid)
        value = goenv_value(ctx, cid, "GOROOT")
        if cand is None or cand.goroot is None or value is None or value.source == "default":
            continue
        if not same_goroot(ctx, value.value, cand.goroot):
            groups.setdefault((value.value, cand.path), []).append(cid)
            seen.setdefault((value.value, cand.path), (cand, version, value))
    for (goroot, go), ids in groups.items():
        cand, version, value = seen[(goroot, go)]
        other = _version_at(ctx, goroot) or "no Go installation"
        yield finding(
            f"{goroot}|{go}", Severity.ERROR,
            f"GOROOT is {ctx.tilde(goroot)} ({other}) but the go that runs is {ctx.tilde(go)} ({version or '?'})",
            f"In {ctx.contexts_phrase(ids)}, PATH runs {ctx.tilde(go)}, which belongs to {ctx.tilde(cand.goroot)} "
            f"({version or 'unknown version'}), while GOROOT{source_phrase(ctx, value)} says {ctx.tilde(goroot)} "
            f"({other}). The go command then compiles with one Go's tools against another's standard library "
            "(\"compile: version … does not match go tool version …\"), and gopls reports broken imports. "
            "Unset GOROOT (go finds its own) or point PATH at the same Go.",
            variable="GOROOT", contexts=ids, locations=[value.location] if value.location else [],
            evidence=[f"var:{c}:GOROOT" for c in ids],
            chain=[f"GOROOT={goroot}{source_phrase(ctx, value)}", f"PATH → {go} → {cand.realpath} (GOROOT {cand.goroot}, {version})"],
        )


def _set_by_manager(ctx: CheckContext, cand: Candidate, value: GoEnvValue) -> bool:
    """A GOROOT a version manager sets on purpose (goenv's init, asdf's exec-env, g's installer
    line, gvm's environment file): removing it is not safe, the manager relies on it."""
    if cand.shim_target:
        return True
    loc = value.location
    if loc is None:
        return False
    ft = ctx.facts.files.get(loc.path)
    text = ft.text if ft else None
    if owner_of(ctx.facts.home, loc.path, ft.realpath if ft else None, text[:2048] if text else None):
        return True
    lines = text.splitlines() if text else []
    return bool(loc.line) and 0 < (loc.line or 0) <= len(lines) and owned_line(lines[(loc.line or 1) - 1])


@check("GOENV-GOROOT-002", Severity.INFO, "GOROOT set although go finds it itself")
def goroot_not_needed(ctx: CheckContext) -> Iterator[Finding]:
    """An explicit GOROOT that matches the go on PATH works today and breaks on the next upgrade
    (a new Go in another directory, the old GOROOT still exported)."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        cand, _ = context_go(ctx, cid)
        value = goenv_value(ctx, cid, "GOROOT")
        if (cand and cand.goroot and value and value.source != "default"
                and same_goroot(ctx, value.value, cand.goroot) and not _set_by_manager(ctx, cand, value)):
            found.setdefault(value.value, []).append(cid)
    for goroot, ids in found.items():
        value = goenv_value(ctx, ids[0], "GOROOT")
        yield finding(
            goroot, Severity.INFO,
            f"GOROOT={ctx.tilde(goroot)} is set but not needed",
            f"go already knows its own root; setting GOROOT{source_phrase(ctx, value)} only matters once you "
            "install another Go, and then it points at the wrong one. Removing the line is safe.",
            variable="GOROOT", contexts=ids, locations=[value.location] if value and value.location else [],
        )


@check("GOENV-GOROOT-003", Severity.ERROR, "GOPATH equal to or nested with GOROOT", also=(Severity.WARNING,))
def gopath_vs_goroot(ctx: CheckContext) -> Iterator[Finding]:
    """GOPATH equal to GOROOT ("warning: GOPATH set to GOROOT has no effect") or nested inside it
    mixes your modules and tools with the Go distribution; `go install` may overwrite Go's own
    binaries and a Go upgrade deletes your tools."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        root, path = goenv_value(ctx, cid, "GOROOT"), goenv_value(ctx, cid, "GOPATH")
        if not root or not path or not root.value:
            continue
        r = _real(ctx, root.value)
        for entry in path.value.split(":"):
            if not entry:
                continue
            p = _real(ctx, entry)
            kind = "equal" if p == r else "inside" if p.startswith(r + "/") else "contains" if r.startswith(p + "/") else None
            if kind:
                found.setdefault((kind, entry, root.value), []).append(cid)
    for (kind, entry, goroot), ids in found.items():
        gopath = goenv_value(ctx, ids[0], "GOPATH")
        sev = Severity.ERROR if kind == "equal" else Severity.WARNING
        how = {"equal": "is the same directory as", "inside": "is inside", "contains": "contains"}[kind]
        yield finding(
            f"{kind}|{entry}|{goroot}", sev,
            f"GOPATH {ctx.tilde(entry)} {how} GOROOT {ctx.tilde(goroot)}",
            f"GOPATH{source_phrase(ctx, gopath)} {how} GOROOT. The module cache and installed tools then live in "
            "the Go distribution: `go install` can overwrite Go's own commands and upgrading Go wipes your tools. "
            "Use the default (~/go) or another directory outside GOROOT.",
            variable="GOPATH", contexts=ids, locations=[gopath.location] if gopath and gopath.location else [],
        )


@check("GOENV-GOBIN-003", Severity.WARNING, "GOBIN inside GOROOT")
def gobin_in_goroot(ctx: CheckContext) -> Iterator[Finding]:
    """GOBIN=$GOROOT/bin (an old tutorial's advice): `go install` puts gopls and dlv among Go's own
    commands, the next Go upgrade (which replaces GOROOT) deletes them, and a copy left in another
    Go's bin shadows the new one."""
    found: dict[tuple[str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        gobin, root = goenv_value(ctx, cid, "GOBIN"), goenv_value(ctx, cid, "GOROOT")
        if not gobin or not gobin.value or not root or not root.value or not gobin.value.startswith("/"):
            continue
        b, r = _real(ctx, gobin.value), _real(ctx, root.value)
        if b == r or b.startswith(r.rstrip("/") + "/"):
            found.setdefault((gobin.value, root.value), []).append(cid)
    for (gobin_dir, goroot), ids in found.items():
        value = goenv_value(ctx, ids[0], "GOBIN")
        yield finding(
            f"{gobin_dir}|{goroot}", Severity.WARNING,
            f"GOBIN {ctx.tilde(gobin_dir)} is inside GOROOT {ctx.tilde(goroot)}",
            f"GOBIN{source_phrase(ctx, value)} puts every tool you `go install` (gopls, dlv, staticcheck) into the Go "
            "installation itself. Upgrading Go replaces that directory and your tools disappear with it; an older copy "
            "left in another Go's bin then shadows the new one. Remove GOBIN (tools go to ~/go/bin) or point it outside "
            "GOROOT, and put it on PATH.",
            variable="GOBIN", contexts=ids, locations=[value.location] if value and value.location else [],
            chain=[f"GOBIN={ctx.tilde(gobin_dir)}{source_phrase(ctx, value)}", f"GOROOT={ctx.tilde(goroot)}"],
        )


# --- fixes ---------------------------------------------------------------------------------------

@goroot_mismatch.fix
@goroot_not_needed.fix
def goroot_line(fc: FixContext, f: Finding) -> list[PlannedFix]:
    out = []
    for loc in f.locations:
        if loc.line and fc.editable(loc.path) and not loc.path.endswith("/go/env"):
            p = disable(fc, f, loc, "go finds its own GOROOT; a fixed one breaks when Go moves or upgrades",
                         "unset-goroot", f"Comment out GOROOT at {where(fc.home, loc)} (go finds its own)",
                         dead_value=f.check == "GOENV-GODIR-001")
            if p:
                out.append(p)
    out += go_env_unset(fc, f, "GOROOT")
    return out[:2]
