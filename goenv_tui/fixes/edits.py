"""Text edits of startup files that understand their structure.

A statement is commented out or moved whole (a multi-line `export PATH="…\\n…"`, a whole
top-level `if … fi` or loop), never half of a compound command; a line that does several things
(`export GOPATH=…; export GOROOT=…; export PATH=…`) is not edited at all; a line whose value later
lines use, or that uses values set by lines that stay behind, is not moved or disabled. When an
edit cannot be made whole, EditRefused says why, and the builder offers no fix rather than a
wrong one. Every line goenv-tui adds or disables carries a recognisable marker, as rustup does,
so a person reading the file later knows where it came from.

Texts are decoded with surrogateescape and split on "\\n" only (plan.lines_of), so the line
numbers are the shell's and every byte of the untouched lines comes back as it was.
"""

from __future__ import annotations

import re

from goenv_tui.fixes.plan import lines_of
from goenv_tui.shells.static import Statement, assignments_in, depths, statements, toplevel_start

MARK = "goenv-tui"

_REF_RE = re.compile(r"\$\{?#?([A-Za-z_][A-Za-z0-9_]*)")
# Commands a statement may hold besides assignments and still be "about" those assignments.
_HARMLESS = {"[", "[[", "test", "true", ":", "then", "do", "done", "fi", "else", "elif", "esac", "if", "!",
             "export", "typeset", "declare", "readonly", "unset", "case", "for", "in", "while", "until", ";;"}
_RUNS_OTHERS = {".", "source", "eval", "exec", "emulate", "setopt", "set"}


class EditRefused(Exception):
    """The edit cannot be made without changing more than it should; the message says why."""


def _lines(text: str) -> list[str]:
    return lines_of(text)


def _join(lines: list[str]) -> str:
    return "".join(lines)


def _one_line(reason: str) -> str:
    """A reason written into a comment: a newline in a path must not end the comment."""
    return " ".join(reason.split())


def span(text: str, line: int) -> tuple[int, int]:
    """The (start, end) lines (1-based, inclusive) of the statement that covers `line`."""
    for s in statements(text):
        if s.start <= line <= s.end:
            return s.start, s.end
    return line, line


def _statement(text: str, line: int) -> tuple[Statement | None, int, list[Statement], list[int]]:
    stmts = statements(text)
    ds = depths(stmts)
    for st, d in zip(stmts, ds, strict=True):
        if st.start <= line <= st.end:
            return st, d, stmts, ds
    return None, 0, stmts, ds


def _balanced(st: Statement) -> bool:
    """Whether a statement that opens a compound also closes it (a one-line `if …; fi`)."""
    opened = 0
    for words in st.commands:
        head = words[0] if words else ""
        if head in ("if", "case", "for", "while", "until", "select") or (head == "{" and len(words) == 1):
            opened += 1
        if head in ("fi", "esac", "done", "}") or (words and words[-1] in ("fi", "esac", "done")):
            opened -= 1
    return opened <= 0


def _assigned(st: Statement) -> set[str]:
    return {a.var for a in assignments_in(st, None)}


def _heads(st: Statement) -> list[str]:
    out = []
    for words in st.commands:
        idx = 0
        while idx < len(words) and words[idx] in ("then", "do", "else", "!", "{", "time", "command", "builtin"):
            idx += 1
        if idx < len(words):
            out.append(words[idx])
    return out


def _does_several_things(st: Statement, allowed: set[str]) -> str | None:
    """Why commenting or moving this statement would change more than `allowed` (None: it
    would not)."""
    others = sorted(_assigned(st) - allowed)
    if others:
        return f"it also sets {', '.join(others)}"
    runs = [h for h in _heads(st) if h in _RUNS_OTHERS]
    if runs and len(st.commands) > 1:
        return f"it also runs `{runs[0]}`"
    return None


def _body_uses(stmts: list[Statement], after: int, var: str) -> Statement | None:
    for st in stmts:
        if st.start <= after:
            continue
        refs = {m.group(1) for words in st.commands for w in words for m in _REF_RE.finditer(w)}
        if var in refs:
            return st
    return None


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def comment_out(text: str, line: int, reason: str, today: str, var: str | None = None, fish: bool = False,
                name: str = "the file", dead_value: bool = False) -> str:
    """Disable the statement at `line`, with a comment saying why and when.

    Refused (EditRefused) when the statement does more than set `var`, when it opens a compound
    it does not close, or when a later line uses `$var` (unless the value is `dead_value`: a
    directory that does not exist, so those lines are broken already). Inside a compound (an `if` body, a loop, a
    function) a `:` takes its place, so the body is never left empty (a syntax error in bash/zsh).
    """
    lines = _ensure_newline(_lines(text))
    st, depth, stmts, _ = _statement(text, line)
    if st is None:
        return text
    start, end = st.start, st.end
    if all(ln.lstrip().startswith("#") for ln in lines[start - 1:end]):
        return text  # already disabled: applying twice changes nothing
    if not _balanced(st):
        raise EditRefused(f"{name}:{start} opens a block (`{_heads(st)[0]} …`) that goes on below; "
                          "disabling only its first line would break the file")
    if var is not None:
        why = _does_several_things(st, {var, var.upper()})
        if why:
            raise EditRefused(f"{name}:{start} does several things ({why}); disabling it would lose those too")
        # A value that names nothing (a GOROOT that does not exist) leaves the lines that use it
        # broken already; disabling it is then left to the trial to judge.
        if var.upper() != "PATH" and not dead_value:
            user = _body_uses(stmts, end, var)
            if user is not None:
                raise EditRefused(f"{name}:{user.start} uses ${var}, which {name}:{start} sets; "
                                  "disabling the line would change that line's value too")
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip())]
    body = [f"{indent}# {ln.lstrip()}" if ln.strip() else ln for ln in lines[start - 1:end]]
    note = f"{indent}# {MARK} {today}: disabled — {_one_line(reason)}\n"
    keep = [f"{indent}:\n"] if depth > 0 and not fish else []
    return _join(lines[: start - 1] + [note] + body + keep + lines[end:])


def insert_before(text: str, line: int | None, new: list[str], reason: str, today: str) -> str:
    """Insert `new` lines before the statement at `line` (at the end when None)."""
    block = [f"# {MARK} {today}: {_one_line(reason)}\n"] + [ln if ln.endswith("\n") else ln + "\n" for ln in new]
    lines = _ensure_newline(_lines(text))
    if any(b in lines for b in block[1:]) and all(b in lines for b in block[1:]):
        return text  # already there
    if line is None:
        sep = [] if not lines or lines[-1].strip() == "" else ["\n"]
        return _join(lines + sep + block)
    start = toplevel_start(text, line)
    return _join(lines[: start - 1] + block + lines[start - 1:])


def toplevel_span(text: str, line: int) -> tuple[int, int]:
    """The whole top-level command that contains `line` (a whole `for … done`, `if … fi`)."""
    stmts = statements(text)
    ds = depths(stmts)
    start = toplevel_start(text, line)
    end = line
    for st, d in zip(stmts, ds, strict=True):
        if st.start <= line:
            if st.start >= start:
                end = max(end, st.end)
            continue
        if d == 0:
            break
        end = max(end, st.end)
    return start, end


def _block(stmts: list[Statement], start: int, end: int) -> list[Statement]:
    return [s for s in stmts if s.start >= start and s.end <= end]


def _block_only_sets(block: list[Statement], name: str, start: int) -> None:
    """A compound is moved only if all it does is test and set variables (a whole `if [ -d ~/go ];
    then export PATH=…; fi`), never if it also runs other things."""
    for st in block:
        for words in st.commands:
            idx = 0
            while idx < len(words) and words[idx] in ("then", "do", "else", "elif", "!", "{", "}", "if", "while"):
                idx += 1
            if idx >= len(words):
                continue
            head = words[idx]
            if head in _HARMLESS or re.match(r"[A-Za-z_][A-Za-z0-9_]*\+?=", head) or head in ("}", "{"):
                continue
            raise EditRefused(f"{name}:{st.start} is in a block (from line {start}) that also runs `{head}`; "
                              "moving the whole block would run that for more shells")


def remove_statements(text: str, line_numbers: list[int], whole: bool = False, name: str = "the file",
                      allowed: set[str] | None = None) -> tuple[str, list[str]]:
    """Remove the statements at these lines; return the new text and the removed lines.

    With `whole`, a line inside a compound takes the whole top-level compound with it (so a
    loop's body keeps its loop variable), and the block must do nothing but set variables."""
    lines = _ensure_newline(_lines(text))
    stmts = statements(text)
    spans: set[tuple[int, int]] = set()
    for n in line_numbers:
        st, depth, _, _ = _statement(text, n)
        if st is None:
            continue
        if depth > 0 or not _balanced(st):
            if not whole:
                raise EditRefused(f"{name}:{n} is inside a block (`if`, a loop, a function); "
                                  "moving it out alone would change what it means")
            s, e = toplevel_span(text, n)
            _block_only_sets(_block(stmts, s, e), name, s)
            spans.add((s, e))
        else:
            if allowed is not None:
                why = _does_several_things(st, allowed)
                if why:
                    raise EditRefused(f"{name}:{st.start} does several things ({why}); moving it would move those too")
            spans.add((st.start, st.end))
    removed: list[list[str]] = []
    for start, end in sorted(spans, reverse=True):
        removed.insert(0, lines[start - 1:end])
        del lines[start - 1:end]
    return _join(lines), [ln for block in removed for ln in block]


def needs_from(moved: list[str], rest: str) -> str | None:
    """A variable the moved lines use that `rest` (the file they leave, read after their new
    place) sets: moved earlier, they would read it unset."""
    used = _refs(statements("".join(moved))) - {"PATH", "path", "HOME"}
    set_there = {v for st in statements(rest) for v in _assigned(st)}
    both = sorted(used & set_there)
    return both[0] if both else None


def _refs(stmts: list[Statement]) -> set[str]:
    return {m.group(1) for st in stmts for words in st.commands for w in words for m in _REF_RE.finditer(w)}


def move_above(text: str, line_numbers: list[int], target: int, reason: str, today: str,
               name: str = "the file") -> str:
    """Move the statements at `line_numbers` (all after `target`) to just before the top-level
    command that contains `target` (the whole `case … esac` of a guard, not inside it).

    A line inside a loop or an `if` moves with its whole block; refused when a moved line uses a
    variable that a line staying between the guard and it sets (it would read it unset)."""
    t_start = toplevel_start(text, target)
    if all(n < t_start for n in line_numbers):
        return text
    todo = [n for n in line_numbers if n > t_start]
    stmts = statements(text)
    spans = set()
    for n in todo:
        st, depth, _, _ = _statement(text, n)
        if st is None:
            continue
        spans.add(toplevel_span(text, n) if depth > 0 or not _balanced(st) else (st.start, st.end))
    moved_stmts = [s for a, b in spans for s in _block(stmts, a, b)]
    last = max(b for _, b in spans) if spans else t_start
    staying = [s for s in stmts if s.start > t_start and s.end <= last and not any(a <= s.start <= b for a, b in spans)]
    set_by_staying = {v for s in staying for v in _assigned(s)}
    needed = (_refs(moved_stmts) & set_by_staying) - {"PATH", "path"}
    if needed:
        who = next(s for s in staying if _assigned(s) & needed)
        raise EditRefused(f"the moved lines use ${sorted(needed)[0]}, which {name}:{who.start} sets below the early "
                          "return; moved alone they would read it unset")
    rest, moved = remove_statements(text, todo, whole=True, name=name)
    moved = [ln.lstrip() if ln.startswith((" ", "\t")) and _flat(moved) else ln for ln in moved]
    return insert_before(rest, t_start, moved, reason, today)


def _flat(moved: list[str]) -> bool:
    """Whether the moved lines are single statements (their indent can go), not a block."""
    return len(statements("".join(moved))) == len([ln for ln in moved if ln.strip()]) and not any(
        ln.strip().startswith(("if ", "for ", "while ", "case ")) for ln in moved)


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


# --- quoting: every value a fix writes is data, never code ----------------------------------------

def sh_quote(value: str) -> str:
    """A word bash and zsh read back as exactly `value`: single quotes, `'` as '\\''."""
    return "'" + value.replace("'", "'\\''") + "'"


def fish_quote(value: str) -> str:
    """fish single quotes: only \\\\ and \\' are special inside them."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def home_word(directory: str, home: str, fish: bool = False) -> str:
    """`directory` as a quoted shell word, spelt from $HOME when under the home (so the line
    survives a moved home): "$HOME"'/go/bin' — the variable expanded, the rest literal."""
    q = fish_quote if fish else sh_quote
    h = home.rstrip("/")
    if directory == h or directory.startswith(h + "/"):
        rest = directory[len(h):]
        return '"$HOME"' + (q(rest) if rest else "")
    return q(directory)


def add_path_line(directory: str, home: str, fish: bool = False) -> str:
    """A line that appends `directory` to PATH once, for the target shell, with the directory
    quoted as data (a `$(…)` or a quote in it is never run)."""
    w = home_word(directory, home, fish)
    if fish:
        return f"contains -- {w} $PATH; or set -gx PATH $PATH {w}"
    return f'case ":$PATH:" in *:{w}:*) ;; *) export PATH="$PATH:"{w} ;; esac'
