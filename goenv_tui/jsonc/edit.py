"""Edits of VS Code settings.json text that keep everything else byte for byte: comments, blank
lines, indentation, line endings (LF or CRLF) and the file's trailing-comma style.

`set_value` replaces a value in place or inserts a key (at the top level or inside an existing
object such as `go.toolsEnvVars`); `remove_key` removes a key with its comma. Values are
serialized with `json.dumps`. The text is parsed first (`jsonc.parse`, so errors carry a line),
then scanned once more for the position of every key, value and comma; strings and comments are
skipped by the same scanner, so a `//` or `,` inside them is never taken for syntax.

Invalid input raises `JsoncError` and nothing is edited. Every result is parsed again and compared
with the expected settings (the old ones with just that key changed): an edit that would change
anything else raises `JsoncError` instead of returning a corrupted file. Both functions are
idempotent: setting the value a key already has, or removing a key that is not there, returns
the text unchanged.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from goenv_tui.jsonc.parse import MAX_DEPTH, JsoncError, _Parser, _Shape, parse

__all__ = ["JsoncError", "remove_key", "set_value"]

KeyPath = tuple[str, ...]

DEFAULT_INDENT = "    "  # VS Code's own settings.json indentation (editor.tabSize 4, spaces)

_BREAK = re.compile(r"\r\n?|\n")
# Whitespace other than line breaks, as `jsonc.parse` accepts it.
_HSPACE = re.compile(r"[ \t\v\f\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class _Member:
    key: str
    value: object
    start: int  # the key's opening quote
    value_start: int
    value_end: int
    comma: int | None  # the comma after the value, if any


@dataclass(frozen=True)
class _Object:
    open: int  # position of `{`
    close: int  # position of `}`
    members: tuple[_Member, ...]

    def find(self, key: str) -> _Member | None:
        """The member VS Code reads: with a duplicate key, the last one."""
        return next((m for m in reversed(self.members) if m.key == key), None)


class _Spans(_Parser):
    """The JSONC scanner of `jsonc.parse`, also recording where each object's members are."""

    def __init__(self, text: str) -> None:
        super().__init__(text, MAX_DEPTH)
        self.objects: dict[int, _Object] = {}  # by the position of `{`

    def obj(self, depth: int) -> tuple[dict[str, object], _Shape]:
        text = self.text
        opened = self.pos
        self.pos += 1
        out: dict[str, object] = {}
        members: list[_Member] = []
        while True:
            self.skip()
            if text.startswith("}", self.pos):
                break
            if not text.startswith('"', self.pos):
                raise self.error(f"expected a property name in double quotes, found {self.describe(self.pos)}")
            start = self.pos
            key = self.string()
            self.skip()
            if not text.startswith(":", self.pos):
                raise self.error(f"expected `:` after the property name \"{key}\"")
            self.pos += 1
            self.skip()
            value_start = self.pos
            value, _ = self.value(depth)
            value_end = self.pos
            out[key] = value
            self.skip()
            comma = None
            if text.startswith(",", self.pos):
                comma = self.pos
                self.pos += 1
            members.append(_Member(key, value, start, value_start, value_end, comma))
            if comma is None:
                self.skip()
                if not text.startswith("}", self.pos):
                    raise self.error(f"expected `,` or `}}` after the value of \"{key}\"")
                break
        self.objects[opened] = _Object(opened, self.pos, tuple(members))
        self.pos += 1
        return out, {}


# --- scanning -------------------------------------------------------------------------------------

def _scan(text: str) -> tuple[_Spans, _Object | None, object]:
    """(spans, the top-level object or None for a document of only comments, the parsed value)."""
    value = parse(text, allow_empty=True)  # the parser's own messages, with lines
    p = _Spans(text)
    p.skip()
    if p.pos >= len(text):
        return p, None, None
    if not text.startswith("{", p.pos):
        raise JsoncError("settings must be an object ({ … }), not a single value or a list", p.line_of(p.pos))
    start = p.pos
    p.value(0)
    return p, p.objects[start], value


def _trivia(text: str, pos: int, end: int) -> Iterator[tuple[str, int, int]]:
    """The whitespace and comments from `pos` to `end`, as (kind, start, stop): kind is "space",
    "break" (a line break), "comment" (one that stays on its line) or "multiline" (a block
    comment spanning lines); a final ("token", pos, pos) where something else starts."""
    while pos < end:
        m = _HSPACE.match(text, pos, end)
        if m:
            yield "space", pos, m.end()
            pos = m.end()
        elif text[pos] in "\r\n":
            stop = pos + (2 if text.startswith("\r\n", pos) else 1)
            yield "break", pos, stop
            pos = stop
        elif text.startswith("//", pos):
            b = _BREAK.search(text, pos, end)
            stop = b.start() if b else end
            yield "comment", pos, stop
            pos = stop
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2, end)
            stop = end if close < 0 else close + 2
            yield ("multiline" if _BREAK.search(text, pos, stop) else "comment"), pos, stop
            pos = stop
        else:
            yield "token", pos, pos
            return


def _line_end(text: str, pos: int, end: int) -> int | None:
    """Where the line break is when only spaces and same-line comments follow `pos` on its line."""
    for kind, start, _ in _trivia(text, pos, end):
        if kind == "break":
            return start
        if kind in ("multiline", "token"):
            return None
    return None


def _blank(text: str, start: int, end: int) -> bool:
    """Only whitespace (no comments) between start and end."""
    return all(kind in ("space", "break") for kind, _, _ in _trivia(text, start, end))


def _line_start(text: str, pos: int) -> int:
    return max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1


def _indent_of(text: str, pos: int) -> str:
    """The indentation of the line holding `pos`."""
    m = _INDENT.match(text, _line_start(text, pos))
    return m.group() if m else ""


def _first_on_line(text: str, pos: int) -> bool:
    start = _line_start(text, pos)
    return text[start:pos].strip(" \t") == ""


def _newline(text: str) -> str:
    m = _BREAK.search(text)
    return m.group() if m else "\n"


def _indent_unit(p: _Spans, root: _Object | None) -> str:
    """One level of indentation as the file writes it (the first member on a line of its own)."""
    text = p.text
    objects = [root, *sorted((o for o in p.objects.values() if o is not root), key=lambda o: o.open)] if root else []
    for obj in objects:
        base = _indent_of(text, obj.open)
        for m in obj.members:
            if _first_on_line(text, m.start):
                ind = _indent_of(text, m.start)
                if ind.startswith(base) and len(ind) > len(base):
                    return ind[len(base):]
    return DEFAULT_INDENT


# --- serializing ----------------------------------------------------------------------------------

def _dumps(value: object, indent: str | None, unit: str, nl: str) -> str:
    """`value` as JSON; a non-empty object or list spread over lines below `indent` (one line
    when `indent` is None)."""
    if indent is None or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=unit).replace("\n", nl + indent)


def _member(key: str, value: object, indent: str | None, unit: str, nl: str) -> str:
    return json.dumps(key, ensure_ascii=False) + ": " + _dumps(value, indent, unit, nl)


def _nest(keys: KeyPath, value: object) -> object:
    for key in reversed(keys):
        value = {key: value}
    return value


def _same(a: object, b: object) -> bool:
    """Equal as JSON (so `true` is not `1`, and key order does not matter)."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _check_path(path: tuple[str, ...]) -> KeyPath:
    path = tuple(path)
    if not path or not all(isinstance(k, str) for k in path):
        raise ValueError(f"a key path is a non-empty tuple of strings, not {path!r}")
    return path


# --- verification ---------------------------------------------------------------------------------

def _verified(old_value: object, new_text: str, path: KeyPath, value: object = None, *, remove: bool = False) -> str:
    """`new_text`, after checking it parses to the old settings with only `path` changed."""
    expected = copy.deepcopy(old_value) if isinstance(old_value, dict) else {}
    node = expected
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            if remove:
                break
            node[key] = {}
        node = node[key]
    else:
        if remove:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    try:
        got = parse(new_text, allow_empty=True)
    except JsoncError as exc:
        raise JsoncError(f"editing \"{'.'.join(path)}\" would break the file ({exc.message}); nothing was changed",
                         exc.line, exc.column) from exc
    if not _same(got, expected):
        raise JsoncError(f"editing \"{'.'.join(path)}\" would change other settings; nothing was changed", 1)
    return new_text


# --- set_value ------------------------------------------------------------------------------------

def _insert(text: str, obj: _Object, key: str, value: object, unit: str, nl: str) -> str:
    """`text` with `"key": value` added as the last member of `obj`."""
    if not obj.members:
        base = _indent_of(text, obj.open)
        ind = base + unit
        member = _member(key, value, ind, unit, nl)
        inner_start = obj.open + 1
        if _blank(text, inner_start, obj.close):  # {} or {\n}: replace the whitespace inside
            return text[:inner_start] + nl + ind + member + nl + base + text[obj.close:]
        pieces = list(_trivia(text, inner_start, obj.close))
        breaks = [start for kind, start, _ in pieces if kind == "break"]
        if breaks:  # comments inside: after the last line of them, indented like them
            at = breaks[-1]
            ind = next((_indent_of(text, start) for kind, start, _ in reversed(pieces)
                        if kind in ("comment", "multiline") and start < at and _first_on_line(text, start)
                        and len(_indent_of(text, start)) > len(base)), ind)
            member = _member(key, value, ind, unit, nl)
            return text[:at] + nl + ind + member + text[at:]
        return text[:inner_start] + nl + ind + member + nl + base + text[inner_start:]
    last = obj.members[-1]
    trailing = last.comma is not None  # the file's style: keep a trailing comma after the new last member
    end = last.comma + 1 if last.comma is not None else last.value_end
    line_end = _line_end(text, end, obj.close)
    if line_end is None:  # the object closes on the last member's line: `{"a": 1}` → `{"a": 1, "b": 2}`
        member = _member(key, value, None, unit, nl)
        if trailing:
            return text[:end] + " " + member + "," + text[end:]
        return text[:end] + ", " + member + text[end:]
    ind = _indent_of(text, last.start) if _first_on_line(text, last.start) else _indent_of(text, obj.open) + unit
    member = _member(key, value, ind, unit, nl)
    added = nl + ind + member + ("," if trailing else "")
    if trailing:
        return text[:line_end] + added + text[line_end:]
    # a comma after the old last value (before any comment on its line), the new member after that line
    return text[:last.value_end] + "," + text[last.value_end:line_end] + added + text[line_end:]


def set_value(text: str, path: tuple[str, ...], value: object) -> str:
    """Set the setting at `path` (("go.useLanguageServer",) or ("go.toolsEnvVars", "GOFLAGS")) to
    `value`: in place when the key exists (the last one, with a duplicate key), else added as the
    last member of its object, creating the missing objects on the way. Raises JsoncError when
    the text is not valid JSONC or a key on the way holds something other than an object."""
    path = _check_path(path)
    p, root, old = _scan(text)
    nl = _newline(text)
    unit = _indent_unit(p, root)
    if root is None:  # empty, or only comments: VS Code reads no settings; start the object
        sep = "" if not text or text.endswith(("\n", "\r")) else nl
        body = _member(path[0], _nest(path[1:], value), unit, unit, nl)
        return _verified(old, text + sep + "{" + nl + unit + body + nl + "}" + nl, path, value)
    obj = root
    for i, key in enumerate(path):
        m = obj.find(key)
        if m is None:
            new = _insert(text, obj, key, _nest(path[i + 1:], value), unit, nl)
            break
        if i == len(path) - 1:
            if _same(m.value, value):
                return text
            indent = _indent_of(text, m.start)
            new = text[:m.value_start] + _dumps(value, indent, unit, nl) + text[m.value_end:]
            break
        child = p.objects.get(m.value_start)
        if child is None:
            raise JsoncError(f"\"{'.'.join(path[:i + 1])}\" is not an object: cannot set \"{'.'.join(path)}\"",
                             p.line_of(m.start))
        obj = child
    return _verified(old, new, path, value)


# --- remove_key -----------------------------------------------------------------------------------

def _hspace_before(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1] in " \t":
        pos -= 1
    return pos


def _hspace_after(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _remove(text: str, obj: _Object, m: _Member) -> str:
    i = obj.members.index(m)
    prev = obj.members[i - 1] if i > 0 else None
    end = m.comma + 1 if m.comma is not None else m.value_end
    limit = obj.members[i + 1].start if i + 1 < len(obj.members) else obj.close
    brk = _line_end(text, end, limit)
    cuts: list[tuple[int, int]] = []
    if brk is not None and _first_on_line(text, m.start):
        # the whole line(s), with the comment after the value and the line break
        stop = brk + (2 if text.startswith("\r\n", brk) else 1)
        cuts.append((_line_start(text, m.start), stop))
    elif brk is not None:  # `{ "a": 1, // about a` → `{`
        cuts.append((_hspace_before(text, m.start), brk))
    elif m.comma is not None and limit == obj.close:  # `{"a": 1, "b": 2,}` → `{"a": 1,}`
        cuts.append((_hspace_before(text, m.start), m.comma + 1))
    elif m.comma is not None:  # `{"a": 1, "b": 2}` → `{"b": 2}`
        cuts.append((m.start, _hspace_after(text, m.comma + 1)))
    else:  # `{"a": 1, "b": 2}` → `{"a": 1}`
        cuts.append((_hspace_before(text, m.start), m.value_end))
    if m.comma is None and prev is not None and prev.comma is not None:
        cuts.append((prev.comma, prev.comma + 1))  # the last member had no trailing comma: nor has the new last
    removed = 0
    for start, stop in sorted(cuts, reverse=True):
        text = text[:start] + text[stop:]
        removed += stop - start
    if len(obj.members) == 1:  # now empty: `{\n  }` → `{}` (unless comments remain inside)
        close = obj.close - removed
        if _blank(text, obj.open + 1, close):
            text = text[:obj.open + 1] + text[close:]
    return text


def remove_key(text: str, path: tuple[str, ...]) -> str:
    """Remove the setting at `path` with its comma (every occurrence of a duplicate key). A member
    on lines of its own goes with those whole lines, including a comment after the value on its
    last line; comments on other lines stay. A missing key (or a missing object on the way)
    returns `text` unchanged. Raises JsoncError when the text is not valid JSONC."""
    path = _check_path(path)
    _, _, old = _scan(text)
    original = text
    while True:
        p, obj, _ = _scan(text)
        for key in path[:-1]:
            m = obj.find(key) if obj else None
            obj = p.objects.get(m.value_start) if m else None
        m = obj.find(path[-1]) if obj else None
        if obj is None or m is None:
            break
        edited = _remove(text, obj, m)
        if edited == text:  # pragma: no cover - a bug, not an input: never loop on it
            raise JsoncError(f"could not remove \"{'.'.join(path)}\"", p.line_of(m.start))
        text = edited
    if text == original:
        return text
    return _verified(old, text, path, remove=True)
