"""fish: how each launch context starts it, and how its startup is traced.

fish has no PS4. Two of its own mechanisms are combined:

* `fish_trace` (set in the environment before startup) prints every command fish runs to stderr
  as `-…-> command args`, one `-` per block on the parser's stack. It shows every file fish sources
  (`source PATH`, including its own startup files and conf.d snippets) and every function call,
  but no file or line.
* An `--on-variable` handler for every watched variable runs `status stack-trace` when the
  variable changes. fish stops that stack trace at the event block, whose "called on line N of
  file F" is exactly where the change happened (the innermost line, inside a function body if the
  change was made there). A `--on-event fish_read` handler does the same for `read`.

The handlers must exist before any config file runs. share/config.fish (fish 3.x) calls
`__fish_set_locale`, an autoloaded function, before `__fish_reconstruct_path` and before conf.d:
fish is started with XDG_DATA_DIRS naming a temporary directory first (plus the default data
directory, so the vendor directories are unchanged), whose `fish/vendor_functions.d` holds a
`__fish_set_locale.fish` that installs the handlers, puts XDG_DATA_DIRS and the vendor/function
paths back as they would have been, then loads and calls fish's own `__fish_set_locale`.

Lines that changed no watched variable (function calls, `source`, `return`, a command that hangs)
are placed by aligning the trace with a static reading of the file: the trace gives the file
(frame), the nesting level and the expanded command; the static index gives the candidate lines.
Those are exact when the command is unique in its block, and are corrected by every exact line an
event reports.

Attribution: a change inside one of fish's own functions (fish_add_path, export, …) or inside a
sourced stream (`source (… | psub)`) is reported at the user's line that called it (`via` names
the function, or "source"); inside a user function at its body line with the call site. PATH set
by fish's `__fish_reconstruct_path` from the universal fish_user_paths is reported at that
variable's `SETUVAR` line in fish_variables (`via: universal`), as are exported universal GO*
variables. Event handlers do not appear in fish_trace, so a change one of them makes is credited
to the command that triggered it.

The user's fish state is left as it was: fish keeps its universal variables in
$__fish_config_dir/fish_variables (created at the first start, rewritten by `set -U` and by
`fish_add_path`, universal by default) and creates its config and data directories. Each traced
start therefore gets its own XDG_CONFIG_HOME and XDG_DATA_HOME under the hook directory, whose
`fish` folders mirror the user's (a symlink per entry) except for fish_variables, which is a
private copy (or absent, as it was). fish fixes both places when it starts; the hook puts the two
variables back before any user file runs, so the user's files and the programs they start see the
real values. Paths of the mirror in the trace and in the final environment are mapped back to the
user's. Contexts traced in parallel no longer see each other's universal variables either: a
`fish_add_path` in config.fish is credited to config.fish, not to a fish_variables an earlier
trace created.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from goenv_tui.model import Assignment, ContextSpec, Location, Op, SourcedFile
from goenv_tui.shells.trace import UNSET, Record, TraceResult, VarState, classify

NAME = "fish"
HOOK_FUNCTION = "__fish_set_locale"
END_MARK = "GOENV_TUI_END"
_REC_RE = re.compile(r"\x1eGOENV\x1f(.*?)\x1d", re.S)
_TRACE_RE = re.compile(r"^(-*)> ?(.*)$")
_STREAM_RE = re.compile(r"/\.psub\.[^/]+(?:/|$)")


# --- starting fish --------------------------------------------------------------------------------

def argv(spec: ContextSpec, shell_path: str, command: str) -> list[str]:
    args = [shell_path]
    if spec.login:
        args.append("-l")
    if spec.interactive:
        args.append("-i")
    return [*args, "-c", command]


def command(env_bin: str) -> str:
    """The command run after startup: the end marker, then the environment, NUL-separated."""
    return f": {END_MARK}; builtin printf '\\x1eGOENV_TUI_ENV\\x1e'; exec {env_bin} -0"


def context_env(spec: ContextSpec, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    if spec.sshd_command:
        env["SSH_CLIENT"] = "127.0.0.1 50022 22"
        env["SSH_CONNECTION"] = "127.0.0.1 50022 127.0.0.1 22"
    return env


@dataclass(frozen=True)
class FishInfo:
    data_dir: str
    version: tuple[int, ...]


def parse_info(stdout: str) -> FishInfo | None:
    """Output of `fish -N -c 'echo $__fish_data_dir; echo $version'`."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("/"):
        return None
    nums = tuple(int(x) for x in re.findall(r"\d+", lines[1])[:3])
    return FishInfo(lines[0].rstrip("/"), nums)


# Build the private config and data folders of one traced start: $1 the hook directory, $2 the
# user's fish config folder, $3 their fish data folder. Symlinks, so nothing is copied but the
# universal variables, which fish may rewrite.
MIRROR = r"""umask 077
for kind in config data; do
  mkdir -p "$1/$kind/fish" || exit 1
  if [ "$kind" = config ]; then src=$2; else src=$3; fi
  [ -d "$src" ] || continue
  for e in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n=${e##*/}
    if [ "$kind" = config ] && [ "$n" = fish_variables ]; then
      cat "$e" > "$1/config/fish/fish_variables" || exit 1
    else
      ln -s "$e" "$1/$kind/fish/$n" || exit 1
    fi
  done
done
"""


def config_dir(home: str, env: dict[str, str]) -> str:
    base = env.get("XDG_CONFIG_HOME") or f"{home.rstrip('/')}/.config"
    return f"{base.rstrip('/')}/fish"


def data_dir(home: str, env: dict[str, str]) -> str:
    base = env.get("XDG_DATA_HOME") or f"{home.rstrip('/')}/.local/share"
    return f"{base.rstrip('/')}/fish"


def mirror_argv(hook_dir: str, home: str, env: dict[str, str]) -> list[str]:
    return ["/bin/sh", "-c", MIRROR, "sh", hook_dir.rstrip("/"), config_dir(home, env), data_dir(home, env)]


def mirror_env(env: dict[str, str], hook_dir: str) -> dict[str, str]:
    out = dict(env)
    out["XDG_CONFIG_HOME"] = f"{hook_dir.rstrip('/')}/config"
    out["XDG_DATA_HOME"] = f"{hook_dir.rstrip('/')}/data"
    return out


def unmirror(text: str, hook_dir: str, home: str, env: dict[str, str]) -> str:
    """The trace (or the environment) with the mirror's paths put back to the user's."""
    hook = hook_dir.rstrip("/")
    for kind, real in (("config", config_dir(home, env)), ("data", data_dir(home, env))):
        text = text.replace(f"{hook}/{kind}/fish", real)
    return text


def hook_path(hook_dir: str) -> str:
    return f"{hook_dir.rstrip('/')}/fish/vendor_functions.d/{HOOK_FUNCTION}.fish"


def trace_env(env: dict[str, str], hook_dir: str, info: FishInfo) -> dict[str, str]:
    """The environment fish starts with: tracing on, the hook directory first in XDG_DATA_DIRS."""
    out = mirror_env(env, hook_dir)
    out["fish_trace"] = "1"
    original = env.get("XDG_DATA_DIRS")
    parent = info.data_dir.rsplit("/", 1)[0] or "/"
    out["XDG_DATA_DIRS"] = f"{hook_dir.rstrip('/')}:{original if original else parent}"
    if info.version[:1] >= (4,):
        # fish 4 calls __fish_set_locale only when LANG is unset; the hook sets it back.
        out.pop("LANG", None)
    return out


def clean_env(env_out: dict[str, str], traced: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The final environment without what tracing added, should the hook not have removed it."""
    out = dict(env_out)
    for name in ("fish_trace", "XDG_DATA_DIRS", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        if name in traced and out.get(name) == traced[name] and base.get(name) != traced[name]:
            if name in base:
                out[name] = base[name]
            else:
                out.pop(name)
    if "LANG" in base and "LANG" not in traced and "LANG" not in out and out:
        out["LANG"] = base["LANG"]  # fish 4: LANG was held back for the hook, which did not run
    return out


def _fish_quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def hook_script(watched: list[str], hook_dir: str, env: dict[str, str], info: FishInfo) -> str:
    """The autoloaded `__fish_set_locale` that installs the handlers, then runs fish's own."""
    hook = hook_dir.rstrip("/")
    names = [v for v in dict.fromkeys(watched) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v)]
    on_var = " ".join(f"--on-variable {v}" for v in names)
    original_xdg = env.get("XDG_DATA_DIRS")
    restore_xdg = (f"set -gx XDG_DATA_DIRS {_fish_quote(original_xdg)}" if original_xdg
                   else "set -e XDG_DATA_DIRS")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):  # fish has fixed its own folders by now
        restore_xdg += (f"\n    set -gx {name} {_fish_quote(env[name])}" if env.get(name)
                        else f"\n    set -e {name}")
    restore_lang = ""
    if info.version[:1] >= (4,) and env.get("LANG"):
        restore_lang = f"    set -gx LANG {_fish_quote(env['LANG'])}\n"
    real = f"{info.data_dir}/functions/{HOOK_FUNCTION}.fish"
    return f"""# goenv-tui: installed for one trace, removed afterwards.
function {HOOK_FUNCTION}
    functions -e {HOOK_FUNCTION}
    {restore_xdg}
{restore_lang}    set -gu fish_trace $fish_trace
    for __goenv_tui_v in __fish_vendor_completionsdirs __fish_vendor_functionsdirs __fish_vendor_confdirs fish_complete_path fish_function_path
        set -q $__goenv_tui_v
        and set $__goenv_tui_v (string match -v -- {_fish_quote(hook + '/fish/*')} $$__goenv_tui_v)
    end
    # One printf per record, so that nothing (a traced command) can land inside it.
    function __goenv_tui_emit
        set -l n $argv[2]
        set -l s 0
        set -q $n; and set s 1
        set -l x 0
        set -qx $n; and set x 1
        printf '\\x1eGOENV\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1d' $argv[1] $n $s $x (count $$n) \\
            (printf '%s\\x1c' $$n | string collect) (status stack-trace | string collect) >&2
    end
    function __goenv_tui_var {on_var}
        __goenv_tui_emit V $argv[3]
    end
    function __goenv_tui_read --on-event fish_read
        printf '\\x1eGOENV\\x1fR\\x1f%s\\x1d' (status stack-trace | string collect) >&2
    end
    printf '\\x1eGOENV\\x1fH\\x1f%s\\x1f%s\\x1d' $__fish_data_dir $version >&2
    for __goenv_tui_v in {' '.join(names)}
        __goenv_tui_emit I $__goenv_tui_v
    end
    if test -f {_fish_quote(real)}
        source {_fish_quote(real)}
        {HOOK_FUNCTION} $argv
    end
end
"""


def candidate_files(home: str, listdir: Callable[[str], list[str]] | None = None,
                    config_home: str | None = None) -> list[str]:
    """The user's fish startup files: config.fish, conf.d/*.fish, and the universal variables."""
    base = (config_home or f"{home.rstrip('/')}/.config").rstrip("/") + "/fish"
    out = [f"{base}/fish_variables", f"{base}/config.fish"]
    if listdir is not None:
        try:
            names = listdir(f"{base}/conf.d")
        except Exception:  # noqa: BLE001 - a missing or unreadable conf.d is no conf.d
            names = []
        out[1:1] = [f"{base}/conf.d/{n}" for n in sorted(names) if n.endswith(".fish")]
    return out


def variables_path(home: str, env: dict[str, str]) -> str:
    config_home = env.get("XDG_CONFIG_HOME") or f"{home.rstrip('/')}/.config"
    return f"{config_home.rstrip('/')}/fish/fish_variables"


_SETUVAR_RE = re.compile(r"^SETUVAR\s+(?:--\S+\s+)*([A-Za-z_][A-Za-z0-9_]*):")


def universal_lines(text: str | None) -> dict[str, tuple[int, str]]:
    """Line (and text) of each `SETUVAR NAME:…` in a fish_variables file."""
    out: dict[str, tuple[int, str]] = {}
    for i, line in enumerate((text or "").splitlines(), start=1):
        m = _SETUVAR_RE.match(line)
        if m:
            out[m.group(1)] = (i, line)
    return out


# --- static reading of fish files -----------------------------------------------------------------

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


# --- reading the trace ----------------------------------------------------------------------------

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
        return bool(path) and bool(self.data_dir) and path.startswith(self.data_dir + "/")  # type: ignore[union-attr]

    def _is_hook(self, path: str | None) -> bool:
        return bool(path) and path.startswith(self.hook_dir + "/")  # type: ignore[union-attr]

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

