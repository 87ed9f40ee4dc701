"""VS Code settings and extensions that make the editor's Go differ from the shell's, or break it.

VS Code started from the Dock/launcher takes its environment from `$SHELL -i -l -c` (see
shells/contexts.py), so that context is what the editor's tools inherit; each check compares a
setting against it. Files are looked at through `ctx.host`; without a host, or without the facts
a check needs (no such context, go not resolved), the check stays quiet.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.collect.vscode import error_line, expand
from goenv_tui.display import tilde
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.fixes.settings import (
    key_at,
    parsed_settings,
    remove_setting,
    setting_fix,
    setting_location,
)
from goenv_tui.graph import var_node
from goenv_tui.host import FileInfo
from goenv_tui.jsonc.edit import remove_key, set_value
from goenv_tui.jsonc.parse import JsoncError
from goenv_tui.model import Candidate, ContextTrace, Finding, Location, Setting, Severity

GUI_USER = "VS Code started from the Dock/launcher"
TERMINAL_USER = "VS Code integrated terminal"
_TERMINAL_OS = {"linux": "linux", "darwin": "osx"}
_MOD_VENDOR = re.compile(r"(?:^|\s)--?mod=vendor(?:\s|$)")


# --- shared lookups ---------------------------------------------------------------------------

def _used_by(ctx: CheckContext, user: str) -> ContextTrace | None:
    return next((t for t in ctx.graph.ok_contexts() if any(user in u for u in t.used_by)), None)


def _gui(ctx: CheckContext) -> ContextTrace | None:
    """The context whose environment VS Code's tools inherit; else any primary one that traced."""
    return _used_by(ctx, GUI_USER) or next((t for t in ctx.graph.ok_contexts() if t.id in ctx.facts.primary), None)


def _env(t: ContextTrace) -> dict[str, str]:
    return t.full_env or t.env


def _shell_value(ctx: CheckContext, t: ContextTrace, name: str) -> str | None:
    """What `go env NAME` says in that context (when go ran there), else its environment."""
    ge = ctx.facts.goenvs.get(t.id)
    if ge is not None and name in ge.values:
        return ge.values[name].value
    return _env(t).get(name)


def _shell_go(ctx: CheckContext, t: ContextTrace) -> tuple[Candidate | None, str | None]:
    res = ctx.facts.resolutions.get(t.id, {}).get("go")
    cand = res.resolved if res else None
    version = cand.go_install_version if cand else None
    ge = ctx.facts.goenvs.get(t.id)
    if version is None and ge is not None and "GOVERSION" in ge.values:
        version = ge.values["GOVERSION"].value
    return cand, version


def _settings(ctx: CheckContext, key: str, *, children: bool = False) -> list[Setting]:
    if children:
        return [s for s in ctx.facts.editor.settings if s.key.startswith(key + ".")]
    return [s for s in ctx.facts.editor.settings if s.key == key]


def _path_value(ctx: CheckContext, s: Setting, t: ContextTrace | None) -> str | None:
    if not isinstance(s.value, str) or not s.value.strip():
        return None
    return expand(s.value, ctx.facts.home, ctx.facts.workspace, _env(t) if t else {})


def _stat(ctx: CheckContext, path: str) -> FileInfo | None:
    """stat through the host; None when there is no host to ask (then nothing is claimed)."""
    host = ctx.host
    if host is None:
        return None
    try:
        return host.stat(path)
    except Exception:
        return None


def _absent(info: FileInfo | None) -> bool:
    # "Permission denied" is not "does not exist": only claim what the host said.
    return info is not None and not info.exists and (not info.error or "ermission" not in info.error)


def _real(ctx: CheckContext, path: str) -> str:
    host = ctx.host
    try:
        return host.realpath(path) if host is not None else posixpath.normpath(path)
    except Exception:
        return posixpath.normpath(path)


def _install_version(ctx: CheckContext, root: str) -> str | None:
    """First line of `<root>/VERSION` ("go1.19.13"), as the go command reports its version."""
    host = ctx.host
    if host is None:
        return None
    try:
        lines = host.read_text(f"{root.rstrip('/')}/VERSION", 4096).splitlines()
    except Exception:
        return None
    return lines[0].strip() if lines and lines[0].strip() else None


def _at(ctx: CheckContext, s: Setting) -> str:
    return f"{ctx.tilde(s.path)}:{s.line}"


def _loc(s: Setting) -> Location:
    return Location(s.path, s.line)


def _shown(s: Setting) -> str:
    """`key=value` as the user wrote it (JSON spelling for non-strings: false, not False)."""
    value = s.value if isinstance(s.value, str) else json.dumps(s.value)
    return f"{s.key}={value if len(value) <= 80 else value[:77] + '...'}"


# --- go.goroot --------------------------------------------------------------------------------

@check("GOENV-VSCODE-001", Severity.ERROR, "go.goroot is not a Go installation")
def goroot_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A `go.goroot` left over from an uninstalled or moved Go: the Go extension shows "go.goroot
    setting is ignored" on every start and silently uses whatever go is on PATH instead, so the Go
    version you configured for the editor is not the one that runs."""
    gui = _gui(ctx)
    for s in _settings(ctx, "go.goroot"):
        root = _path_value(ctx, s, gui)
        info = _stat(ctx, root) if root else None
        if root is None or info is None:
            continue
        if info.is_dir:
            what = "has no bin/go"
            if not _absent(_stat(ctx, f"{root}/bin/go")):
                continue
        elif _absent(info) or info.exists:
            what = "does not exist" if _absent(info) else "is not a directory"
        else:
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.ERROR,
            f"go.goroot points to {ctx.tilde(root)}, which {what}",
            f"{_at(ctx, s)} sets go.goroot to {ctx.tilde(root)}, but that directory {what}. The Go extension "
            "ignores the setting (\"go.goroot setting is ignored\") and falls back to the go on PATH. "
            "Point it at a Go installation (the directory holding bin/go) or remove the setting.",
            variable="GOROOT", contexts=[gui.id] if gui else [], locations=[_loc(s)],
            chain=[f"{_at(ctx, s)} {_shown(s)} → {ctx.tilde(root)}: {what}"],
        )


@check("GOENV-VSCODE-002", Severity.WARNING, "go.goroot is another Go than the shell's")
def goroot_other_version(ctx: CheckContext) -> Iterator[Finding]:
    """`go.goroot` pinned to an older Go while the shell moved on: the editor builds, tests and
    runs gopls with one Go and the terminal with another ("go.mod requires go >= 1.22", vet
    errors only in the editor, a stale standard library in go-to-definition)."""
    gui = _gui(ctx)
    cand, shell_version = _shell_go(ctx, gui) if gui else (None, None)
    if gui is None or cand is None or not shell_version:
        return
    for s in _settings(ctx, "go.goroot"):
        root = _path_value(ctx, s, gui)
        if root is None or (cand.goroot and _real(ctx, root) == _real(ctx, cand.goroot)):
            continue
        version = _install_version(ctx, root)
        if version is None or version == shell_version:
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            f"VS Code uses {version} (go.goroot) but your shell runs {shell_version}",
            f"{_at(ctx, s)} sets go.goroot to {ctx.tilde(root)} ({version}). The Go extension runs that Go and "
            f"sets GOROOT to it for gopls, dlv and every tool it starts, while {ctx.contexts_phrase([gui.id])} "
            f"runs {ctx.tilde(cand.path)} ({shell_version}). Builds and diagnostics then differ between the "
            "editor and the terminal. Remove go.goroot, or point it at the same Go.",
            variable="GOROOT", contexts=[gui.id], locations=[_loc(s)], evidence=[var_node(gui.id, "PATH")],
            chain=[f"{_at(ctx, s)} {_shown(s)} → go there is {version} but your shell runs "
                   f"{shell_version} ({gui.id}: {ctx.tilde(cand.path)})"],
        )


# --- go.gopath, go.toolsGopath ----------------------------------------------------------------

@check("GOENV-VSCODE-003", Severity.WARNING, "go.gopath set (deprecated)", also=(Severity.INFO,))
def gopath_setting(ctx: CheckContext) -> Iterator[Finding]:
    """`go.gopath` is deprecated in the Go extension; when it differs from the shell's GOPATH,
    tools VS Code starts use another module cache and install into another bin than `go` in the
    terminal: modules download twice, "gopls not found" after installing it from the shell."""
    gui = _gui(ctx)
    for s in _settings(ctx, "go.gopath"):
        value = _path_value(ctx, s, gui)
        if value is None:
            continue
        shell = (_shell_value(ctx, gui, "GOPATH") if gui else None) or f"{ctx.facts.home.rstrip('/')}/go"
        same = value.rstrip("/") == shell.rstrip("/")
        severity = Severity.INFO if same or gui is None else Severity.WARNING
        detail = ("It matches your shell's GOPATH, so it only adds a second place to keep in sync."
                  if same else f"Your shell's GOPATH is {ctx.tilde(shell)}{f' ({gui.id})' if gui else ''}, so tools "
                  "VS Code starts see a different module cache and install into a different bin directory.")
        yield finding(
            f"{s.path}|{s.key}", severity,
            f"go.gopath is set to {ctx.tilde(value)}" + ("" if same else f" (your shell uses {ctx.tilde(shell)})"),
            f"{_at(ctx, s)} sets go.gopath, which the Go extension deprecates (set GOPATH in your shell or with "
            f"`go env -w GOPATH=…` instead). {detail}",
            variable="GOPATH", contexts=[gui.id] if gui else [], locations=[_loc(s)],
            chain=[f"{_at(ctx, s)} {_shown(s)} → {ctx.tilde(value)}; shell GOPATH={ctx.tilde(shell)}"],
        )


@check("GOENV-VSCODE-004", Severity.WARNING, "go.toolsGopath has no bin directory")
def tools_gopath_empty(ctx: CheckContext) -> Iterator[Finding]:
    """The Go extension installs gopls, dlv and staticcheck into `<go.toolsGopath>/bin` and looks
    for them there first: with no bin directory nothing was ever installed there, so the tools
    come from somewhere else (often an old copy) or are reported missing on every start."""
    gui = _gui(ctx)
    for s in _settings(ctx, "go.toolsGopath"):
        value = _path_value(ctx, s, gui)
        if value is None:
            continue
        bindir = f"{value.split(':')[0].rstrip('/')}/bin"
        if not _absent(_stat(ctx, bindir)):
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            f"go.toolsGopath is {ctx.tilde(value)}, but {ctx.tilde(bindir)} does not exist",
            f"{_at(ctx, s)} tells the Go extension to keep its tools under {ctx.tilde(value)}, but there is no "
            f"{ctx.tilde(bindir)}: no tool has been installed there. Run \"Go: Install/Update Tools\" in VS Code, "
            "or remove the setting so tools go to your GOPATH/bin like `go install` does.",
            locations=[_loc(s)], contexts=[gui.id] if gui else [],
            chain=[f"{_at(ctx, s)} {_shown(s)} → {ctx.tilde(bindir)}: no such directory"],
        )


# --- go.alternateTools ------------------------------------------------------------------------

@check("GOENV-VSCODE-005", Severity.ERROR, "go.alternateTools names a file that does not exist")
def alternate_tool_missing(ctx: CheckContext) -> Iterator[Finding]:
    """`go.alternateTools` pointing at a binary that was deleted or moved: the Go extension
    silently falls back to the default tool from PATH, so the go or gopls you chose is not used."""
    gui = _gui(ctx)
    for s in _settings(ctx, "go.alternateTools", children=True):
        path = _path_value(ctx, s, gui)
        if path is None or not path.startswith("/"):
            continue  # a bare name is looked up on PATH and GOPATH/bin, like the tool itself
        info = _stat(ctx, path)
        if info is None or (info.is_file and info.mode & 0o111):
            continue
        tool = s.key.split(".", 2)[2]
        what = "does not exist" if _absent(info) else "is not an executable file"
        yield finding(
            f"{s.path}|{s.key}", Severity.ERROR,
            f"go.alternateTools.{tool} points to {ctx.tilde(path)}, which {what}",
            f"{_at(ctx, s)} asks VS Code to run {ctx.tilde(path)} instead of {tool}, but that file {what}. The Go "
            f"extension then quietly uses the {tool} it finds on PATH, which is not the one you chose. Fix the "
            "path or remove the entry.",
            contexts=[gui.id] if gui else [], locations=[_loc(s)],
            chain=[f"{_at(ctx, s)} {_shown(s)} → {ctx.tilde(path)}: {what}"],
        )


@check("GOENV-VSCODE-006", Severity.WARNING, "go.alternateTools.go is another Go than the shell's")
def alternate_go_other_version(ctx: CheckContext) -> Iterator[Finding]:
    """`go.alternateTools.go` naming a Go other than the shell's: the editor's builds, tests and
    gopls run one Go version and the terminal another."""
    gui = _gui(ctx)
    cand, shell_version = _shell_go(ctx, gui) if gui else (None, None)
    if gui is None or cand is None or not shell_version:
        return
    for s in _settings(ctx, "go.alternateTools.go"):
        path = _path_value(ctx, s, gui)
        info = _stat(ctx, path) if path and path.startswith("/") else None
        if path is None or info is None or not info.is_file:
            continue
        real = _real(ctx, path)
        bindir = posixpath.dirname(real)
        version = _install_version(ctx, posixpath.dirname(bindir)) if posixpath.basename(bindir) == "bin" else None
        if version is None or version == shell_version or real == cand.realpath:
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            f"VS Code runs {version} (go.alternateTools.go) but your shell runs {shell_version}",
            f"{_at(ctx, s)} makes the Go extension run {ctx.tilde(path)} ({version}), while "
            f"{ctx.contexts_phrase([gui.id])} runs {ctx.tilde(cand.path)} ({shell_version}). Builds, tests and "
            "diagnostics then differ between the editor and the terminal.",
            contexts=[gui.id], locations=[_loc(s)], evidence=[var_node(gui.id, "PATH")],
            chain=[f"{_at(ctx, s)} {_shown(s)} → go there is {version} but your shell runs {shell_version} ({gui.id})"],
        )


# --- go.toolsEnvVars --------------------------------------------------------------------------

@check("GOENV-VSCODE-007", Severity.WARNING, "go.toolsEnvVars differs from the shell", also=(Severity.INFO,))
def tools_env_differs(ctx: CheckContext) -> Iterator[Finding]:
    """A GOFLAGS, GOPROXY or GOPRIVATE in `go.toolsEnvVars` that the shell sets differently:
    gopls and tests in the editor build with other flags or fetch from another proxy than `go`
    in the terminal — "works in the terminal, red in the editor" or the reverse."""
    gui = _gui(ctx)
    if gui is None:
        return
    for s in _settings(ctx, "go.toolsEnvVars", children=True):
        name = s.key.split(".", 2)[2]
        value = _path_value(ctx, s, gui) if isinstance(s.value, str) else None
        if not name.startswith("GO") or value is None:
            continue
        if name == "GO111MODULE" and value.strip().lower() == "off":
            continue  # GOENV-VSCODE-014 (a warning: it switches module mode off for gopls)
        shell = _shell_value(ctx, gui, name) or ""
        if value == shell:
            continue
        severity = Severity.WARNING if shell else Severity.INFO
        yield finding(
            f"{s.path}|{s.key}", severity,
            f"VS Code's tools get {name}={value}, your shell " + (f"has {name}={shell}" if shell else f"does not set {name}"),
            f"{_at(ctx, s)} sets {name} in go.toolsEnvVars. That value wins for every tool VS Code starts (gopls, "
            f"tests, dlv), while `go` in {ctx.contexts_phrase([gui.id])} uses "
            + (f"{name}={shell}" if shell else "no value") + ". Builds in the editor and the terminal can then "
            "disagree. Set it in one place (your shell or `go env -w`) unless the difference is deliberate.",
            variable=name, contexts=[gui.id], locations=[_loc(s)], evidence=[var_node(gui.id, name)],
            chain=[f"{_at(ctx, s)} {_shown(s)} → wins for tools VS Code starts; {gui.id}: "
                   + (f"{name}={shell}" if shell else f"{name} unset")],
        )


@check("GOENV-VSCODE-008", Severity.WARNING, "GOFLAGS=-mod=vendor in go.toolsEnvVars")
def tools_mod_vendor(ctx: CheckContext) -> Iterator[Finding]:
    """`-mod=vendor` forced on every tool VS Code starts: in a module without an up-to-date vendor
    directory gopls fails to load packages ("inconsistent vendoring"); since Go 1.14 the go
    command already uses vendor/ by itself when it is there."""
    for s in _settings(ctx, "go.toolsEnvVars.GOFLAGS"):
        if not isinstance(s.value, str) or not _MOD_VENDOR.search(s.value):
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            "go.toolsEnvVars forces GOFLAGS=-mod=vendor on gopls and every Go tool in VS Code",
            f"{_at(ctx, s)} adds -mod=vendor for all tools VS Code starts. In any module without a vendor "
            "directory that matches go.mod, gopls and tests fail (\"inconsistent vendoring\"). The go command "
            "uses vendor/ automatically when it exists (Go 1.14 and later): remove -mod=vendor.",
            variable="GOFLAGS", locations=[_loc(s)], chain=[f"{_at(ctx, s)} {_shown(s)}"],
        )


# --- gopls ------------------------------------------------------------------------------------

@check("GOENV-VSCODE-009", Severity.WARNING, "Language server disabled")
def language_server_off(ctx: CheckContext) -> Iterator[Finding]:
    """`go.useLanguageServer: false` turns gopls off: completion, go-to-definition, rename and
    most diagnostics stop working, since the Go extension dropped the old per-feature tools."""
    for s in _settings(ctx, "go.useLanguageServer"):
        if s.value is not False:
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            "go.useLanguageServer is false: gopls is turned off",
            f"{_at(ctx, s)} disables gopls. The Go extension gets completion, navigation, hover, rename and "
            "diagnostics from gopls; without it most of them do nothing. Remove the setting (it defaults to true).",
            locations=[_loc(s)], chain=[f"{_at(ctx, s)} {_shown(s)} → gopls is not started"],
        )


# --- integrated terminal ----------------------------------------------------------------------

def _lost_go_dirs(ctx: CheckContext, gui: ContextTrace, term: ContextTrace | None, entries: list[str]) -> list[str]:
    """Directories holding go or gopls that VS Code's terminal inherits, that the setting drops,
    and that the terminal's own startup files do not put back."""
    lost = []
    for d in dict.fromkeys((_env(gui).get("PATH") or "").split(":")):
        if not {"go", "gopls"} & set(ctx.facts.tools_in.get(d, [])) or d in entries:
            continue
        if term is None or ctx.graph.entry_origin(term.id, "PATH", d) is None:
            lost.append(d)
    return lost


def _terminal_change(ctx: CheckContext, s: Setting, name: str, gui: ContextTrace) -> tuple[Severity, str] | None:
    """(severity, what it does) for one terminal.integrated.env.<os>.NAME; None when harmless."""
    if name != "PATH":
        value = _path_value(ctx, s, gui) or ""  # null unsets the variable in the terminal
        shell = _shell_value(ctx, gui, name) or ""
        if value == shell:
            return None
        return Severity.INFO, f"sets {name}={value or '(unset)'} where your shell has {shell or 'none'}"
    raw = s.value if isinstance(s.value, str) else ""
    if "${env:PATH}" in raw:
        return Severity.INFO, "extends the PATH it inherits"
    entries = expand(raw, ctx.facts.home, ctx.facts.workspace, _env(gui)).split(":")
    lost = _lost_go_dirs(ctx, gui, _used_by(ctx, TERMINAL_USER), entries)
    if lost:
        return Severity.WARNING, f"drops {', '.join(ctx.tilde(d) for d in lost)} (holding go/gopls) from PATH"
    return Severity.INFO, "replaces the PATH it inherits"


@check("GOENV-VSCODE-010", Severity.WARNING, "terminal.integrated.env changes PATH, GOROOT or GOPATH", also=(Severity.INFO,))
def terminal_env(ctx: CheckContext) -> Iterator[Finding]:
    """`terminal.integrated.env.<os>` sets the environment VS Code's terminal starts with: a PATH
    without `${env:PATH}` drops directories the shell only gets by inheritance, and a GOROOT or
    GOPATH there makes `go` in the VS Code terminal differ from every other terminal."""
    gui, os_key = _gui(ctx), _TERMINAL_OS.get(ctx.facts.os_name)
    if gui is None or os_key is None:
        return
    for name in ("PATH", "GOROOT", "GOPATH"):
        for s in _settings(ctx, f"terminal.integrated.env.{os_key}.{name}"):
            change = _terminal_change(ctx, s, name, gui)
            if change is None:
                continue
            severity, what = change
            yield finding(
                f"{s.path}|{s.key}", severity,
                f"VS Code's terminal {what}",
                f"{_at(ctx, s)} sets {name} for terminals opened inside VS Code only. They start from this value "
                f"before your startup files run, so `go` there can differ from {ctx.contexts_phrase([gui.id])}. "
                + ("Include ${env:PATH} to keep the inherited directories, or remove the setting." if name == "PATH"
                   else "Remove it and set the variable in your shell's startup files instead."),
                variable=name, contexts=[gui.id], locations=[_loc(s)],
                evidence=[var_node(gui.id, name)], chain=[f"{_at(ctx, s)} {_shown(s)} → {what} ({gui.id})"],
            )


# --- extensions -------------------------------------------------------------------------------

def _go_extensions(ctx: CheckContext) -> dict[str, dict[str, list[str]]]:
    """extensions folder → {id → [paths]} for the two Go extensions."""
    out: dict[str, dict[str, list[str]]] = {}
    for e in ctx.facts.editor.extensions:
        if e.id in ("golang.go", "ms-vscode.go"):
            out.setdefault(posixpath.dirname(e.path), {}).setdefault(e.id, []).append(e.path)
    return out


@check("GOENV-VSCODE-011", Severity.WARNING, "Old ms-vscode.go installed next to golang.go")
def old_extension_too(ctx: CheckContext) -> Iterator[Finding]:
    """The pre-2020 `ms-vscode.go` next to `golang.go`: both claim Go files, so commands, format
    on save and diagnostics run twice or fight, and the old one starts its own outdated tools."""
    for root, ids in _go_extensions(ctx).items():
        if "ms-vscode.go" in ids and "golang.go" in ids:
            old = ids["ms-vscode.go"]
            yield finding(
                root, Severity.WARNING,
                f"Both ms-vscode.go (old) and golang.go are installed in {ctx.tilde(root)}",
                "ms-vscode.go is the Go extension before it moved to the Go team as golang.go. With both "
                "installed, Go files get two sets of commands, formatters and diagnostics. Uninstall ms-vscode.go.",
                locations=[Location(p) for p in old], chain=[f"{ctx.tilde(p)} (ms-vscode.go)" for p in old],
            )


@check("GOENV-VSCODE-012", Severity.WARNING, "Only the unmaintained ms-vscode.go extension")
def old_extension_only(ctx: CheckContext) -> Iterator[Finding]:
    """Only `ms-vscode.go` installed: it has not been updated since 2020, does not know current
    Go or gopls, and is missing every fix since; the maintained extension is `golang.go`."""
    for root, ids in _go_extensions(ctx).items():
        if "ms-vscode.go" in ids and "golang.go" not in ids:
            old = ids["ms-vscode.go"]
            yield finding(
                root, Severity.WARNING,
                f"The Go extension in {ctx.tilde(root)} is the unmaintained ms-vscode.go",
                "ms-vscode.go stopped being updated in 2020 when the extension moved to the Go team. Install "
                "\"Go\" by the Go Team at Google (golang.go) and uninstall ms-vscode.go.",
                locations=[Location(p) for p in old], chain=[f"{ctx.tilde(p)} (ms-vscode.go)" for p in old],
            )


# --- settings files ---------------------------------------------------------------------------

@check("GOENV-VSCODE-013", Severity.WARNING, "VS Code settings file cannot be parsed")
def settings_unparsable(ctx: CheckContext) -> Iterator[Finding]:
    """A settings.json with a syntax error (a missing comma after a pasted line): VS Code keeps
    only what it can make sense of, settings near the error may be lost, and it refuses to save
    changes from the Settings editor into that file. goenv-tui cannot check the settings in it."""
    for f in ctx.facts.editor.files:
        if not f.error:
            continue
        line = error_line(f.error)
        message = f.error.split(": ", 1)[1] if line else f.error  # the line is in the location already
        yield finding(
            f.path, Severity.WARNING,
            f"{ctx.tilde(f.path)} has an error: VS Code cannot read it fully",
            f"{ctx.tilde(f.path)}:{line or '?'} ({f.scope} settings): {message}. VS Code skips what it cannot "
            "parse, so settings around that line may not apply, and changes made in the Settings editor cannot be "
            "saved to it.",
            locations=[Location(f.path, line)], chain=[f"{ctx.tilde(f.path)}:{line or '?'} {message}"],
        )


# --- fixes: the setting removed or changed in its settings.json (goenv_tui/fixes/settings.py) ------

@goroot_missing.fix
@goroot_other_version.fix
def remove_goroot(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    if loc is None:
        return []
    return remove_setting(fc, f, ("go.goroot",), "remove-go-goroot",
                   f"Remove go.goroot from {tilde(fc.home, loc.path)} (VS Code then uses the go on PATH)")


@alternate_tool_missing.fix
def remove_alternate_tool(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    parsed = parsed_settings(fc, loc) if loc else None
    if loc is None or parsed is None:
        return []
    _, _, lines = parsed
    # The tool whose key is on the finding's line; with several on one line, the one the title names.
    tools = [k[1] for k, line in lines.items() if len(k) == 2 and k[0] == "go.alternateTools" and line == loc.line]
    if len(tools) > 1:
        tools = [t for t in tools if f.title.startswith(f"go.alternateTools.{t} points to ")]
    if len(tools) != 1:
        return []
    tool = str(tools[0])
    return remove_setting(fc, f, ("go.alternateTools", tool), "remove-alternate-tool",
                   f"Remove go.alternateTools.{tool} from {tilde(fc.home, loc.path)} (VS Code then uses the {tool} on PATH)")


@tools_env_differs.fix
def remove_tools_env_var(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    if loc is None or not f.variable:
        return []
    # Not "safe": the check itself says the difference may be deliberate.
    return remove_setting(fc, f, ("go.toolsEnvVars", f.variable), "remove-tools-env-var",
                   f"Remove {f.variable} from go.toolsEnvVars in {tilde(fc.home, loc.path)} "
                   f"(tools VS Code starts then get the shell's {f.variable})", safe=False)


_MOD_VENDOR_FLAG = re.compile(r"^--?mod=vendor$")


@tools_mod_vendor.fix
def drop_mod_vendor(fc: FixContext, f: Finding) -> list[PlannedFix]:
    path = ("go.toolsEnvVars", "GOFLAGS")
    found = key_at(fc, f, path)
    if found is None:
        return []
    loc, text, flags = found
    if not isinstance(flags, str):
        return []
    rest = " ".join(flag for flag in flags.split() if not _MOD_VENDOR_FLAG.match(flag))
    where = tilde(fc.home, loc.path)
    try:
        if rest:
            new = set_value(text, path, rest)
            title = f"Remove -mod=vendor from go.toolsEnvVars.GOFLAGS in {where} (keeps {rest})"
        else:
            new = remove_key(text, path)
            title = f"Remove GOFLAGS=-mod=vendor from go.toolsEnvVars in {where}"
    except JsoncError:
        return []
    p = setting_fix(fc, f, "drop-mod-vendor", title, loc.path, text, new)
    return [p] if p else []


@language_server_off.fix
def enable_language_server(fc: FixContext, f: Finding) -> list[PlannedFix]:
    path = ("go.useLanguageServer",)
    found = key_at(fc, f, path)
    if found is None or found[2] is not False:
        return []
    loc, text, _ = found
    try:
        new = set_value(text, path, True)
    except JsoncError:
        return []
    p = setting_fix(fc, f, "enable-language-server",
                     f"Set go.useLanguageServer to true in {tilde(fc.home, loc.path)} (turns gopls back on)",
                     loc.path, text, new)
    return [p] if p else []
