"""Reading fish's startup trace: fish_trace lines and the hook's records, folded into attributed
assignments and the files fish read (see shells/fish.py for how the trace is made).

fish_trace lines carry no file or line: each is placed by aligning it with the static reading of
its file (shells/fish_syntax.py), and corrected by every exact line an event record reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from goenv_tui.model import Assignment, Location, Op, SourcedFile
from goenv_tui.shells.fish_syntax import FishIndex, Unit, index_text, universal_lines
from goenv_tui.shells.trace import END_MARK, UNSET, Record, TraceResult, VarState, classify

_REC_RE = re.compile(r"\x1eGOENV\x1f(.*?)\x1d", re.S)
_TRACE_RE = re.compile(r"^(-*)> ?(.*)$")
_STREAM_RE = re.compile(r"/\.psub\.[^/]+(?:/|$)")


def _quoted(text: str, i: int, cur: list[str], escapable: str) -> int:
    """Append the quoted word starting at text[i] (a quote) to `cur`; return the index after it."""
    quote, n = text[i], len(text)
    j = i + 1
    while j < n and text[j] != quote:
        if text[j] == "\\" and j + 1 < n and text[j + 1] in escapable:
            cur.append(text[j + 1])
            j += 2
            continue
        cur.append(text[j])
        j += 1
    return j + 1


def _trace_words(text: str) -> list[str]:
    """Split a fish_trace line back into words (fish escapes each argument)."""
    out: list[str] = []
    cur: list[str] = []
    have = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == " ":
            if have:
                out.append("".join(cur))
                cur, have = [], False
            i += 1
            continue
        have = True
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            cur.append({"n": "\n", "t": "\t", "e": "\x1b", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        if c in "'\"":
            # fish: inside '…' only \\ and \' are escapes; inside "…" also \" and \$.
            i = _quoted(text, i, cur, "\\'" if c == "'" else '\\"$')
            continue
        cur.append(c)
        i += 1
    if have:
        out.append("".join(cur))
    return out


def _trace_kind(text: str) -> str:
    if text.startswith("end ") or text == "end":
        return "end"
    if text == "else if" or text.startswith("else if "):
        return "elseif"
    if text == "else":
        return "else"
    head = text.split(" ", 1)[0]
    if head in ("if", "while", "for", "switch", "begin", "function"):
        return head
    return "cmd"


@dataclass
class _Frame:
    kind: str  # top | source | function
    name: str  # path (source) or function name
    file: str | None  # the file whose units are aligned (None: unknown)
    open_depth: int
    call: Location | None  # where it was entered from (None: by fish itself)
    scope: int = -1
    library: bool = False  # fish's own code (data dir) or our hook
    hook: bool = False
    stream: bool = False  # `source (… | psub)`, `… | source`
    opener: str = ""  # the traced command that entered it
    blocks: list[list[int]] = field(default_factory=list)  # [level, opener idx, cursor idx]
    cursor: int = -1  # last matched unit index in this scope


@dataclass
class _Line:
    depth: int
    text: str
    frames: tuple[_Frame, ...]  # enclosing frames, outermost first
    loc: Location | None = None
    after: list[str] = field(default_factory=list)  # non-trace output that followed it


@dataclass
class FishTrace:
    result: TraceResult
    hooked: bool = False
    version: str = ""
    data_dir: str = ""
    stopped_at: Location | None = None


class _Reader:
    def __init__(self, watched: list[str], initial: dict[str, VarState], home: str,
                 text_of: Callable[[str], str | None], hook_dir: str, data_dir: str,
                 uvar_path: str) -> None:
        self.watched = list(watched)
        self.state = dict(initial)
        self.home = home.rstrip("/")
        self.text_of = text_of
        self.hook_dir = hook_dir.rstrip("/")
        self.data_dir = data_dir.rstrip("/")
        self.uvar_path = uvar_path
        self.uvars = universal_lines(text_of(uvar_path))
        self.result = TraceResult()
        self.top = _Frame("top", "", None, -2, None)
        self.stack: list[_Frame] = [self.top]
        self.functions: dict[str, tuple[str | None, int, bool]] = {}  # name -> (file, unit idx, hook)
        self.last: _Line | None = None
        self.hooked = False
        self.version = ""
        self.seen_files: set[str] = set()
        self.uvar_file_listed = False

    # files -------------------------------------------------------------------------------------
    def _index(self, path: str | None) -> FishIndex | None:
        if not path or _STREAM_RE.search(path) or not path.startswith("/"):
            return None
        text = self.text_of(path)
        if text is None:
            return None
        return index_text(text)

    def _expand(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            return self.home + path[1:]
        return path

    def _is_data(self, path: str | None) -> bool:
        return path is not None and bool(self.data_dir) and path.startswith(self.data_dir + "/")

    def _is_hook(self, path: str | None) -> bool:
        return path is not None and path.startswith(self.hook_dir + "/")

    def _add_file(self, path: str, sourced_from: Location | None) -> None:
        if not self.uvar_file_listed:
            self.uvar_file_listed = True
            if self.text_of(self.uvar_path) is not None:
                self.seen_files.add(self.uvar_path)
                self.result.files.append(SourcedFile(self.uvar_path, len(self.result.files) + 1, None))
        if path in self.seen_files:
            return
        self.seen_files.add(path)
        self.result.files.append(SourcedFile(path, len(self.result.files) + 1, sourced_from))

    # alignment ---------------------------------------------------------------------------------
    def _match(self, frame: _Frame, level: int, kind: str, words: list[str]) -> int | None:
        """The unit a traced line ran: the next one at its level that fits, in its block."""
        index = self._index(frame.file)
        if index is None:
            return None
        order = index.scopes.get(frame.scope, [])
        if not order:
            return None
        pos, units = index.pos, index.units

        def ok(u: Unit) -> bool:
            if u.level != level:
                return False
            if kind == "function":
                return u.kind == "function" and (len(words) < 2 or u.words[1] in (None, words[1]))
            if kind != "cmd":
                return u.kind == kind
            return u.kind == "cmd" and self._words_ok(u, words)

        block = next((b for b in reversed(frame.blocks) if b[0] < level), None)
        lo, hi, cursor, loop = 0, len(order), frame.cursor, True
        if block is not None:
            opener = units[block[1]]
            lo = pos.get(block[1], -1) + 1
            hi = pos.get(opener.end, len(order)) if opener.end >= 0 else len(order)
            cursor, loop = block[2], opener.kind in ("for", "while")
        start = max(pos[cursor] + 1 if cursor in pos else lo, lo)
        for i in range(start, hi):
            u = units[order[i]]
            if block is not None and u.level == units[block[1]].level and u.kind in ("else", "elseif"):
                break  # the end of this branch of the `if`
            if ok(u):
                return order[i]
        if loop:  # the next iteration of a loop (or, at a file's top level, a guess)
            for i in range(lo, min(start, hi)):
                if ok(units[order[i]]):
                    return order[i]
        return None

    def _advance(self, frame: _Frame, idx: int, level: int) -> None:
        block = next((b for b in reversed(frame.blocks) if b[0] < level), None)
        if block is not None:
            block[2] = idx
        else:
            frame.cursor = idx

    def _place(self, frame: _Frame, level: int, text: str) -> Location | None:
        """Find the line of a traced command in its frame's file; update the frame's cursors."""
        kind = _trace_kind(text)
        words = _trace_words(text) if kind in ("cmd", "function") else []
        # Close blocks this line is outside of.
        while frame.blocks and (frame.blocks[-1][0] > level or (
                frame.blocks[-1][0] == level and kind not in ("else", "elseif", "end", "cmd"))):
            frame.blocks.pop()
        if kind in ("else", "elseif", "end", "cmd") and frame.blocks and frame.blocks[-1][0] == level:
            top = frame.blocks[-1]
            idx = self._match_in_block(frame, top, kind, words)
            if idx is not None:
                if kind == "end":
                    frame.blocks.pop()
                    self._advance(frame, idx, level)
                else:
                    top[2] = idx
                return self._loc(frame, idx)
            frame.blocks.pop()
        idx = self._match(frame, level, kind, words)
        if idx is None:
            return None
        self._advance(frame, idx, level)
        if kind in ("if", "while", "for", "switch", "begin"):
            frame.blocks.append([level, idx, idx])
        return self._loc(frame, idx)

    def _match_in_block(self, frame: _Frame, block: list[int], kind: str, words: list[str]) -> int | None:
        """else/else if/end/condition of the block opened at the same level."""
        index = self._index(frame.file)
        if index is None:
            return None
        units = index.units
        opener = units[block[1]]
        order = index.scopes.get(frame.scope, [])
        pos = index.pos
        start = pos.get(block[2], pos.get(block[1], 0)) + 1
        stop = pos.get(opener.end, len(order)) + 1 if opener.end >= 0 else len(order)
        if kind == "cmd" and opener.kind == "while" and units[block[2]].level > opener.level:
            start = pos.get(block[1], 0) + 1  # the condition, evaluated again after the body
        for i in range(start, stop):
            u = units[order[i]]
            if u.level != opener.level:
                continue
            if kind == "cmd":
                if u.kind in ("else", "elseif", "end"):
                    return None
                if u.kind == "cmd" and self._words_ok(u, words):
                    return order[i]
                continue
            if u.kind == kind:
                return order[i]
        return None

    @staticmethod
    def _words_ok(u: Unit, words: list[str]) -> bool:
        for i, w in enumerate(u.words):
            if w is None:
                return True
            if i >= len(words) or words[i] != w:
                return False
        return True

    def _loc(self, frame: _Frame, idx: int) -> Location | None:
        index = self._index(frame.file)
        if index is None or frame.file is None:
            return None
        return Location(frame.file, index.units[idx].line)

    def _anchor(self, line: _Line, exact: Location) -> None:
        """An event named the exact line of the last traced command: move the cursor there."""
        line.loc = exact
        frame = line.frames[-1]
        index = self._index(frame.file)
        if index is None:
            return
        word = (_trace_words(line.text) or [""])[0]
        for i in index.scopes.get(frame.scope, []):
            u = index.units[i]
            if u.line == exact.line and u.kind == "cmd" and u.words[:1] in ((word,), (None,)):
                level = u.level
                while frame.blocks and frame.blocks[-1][0] >= level:
                    frame.blocks.pop()
                self._advance(frame, i, level)
                return

    # the stream ----------------------------------------------------------------------------------
    def feed(self, stderr: str) -> None:
        pos = 0
        for m in _REC_RE.finditer(stderr):
            self._lines(stderr[pos : m.start()])
            self._record(m.group(1))
            if self.result.finished:
                return
            pos = m.end()
        self._lines(stderr[pos:])

    def _lines(self, chunk: str) -> None:
        for raw in chunk.split("\n"):
            if self.result.finished:
                return
            m = _TRACE_RE.match(raw)
            if not m or (not m.group(1) and not raw.startswith("> ")):
                if raw.strip() and self.last is not None:
                    self.last.after.append(raw)
                continue
            self._trace_line(len(m.group(1)), m.group(2))

    def _trace_line(self, depth: int, text: str) -> None:
        while len(self.stack) > 1 and self.stack[-1].open_depth >= depth - 1:
            self.stack.pop()
        frame = self.stack[-1]
        line = _Line(depth, text, tuple(self.stack))
        if frame.hook:
            self._in_hook(frame, depth, text)
            return
        if frame is self.top and text.startswith(": " + END_MARK):
            self.result.finished = True
            self.last = line
            return
        level = depth - frame.open_depth - 2
        words = _trace_words(text)
        head = words[0] if words else ""
        autoload = head == "source" and len(words) == 2 and self._autoloaded(words[1])
        if not autoload and not frame.library:
            line.loc = self._place(frame, level, text)
        self.last = line
        if line.loc is not None and not frame.library:
            self.result.executed.add((line.loc.path, line.loc.line or 0))
        if head in (".", "source") and _trace_kind(text) == "cmd":
            self._open_source(frame, depth, words, line, autoload)
            return
        if head == "function" and len(words) > 1:
            self._define(frame, line, words[1])
            return
        if head == "return" and frame.kind == "source" and not frame.stream and line.loc:
            self.result.early_returns.append(line.loc)  # the rest of this file is skipped
        elif head == "exit":
            # During startup `exit` ends the startup file being read (fish still runs -c).
            site = self._in_file(line)
            if site is not None:
                self.result.early_returns.append(site)
        if head in self.functions and _trace_kind(text) == "cmd":
            file, idx, hook = self.functions[head]
            index = self._index(file)
            scope = idx if index is not None else -1
            library = hook or self._is_data(file) or file is None
            self.stack.append(_Frame("function", head, file, depth, line.loc, scope,
                                     library=library, hook=hook, opener=text))

    def _in_file(self, line: _Line) -> Location | None:
        """Where the innermost file being sourced is while `line` runs (a call site, or the line)."""
        here = line.loc
        for f in reversed(line.frames):
            if f.kind == "source" and not f.stream and not f.library:
                return here
            here = f.call
        return None

    def _in_hook(self, frame: _Frame, depth: int, text: str) -> None:
        words = _trace_words(text)
        if words[:1] == ["function"] and len(words) > 1 and frame.kind == "source":
            self.functions[words[1]] = (frame.file, -1, True)
            return
        if words[:1] == ["source"] and len(words) == 2:
            path = self._expand(words[1])
            self.stack.append(_Frame("source", path, path, depth, None, library=True,
                                     hook=self._is_hook(path)))
            return
        if words and words[0] in self.functions:
            file, idx, hook = self.functions[words[0]]
            self.stack.append(_Frame("function", words[0], file, depth, None, idx, library=True, hook=hook))

    def _autoloaded(self, path: str) -> bool:
        parent = path.rsplit("/", 2)
        return len(parent) == 3 and parent[1] in ("functions", "vendor_functions.d") and path.endswith(".fish")

    def _open_source(self, frame: _Frame, depth: int, words: list[str], line: _Line, autoload: bool) -> None:
        arg = words[1] if len(words) > 1 else ""
        stream = arg in ("", "-") or bool(_STREAM_RE.search(arg)) or arg.startswith(("/dev/fd/", "/proc/"))
        path = self._expand(arg) if arg not in ("", "-") else "-"
        if path != "-" and not path.startswith("/"):
            path = f"{self.home}/{path}"
        hook = self._is_hook(path)
        library = hook or (self._is_data(path) and (autoload or not self._is_startup_data(path)))
        new = _Frame("source", path, None if stream and path == "-" else path, depth,
                     line.loc if not frame.library else None, library=library, hook=hook, stream=stream,
                     opener=line.text)
        self.stack.append(new)
        if hook or (library and autoload):
            return
        if autoload and not self._is_data(path):
            self._add_file(path, None)
            return
        if library or stream:
            return  # a stream is not a file: its changes are credited to the `source` line
        if self.text_of(path) is None:
            return  # missing or unreadable: fish only complained
        site = line.loc
        if frame is self.top or self._is_share_config(frame.file):
            site = None  # fish's own startup: share/config.fish, conf.d, /etc and ~/.config config.fish
        self._add_file(path, site)

    def _is_startup_data(self, path: str) -> bool:
        rel = path[len(self.data_dir) + 1 :]
        return rel == "config.fish" or rel.startswith("vendor_conf.d/")

    def _define(self, frame: _Frame, line: _Line, name: str) -> None:
        idx = -1
        index = self._index(frame.file)
        if index is not None and line.loc is not None:
            for i in index.scopes.get(frame.scope, []):
                u = index.units[i]
                if u.kind == "function" and u.line == line.loc.line and u.words[1:2] in ((name,), (None,)):
                    idx = i
                    break
        if idx < 0 and index is not None and name in index.functions:
            idx = index.functions[name]
        self.functions[name] = (frame.file if idx >= 0 else None, idx, frame.hook)

    # records -------------------------------------------------------------------------------------
    def _record(self, body: str) -> None:
        parts = body.split("\x1f")
        kind = parts[0] if parts else ""
        if kind == "H" and len(parts) >= 3:
            self.hooked = True
            if not self.data_dir:
                self.data_dir = parts[1].rstrip("/")
            self.version = parts[2]
            return
        if kind == "R":
            where = _event_site(parts[1] if len(parts) > 1 else "", self._expand)
            if where is not None and self.last is not None and self._same_file(self.last, where):
                self._anchor(self.last, where)
            return
        if kind not in ("V", "I") or len(parts) < 7:
            return
        name = parts[1]
        is_set = parts[2] == "1"
        exported = parts[3] == "1"
        try:
            count = int(parts[4])
        except ValueError:
            count = 0
        elems = parts[5].split("\x1c")[:count] if count else []
        sep = ":" if name.endswith("PATH") else " "
        after = VarState(True, exported, sep.join(elems)) if is_set else UNSET
        if name not in self.watched:
            return
        if kind == "I":
            self._initial(name, after)
            return
        where = _event_site(parts[6], self._expand)
        self._change(name, after, where)

    def _same_file(self, line: _Line, where: Location) -> bool:
        frame = line.frames[-1] if line.frames else None
        return frame is not None and frame.file is not None and frame.file == where.path

    def _initial(self, name: str, after: VarState) -> None:
        before = self.state.get(name, UNSET)
        if before == after:
            return
        self.state[name] = after
        if name in self.uvars:
            ln, text = self.uvars[name]
            loc, via, cmd = Location(self.uvar_path, ln), "universal", text
        else:
            loc, via, cmd = Location(f"{self.data_dir}/config.fish" if self.data_dir else "fish", None), None, ""
        self._emit(name, before, after, loc, via, None, cmd)

    def _change(self, name: str, after: VarState, where: Location | None) -> None:
        line = self.last
        if line is None:
            return
        handler: str | None = None
        inner: Location | None
        if where is not None and self._same_file(line, where):
            self._anchor(line, where)
            inner = where
        else:
            # Made by an event handler fish does not trace (e.g. __fish_reconstruct_path after a
            # change of fish_user_paths): credit the command that triggered it.
            inner = line.loc
            if where is not None:
                index = self._index(where.path)
                handler = index.function_at(where.line or 0) if index is not None else None
                if handler != "__fish_reconstruct_path" and not self._is_data(where.path):
                    # A handler of the user's own (`function f --on-variable X`): its body line.
                    self._commit(name, after, where, f"function {handler}" if handler else None, inner, line.text)
                    return
        loc, via, site, cmd = self._attribute(line, inner, handler)
        self._commit(name, after, loc, via, site, cmd)

    def _attribute(self, line: _Line, inner: Location | None, handler: str | None
                   ) -> tuple[Location | None, str | None, Location | None, str]:
        """Where a change made while `line` ran is reported: the innermost line in the user's own
        code. Frames of fish's library functions (fish_add_path, export, …), of our hook and of
        sourced streams (psub) are stepped over to the line that entered them."""
        here, text = inner, line.text
        skipped: _Frame | None = None
        for f in reversed(line.frames):
            if f.kind == "top":
                break
            if (f.kind == "function" and f.library) or f.stream or f.hook:
                skipped, here, text = f, f.call, f.opener
                continue
            if skipped is not None and skipped.name == "__fish_reconstruct_path" and self._is_share_config(f.file):
                # fish's own call that applies the universal fish_user_paths to PATH.
                if "fish_user_paths" in self.uvars:
                    ln, uv = self.uvars["fish_user_paths"]
                    return Location(self.uvar_path, ln), "universal", None, uv
                return here, "fish_user_paths", None, text
            if f.kind == "function":
                return here, f"function {f.name}", f.call, text
            if skipped is not None:
                return here, "source" if skipped.stream else f"function {skipped.name}", None, text
            if handler == "__fish_reconstruct_path":
                return here, "fish_user_paths", None, text
            return here, None, None, text
        return here, None, None, text

    def _is_share_config(self, path: str | None) -> bool:
        return bool(self.data_dir) and path == f"{self.data_dir}/config.fish"

    def _commit(self, name: str, after: VarState, loc: Location | None, via: str | None,
                site: Location | None, cmd: str) -> None:
        before = self.state.get(name, UNSET)
        if loc is not None and loc.line:
            self.result.assigned_on.setdefault((loc.path, loc.line), set()).add(name)
            self.result.executed.add((loc.path, loc.line))
        if before == after:
            return
        self.state[name] = after
        self._emit(name, before, after, loc or Location("fish", None), via, site, cmd)

    def _emit(self, name: str, before: VarState, after: VarState, loc: Location, via: str | None,
              site: Location | None, cmd: str) -> None:
        op = classify(name, before, after, cmd)
        if op is Op.SET and _sets_exported(cmd):
            op = Op.EXPORT
        self.result.assignments.append(Assignment(
            var=name, op=op, value=after.value if after.set else None,
            before=before.value if before.set else None, location=loc, via=via,
            call_site=site, exported=after.exported, command=cmd.strip()[:400],
        ))

    # the end -------------------------------------------------------------------------------------
    def _exec_after(self) -> tuple[Location, str] | None:
        """fish does not trace `exec`: when the shell went away without finishing, the first
        `exec` after the last traced command (in the running frames, innermost first) is the
        one that replaced it."""
        for frame in reversed(self.stack):
            if frame.library or frame.hook or frame.stream:
                continue
            index = self._index(frame.file)
            if index is None:
                continue
            order = index.scopes.get(frame.scope, [])
            at = max([frame.cursor] + [b[2] for b in frame.blocks])
            start = index.pos[at] + 1 if at in index.pos else 0
            for i in order[start:]:
                u = index.units[i]
                if u.kind == "cmd" and u.words[:1] == ("exec",) and frame.file:
                    return Location(frame.file, u.line), " ".join(w if w is not None else "…" for w in u.words)
        return None

    def finish(self, exited: bool = False) -> FishTrace:
        res = self.result
        res.final = dict(self.state)
        stopped: Location | None = None
        if self.last is not None:
            loc, _, _, _ = self._attribute(self.last, self.last.loc, None)
            stopped = loc
            text = self.last.text + ("\n" + "\n".join(self.last.after) if self.last.after else "")
            guess = self._exec_after() if exited and not res.finished else None
            if guess is not None:
                stopped, text = guess[0], guess[1] + ("\n" + "\n".join(self.last.after) if self.last.after else "")
            res.last = Record(0, 0, stopped.path if stopped else "fish", (stopped.line or 0) if stopped else 0,
                              (), {}, text)
        return FishTrace(res, self.hooked, self.version, self.data_dir, stopped)


def _sets_exported(cmd: str) -> bool:
    words = cmd.split()
    if not words or words[0] != "set":
        return False
    for w in words[1:]:
        if w == "--export":
            return True
        if w.startswith("-") and not w.startswith("--") and "x" in w:
            return True
        if not w.startswith("-"):
            break
    return False


_SITE_RE = re.compile(r"in event handler: .*?\n\s*called on line (\d+) of file (.*?)\n", re.S)


def _event_site(stack: str, expand: Callable[[str], str]) -> Location | None:
    m = _SITE_RE.search(stack + "\n")
    if not m:
        return None
    return Location(expand(m.group(2).strip()), int(m.group(1)))


def fold(stderr: str, watched: list[str], initial: dict[str, VarState], home: str,
         text_of: Callable[[str], str | None], hook_dir: str, data_dir: str, uvar_path: str,
         exited: bool = False) -> FishTrace:
    """Read fish's stderr (fish_trace lines and the hook's records) into a TraceResult.

    `exited`: fish ended by itself (not killed at the deadline)."""
    reader = _Reader(watched, initial, home, text_of, hook_dir, data_dir, uvar_path)
    reader.feed(stderr)
    return reader.finish(exited)

