"""Text edits of startup files, statement-aware (a multi-line `export PATH="…\\n…"` moves or is
commented out whole). Every line goenv-tui adds or disables carries a recognisable marker, as
rustup does, so a person reading the file later knows where it came from.
"""

from __future__ import annotations

from goenv_tui.shells.static import statements, toplevel_start

MARK = "goenv-tui"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _join(lines: list[str]) -> str:
    out = "".join(lines)
    return out


def span(text: str, line: int) -> tuple[int, int]:
    """The (start, end) lines (1-based, inclusive) of the statement that covers `line`."""
    for s in statements(text):
        if s.start <= line <= s.end:
            return s.start, s.end
    return line, line


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def comment_out(text: str, line: int, reason: str, today: str) -> str:
    """Disable the statement at `line`, with a comment saying why and when."""
    lines = _ensure_newline(_lines(text))
    start, end = span(text, line)
    if all(ln.lstrip().startswith("#") for ln in lines[start - 1:end]):
        return text  # already disabled: applying twice changes nothing
    indent = lines[start - 1][: len(lines[start - 1]) - len(lines[start - 1].lstrip())]
    body = [f"{indent}# {ln.lstrip()}" if ln.strip() else ln for ln in lines[start - 1:end]]
    note = f"{indent}# {MARK} {today}: disabled — {reason}\n"
    return _join(lines[: start - 1] + [note] + body + lines[end:])


def insert_before(text: str, line: int | None, new: list[str], reason: str, today: str) -> str:
    """Insert `new` lines before the statement at `line` (at the end when None)."""
    block = [f"# {MARK} {today}: {reason}\n"] + [ln if ln.endswith("\n") else ln + "\n" for ln in new]
    lines = _ensure_newline(_lines(text))
    if any(b in lines for b in block[1:]) and all(b in lines for b in block[1:]):
        return text  # already there
    if line is None:
        sep = [] if not lines or lines[-1].strip() == "" else ["\n"]
        return _join(lines + sep + block)
    start = toplevel_start(text, line)
    return _join(lines[: start - 1] + block + lines[start - 1:])


def remove_statements(text: str, line_numbers: list[int]) -> tuple[str, list[str]]:
    """Remove the statements at these lines; return the new text and the removed lines."""
    lines = _ensure_newline(_lines(text))
    spans = sorted({span(text, n) for n in line_numbers}, reverse=True)
    removed: list[list[str]] = []
    for start, end in spans:
        removed.insert(0, lines[start - 1:end])
        del lines[start - 1:end]
    return _join(lines), [ln for block in removed for ln in block]


def move_above(text: str, line_numbers: list[int], target: int, reason: str, today: str) -> str:
    """Move the statements at `line_numbers` (all after `target`) to just before the top-level
    command that contains `target` (the whole `case … esac` of a guard, not inside it)."""
    t_start = toplevel_start(text, target)
    if all(n < t_start for n in line_numbers):
        return text
    rest, moved = remove_statements(text, [n for n in line_numbers if n > t_start])
    moved = [ln.lstrip() if ln.startswith((" ", "\t")) else ln for ln in moved]
    return insert_before(rest, t_start, moved, reason, today)


def replace_in(text: str, line: int, old: str, new: str) -> str:
    lines = _ensure_newline(_lines(text))
    start, end = span(text, line)
    for i in range(start - 1, end):
        if old in lines[i]:
            lines[i] = lines[i].replace(old, new)
    return _join(lines)


def export_statement(text: str, line: int, fish: bool = False) -> str:
    """`NAME=value` → `export NAME=value` (fish: `set -g NAME v` → `set -gx NAME v`)."""
    lines = _ensure_newline(_lines(text))
    start, _ = span(text, line)
    ln = lines[start - 1]
    stripped = ln.lstrip()
    if fish:
        import re

        m = re.match(r"set(\s+)((?:-[A-Za-z]+\s+)*)(.*)", stripped, re.S)
        if not m:
            return text
        flags = m.group(2).split()
        if any("x" in f for f in flags if f.startswith("-") and not f.startswith("--")) or "--export" in flags:
            return text
        flags = [f for f in flags if f not in ("-u", "--unexport")] + ["-x"]
        indent = ln[: len(ln) - len(stripped)]
        lines[start - 1] = f"{indent}set {' '.join(flags)} {m.group(3)}"
        return _join(lines)
    if stripped.startswith(("export ", "typeset -x", "declare -x")):
        return text
    indent = ln[: len(ln) - len(stripped)]
    lines[start - 1] = f"{indent}export {stripped}"
    return _join(lines)
