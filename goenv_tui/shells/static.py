"""Static reading of startup files: statements, their line spans, and watched assignments.

Used only to explain what never ran (dormant files and branches) and to map a traced line
back to the first line of its statement. The real shell's trace is the truth for what ran.
The lexer is deliberately forgiving: garbage in gives fewer statements, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goenv_tui.model import Op

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
GO_NAME_RE = re.compile(r"\b(C?GO[A-Z0-9_]*)\b")
# Characters no branch of the lexer below treats specially, in a word (_PLAIN) and inside
# $( … ) / ${ … } (_PLAIN_NESTED).
_PLAIN = re.compile(r"[^\n\\'\"#$(){} \t;&|<]+")
_PLAIN_NESTED = re.compile(r"[^\n\\'\"$(){}]+")
_HEREDOC_RE = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_DECLARERS = {"export", "declare", "typeset", "local", "readonly", "integer", "set"}
_CONTROL_WORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "(", "time", "command", "builtin"}


@dataclass(frozen=True)
class Statement:
    """A logical line: from `start` to `end` (1-based, inclusive), split into simple commands."""

    start: int
    end: int
    commands: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class StaticAssignment:
    var: str
    op: Op
    value: str | None
    line: int
    end: int


def _split_statements(text: str) -> list[tuple[int, int, list[list[str]]]]:
    """Tokenise shell text into logical lines of simple commands (lists of raw words)."""
    out: list[tuple[int, int, list[list[str]]]] = []
    i, n = 0, len(text)
    line = 1
    start_line = 1
    commands: list[list[str]] = []
    words: list[str] = []
    word: list[str] = []
    heredocs: list[tuple[str, bool]] = []
    depth = 0  # nesting of $( … ), ( … ) and { … } inside one word

    def end_word() -> None:
        if word:
            words.append("".join(word))
            word.clear()

    def end_command() -> None:
        end_word()
        if words:
            commands.append(list(words))
            words.clear()

    def end_statement(at_line: int) -> None:
        nonlocal start_line
        end_command()
        if commands:
            out.append((start_line, at_line, list(commands)))
            commands.clear()
        start_line = at_line + 1

    while i < n:
        c = text[i]
        if c == "\n":
            if depth > 0:
                word.append(c)
                line += 1
                i += 1
                continue
            end_statement(line)
            line += 1
            i += 1
            if heredocs:
                # Skip heredoc bodies up to their terminators.
                for tag, strip in heredocs:
                    while i < n:
                        j = text.find("\n", i)
                        j = n if j < 0 else j
                        body_line = text[i:j]
                        i = j + 1
                        line += 1
                        if (body_line.lstrip("\t") if strip else body_line) == tag:
                            break
                heredocs.clear()
                start_line = line
            continue
        if c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":
                line += 1
                i += 2
                continue
            word.append(text[i : i + 2])
            i += 2
            continue
        if c == "'" :
            j = text.find("'", i + 1)
            j = n - 1 if j < 0 else j
            chunk = text[i : j + 1]
            line += chunk.count("\n")
            word.append(chunk)
            i = j + 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                j += 1
            chunk = text[i : j + 1]
            line += chunk.count("\n")
            word.append(chunk)
            i = j + 1
            continue
        if c == "#" and not word and depth == 0:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "$" and i + 1 < n and text[i + 1] in "({":
            depth += 1
            word.append(text[i : i + 2])
            i += 2
            continue
        if depth > 0:
            if c in "({":
                depth += 1
            elif c in ")}":
                depth -= 1
            # A run of characters none of the branches above treats specially, at once.
            m = _PLAIN_NESTED.match(text, i + 1) if depth > 0 else None
            end = m.end() if m else i + 1
            word.append(text[i:end])
            i = end
            continue
        if c == "(" and word and word[-1].endswith("="):
            # zsh/bash array assignment: NAME=( … ) stays one word.
            j = text.find(")", i)
            j = n - 1 if j < 0 else j
            chunk = text[i : j + 1]
            line += chunk.count("\n")
            word.append(chunk)
            i = j + 1
            continue
        if c in " \t":
            end_word()
            i += 1
            continue
        if c in ";&|":
            end_command()
            i += 1
            continue
        if c == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
            m = _HEREDOC_RE.match(text, i)
            if m:
                heredocs.append((m.group(2), text.startswith("<<-", i)))
                end_word()
                i = m.end()
                continue
        if c in "{}" and not word and (i + 1 >= n or text[i + 1] in " \t\n;"):
            # Brace groups and function bodies: kept as one-word commands so blocks can be found.
            end_command()
            commands.append([c])
            i += 1
            continue
        if c in "()" and not word:
            end_command()
            i += 1
            continue
        # An ordinary character, and the run of ordinary ones after it, at once: a word's
        # characters one by one were most of the time spent reading a startup file.
        m = _PLAIN.match(text, i + 1)
        end = m.end() if m else i + 1
        word.append(text[i:end])
        i = end
    end_statement(line)
    return out


def statements(text: str) -> list[Statement]:
    try:
        raw = _split_statements(text)
    except (IndexError, ValueError):  # pragma: no cover - the lexer is total; belt and braces
        return []
    return [Statement(s, e, tuple(tuple(c) for c in cmds)) for s, e, cmds in raw]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _classify(var: str, raw: str, append: bool) -> Op:
    if append:
        return Op.APPEND
    value = _unquote(raw)
    if var in ("PATH", "MANPATH", "path", "manpath"):
        ref = r"\$\{?" + var.upper() + r"\}?|\$\{?" + var.lower() + r"\[@\]\}?|\$" + var.lower()
        if re.match(rf"^\(?.*(?:{ref})\s*\)?$", value) and not re.match(rf"^\(?\s*(?:{ref})", value):
            return Op.PREPEND
        if re.match(rf"^\(?\s*(?:{ref})", value):
            return Op.APPEND
    return Op.SET


def assignments_in(stmt: Statement, watched: set[str] | None = None) -> list[StaticAssignment]:
    """Assignments to watched variables in one statement (any variable if watched is None)."""
    found: list[StaticAssignment] = []

    def want(name: str) -> bool:
        if name in ("path", "manpath"):
            name = name.upper()
        return watched is None or name in watched or name.startswith("GO")

    for words in stmt.commands:
        idx = 0
        while idx < len(words) and words[idx] in _CONTROL_WORDS:
            idx += 1
        if idx >= len(words):
            continue
        head = words[idx]
        if head == "unset":
            for w in words[idx + 1 :]:
                if w.startswith("-"):
                    continue
                if NAME_RE.fullmatch(w) and want(w):
                    found.append(StaticAssignment(w, Op.UNSET, None, stmt.start, stmt.end))
            continue
        if head in _DECLARERS:
            exporting = head == "export" or any(w.startswith("-") and "x" in w for w in words[idx + 1 :])
            if head in ("local", "set"):
                continue
            for w in words[idx + 1 :]:
                if w.startswith("-"):
                    continue
                m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)", w, re.S)
                if m and want(m.group(1)):
                    name = m.group(1).upper() if m.group(1) in ("path", "manpath") else m.group(1)
                    op = _classify(m.group(1), m.group(3), m.group(2) == "+=")
                    if op is Op.SET and exporting:
                        op = Op.EXPORT
                    found.append(StaticAssignment(name, op, _unquote(m.group(3)), stmt.start, stmt.end))
                elif NAME_RE.fullmatch(w) and exporting and want(w):
                    found.append(StaticAssignment(w, Op.EXPORT, None, stmt.start, stmt.end))
            continue
        # Plain assignments: only when the command is nothing but assignments.
        plain: list[re.Match[str]] = []
        for w in words[idx:]:
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)", w, re.S)
            if not m:
                plain = []
                break
            plain.append(m)
        for m in plain:
            if want(m.group(1)):
                name = m.group(1).upper() if m.group(1) in ("path", "manpath") else m.group(1)
                op = _classify(m.group(1), m.group(3), m.group(2) == "+=")
                found.append(StaticAssignment(name, op, _unquote(m.group(3)), stmt.start, stmt.end))
    return found


_OPENERS = {"if", "case", "for", "while", "until", "select", "{"}
_CLOSERS = {"fi", "esac", "done", "}"}


def depths(stmts: list[Statement]) -> list[int]:
    """Nesting depth (if/case/loops/braces) at the start of each statement."""
    out = []
    depth = 0
    for st in stmts:
        out.append(depth)
        for words in st.commands:
            head = words[0] if words else ""
            if head in _OPENERS or (len(words) > 1 and words[-1] == "{"):
                depth += 1
            elif head in _CLOSERS:
                depth = max(0, depth - 1)
            if head in ("if", "case", "for", "while", "until", "select") and (
                    words[-1] in ("fi", "esac", "done") or any(w in ("fi", "esac", "done") for w in words[1:])):
                depth = max(0, depth - 1)
    return out


def toplevel_start(text: str, line: int) -> int:
    """The first line of the top-level command (a whole `case … esac`, `if … fi`, function body)
    that contains `line`: where to insert something that must run before it."""
    stmts = statements(text)
    ds = depths(stmts)
    best = line
    for st, d in zip(stmts, ds, strict=True):
        if st.start > line:
            break
        if d == 0:
            best = st.start
    return best


@dataclass
class FileIndex:
    """Per-file static facts: statement spans and watched assignments."""

    statements: list[Statement]
    assignments: list[StaticAssignment]
    _start_of: dict[int, int]

    def statement_start(self, line: int) -> int:
        """The first line of the statement that physical `line` belongs to."""
        return self._start_of.get(line, line)


def index_text(text: str, watched: set[str] | None = None) -> FileIndex:
    stmts = statements(text)
    start_of: dict[int, int] = {}
    found: list[StaticAssignment] = []
    for s in stmts:
        for ln in range(s.start, s.end + 1):
            start_of.setdefault(ln, s.start)
        found.extend(assignments_in(s, watched))
    return FileIndex(stmts, found, start_of)


def go_names(text: str) -> set[str]:
    """Every GO*/CGO_* identifier a file mentions (to widen the watch list before tracing)."""
    return {m for m in GO_NAME_RE.findall(text) if m.isupper() and (m.startswith("GO") and len(m) > 2 or m.startswith("CGO_"))}
