"""Whether the terminal takes UTF-8, and plain ASCII for one that does not.

Inside an SSH session LANG is often unset (sshd passes only what AcceptEnv lets through): the
terminal, or tmux/screen in between, then treats the box-drawing characters of the app's frame
as the VT100 line-drawing set and shows `qqqq` and `x`. goenv-tui decides from the locale the
user's environment names (LC_ALL, then LC_CTYPE, then LANG, as setlocale does) and, when it is not
UTF-8, draws with ASCII: every character it writes is mapped to one ASCII character of the same
width (so the layout stays aligned). GOENV_TUI_ASCII=1 or 0 forces either way.

Python itself changes the environment in a C/POSIX locale (PEP 538 sets LC_CTYPE=C.UTF-8 and
turns on UTF-8 mode): that LC_CTYPE is not the user's and is ignored.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

# One ASCII character per character drawn (box drawing, blocks, arrows, marks, punctuation).
_GROUPS = {
    "-": "─━═╌╍┄┅┈┉╴╶╸╺▔▁—–‒―⎯",
    "|": "│┃║╎╏┆┇┊┋╵╷╹╻▏▕",
    "+": "┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋"
         "╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬╭╮╯╰",
    "#": "█▉▊▋▌▍▎▐▀▄▂▃▅▆▇■▪●◆",
    " ": "\u00a0\u2002\u2003\u2009\u200a\u2800",
    ">": "→⇢➜▶▸›»⟶",
    "<": "←⇠◀◂‹«",
    "^": "↑▲▴",
    "v": "↓▼▾✓✔",
    "x": "✗✘×",
    "~": "≈",
    ".": "…",  # not "~": that reads as the home directory
    "*": "•·∙◉○◯★☆",
    "'": "‘’′",
    '"': "“”″",
    "=": "≡⇒",
}
ASCII_MAP = {ch: rep for rep, chars in _GROUPS.items() for ch in chars}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


# Where width does not matter (the text report), a closer spelling.
WIDE_MAP = {"…": "...", "→": "->", "⇢": "->", "←": "<-", "—": "--", "–": "-", "✓": "ok", "✗": "x"}


def to_ascii(text: str, wide: bool = False) -> str:
    """`text` with every non-ASCII character replaced by one ASCII character ("?" if unknown);
    `wide`: by a few where that reads better (not for screens: it would shift columns)."""
    def one(m: re.Match[str]) -> str:
        ch = m.group(0)
        return (WIDE_MAP.get(ch) if wide else None) or ASCII_MAP.get(ch, "?")

    return _NON_ASCII.sub(one, text)


@dataclass(frozen=True)
class Charset:
    utf8: bool
    why: str  # which variable decided, for `report -v`

    def note(self) -> str:
        if self.utf8:
            return f"terminal charset: UTF-8 ({self.why})"
        return f"terminal charset: not UTF-8 ({self.why}): ASCII borders and symbols"


def detect(env: Mapping[str, str] | None = None, utf8_mode: int | None = None) -> Charset:
    env = os.environ if env is None else env
    utf8_mode = sys.flags.utf8_mode if utf8_mode is None else utf8_mode
    forced = env.get("GOENV_TUI_ASCII")
    if forced in ("0", "1"):
        return Charset(forced == "0", f"GOENV_TUI_ASCII={forced}")
    # Python's own C-locale coercion, not the user's setting (see above).
    coerced = bool(utf8_mode) and not env.get("PYTHONUTF8") and env.get("LC_CTYPE") == "C.UTF-8"
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        if name == "LC_CTYPE" and coerced:
            continue
        value = env.get(name)
        if value:
            low = value.lower()
            return Charset("utf-8" in low or "utf8" in low, f"{name}={value}")
    return Charset(False, "LANG, LC_ALL and LC_CTYPE are unset")
