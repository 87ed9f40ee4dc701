"""The workspace gopls will open: go.mod where it belongs, go.work `use` lines that exist, and a
go new enough for the module's `go` line."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from goenv_tui.checks.base import (
    CheckContext,
    check,
    context_go,
    finding,
    goenv_value,
    parse_go_version,
    relevant_contexts,
)
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.model import Finding, Location, Severity


@check("GOENV-WORKSPACE-001", Severity.WARNING, "No go.mod at the workspace root", also=(Severity.INFO,))
def no_gomod(ctx: CheckContext) -> Iterator[Finding]:
    """VS Code opened on a folder without go.mod: gopls says "go.mod file not found" or, on a
    folder holding several modules and no go.work, "No packages found"."""
    ws = ctx.facts.workspace_facts
    if ws is None or not ws.exists or ws.gomod is not None or ws.gowork is not None:
        return
    if ws.parent_gomod is not None:
        yield finding(
            f"parent|{ws.root}", Severity.INFO,
            f"{ctx.tilde(ws.root)} is inside the module at {ctx.tilde(ws.parent_gomod.path)}",
            "The folder you opened is a subdirectory of a module. gopls works, but features that need the "
            f"whole module (references, renames across packages) are limited; open {ctx.tilde(ws.parent_gomod.path.rsplit('/', 1)[0])} instead.",
            locations=[Location(ws.parent_gomod.path, 1)],
        )
    elif ws.child_gomods:
        shown = ", ".join(ctx.tilde(p) for p in ws.child_gomods[:4])
        yield finding(
            f"children|{ws.root}", Severity.WARNING,
            f"{ctx.tilde(ws.root)} holds {len(ws.child_gomods)} module(s) but no go.mod or go.work",
            f"gopls looks for a module at the folder root; here the modules are below it ({shown}). Open a "
            "module folder, or create a go.work at the root (`go work init` then `go work use ./…`).",
            locations=[Location(p, 1) for p in ws.child_gomods[:4]],
        )
    elif ws.has_go_files:
        yield finding(
            f"none|{ws.root}", Severity.WARNING,
            f"{ctx.tilde(ws.root)} has Go files but no go.mod",
            "Without a go.mod, go commands fail with \"go: go.mod file not found in current directory or any parent "
            "directory\" and gopls cannot load the packages. Run `go mod init <module path>`.",
        )


@check("GOENV-WORKSPACE-009", Severity.ERROR, "go.mod or go.work cannot be read")
def unreadable_module_files(ctx: CheckContext) -> Iterator[Finding]:
    """A go.mod that is a FIFO, a device or unreadable: every go command and gopls fail (or, for a
    FIFO, wait forever for a writer). Said as what the file is, never as "no go.mod"."""
    ws = ctx.facts.workspace_facts
    if ws is None or not ws.exists:
        return
    bad = [(ws.gomod.path, ws.gomod.error)] if ws.gomod is not None and ws.gomod.error else []
    if ws.gowork is not None and ws.gowork_error and ws.gowork_error != "cannot be read":
        bad.append((ws.gowork, ws.gowork_error))
    for path, why in bad:
        shown = why.split(": ", 1)[1] if why.startswith(path + ": ") else why
        yield finding(
            path, Severity.ERROR,
            f"{ctx.tilde(path)} cannot be read: {shown}",
            f"go commands and gopls read {posixpath.basename(path)} first; {ctx.tilde(path)} is {shown}. "
            "A FIFO makes them wait forever for a writer; a device or an unreadable file makes them fail. "
            "Replace it with a regular file.",
            locations=[Location(path, None)],
        )


@check("GOENV-WORKSPACE-002", Severity.ERROR, "go.work uses a directory that does not exist")
def gowork_missing_use(ctx: CheckContext) -> Iterator[Finding]:
    """A go.work `use` of a removed or renamed directory fails every go command in the workspace:
    "go: cannot load module … listed in go.work file: open …/go.mod: no such file or directory"."""
    ws = ctx.facts.workspace_facts
    if ws is None or ws.gowork is None:
        return
    bad = [u for u in ws.uses if not u.exists or not u.has_gomod]
    if not bad:
        return
    yield finding(
        ws.gowork, Severity.ERROR,
        f"{ctx.tilde(ws.gowork)} uses {len(bad)} director{'y' if len(bad) == 1 else 'ies'} without a module",
        "Every go command in this workspace fails while go.work lists a directory that does not exist or has no "
        "go.mod. Remove the line (`go work edit -dropuse=DIR`) or restore the directory.",
        locations=[Location(ws.gowork, u.line) for u in bad],
        chain=[f"{ctx.tilde(ws.gowork)}:{u.line} use {u.directory} → {'missing' if not u.exists else 'no go.mod'}" for u in bad],
    )


@check("GOENV-WORKSPACE-003", Severity.ERROR, "go older than the module's go line", also=(Severity.INFO,), tools=("go",))
def go_too_old(ctx: CheckContext) -> Iterator[Finding]:
    """go.mod says `go 1.22` and the go that runs is 1.19: "go.mod requires go >= 1.22 (running
    go 1.19; GOTOOLCHAIN=local)", and gopls stops loading the module."""
    ws = ctx.facts.workspace_facts
    if ws is None or ws.gomod is None or ws.gomod.go is None:
        return
    need = parse_go_version(ws.gomod.go)
    found: dict[tuple[str, bool], list[str]] = {}
    for cid in relevant_contexts(ctx):
        cand, version = context_go(ctx, cid)
        have = parse_go_version(version)
        if cand is None or have is None or need is None or have >= need:
            continue
        tc = goenv_value(ctx, cid, "GOTOOLCHAIN")
        can_switch = have >= (1, 21, 0) and not (tc and tc.value.startswith("local"))
        found.setdefault((version or "?", can_switch), []).append(cid)
    for (version, can_switch), ids in found.items():
        yield finding(
            f"{version}|{can_switch}", Severity.INFO if can_switch else Severity.ERROR,
            f"go.mod requires go {ws.gomod.go}; {', '.join(ids)} run{'s' if len(ids) == 1 else ''} {version}",
            (f"{ctx.tilde(ws.gomod.path)} says `go {ws.gomod.go}`. " +
             ("The go that runs will download a newer toolchain on first use (GOTOOLCHAIN=auto)." if can_switch else
              f"The go in {ctx.contexts_phrase(ids)} is {version} and cannot switch toolchains, so builds and gopls fail "
              f"(\"go.mod requires go >= {ws.gomod.go}\"). Install a newer Go or put it first on PATH.")),
            contexts=ids, locations=[Location(ws.gomod.path, ws.gomod.go_line)],
        )


@check("GOENV-WORKSPACE-004", Severity.ERROR, "go older than go.work's go line")
def gowork_too_new(ctx: CheckContext) -> Iterator[Finding]:
    """go.work says `go 1.27` (written by a newer Go's `go work init`) and the go that runs is
    1.26: "go: go.work requires go >= 1.27 (running go 1.26.8; GOTOOLCHAIN=local)" — every go
    command and gopls fail in the whole workspace, which looks like a broken gopls."""
    ws = ctx.facts.workspace_facts
    if ws is None or ws.gowork is None or ws.gowork_go is None:
        return
    need = parse_go_version(ws.gowork_go)
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        cand, version = context_go(ctx, cid)
        have = parse_go_version(version)
        if cand is None or have is None or need is None or have >= need:
            continue
        tc = goenv_value(ctx, cid, "GOTOOLCHAIN")
        if have >= (1, 21, 0) and not (tc and tc.value.startswith("local")):
            continue  # it switches to a newer toolchain by itself
        found.setdefault(version or "?", []).append(cid)
    for version, ids in found.items():
        yield finding(
            f"{ws.gowork}|{version}", Severity.ERROR,
            f"{ctx.tilde(ws.gowork)} requires go {ws.gowork_go}; {', '.join(ids)} run{'s' if len(ids) == 1 else ''} {version}",
            f"{ctx.tilde(ws.gowork)}:{ws.gowork_go_line} says `go {ws.gowork_go}`, newer than the go in "
            f"{ctx.contexts_phrase(ids)} ({version}), which cannot switch toolchains: every go command in the workspace "
            f"fails (\"go.work requires go >= {ws.gowork_go}\"), and so does gopls. Reinstalling gopls does not help: "
            "lower the go line to what the modules need, or use a newer Go.",
            contexts=ids, locations=[Location(ws.gowork, ws.gowork_go_line)],
            data={"version": version or ""},
        )


# --- fixes ---------------------------------------------------------------------------------------

@no_gomod.fix
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


@gowork_missing_use.fix
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


@gowork_too_new.fix
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
