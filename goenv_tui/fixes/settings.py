"""Fixes for VS Code settings: remove or change one setting in the settings.json the finding
points at, keeping the file's comments, blank lines, indentation and comma style.

Each builder re-reads the settings file, checks that the key is still at the line the finding
names (else the file changed since the diagnosis and nothing is planned), and edits the text with
`collect.jsonc_edit`. The preview is the exact diff. Registered with `@builds` on import
(`builders.plan_for` imports this module).
"""

from __future__ import annotations

import re

from goenv_tui.collect.jsonc import JsoncError, parse_with_lines
from goenv_tui.collect.jsonc_edit import remove_key, set_value
from goenv_tui.display import tilde
from goenv_tui.fixes.builders import FixContext, builds
from goenv_tui.fixes.plan import FileEdit, PlannedFix, unified_diff
from goenv_tui.model import Finding, Fix, Location

_MOD_VENDOR = re.compile(r"^--?mod=vendor$")


def _location(fc: FixContext, f: Finding) -> Location | None:
    """The finding's settings file and line, when it is a settings file the diagnosis read cleanly."""
    readable = {sf.path for sf in fc.d.facts.editor.files if not sf.error}
    return next((loc for loc in f.locations if loc.line and loc.path in readable), None)


def _text(fc: FixContext, path: str) -> str | None:
    """The file's text, or None when it is not valid UTF-8 (VS Code reads settings as UTF-8:
    an edit of a file that is not would be judged against text VS Code does not see)."""
    text = fc.text(path)
    if text is not None and any("\udc80" <= ch <= "\udcff" for ch in text):
        return None
    return text


def _parsed(fc: FixContext, loc: Location) -> tuple[str, object, dict] | None:
    text = _text(fc, loc.path)
    if text is None:
        return None
    try:
        value, lines = parse_with_lines(text, allow_empty=True)
    except JsoncError:
        return None
    if not isinstance(value, dict):
        return None
    return text, value, lines


def _at(value: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _setting_fix(fc: FixContext, f: Finding, fix_id: str, title: str, path: str, before: str, after: str,
                 safe: bool = True) -> PlannedFix | None:
    edit = FileEdit(path, before, after)
    if not edit.changes:
        return None
    preview = unified_diff((edit,), fc.home)
    return PlannedFix(Fix(fix_id, title, "setting", preview, needs_confirmation=True, verifies=f.check),
                      f.id, f.check, (edit,), contexts=tuple(f.contexts), safe=safe)


def _key_at(fc: FixContext, f: Finding, path: tuple[str, ...]) -> tuple[Location, str, object] | None:
    """(location, text, current value) when `path` is the key at the finding's line."""
    loc = _location(fc, f)
    parsed = _parsed(fc, loc) if loc else None
    if loc is None or parsed is None:
        return None
    text, value, lines = parsed
    if lines.get(path) != loc.line:
        return None  # the file changed since the diagnosis: plan nothing rather than guess
    return loc, text, _at(value, path)


def _remove(fc: FixContext, f: Finding, path: tuple[str, ...], fix_id: str, title: str,
            safe: bool = True) -> list[PlannedFix]:
    found = _key_at(fc, f, path)
    if found is None:
        return []
    loc, text, _ = found
    try:
        new = remove_key(text, path)
    except JsoncError:
        return []
    p = _setting_fix(fc, f, fix_id, title, loc.path, text, new, safe)
    return [p] if p else []


@builds("GOENV-VSCODE-001", "GOENV-VSCODE-002")
def remove_goroot(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    if loc is None:
        return []
    return _remove(fc, f, ("go.goroot",), "remove-go-goroot",
                   f"Remove go.goroot from {tilde(fc.home, loc.path)} (VS Code then uses the go on PATH)")


@builds("GOENV-VSCODE-005")
def remove_alternate_tool(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    parsed = _parsed(fc, loc) if loc else None
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
    return _remove(fc, f, ("go.alternateTools", tool), "remove-alternate-tool",
                   f"Remove go.alternateTools.{tool} from {tilde(fc.home, loc.path)} (VS Code then uses the {tool} on PATH)")


@builds("GOENV-VSCODE-007")
def remove_tools_env_var(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    if loc is None or not f.variable:
        return []
    # Not "safe": the check itself says the difference may be deliberate.
    return _remove(fc, f, ("go.toolsEnvVars", f.variable), "remove-tools-env-var",
                   f"Remove {f.variable} from go.toolsEnvVars in {tilde(fc.home, loc.path)} "
                   f"(tools VS Code starts then get the shell's {f.variable})", safe=False)


@builds("GOENV-VSCODE-008")
def drop_mod_vendor(fc: FixContext, f: Finding) -> list[PlannedFix]:
    path = ("go.toolsEnvVars", "GOFLAGS")
    found = _key_at(fc, f, path)
    if found is None:
        return []
    loc, text, flags = found
    if not isinstance(flags, str):
        return []
    rest = " ".join(flag for flag in flags.split() if not _MOD_VENDOR.match(flag))
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
    p = _setting_fix(fc, f, "drop-mod-vendor", title, loc.path, text, new)
    return [p] if p else []


@builds("GOENV-VSCODE-009")
def enable_language_server(fc: FixContext, f: Finding) -> list[PlannedFix]:
    path = ("go.useLanguageServer",)
    found = _key_at(fc, f, path)
    if found is None or found[2] is not False:
        return []
    loc, text, _ = found
    try:
        new = set_value(text, path, True)
    except JsoncError:
        return []
    p = _setting_fix(fc, f, "enable-language-server",
                     f"Set go.useLanguageServer to true in {tilde(fc.home, loc.path)} (turns gopls back on)",
                     loc.path, text, new)
    return [p] if p else []


@builds("GOENV-VSCODE-014")
def remove_module_off(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    if loc is None:
        return []
    return _remove(fc, f, ("go.toolsEnvVars", "GO111MODULE"), "remove-go111module-off",
                   f"Remove GO111MODULE=off from go.toolsEnvVars in {tilde(fc.home, loc.path)} (module mode is the default)")


@builds("GOENV-VSCODE-015")
def remove_terminal_goroot(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    parsed = _parsed(fc, loc) if loc else None
    if loc is None or parsed is None:
        return []
    _, _, lines = parsed
    keys = [k for k, line in lines.items() if len(k) == 2 and k[1] == "GOROOT" and line == loc.line
            and str(k[0]).startswith("terminal.integrated.env.")]
    if len(keys) != 1:
        return []
    return _remove(fc, f, keys[0], "remove-terminal-goroot",
                   f"Remove GOROOT from {keys[0][0]} in {tilde(fc.home, loc.path)} (go finds its own)")


@builds("GOENV-VSCODE-016")
def remove_language_server_flags(fc: FixContext, f: Finding) -> list[PlannedFix]:
    loc = _location(fc, f)
    if loc is None:
        return []
    return _remove(fc, f, ("go.languageServerFlags",), "remove-language-server-flags",
                   f"Remove go.languageServerFlags from {tilde(fc.home, loc.path)} (gopls starts with none)", safe=False)
