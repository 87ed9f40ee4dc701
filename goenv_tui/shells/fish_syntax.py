"""Static reading of fish files: just enough of fish's grammar to list each file's commands and
blocks with their lines (to align fish_trace's line-less output with the file), and the
`SETUVAR` lines of a fish_variables file.

Forgiving like shells/static.py: garbage in gives fewer units, never an exception.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Unit:
    """One thing fish_trace prints: a simple command or a block keyword, where it is in the file."""

    line: int
    level: int  # nesting (blocks, command substitutions) inside its scope
    kind: str  # cmd | if | elseif | else | while | for | switch | case | begin | end | function
    words: tuple[str | None, ...]  # literal words (None: expanded at run time); words[0] the command
    scope: int  # index of the `function` unit whose body this is; -1 for the file's top level
    end: int = -1  # for block openers: index of the matching `end`


@dataclass
class FishIndex:
    units: list[Unit]
    functions: dict[str, int]  # name -> index of its `function` unit (the last definition)
    scopes: dict[int, list[int]] = field(default_factory=dict)  # scope -> unit indexes in order
    pos: dict[int, int] = field(default_factory=dict)  # unit index -> position in its scope's list

    def function_at(self, line: int) -> str | None:
        """The innermost function whose body holds `line`."""
        best: tuple[int, str] | None = None
        for name, idx in self.functions.items():
            u = self.units[idx]
            end_line = self.units[u.end].line if u.end >= 0 else 10**9
            if u.line < line <= end_line and (best is None or u.line > best[0]):
                best = (u.line, name)
        return best[1] if best else None


_DECORATORS = {"and", "or", "not", "!", "command", "builtin", "time"}
_REDIR_RE = re.compile(r"^(?:\d*(?:>>|>\?|>\||>|<\?|<)|&>>|&>)(.*)$", re.S)
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?=")


@dataclass
class _Word:
    value: str | None  # None: expanded at run time
    line: int
    quoted: bool
    inner: list[Unit]  # units of its command substitutions
    raw: str = ""


class _Lexer:
    """Just enough of fish's grammar to find commands, their first words and their lines."""

    def __init__(self, text: str, line: int, level: Callable[[], int], scope: Callable[[], int]) -> None:
        self.text = text
        self.pos = 0
        self.line = line
        self.level = level
        self.scope = scope

    def _skip_blanks(self) -> None:
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c in " \t\r":
                self.pos += 1
            elif c == "\\" and t.startswith("\n", self.pos + 1):
                self.pos += 2
                self.line += 1
            else:
                break

    def token(self) -> tuple[str, _Word | None]:
        """("word", w) | ("sep", None) (newline, `;`, `&`) | ("pipe", None) (`|`, `&&`, `||`) | ("eof", None)."""
        self._skip_blanks()
        t = self.text
        if self.pos >= len(t):
            return "eof", None
        c = t[self.pos]
        if c == "\n":
            self.pos += 1
            self.line += 1
            return "sep", None
        if c == ";":
            self.pos += 1
            return "sep", None
        if c == "#":
            nl = t.find("\n", self.pos)
            self.pos = len(t) if nl < 0 else nl
            return self.token()
        if c == "|":
            self.pos += 2 if t.startswith("||", self.pos) else 1
            return "pipe", None
        if c == "&":
            if t.startswith("&&", self.pos) or t.startswith("&|", self.pos):
                self.pos += 2
                return "pipe", None
            if not t.startswith("&>", self.pos):
                self.pos += 1
                return "sep", None
        if c == ")":
            self.pos += 1
            return self.token()
        return "word", self._word()

    def _word(self) -> _Word:
        t = self.text
        start_line = self.line
        start = self.pos
        chars: list[str] = []
        literal = True
        quoted = False
        inner: list[Unit] = []
        first = True
        while self.pos < len(t):
            c = t[self.pos]
            if c in " \t\r\n;|":
                break
            if c == "&" and not (first and t.startswith("&>", self.pos)):
                break
            if c == ")":
                break
            first = False
            if c == "\\":
                nxt = t[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.pos += 2
                    self.line += 1
                    continue
                if nxt and (nxt.isalnum()):
                    literal = False  # \n, \t, \x41, \u…: not worth decoding
                chars.append(nxt)
                self.pos += 2
                continue
            if c == "'":
                quoted = True
                self.pos += 1
                while self.pos < len(t) and t[self.pos] != "'":
                    if t[self.pos] == "\\" and t[self.pos + 1 : self.pos + 2] in ("\\", "'"):
                        chars.append(t[self.pos + 1])
                        self.pos += 2
                        continue
                    if t[self.pos] == "\n":
                        self.line += 1
                    chars.append(t[self.pos])
                    self.pos += 1
                self.pos += 1
                continue
            if c == '"':
                quoted = True
                self.pos += 1
                while self.pos < len(t) and t[self.pos] != '"':
                    ch = t[self.pos]
                    if ch == "\\" and self.pos + 1 < len(t):
                        nxt = t[self.pos + 1]
                        if nxt == "\n":
                            self.line += 1
                            self.pos += 2
                            continue
                        if nxt in '\\"$':
                            chars.append(nxt)
                            self.pos += 2
                            continue
                    if ch == "$":
                        literal = False
                        if t.startswith("$(", self.pos):
                            self.pos += 1
                            inner += self._subst()
                            continue
                    if ch == "\n":
                        self.line += 1
                    chars.append(ch)
                    self.pos += 1
                self.pos += 1
                continue
            if c == "$":
                literal = False
                if t.startswith("$(", self.pos):
                    self.pos += 1
                    inner += self._subst()
                    continue
            elif c == "(":
                literal = False
                inner += self._subst()
                continue
            elif c in "*?{}" or (c == "~" and not chars):
                literal = False
            chars.append(c)
            self.pos += 1
        return _Word("".join(chars) if literal else None, start_line, quoted, inner, t[start : self.pos])

    def _subst(self) -> list[Unit]:
        """`(…)` at self.pos: parse its body one level deeper; leave pos after the `)`."""
        t = self.text
        start = self.pos + 1
        depth = 0
        i = self.pos
        while i < len(t):
            c = t[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                j = i + 1
                while j < len(t) and t[j] != "'":
                    j += 2 if t[j] == "\\" else 1
                i = j + 1
                continue
            if c == '"':
                j = i + 1
                while j < len(t) and t[j] != '"':
                    j += 2 if t[j] == "\\" else 1
                i = j + 1
                continue
            if c == "#" and (i == start or t[i - 1] in " \t\n;("):
                nl = t.find("\n", i)
                i = len(t) if nl < 0 else nl
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        body = t[start:i]
        line = self.line
        self.pos = min(i + 1, len(t))
        self.line += body.count("\n")
        units: list[Unit] = []
        _parse_into(body, line, self.level() + 1, self.scope(), units)
        return units


def _parse_into(text: str, line: int, base_level: int, outer_scope: int, units: list[Unit],
                functions: dict[str, int] | None = None) -> None:
    """Append the units of `text` to `units` (command substitutions before their command)."""
    blocks: list[tuple[str, int, int]] = []  # (kind, unit index, body level)

    def level() -> int:
        return blocks[-1][2] if blocks else base_level

    def scope() -> int:
        for kind, idx, _ in reversed(blocks):
            if kind == "function":
                return idx
        return outer_scope

    def add(kind: str, ln: int, lvl: int, words: tuple[str | None, ...] = ()) -> int:
        units.append(Unit(ln, lvl, kind, words, scope()))
        return len(units) - 1

    def strip(words: list[_Word]) -> list[_Word]:
        i = 0
        while i < len(words):
            w = words[i]
            if w.value is not None and not w.quoted and (w.value in _DECORATORS):
                units.extend(w.inner)
                i += 1
                continue
            if i + 1 < len(words) and _ASSIGN_RE.match(w.raw):  # `VAR=value command`
                units.extend(w.inner)
                i += 1
                continue
            break
        return words[i:]

    def args(words: list[_Word]) -> tuple[str | None, ...]:
        out: list[str | None] = []
        skip = False
        for w in words:
            units.extend(w.inner)
            if skip:
                skip = False
                continue
            if w.value is not None and not w.quoted:
                m = _REDIR_RE.match(w.value)
                if m and w.value[:1] in "0123456789<>&":
                    skip = m.group(1) == ""
                    continue
            out.append(w.value)
        return tuple(out)

    def command(words: list[_Word], lvl: int | None = None) -> None:
        words = strip(words)
        if not words:
            return
        head = words[0].value if not words[0].quoted else None
        ln = words[0].line
        cur = level() if lvl is None else lvl
        if head in ("if", "while"):
            idx = add(head, ln, cur, (head,))
            blocks.append((head, idx, cur + 1))
            command(words[1:], cur)
            return
        if head == "else":
            olvl = units[blocks[-1][1]].level if blocks else cur
            if len(words) > 1 and words[1].value == "if":
                add("elseif", ln, olvl, ("else", "if"))
                command(words[2:], olvl)
            else:
                add("else", ln, olvl, ("else",))
            return
        if head in ("for", "switch"):
            for w in words[1:]:
                units.extend(w.inner)
            idx = add(head, ln, cur, (head,))
            blocks.append((head, idx, cur + 1))
            return
        if head == "case":
            add("case", ln, cur, ("case",))
            return
        if head == "begin":
            idx = add("begin", ln, cur, ("begin",))
            blocks.append(("begin", idx, cur + 1))
            command(words[1:])
            return
        if head == "function":
            name = words[1].value if len(words) > 1 else None
            for w in words[1:]:
                units.extend(w.inner)
            idx = add("function", ln, cur, ("function", name))
            if name and functions is not None:
                functions[name] = idx
            blocks.append(("function", idx, 0))
            return
        if head == "end":
            if blocks:
                kind, idx, _ = blocks.pop()
                first = units[idx]
                units.append(Unit(ln, first.level, "end", ("end", kind), first.scope))
                first.end = len(units) - 1
            else:
                add("end", ln, cur, ("end",))
            for w in words[1:]:
                units.extend(w.inner)
            return
        a = args(words)
        units.append(Unit(ln, cur, "cmd", a, scope()))

    lx = _Lexer(text, line, level, scope)
    words: list[_Word] = []
    while True:
        kind, w = lx.token()
        if kind == "word":
            assert w is not None
            words.append(w)
            continue
        if words:
            command(words)
            words = []
        if kind == "eof":
            break


@functools.lru_cache(maxsize=256)
def index_text(text: str) -> FishIndex:
    units: list[Unit] = []
    functions: dict[str, int] = {}
    _parse_into(text, 1, 0, -1, units, functions)
    scopes: dict[int, list[int]] = {}
    pos: dict[int, int] = {}
    for i, u in enumerate(units):
        lst = scopes.setdefault(u.scope, [])
        pos[i] = len(lst)
        lst.append(i)
    return FishIndex(units, functions, scopes, pos)


_SETUVAR_RE = re.compile(r"^SETUVAR\s+(?:--\S+\s+)*([A-Za-z_][A-Za-z0-9_]*):")


def universal_lines(text: str | None) -> dict[str, tuple[int, str]]:
    """Line (and text) of each `SETUVAR NAME:…` in a fish_variables file."""
    out: dict[str, tuple[int, str]] = {}
    for i, line in enumerate((text or "").splitlines(), start=1):
        m = _SETUVAR_RE.match(line)
        if m:
            out[m.group(1)] = (i, line)
    return out
