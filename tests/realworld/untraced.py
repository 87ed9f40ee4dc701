"""What the real, untraced shells find: the ground truth the report is compared with.

Each context is started the way goenv-tui's tracer starts it (same flags, same hermetic
environment: the home, the OS's seed PATH, TERM, LANG, the login shell as SHELL) but with no
tracing at all, and asked `command -v go` and `go env GOROOT` as the user's own programs would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass

from goenv_tui.host import LocalHost
from goenv_tui.model import ContextSpec
from goenv_tui.shells.tracer import TraceOptions, hermetic_env

MARK = "@@goenv-tui-truth@@"
_POSIX = (f'printf "\\n{MARK}%s|%s|%s|%s\\n" "$(command -v go)" "$(go env GOROOT 2>/dev/null)" '
          '"$(command -v gopls)" "$(command -v dlv)"')
# fish ≥ 3.4 has "$(…)" too; a bare (…) that prints nothing would drop the field.
_FISH = _POSIX


@dataclass(frozen=True)
class Truth:
    go: str | None
    goroot: str | None
    seconds: float
    gopls: str | None = None
    dlv: str | None = None


def argv(spec: ContextSpec) -> list[str]:
    shell = shutil.which(spec.shell) or spec.shell
    flags = (["-l"] if spec.login else []) + (["-i"] if spec.interactive else [])
    return [shell, *flags, "-c", _FISH if spec.shell == "fish" else _POSIX]


def env_for(home: str, spec: ContextSpec, login_shell: str = "/bin/bash") -> dict[str, str]:
    host = LocalHost()
    env = hermetic_env(host, TraceOptions(home=home, shells=(spec.shell,), login_shell=login_shell),
                       shutil.which(spec.shell) or spec.shell)
    if spec.sshd_command:
        # What sshd gives `ssh host cmd` (Debian's bash then reads ~/.bashrc).
        env["SSH_CLIENT"] = "127.0.0.1 50022 22"
        env.pop("SHLVL", None)
    return env


def truth(home: str, spec: ContextSpec, timeout: float = 60.0) -> Truth:
    t0 = time.monotonic()
    res = subprocess.run(argv(spec), env=env_for(home, spec), cwd=home, stdin=subprocess.DEVNULL,
                         capture_output=True, timeout=timeout, start_new_session=True)
    seconds = time.monotonic() - t0
    out = res.stdout.decode(errors="replace")
    line = next((ln for ln in reversed(out.splitlines()) if ln.startswith(MARK)), None)
    assert line is not None, f"{spec.id}: no answer from the untraced shell: {out!r} {res.stderr!r}"
    go, goroot, gopls, dlv = (line[len(MARK):].split("|") + ["", "", "", ""])[:4]
    return Truth(go or None, goroot or None, seconds, gopls or None, dlv or None)


def untraced_seconds(home: str, spec: ContextSpec) -> float:
    return truth(home, spec).seconds


def real(path: str | None) -> str | None:
    return os.path.realpath(path) if path else None
