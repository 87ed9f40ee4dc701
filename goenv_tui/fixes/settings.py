"""What the fixes of VS Code settings share: remove or change one setting in the settings.json
the finding points at, keeping the file's comments, blank lines, indentation and comma style.

The builders sit next to their checks (goenv_tui/checks/vscode.py, editor_tools.py). Each
re-reads the settings file, checks that the key is still at the line the finding names (else the
file changed since the diagnosis and nothing is planned), and edits the text with
`jsonc.edit`. The preview is the exact diff.
"""

from __future__ import annotations

from goenv_tui.fixes.builders import FixContext
from goenv_tui.fixes.plan import FileEdit, PlannedFix, unified_diff
from goenv_tui.jsonc.edit import remove_key
from goenv_tui.jsonc.parse import JsoncError, KeyPath, parse_with_lines
from goenv_tui.model import Finding, Fix, Location


def setting_location(fc: FixContext, f: Finding) -> Location | None:
    """The finding's settings file and line, when it is a settings file the diagnosis read cleanly."""
    readable = {sf.path for sf in fc.d.facts.editor.files if not sf.error}
    return next((loc for loc in f.locations if loc.line and loc.path in readable), None)


def settings_text(fc: FixContext, path: str) -> str | None:
    """The file's text, or None when it is not valid UTF-8 (VS Code reads settings as UTF-8:
    an edit of a file that is not would be judged against text VS Code does not see)."""
    text = fc.text(path)
    if text is not None and any("\udc80" <= ch <= "\udcff" for ch in text):
        return None
    return text


def parsed_settings(fc: FixContext, loc: Location) -> tuple[str, object, dict[KeyPath, int]] | None:
    text = settings_text(fc, loc.path)
    if text is None:
        return None
    try:
        value, lines = parse_with_lines(text, allow_empty=True)
    except JsoncError:
        return None
    if not isinstance(value, dict):
        return None
    return text, value, lines


def value_at(value: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def setting_fix(fc: FixContext, f: Finding, fix_id: str, title: str, path: str, before: str, after: str,
                 safe: bool = True) -> PlannedFix | None:
    edit = FileEdit(path, before, after)
    if not edit.changes:
        return None
    preview = unified_diff((edit,), fc.home)
    return PlannedFix(Fix(fix_id, title, "setting", preview, needs_confirmation=True, verifies=f.check),
                      f.id, f.check, (edit,), contexts=tuple(f.contexts), safe=safe)


def key_at(fc: FixContext, f: Finding, path: tuple[str, ...]) -> tuple[Location, str, object] | None:
    """(location, text, current value) when `path` is the key at the finding's line."""
    loc = setting_location(fc, f)
    parsed = parsed_settings(fc, loc) if loc else None
    if loc is None or parsed is None:
        return None
    text, value, lines = parsed
    if lines.get(path) != loc.line:
        return None  # the file changed since the diagnosis: plan nothing rather than guess
    return loc, text, value_at(value, path)


def remove_setting(fc: FixContext, f: Finding, path: tuple[str, ...], fix_id: str, title: str,
            safe: bool = True) -> list[PlannedFix]:
    found = key_at(fc, f, path)
    if found is None:
        return []
    loc, text, _ = found
    try:
        new = remove_key(text, path)
    except JsoncError:
        return []
    p = setting_fix(fc, f, fix_id, title, loc.path, text, new, safe)
    return [p] if p else []
