"""zsh: how each launch context starts it, and how its xtrace is read.

zsh is started with XTRACE, PROMPT_SUBST and SOURCE_TRACE on the command line, so every file it
opens (the /etc/zsh files, ZDOTDIR moves, `source <(…)`) announces itself with a
`<sourcetrace>` line. PS4 carries %x:%I (the file and line where the code is), `$funcstack`,
`$funcfiletrace` (call sites) and `$funcsourcetrace` (":0" marks a sourced file rather than a
function), `$ZSH_SUBSHELL`, `$$`, and each watched variable as `${V-<NAK>}` (NAK marks unset).
Values are diffed between lines, which also catches assignments made with tracing off
(`emulate -LR zsh` inside a function turns XTRACE off).

zsh's prompt expansion is costly: `${(t)V}` (which would say whether V is exported) for every
variable on every line triples the start-up time, so export status is read from the traced
commands instead (`export`, `typeset -x`, …) and the final environment settles the rest.
PS4 is prompt-expanded after substitution, so a `%` in a value would be mangled; when a value
has one, the context is traced again with `%` escaped (`escape=True`).
"""

from __future__ import annotations

import re

from goenv_tui.model import ContextSpec, Location
from goenv_tui.shells.trace import Frame, Record, VarState, defined_functions

NAME = "zsh"
_FS, _RS, _END, _JS = "\x1f", "\x1e", "\x1d", "\x1c"
_RECORD_RE = re.compile(r"\x1e([^\x1d\x1e]*)\x1d")


_UNSET = "\x15"


def ps4(watched: list[str], escape: bool = False) -> str:
    head = _FS.join(
        [
            f"{_RS}%e",
            "%x",
            "%I",
            "$$",
            "${ZSH_SUBSHELL}",
            f"${{(pj:{_JS}:)funcstack}}",
            f"${{(pj:{_JS}:)funcfiletrace}}",
            f"${{(pj:{_JS}:)funcsourcetrace}}",
        ]
    )
    if escape:
        fields = [f"${{${{{v}-{_UNSET}}}//\\%/%%}}" for v in watched]
    else:
        fields = [f"${{{v}-{_UNSET}}}" for v in watched]
    return head + _FS + _FS.join(fields) + _END


def argv(spec: ContextSpec, shell_path: str, command: str) -> list[str]:
    args = [shell_path]
    if spec.login:
        args.append("-l")
    if spec.interactive:
        args.append("-i")
    return [*args, "-o", "xtrace", "-o", "promptsubst", "-o", "sourcetrace", "-c", command]


def context_env(spec: ContextSpec, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    if spec.sshd_command:
        env["SSH_CLIENT"] = "127.0.0.1 50022 22"
        env["SSH_CONNECTION"] = "127.0.0.1 50022 127.0.0.1 22"
    return env


def _site(text: str) -> Location | None:
    path, _, line = text.rpartition(":")
    if not path or path in ("zsh", "-zsh") or not line.isdigit():
        return None
    return Location(path, int(line))


def parse(stderr: str, watched: list[str], initial_exported: set[str] | None = None) -> list[Record]:
    records: list[Record] = []
    matches = list(_RECORD_RE.finditer(stderr))
    last_key: str | None = None
    last_values: dict[str, VarState] = {}
    for i, m in enumerate(matches):
        parts = m.group(1).split(_FS)
        if len(parts) < 8 + len(watched):
            continue
        try:
            lineno = int(parts[2] or 0)
            pid = int(parts[3])
            subshell = int(parts[4] or 0)
        except ValueError:
            continue
        stack = parts[5].split(_JS) if parts[5] else []
        calls = parts[6].split(_JS) if parts[6] else []
        defs = parts[7].split(_JS) if parts[7] else []
        frames: list[Frame] = []
        for depth, name in enumerate(stack):
            call = _site(calls[depth]) if depth < len(calls) else None
            defined = defs[depth] if depth < len(defs) else ""
            if name == "(eval)":
                kind = "eval"
            elif defined == f"{name}:0":
                kind = "source"
            else:
                kind = "function"
            frames.append(Frame(kind, name, call))
        raw_values = parts[8 : 8 + len(watched)]
        key = "\x1f".join(raw_values)
        if key != last_key:
            last_values = {var: VarState(False) if raw == _UNSET else VarState(True, False, raw)
                           for var, raw in zip(watched, raw_values, strict=False)}
            last_key = key
        values = last_values  # shared between consecutive records with the same state
        end = matches[i + 1].start() if i + 1 < len(matches) else len(stderr)
        command = stderr[m.end() : end].rstrip("\n")
        rec = Record(pid, subshell, parts[1], lineno, tuple(frames), values, command.rstrip())
        rec.is_sourcetrace = command.strip() == "<sourcetrace>"
        records.append(rec)
    _infer_exports(records, initial_exported or set())
    _credit_eval_defined(records)
    return records


def _credit_eval_defined(records: list[Record]) -> None:
    """A function that an `eval` defined (`eval "$(goenv init -)"` defines `goenv()`) reports
    line numbers counted from the eval string (past the end of the file, or on unrelated lines):
    what runs inside it is credited to where it was called from, or to the eval around that."""
    eval_defined: set[str] = set()
    for rec in records:
        if eval_defined:
            special = [k for k, f in enumerate(rec.frames)
                       if f.kind == "eval" or (f.kind == "function" and f.name in eval_defined)]
            if special and rec.frames[special[-1]].kind == "function" and rec.frames[special[-1]].call_site:
                rec.eval_site = rec.frames[special[-1]].call_site
        if rec.command.startswith("eval"):
            eval_defined |= defined_functions(rec.command)


_DECL = {"export", "typeset", "declare", "local", "readonly", "integer", "float"}


def _infer_exports(records: list[Record], exported: set[str]) -> None:
    """Fill in VarState.exported from the traced commands, in order (see the module docstring)."""
    if not records:
        return
    main = records[0].pid
    current = set(exported)
    memo: dict[tuple[int, frozenset[str]], dict[str, VarState]] = {}
    keep_alive: list[dict[str, VarState]] = []  # so that id() keys stay unique
    for rec in records:
        keep_alive.append(rec.values)
        key = (id(rec.values), frozenset(current))
        marked = memo.get(key)
        if marked is None:
            marked = {var: VarState(True, True, st.value) if st.set and var in current else st
                      for var, st in rec.values.items()}
            memo[key] = marked
        rec.values = marked
        if rec.pid != main or rec.subshell != 0:
            continue
        words = rec.command.split()
        if not words:
            continue
        if words[0] == "unset":
            current.difference_update(words[1:])
            continue
        if words[0] not in _DECL:
            continue
        flags = [w for w in words[1:] if w[:1] in "-+" and "=" not in w]
        names = [w.split("=", 1)[0] for w in words[1:] if w[:1] not in "-+"]
        if words[0] == "export":
            unexport = any("n" in f for f in flags if f.startswith("-"))
            export = not unexport
        else:
            export = any("x" in f for f in flags if f.startswith("-"))
            unexport = any("x" in f for f in flags if f.startswith("+"))
        for name in names:
            if export:
                current.add(name)
            elif unexport:
                current.discard(name)


def candidate_files(home: str, zdotdir: str | None = None) -> list[str]:
    h = home.rstrip("/")
    dirs = [h] + ([zdotdir.rstrip("/")] if zdotdir and zdotdir.rstrip("/") != h else [])
    out = [f"{h}/.zshenv"]
    for d in dirs:
        out += [f"{d}/{n}" for n in (".zshenv", ".zprofile", ".zshrc", ".zlogin", ".zlogout")]
    return list(dict.fromkeys(out))
