"""VS Code settings that break the Go tools themselves: language-server flags the installed
gopls rejects, module mode switched off for every tool, a terminal GOROOT that does not exist."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.checks.vscode import (
    _TERMINAL_OS,
    _absent,
    _at,
    _gui,
    _loc,
    _path_value,
    _settings,
    _shown,
    _stat,
)
from goenv_tui.display import tilde
from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.fixes.settings import (
    parsed_settings,
    remove_setting,
    setting_location,
)
from goenv_tui.model import Finding, Severity

_REJECTED = re.compile(r"flag provided but not defined|unknown command|invalid value|unrecognized|"
                       r"bad flag syntax|no such (flag|command)", re.I)


@check("GOENV-VSCODE-014", Severity.WARNING, "GO111MODULE=off in go.toolsEnvVars")
def tools_module_mode_off(ctx: CheckContext) -> Iterator[Finding]:
    """`"go.toolsEnvVars": {"GO111MODULE": "off"}` (an old GOPATH-era tip) turns module mode off
    for gopls and every tool VS Code starts: in a module it cannot resolve imports ("cannot find
    package"), go.mod is ignored, while the terminal builds fine."""
    for s in _settings(ctx, "go.toolsEnvVars.GO111MODULE"):
        if not isinstance(s.value, str) or s.value.strip().lower() != "off":
            continue
        ws = ctx.facts.workspace_facts
        module = ws is not None and (ws.gomod is not None or ws.gowork is not None)
        yield finding(
            f"{s.path}|{s.key}", Severity.WARNING,
            "go.toolsEnvVars sets GO111MODULE=off: gopls and the editor's tools ignore go.mod",
            f"{_at(ctx, s)} gives every tool VS Code starts GO111MODULE=off. That turns module mode off for gopls, "
            "tests and dlv: "
            + ("this workspace is a module, so imports do not resolve (\"cannot find package\") while `go build` in "
               "the terminal works. " if module else "in any module imports stop resolving. ")
            + "Remove it (module mode is the default since Go 1.16).",
            variable="GO111MODULE", locations=[_loc(s)], chain=[f"{_at(ctx, s)} {_shown(s)}"],
        )


@check("GOENV-VSCODE-015", Severity.ERROR, "terminal.integrated.env sets a GOROOT that does not exist")
def terminal_goroot_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A GOROOT in terminal.integrated.env.* left from an uninstalled Go: every `go` in VS Code's
    terminal fails ("cannot find GOROOT directory") while other terminals work."""
    key = f"terminal.integrated.env.{_TERMINAL_OS.get(ctx.facts.os_name, 'linux')}.GOROOT"
    gui = _gui(ctx)
    for s in _settings(ctx, key):
        value = _path_value(ctx, s, gui)
        if not value or "${" in value:
            continue
        if _absent(_stat(ctx, value)):
            yield finding(
                f"{s.path}|{s.key}", Severity.ERROR,
                f"VS Code's terminal gets GOROOT={ctx.tilde(value)}, which does not exist",
                f"{_at(ctx, s)} sets GOROOT for every terminal VS Code opens, but {ctx.tilde(value)} does not exist: "
                "`go` there fails with \"cannot find GOROOT directory\", while your other terminals work. Remove the "
                "setting (go finds its own GOROOT).",
                variable="GOROOT", locations=[_loc(s)], chain=[f"{_at(ctx, s)} {_shown(s)} → no such directory"],
            )


@check("GOENV-VSCODE-016", Severity.ERROR, "go.languageServerFlags rejected by gopls", tools=("gopls",))
def language_server_flags(ctx: CheckContext) -> Iterator[Finding]:
    """`go.languageServerFlags` copied from an old guide ("-rpc.trace", "serve", "--debug=…" are
    fine; removed or misspelled flags are not): gopls exits at start ("flag provided but not
    defined") and VS Code shows "The gopls server crashed" five times, then gives up."""
    gui = _gui(ctx)
    if gui is None or ctx.host is None:
        return
    res = ctx.facts.resolutions.get(gui.id, {}).get("gopls")
    gopls = res.resolved.path if res and res.resolved else None
    if gopls is None:
        return
    for s in _settings(ctx, "go.languageServerFlags"):
        if not isinstance(s.value, list) or not s.value or not all(isinstance(x, str) for x in s.value):
            continue
        # Started as the extension starts it: gopls FLAGS…, LSP on stdin (here: at once EOF).
        run = ctx.host.run([gopls, *s.value], env=gui.full_env or gui.env, stdin=b"", timeout=10.0)
        out = (run.stdout + run.stderr).decode(errors="replace")
        said = next((ln.strip() for ln in out.splitlines() if _REJECTED.search(ln)), None)
        if run.ok or said is None:
            continue
        yield finding(
            f"{s.path}|{s.key}", Severity.ERROR,
            f"gopls rejects go.languageServerFlags: {said[:120]}",
            f"{_at(ctx, s)} starts gopls as `{ctx.tilde(gopls)} {' '.join(s.value)}`; this gopls refuses that and exits "
            f"at once ({said}). VS Code then reports that the language server crashed and stops restarting it. Remove "
            "the flags it does not know (or the setting).",
            contexts=[gui.id], locations=[_loc(s)],
            chain=[f"$ {ctx.tilde(gopls)} {' '.join(s.value)} → exit {run.returncode}: {said[:160]}"],
            data={"tool": "gopls"},
        )


# --- fixes: the setting removed or changed in its settings.json (goenv_tui/fixes/settings.py) ------

@tools_module_mode_off.fix
def remove_module_off(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    if loc is None:
        return []
    return remove_setting(fc, f, ("go.toolsEnvVars", "GO111MODULE"), "remove-go111module-off",
                   f"Remove GO111MODULE=off from go.toolsEnvVars in {tilde(fc.home, loc.path)} (module mode is the default)")


@terminal_goroot_missing.fix
def remove_terminal_goroot(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    parsed = parsed_settings(fc, loc) if loc else None
    if loc is None or parsed is None:
        return []
    _, _, lines = parsed
    envs = [str(k[0]) for k, line in lines.items() if len(k) == 2 and k[1] == "GOROOT" and line == loc.line
            and str(k[0]).startswith("terminal.integrated.env.")]
    if len(envs) != 1:
        return []
    return remove_setting(fc, f, (envs[0], "GOROOT"), "remove-terminal-goroot",
                          f"Remove GOROOT from {envs[0]} in {tilde(fc.home, loc.path)} (go finds its own)")


@language_server_flags.fix
def remove_language_server_flags(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = setting_location(fc, f)
    if loc is None:
        return []
    return remove_setting(fc, f, ("go.languageServerFlags",), "remove-language-server-flags",
                   f"Remove go.languageServerFlags from {tilde(fc.home, loc.path)} (gopls starts with none)", safe=False)
