"""A JSONC parser for VS Code settings files: JSON plus `//` and `/* */` comments and trailing
commas, returning the value and the 1-based line of every key.

Owns reading settings.json text only; what the keys mean is `collect.vscode`'s business. No
third-party dependency, and safe on hostile input: one linear pass, nesting capped at
`MAX_DEPTH` (the recursion is bounded by that cap), errors raised as `JsoncError` with a line.
"""

from __future__ import annotations

import bisect
import re

MAX_DEPTH = 200

KeyPath = tuple["str | int", ...]

# Whitespace as VS Code's JSON scanner accepts it (it tolerates the Unicode spaces and a BOM that
# editors paste in; strict JSON would not).
_SPACE = re.compile(r"[ \t\n\r\v\f\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_STRING_RUN = re.compile(r'[^"\\\r\n]+')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}


class JsoncError(ValueError):
    """Text that is not valid JSONC. `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"line {line}: {message}")


# A parsed container's key lines, mirroring its value: key → (line, shape of the child or None).
# Kept nested while parsing so a duplicate key (last one wins, as in VS Code) drops the lines of
# the value it replaces; flattened into key paths at the end.
_Shape = dict["str | int", "tuple[int, _Shape | None]"]


class _Parser:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.pos = 0
        self.max_depth = max_depth
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    # positions ---------------------------------------------------------------------------
    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos)

    def error(self, message: str, pos: int | None = None) -> JsoncError:
        pos = self.pos if pos is None else pos
        line = self.line_of(pos)
        return JsoncError(message, line, pos - self.line_starts[line - 1] + 1)

    def describe(self, pos: int) -> str:
        """The token at `pos`, the way an error message should name it."""
        if pos >= len(self.text):
            return "the end of the file"
        m = _WORD.match(self.text, pos)
        return f"`{m.group()}`" if m else f"`{self.text[pos]}`"

    # scanning ----------------------------------------------------------------------------
    def skip(self) -> None:
        """Skip whitespace and comments."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            m = _SPACE.match(text, self.pos)
            if m:
                self.pos = m.end()
                continue
            if text.startswith("//", self.pos):
                m = _LINE_BREAK.search(text, self.pos)
                self.pos = m.start() if m else n
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("comment opened with /* is never closed (*/ missing)")
                self.pos = end + 2
            else:
                return

    def value(self, depth: int) -> tuple[object, _Shape | None]:
        self.skip()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("a value is missing: the file ends here")
        ch = text[pos]
        if ch == "{" or ch == "[":
            if depth >= self.max_depth:
                raise self.error(f"nested more than {self.max_depth} levels deep")
            return self.obj(depth + 1) if ch == "{" else self.array(depth + 1)
        if ch == '"':
            return self.string(), None
        if ch == "-" or ch.isdigit():
            return self.number(), None
        m = _WORD.match(text, pos)
        if m and m.group() in _LITERALS:
            self.pos = m.end()
            return _LITERALS[m.group()], None
        if ch == "'":
            raise self.error("strings need double quotes (\"…\"), not single quotes")
        if m:
            raise self.error(f"unexpected word `{m.group()}`: text values need double quotes")
        raise self.error(f"expected a value, found {self.describe(pos)}")

    def obj(self, depth: int) -> tuple[dict[str, object], _Shape]:
        opened = self.pos
        self.pos += 1
        out: dict[str, object] = {}
        shape: _Shape = {}
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error(f"object opened on line {self.line_of(opened)} is never closed (`}}` missing)")
            ch = self.text[self.pos]
            if ch == "}":  # also accepts a trailing comma before it, as VS Code does
                self.pos += 1
                return out, shape
            if ch != '"':
                what = "single quotes" if ch == "'" else self.describe(self.pos)
                raise self.error(f"expected a property name in double quotes, found {what}")
            key_line = self.line_of(self.pos)
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.error(f"expected `:` after the property name \"{key}\", found {self.describe(self.pos)}")
            self.pos += 1
            val, child = self.value(depth)
            out[key] = val
            shape[key] = (key_line, child)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("}", self.pos):
                self.pos += 1
                return out, shape
            elif self.pos >= len(self.text):
                raise self.error(f"object opened on line {self.line_of(opened)} is never closed (`}}` missing)")
            else:
                raise self.error(f"expected `,` or `}}` after the value of \"{key}\", found {self.describe(self.pos)} "
                                 "(a comma is probably missing)")

    def array(self, depth: int) -> tuple[list[object], _Shape]:
        opened = self.pos
        self.pos += 1
        out: list[object] = []
        shape: _Shape = {}
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error(f"list opened on line {self.line_of(opened)} is never closed (`]` missing)")
            if self.text[self.pos] == "]":
                self.pos += 1
                return out, shape
            if self.text[self.pos] == ",":
                raise self.error("expected a value before `,`")
            line = self.line_of(self.pos)
            val, child = self.value(depth)
            shape[len(out)] = (line, child)
            out.append(val)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("]", self.pos):
                self.pos += 1
                return out, shape
            elif self.pos >= len(self.text):
                raise self.error(f"list opened on line {self.line_of(opened)} is never closed (`]` missing)")
            else:
                raise self.error(f"expected `,` or `]` in the list, found {self.describe(self.pos)} "
                                 "(a comma is probably missing)")

    def string(self) -> str:
        start = self.pos
        text, n = self.text, len(self.text)
        self.pos += 1
        parts: list[str] = []
        while True:
            m = _STRING_RUN.match(text, self.pos)
            if m:
                parts.append(m.group())
                self.pos = m.end()
            if self.pos >= n or text[self.pos] in "\r\n":
                raise self.error("text value is not closed: the closing `\"` is missing on this line", start)
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(parts)
            # a backslash escape
            esc = text[self.pos + 1: self.pos + 2]
            if esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                self.pos += 2
            elif esc == "u":
                parts.append(self.unicode_escape())
            else:
                shown = esc if esc and esc not in "\r\n" else ""
                raise self.error(f"invalid escape `\\{shown}` in a text value (write `\\\\` for a backslash)")

    def unicode_escape(self) -> str:
        code = self.hex4(self.pos)
        self.pos += 6
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            low = self.hex4(self.pos)
            if 0xDC00 <= low < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        # A lone surrogate cannot be encoded later on; show it as the replacement character.
        return "\ufffd" if 0xD800 <= code < 0xE000 else chr(code)

    def hex4(self, pos: int) -> int:
        digits = self.text[pos + 2: pos + 6]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.error("invalid \\u escape: it needs four hex digits", pos)
        return int(digits, 16)

    def number(self) -> int | float:
        m = _NUMBER.match(self.text, self.pos)
        end = m.end() if m else self.pos
        if not m or (end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "._")):
            raise self.error("invalid number")
        self.pos = end
        raw = m.group()
        try:
            return int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError as exc:  # Python refuses int() of thousands of digits
            raise self.error("number is too long") from exc


def _flatten(shape: _Shape | None) -> dict[KeyPath, int]:
    out: dict[KeyPath, int] = {}
    stack: list[tuple[KeyPath, _Shape]] = [((), shape)] if shape else []
    while stack:
        prefix, node = stack.pop()
        for key, (line, child) in node.items():
            out[prefix + (key,)] = line
            if child:
                stack.append((prefix + (key,), child))
    return out


def parse_with_lines(text: str, *, allow_empty: bool = False,
                     max_depth: int = MAX_DEPTH) -> tuple[object, dict[KeyPath, int]]:
    """Parse JSONC. Returns (value, lines): `lines` maps a key path such as
    ("go.toolsEnvVars", "GOFLAGS") to the line of that key (list items by index, to the line of
    the item). A duplicate key keeps the last value, as VS Code does.

    An empty document (nothing but whitespace and comments) is an error unless `allow_empty`,
    then it gives (None, {}).
    """
    p = _Parser(text, max_depth)
    p.skip()
    if p.pos >= len(text):
        if allow_empty:
            return None, {}
        raise p.error("the file is empty: a JSON value is expected")
    value, shape = p.value(0)
    p.skip()
    if p.pos < len(text):
        raise p.error(f"unexpected {p.describe(p.pos)} after the end of the JSON value")
    return value, _flatten(shape)


def parse(text: str, *, allow_empty: bool = False) -> object:
    return parse_with_lines(text, allow_empty=allow_empty)[0]
