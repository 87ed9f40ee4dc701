"""go, gopls and dlv on PATH: missing in some contexts, several versions, installed where PATH
does not look, stale copies shadowing new ones, built with an old Go or for another CPU."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from goenv_tui.checks.base import (
    CheckContext,
    check,
    context_go,
    finding,
    goenv_value,
    parse_go_version,
    parse_semver,
    relevant_contexts,
    source_phrase,
)
from goenv_tui.checks.probes import reinstall
from goenv_tui.display import tilde, where
from goenv_tui.fixes import edits
from goenv_tui.fixes.builders import FixContext, install_tool, is_fish, loc_of
from goenv_tui.fixes.plan import FileEdit, PlannedFix
from goenv_tui.model import (
    TOOL_MODULES,
    Candidate,
    Finding,
    Location,
    Resolution,
    Setting,
    Severity,
    TraceStatus,
)

if TYPE_CHECKING:
    from goenv_tui.collect.goinstalls import GoInstall
    from goenv_tui.model import ProbeResult

EDITOR_TOOLS = ("gopls", "dlv", "staticcheck", "golangci-lint")


def _install_dir(ctx: CheckContext, cid: str) -> tuple[str | None, str]:
    """Where `go install` puts binaries in this context: GOBIN, else the first GOPATH entry's bin."""
    gobin = goenv_value(ctx, cid, "GOBIN")
    if gobin and gobin.value:
        return gobin.value, "GOBIN"
    gopath = goenv_value(ctx, cid, "GOPATH")
    if gopath and gopath.value:
        return posixpath.join(gopath.value.split(":")[0], "bin"), "GOPATH/bin"
    return None, ""


def _on_path(ctx: CheckContext, cid: str, directory: str) -> bool:
    entries = (ctx.graph.contexts[cid].env.get("PATH") or "").split(":")
    real = ctx.host_realpath(directory)
    return any(e and (e.rstrip("/") == directory.rstrip("/") or ctx.host_realpath(e) == real) for e in entries)


def _go_split(ctx: CheckContext) -> tuple[list[str], list[str]]:
    ids = relevant_contexts(ctx)
    have = [c for c in ids if context_go(ctx, c)[0] is not None]
    return have, [c for c in ids if c not in have]


@check("GOENV-GO-001", Severity.ERROR, "go not found anywhere", tools=("go",), resolution=True)
def go_missing(ctx: CheckContext) -> Iterator[Finding]:
    """No `go` on PATH in any context that matters: nothing Go-related can work, in the terminal
    or in the editor."""
    have, lack = _go_split(ctx)
    if have or not lack:
        return
    # Contexts that matter but did not finish (hung, too slow) may well find go: "nowhere" would
    # be a guess, so the finding names only the contexts that were seen to lack it.
    unfinished = sorted(c for c, t in ctx.graph.contexts.items()
                        if c in ctx.facts.primary and t.status in (TraceStatus.TIMEOUT, TraceStatus.ERROR))
    anywhere = [t.id for t in ctx.graph.ok_contexts() if context_go(ctx, t.id)[0] is not None]
    if unfinished:
        title = f"No `go` on PATH in {', '.join(lack)}"
        detail = (f"{ctx.contexts_phrase(lack)} finds no `go` command. (Whether "
                  f"{', '.join(unfinished)} would is unknown: its startup did not finish.)")
    else:
        title = "No `go` on PATH in any context that matters"
        detail = ("None of the ways your terminal, editor or sshd start a shell finds a `go` command"
                  + (f" (only {', '.join(anywhere)} does)" if anywhere else "") + ".")
    yield finding(
        "nowhere", Severity.ERROR, title,
        detail + " Install Go (https://go.dev/dl) and add its bin directory to PATH in a file every context reads.",
        contexts=lack, evidence=[f"var:{c}:PATH" for c in lack],
    )


@check("GOENV-GO-002", Severity.ERROR, "go missing in some contexts", tools=("go",), resolution=True)
def go_missing_some(ctx: CheckContext) -> Iterator[Finding]:
    """`go` on PATH in the terminal but not where VS Code (GUI), `ssh host cmd` or Remote-SSH look:
    "go: command not found", "Failed to find the go binary" — only in the editor."""
    have, lack = _go_split(ctx)
    if not have or not lack:
        return
    cand, version = context_go(ctx, have[0])
    if cand is None:  # `have`: the contexts where go resolves
        return
    yield finding(
        "|".join(lack), Severity.ERROR,
        f"go is not found in {', '.join(lack)}",
        f"{ctx.contexts_phrase(have)} run {ctx.tilde(cand.path)} ({version or '?'}), but "
        f"{ctx.contexts_phrase(lack)} find no `go` at all: the PATH entry {ctx.tilde(cand.entry)} is missing there.",
        contexts=lack + have, evidence=[f"var:{c}:PATH" for c in lack],
        chain=[f"{c}: PATH has no {ctx.tilde(cand.entry)}" for c in lack],
        data={"dir": cand.entry, "missing_in": ",".join(lack)},
    )


@check("GOENV-GO-003", Severity.WARNING, "Several go on PATH with different versions", also=(Severity.INFO,), tools=("go",), resolution=True)
def several_go(ctx: CheckContext) -> Iterator[Finding]:
    """A newer Go installed (brew, the .pkg, golang.org/dl) while an older one earlier on PATH
    keeps running: `go version` disagrees with what you installed."""
    seen: dict[tuple[str, ...], list[str]] = {}
    runs: dict[tuple[str, ...], tuple[Resolution, Candidate]] = {}  # the first context's
    for cid in relevant_contexts(ctx):
        res = ctx.facts.resolutions.get(cid, {}).get("go")
        if not res or not res.resolved:
            continue
        versions: dict[str | None, Candidate] = {}
        for c in res.candidates:
            if c.executable:
                versions.setdefault(c.go_install_version or (c.info.go_version if c.info else None), c)
        if len([v for v in versions if v]) > 1:
            key = tuple(f"{c.path}={v}" for v, c in versions.items())
            seen.setdefault(key, []).append(cid)
            runs.setdefault(key, (res, res.resolved))
    for key, ids in seen.items():
        res, first = runs[key]
        first_v = parse_go_version(first.go_install_version)
        newer = [c for c in res.candidates if c.executable and first_v and (parse_go_version(c.go_install_version) or (0, 0, 0)) > first_v]
        sev = Severity.WARNING if newer else Severity.INFO
        yield finding(
            "|".join(key), sev,
            f"{len(key)} different Go versions on PATH; {first.go_install_version or '?'} at {ctx.tilde(first.path)} wins",
            f"PATH in {ctx.contexts_phrase(ids)} holds several Go installations; the first one runs."
            + (f" A newer one ({', '.join(f'{c.go_install_version} at {ctx.tilde(c.path)}' for c in newer)}) never runs." if newer else ""),
            contexts=ids,
            chain=[f"PATH[{c.index}] {ctx.tilde(c.path)} → {c.go_install_version or '?'}" + (" (runs)" if c is first else " (shadowed)")
                   for c in res.candidates if c.executable],
        )


@check("GOENV-GOBIN-001", Severity.WARNING, "go install puts tools where PATH does not look")
def install_dir_not_on_path(ctx: CheckContext) -> Iterator[Finding]:
    """`go install golang.org/x/tools/gopls@latest` "succeeds" and gopls is still not found:
    GOBIN (or $GOPATH/bin) is not on PATH."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        directory, _ = _install_dir(ctx, cid)
        if directory and directory.startswith("/") and ":" not in directory and not _on_path(ctx, cid, directory):
            found.setdefault(directory, []).append(cid)
    for directory, ids in found.items():
        _, what = _install_dir(ctx, ids[0])
        value = goenv_value(ctx, ids[0], "GOBIN" if what == "GOBIN" else "GOPATH")
        yield finding(
            directory, Severity.WARNING,
            f"`go install` puts tools in {ctx.tilde(directory)}, which is not on PATH in {', '.join(ids)}",
            f"{what} is {ctx.tilde(directory)}{source_phrase(ctx, value)}, so gopls, dlv and other tools you "
            f"install land there; but PATH in {ctx.contexts_phrase(ids)} does not include it, so they are not "
            "found. Add it to PATH in a file every context reads.",
            variable="PATH", contexts=ids, locations=[value.location] if value and value.location else [],
            evidence=[f"var:{c}:PATH" for c in ids], data={"dir": directory},
        )


@check("GOENV-GOBIN-002", Severity.ERROR, "GOBIN is not a single absolute directory")
def gobin_list(ctx: CheckContext) -> Iterator[Finding]:
    """GOBIN=$GOPATH/bin with a multi-entry GOPATH, or a relative GOBIN: `go install` fails with
    "GOBIN must be an absolute path"."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        v = goenv_value(ctx, cid, "GOBIN")
        if v and v.value and (":" in v.value or not v.value.startswith("/")):
            found.setdefault(v.value, []).append(cid)
    for value, ids in found.items():
        v = goenv_value(ctx, ids[0], "GOBIN")
        yield finding(
            value, Severity.ERROR, f"GOBIN={value} is not one absolute directory",
            f"GOBIN{source_phrase(ctx, v)} must be a single absolute path; `go install` refuses to run with "
            f"{value!r}.", variable="GOBIN", contexts=ids, locations=[v.location] if v and v.location else [],
        )


@check("GOENV-TOOLS-001", Severity.WARNING, "Tool installed but not on PATH", tools=(*EDITOR_TOOLS, "go"), resolution=True)
def installed_not_found(ctx: CheckContext) -> Iterator[Finding]:
    """gopls or dlv sitting in ~/go/bin (or GOBIN) while PATH does not include it: VS Code
    prompts to install tools that are already installed."""
    found: dict[tuple[str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        dirs = set()
        directory, _ = _install_dir(ctx, cid)
        if directory:
            dirs.add(directory)
        gopath = goenv_value(ctx, cid, "GOPATH")
        for entry in (gopath.value.split(":") if gopath else []):
            if entry:
                dirs.add(posixpath.join(entry, "bin"))
        for tool in ("gopls", "dlv", "staticcheck", "golangci-lint", "go"):
            res = ctx.facts.resolutions.get(cid, {}).get(tool)
            if res is None or res.resolved is not None:
                continue
            for d in sorted(dirs):
                path = posixpath.join(d, tool)
                if ctx.is_file(path):
                    found.setdefault((tool, path), []).append(cid)
    for (tool, path), ids in found.items():
        yield finding(
            f"{tool}|{path}", Severity.WARNING,
            f"{tool} is installed at {ctx.tilde(path)} but not found on PATH in {', '.join(ids)}",
            f"{ctx.tilde(path)} exists, but {ctx.contexts_phrase(ids)} do not have {ctx.tilde(posixpath.dirname(path))} "
            f"on PATH, so \"{tool} not found\" there. Add the directory to PATH in a file every context reads.",
            contexts=ids, evidence=[f"var:{c}:PATH" for c in ids],
            data={"dir": posixpath.dirname(path), "tool": tool},
        )


def _version_of(c: Candidate) -> str | None:
    return c.info.module_version if c.info else None


@check("GOENV-TOOLS-002", Severity.WARNING, "A stale tool shadows a newer one", tools=EDITOR_TOOLS, resolution=True)
def stale_shadow(ctx: CheckContext) -> Iterator[Finding]:
    """An old gopls in ~/go/bin ahead of a new one (or the reverse order after an upgrade via a
    package manager): you upgrade and nothing changes."""
    found: dict[tuple[str, str, str], list[str]] = {}
    pair: dict[tuple[str, str, str], tuple[Candidate, Candidate]] = {}  # (runs, shadowed), first context's
    for cid in relevant_contexts(ctx):
        for tool in EDITOR_TOOLS:
            res = ctx.facts.resolutions.get(cid, {}).get(tool)
            running = res.resolved if res else None
            if not res or not running or not parse_semver(_version_of(running)):
                continue
            mine = parse_semver(_version_of(running))
            for c in res.candidates:
                if c is running or not c.executable:
                    continue
                theirs = parse_semver(_version_of(c))
                if theirs and mine and theirs > mine:
                    found.setdefault((tool, running.path, c.path), []).append(cid)
                    pair.setdefault((tool, running.path, c.path), (running, c))
    for (tool, old, new), ids in found.items():
        running, newer = pair[(tool, old, new)]
        yield finding(
            f"{tool}|{old}|{new}", Severity.WARNING,
            f"{tool} {_version_of(running)} at {ctx.tilde(old)} shadows {tool} {_version_of(newer)} at {ctx.tilde(new)}",
            f"PATH in {ctx.contexts_phrase(ids)} finds the older {tool} first. Remove {ctx.tilde(old)} or put "
            f"{ctx.tilde(newer.entry)} earlier on PATH.",
            contexts=ids, data={"tool": tool, "path": old},
            chain=[f"PATH[{running.index}] {ctx.tilde(old)} {_version_of(running)} (runs)",
                                 f"PATH[{newer.index}] {ctx.tilde(new)} {_version_of(newer)} (shadowed)"],
        )


@check("GOENV-TOOLS-003", Severity.WARNING, "gopls or dlv built with an older Go than the toolchain", tools=("gopls", "dlv"), resolution=True)
def built_with_old_go(ctx: CheckContext) -> Iterator[Finding]:
    """gopls built with Go 1.19 cannot type-check code for Go 1.26 ("gopls was not built with a
    recent enough Go"); dlv built for an old Go rejects new binaries ("Go version … is too new
    for this version of Delve")."""
    found: dict[tuple[str, str, str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        _, go_version = context_go(ctx, cid)
        gv = parse_go_version(go_version)
        if gv is None:
            continue
        for tool in ("gopls", "dlv"):
            res = ctx.facts.resolutions.get(cid, {}).get(tool)
            running = res.resolved if res else None
            built = running.info.go_version if running and running.info else None
            bv = parse_go_version(built)
            if running and bv and bv[:2] < gv[:2]:
                found.setdefault((tool, running.path, built or "", go_version or ""), []).append(cid)
    for (tool, path, built, go_version), ids in found.items():
        pkg = TOOL_MODULES[tool]
        yield finding(
            f"{tool}|{path}|{built}|{go_version}", Severity.WARNING,
            f"{tool} at {ctx.tilde(path)} was built with {built}, older than {go_version}",
            f"{ctx.tilde(path)} was compiled with {built} but {ctx.contexts_phrase(ids)} run {go_version}. "
            f"Rebuild it with the current Go: `go install {pkg}`.",
            contexts=ids, data={"tool": tool, "path": path},
        )


@check("GOENV-TOOLS-004", Severity.ERROR, "Tool built for another CPU", also=(Severity.WARNING,),
       tools=("go", "gofmt", *EDITOR_TOOLS), resolution=True)
def wrong_arch(ctx: CheckContext) -> Iterator[Finding]:
    """An amd64 gopls on an arm64 Mac runs under Rosetta (slow, and dlv cannot debug native
    binaries); on Linux a foreign-arch binary fails with "exec format error"."""
    host_arch = ctx.facts.arch
    found: dict[tuple[str, str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        for tool in ("go", "gofmt", *EDITOR_TOOLS):
            res = ctx.facts.resolutions.get(cid, {}).get(tool)
            running = res.resolved if res else None
            arch = running.info.arch if running and running.info else None
            if running and arch and host_arch not in arch.split("+"):
                found.setdefault((tool, running.path, arch), []).append(cid)
    for (tool, path, arch), ids in found.items():
        mac = ctx.facts.os_name == "darwin"
        yield finding(
            f"{tool}|{path}", Severity.WARNING if mac else Severity.ERROR,
            f"{tool} at {ctx.tilde(path)} is built for {arch}, this machine is {host_arch}",
            (f"{ctx.tilde(path)} runs under Rosetta translation: slower, and a debugger of the wrong arch cannot "
             "debug native programs." if mac else f"{ctx.tilde(path)} cannot run here (\"exec format error\").")
            + f" Reinstall it with a Go for {host_arch}.",
            contexts=ids, data={"tool": tool},
        )


# --- not installed, Go too old ------------------------------------------------------------------

# The tools whose absence breaks the editor: gopls is every language feature, dlv every debug session.
REQUIRED_TOOLS = ("gopls", "dlv")


def _setting(ctx: CheckContext, key: str) -> Setting | None:
    return next((s for s in ctx.facts.editor.settings if s.key == key), None)


def _installed_somewhere(ctx: CheckContext, tool: str) -> bool:
    """Whether a copy exists where `go install` (or go.toolsGopath) puts it: then TOOLS-001 says
    why it is not found, and "not installed" would be wrong."""
    dirs: set[str] = set()
    for t in ctx.graph.ok_contexts():
        res = ctx.facts.resolutions.get(t.id, {}).get(tool)
        if res is not None and res.resolved is not None:
            return True
        directory, _ = _install_dir(ctx, t.id)
        if directory:
            dirs.add(directory)
        gopath = goenv_value(ctx, t.id, "GOPATH")
        dirs.update(posixpath.join(e, "bin") for e in (gopath.value.split(":") if gopath else []) if e)
    tools_gopath = _setting(ctx, "go.toolsGopath")
    if tools_gopath and isinstance(tools_gopath.value, str) and tools_gopath.value.startswith("/"):
        dirs.add(posixpath.join(tools_gopath.value, "bin"))
    return any(ctx.is_file(posixpath.join(d, tool)) for d in dirs if d.startswith("/"))


@check("GOENV-TOOLS-005", Severity.ERROR, "gopls or dlv is not installed", tools=REQUIRED_TOOLS, resolution=True)
def not_installed(ctx: CheckContext) -> Iterator[Finding]:
    """The Go extension's "Install/Update Tools" fails silently (a proxy, an old Go, GOBIN not
    writable) and nothing says so: no gopls means no completion, no go-to-definition, no
    diagnostics; no dlv means every debug session fails with "dlv not found"."""
    lsp = _setting(ctx, "go.useLanguageServer")
    for tool in REQUIRED_TOOLS:
        if (tool == "gopls" and lsp is not None and lsp.value is False) or _setting(ctx, f"go.alternateTools.{tool}"):
            continue  # turned off on purpose, or VSCODE-005 judges the path the user gave
        ids = relevant_contexts(ctx)
        if not ids or _installed_somewhere(ctx, tool):
            continue
        have_go = [c for c in ids if context_go(ctx, c)[0] is not None]
        directory, what = _install_dir(ctx, (have_go or ids)[0])
        what_for = ("completion, go-to-definition, hover and diagnostics in the editor" if tool == "gopls"
                    else "debugging (F5, \"Debug test\") in the editor")
        yield finding(
            tool, Severity.ERROR, f"{tool} is not installed",
            f"No {tool} on PATH in {ctx.contexts_phrase(ids)}, and none in "
            + (f"{ctx.tilde(directory)} ({what}), where `go install` puts it" if directory else "the Go install directory")
            + f". Without it there is no {what_for}. The Go extension's tool installer often fails without a word "
            "(the newest release needs a newer Go, a proxy blocks the download); the fix picks the release your Go "
            "can build.",
            contexts=ids, evidence=[f"var:{c}:PATH" for c in ids],
            chain=[f"{c}: PATH has no {tool}" for c in ids[:3]]
            + ([f"{ctx.tilde(directory)}/{tool} does not exist"] if directory else []),
            data={"tool": tool, "dir": directory or ""},
        )


def path_entry_origin(ctx: CheckContext, cid: str, entry: str) -> Location | None:
    """Where the PATH entry `entry` was added in a context (the first assignment that added it)."""
    for s in ctx.graph.chain("PATH", cid):
        before = (s.assignment.before or "").split(":") if s.assignment.before is not None else []
        after = (s.assignment.value or "").split(":") if s.assignment.value is not None else []
        if entry in after and entry not in before:
            return s.assignment.location
    return None


def newer_go(ctx: CheckContext, than: str | None, minimum: str | None = None) -> GoInstall | None:
    """The newest Go installed on this machine that is newer than `than` (and at least `minimum`)."""
    from goenv_tui.collect.goinstalls import newer_go as find

    return find(ctx.host, ctx.facts.home, ctx.facts.resolutions, than, minimum) if ctx.host else None


_MINIMUM = re.compile(r"minimum supported version (\d+\.\d+)|upgrade to Go (\d+\.\d+)", re.I)


@check("GOENV-TOOLS-006", Severity.ERROR, "The Go on PATH is too old for gopls or dlv", also=(Severity.WARNING,), tools=REQUIRED_TOOLS, resolution=True)
def go_too_old(ctx: CheckContext) -> Iterator[Finding]:
    """dlv refuses to debug with a Go older than it supports ("Go version go1.19.8 is too old for
    this version of Delve"), gopls warns that it no longer supports it; the editor shows it as a
    broken tool or a GOROOT problem, while the cause is the PATH entry that picks the old Go."""
    groups: dict[tuple[str, str | None, str | None], list[ProbeResult]] = {}
    for p in ctx.facts.probes:
        if p.classification != "go-too-old" or p.tool not in ("gopls", "dlv"):
            continue
        # Probes run once per distinct environment; one Go too old for one tool is one finding.
        _, version = context_go(ctx, (p.contexts or (p.context,))[0])
        groups.setdefault((p.tool, version, p.version), []).append(p)
    for probes in groups.values():
        p = probes[0]
        ids = sorted({c for q in probes for c in (q.contexts or (q.context,))},
                     key=lambda c: (c not in ctx.facts.primary, c))
        cand, version = context_go(ctx, ids[0])
        said = next((m for m in p.messages if m), p.detail or "")
        m = _MINIMUM.search(said)
        minimum = (m.group(1) or m.group(2)) if m else None
        short = (version or "?").removeprefix("go")
        origins = [path_entry_origin(ctx, c, cand.entry) for c in ids] if cand else []
        where_from = next((loc for loc in origins if loc), None)
        newer = newer_go(ctx, version, minimum)
        sev = Severity.ERROR if p.tool == "dlv" and any(c in ctx.facts.primary for c in ids) else Severity.WARNING
        what = f"{p.tool} {p.version or ''}".strip()
        detail = (f"{what} does not support Go {short}" + (f" (it needs Go {minimum} or newer)" if minimum else "")
                  + f": in {ctx.contexts_phrase(ids)} PATH runs {ctx.tilde(cand.path) if cand else 'go'}"
                  + (f", from the PATH entry {ctx.tilde(cand.entry)} added at {ctx.where(where_from)}" if cand and where_from
                     else f", from the PATH entry {ctx.tilde(cand.entry)}" if cand else "") + ". "
                  + (f"Go {newer.version.removeprefix('go')} is already installed at {ctx.tilde(newer.root)}: put "
                     f"{ctx.tilde(posixpath.dirname(newer.go))} on PATH instead."
                     if newer else "Install a newer Go (https://go.dev/dl) and put it first on PATH."))
        yield finding(
            f"{p.tool}|{version}|{'|'.join(ids)}", sev,
            f"Go {short} is not supported by this {p.tool}" + (f" ({p.version})" if p.version else "")
            + f" in {ids[0]}" + (f" (+{len(ids) - 1})" if len(ids) > 1 else ""),
            detail, variable="PATH", contexts=ids, locations=[loc for loc in origins if loc],
            evidence=[f"var:{c}:PATH" for c in ids],
            chain=[f"{p.tool} said: {' '.join(said.split())[:200]}"]
            + ([f"PATH entry {ctx.tilde(cand.entry)} → {ctx.tilde(cand.path)} ({version})"] if cand else [])
            + ([f"newer Go on this machine: {ctx.tilde(newer.go)} ({newer.version})"] if newer else []),
            data={"tool": p.tool, "entry": cand.entry if cand else "", "go_version": version or "",
                  "newer_go": newer.go if newer else "", "newer_version": newer.version if newer else "",
                  "minimum": minimum or ""},
        )


# --- fixes ---------------------------------------------------------------------------------------

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


@install_dir_not_on_path.fix
@installed_not_found.fix
@go_missing_some.fix
def add_to_path(fc: FixContext, f: Finding) -> list[PlannedFix]:
    directory = f.data.get("dir")
    if not directory:
        return []
    affected = f.data["missing_in"].split(",") if f.data.get("missing_in") else list(f.contexts or ())
    ok = [c for c in affected if fc.d.graph.contexts.get(c) and fc.d.graph.contexts[c].status is TraceStatus.OK]
    if not ok:
        return []
    by_var = _managed_var(fc, ok, directory) if _VERSIONED.search(directory) else None
    own = fc.owner(directory) if by_var is None and _VERSIONED.search(directory) else None
    if own is not None:
        # ~/.asdf/installs/golang/1.26.8/…, ~/.gvm/gos/go1.26.8/bin: the manager's own version
        # folder, which its shims or its `use` command stand for; pinning it would bypass them.
        fc.refuse(f, f"Add {tilde(fc.home, directory)} to PATH: that folder belongs to one version of "
                     f"{own.framework}'s Go; pinning it would bypass the manager's switch")
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
        fish = shell == "fish" or is_fish(rc)
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


@not_installed.fix
def install_missing(fc: FixContext, f: Finding) -> list[PlannedFix]:
    tool = f.data.get("tool")
    cid = next((c for c in f.contexts if fc.context_go(c)), None)
    if tool not in TOOL_MODULES or cid is None:
        return []
    return install_tool(fc, f, tool, cid)


@go_too_old.fix
def use_newer_go(fc: FixContext, f: Finding) -> list[PlannedFix]:
    """Put the newer Go's bin directory where the PATH entry of the old one is written."""
    entry, newer = f.data.get("entry", ""), f.data.get("newer_go", "")
    loc = loc_of(f)
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


# --- fixes ---------------------------------------------------------------------------------------

stale_shadow.fix(reinstall)  # from goenv_tui.checks.probes
built_with_old_go.fix(reinstall)  # from goenv_tui.checks.probes
