"""The guided wizard's domain: which launch contexts a way of starting the editor really uses, how
to name them to someone who never heard of "bash-login-interactive", which problems block that
editor and which are only worth fixing, what still blocks it at the end, and the progress saved
between runs. No Textual here: ui/wizard.py shows it; tests drive it without a terminal.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from goenv_tui.fixes.state import state_dir
from goenv_tui.host import Host, HostError
from goenv_tui.model import TOOL_MODULES, Finding, Severity

if TYPE_CHECKING:
    from goenv_tui.diagnose import Diagnosis
    from goenv_tui.model import ProbeResult

EDITORS = [
    ("vscode-gui", "VS Code, opened from the Dock, the app menu or a launcher"),
    ("vscode-terminal", "VS Code's integrated terminal"),
    ("remote-ssh", "VS Code Remote-SSH (this machine is the remote)"),
    ("terminal", "A terminal window (GNOME Terminal, iTerm2, Terminal.app, tmux)"),
    ("ssh-cmd", "Commands over `ssh host cmd` (scripts, CI)"),
]
EDITOR_NAME = {"vscode-gui": "VS Code", "vscode-terminal": "VS Code's terminal", "remote-ssh": "VS Code Remote-SSH",
               "terminal": "your terminal", "ssh-cmd": "`ssh host cmd`"}
TOOLS = ("go", "gopls", "dlv")


def contexts_for(editor: str, login_shell: str | None, os_name: str) -> list[str]:
    """The launch contexts a way of starting the editor really uses (see shells/contexts.py)."""
    shell = _shell(login_shell)
    mac = os_name == "darwin"
    interactive = f"{shell}-login-interactive" if mac else f"{shell}-nologin-interactive"
    sshd = f"{shell}-sshd-command"
    return {
        "vscode-gui": [f"{shell}-login-interactive"],
        "vscode-terminal": [interactive],
        "terminal": [interactive],
        "remote-ssh": [sshd, f"{shell}-login-interactive"],
        "ssh-cmd": [sshd],
    }.get(editor, [interactive])


def _shell(login_shell: str | None) -> str:
    shell = (login_shell or "bash").rsplit("/", 1)[-1]
    return shell if shell in ("bash", "zsh") else "bash"


def plain_name(cid: str, editor: str, own: list[str]) -> str:
    """A context in the user's words. The editor's own contexts by what the user does ("VS Code
    started from the Dock", "its terminal", "Remote-SSH"); the others by what starts them."""
    if cid in own:
        own_words = {
            "vscode-gui": ["VS Code started from the Dock"],
            "vscode-terminal": ["VS Code's terminal"],
            "terminal": ["your terminal"],
            "remote-ssh": ["Remote-SSH (the VS Code server it starts)", "Remote-SSH's terminal"],
            "ssh-cmd": ["`ssh host cmd`"],
        }.get(editor)
        if own_words:
            return own_words[min(own.index(cid), len(own_words) - 1)]
    if cid.endswith("-sshd-command"):
        return "`ssh host cmd` and Remote-SSH"
    m = re.fullmatch(r"(bash|zsh|fish)-(login|nologin)-(interactive|noninteractive)", cid)
    if not m:
        return cid
    shell, login, inter = m.groups()
    return {
        ("login", "interactive"): f"login terminals and apps started from the desktop ({shell})",
        ("nologin", "interactive"): f"terminal windows ({shell})",
        ("login", "noninteractive"): f"login scripts ({shell} -l -c)",
        ("nologin", "noninteractive"): f"scripts and cron ({shell} -c)",
    }[(login, inter)]


def in_plain_words(text: str, editor: str, own: list[str], all_contexts: list[str]) -> str:
    """`text` with every context id replaced by its plain name (longest ids first)."""
    for cid in sorted(all_contexts, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(cid)}(?![\w-])", plain_name(cid, editor, own), text)
    return text


def blocks(f: Finding, contexts: list[str], editor: str) -> bool:
    """Does this finding break the editor? An error or warning in one of its contexts, one that
    holds everywhere (no context), or a VS Code setting when the editor is VS Code."""
    if f.severity is Severity.INFO:
        return False
    return bool(set(f.contexts) & set(contexts) or not f.contexts
                or (f.check.startswith("GOENV-VSCODE") and editor.startswith(("vscode", "remote"))))


@dataclass(frozen=True)
class Problems:
    """The problems to go through: those of the editor's own contexts first, then the rest of the
    errors and warnings as "also worth fixing". Each part: those with a fix first (fixing a cause
    often clears its symptoms), then worst first."""

    own: tuple[Finding, ...]
    also: tuple[Finding, ...]

    @property
    def ordered(self) -> list[Finding]:
        return [*self.own, *self.also]


def problems(d: Diagnosis, contexts: list[str], editor: str, skipped: set[str] | frozenset[str] = frozenset()) -> Problems:
    def key(f: Finding) -> tuple[int, int]:
        return (0 if d.plans.get(f.id) else 1, f.severity.rank)

    candidates = [f for f in d.findings if f.severity is not Severity.INFO and f.id not in skipped]
    own = sorted((f for f in candidates if blocks(f, contexts, editor)), key=key)
    also = sorted((f for f in candidates if not blocks(f, contexts, editor)), key=key)
    return Problems(tuple(own), tuple(also))


@dataclass(frozen=True)
class CountChange:
    """Why the number of problems changed after a fix: which cleared with it, which are new."""

    cleared: tuple[str, ...]  # titles
    new: tuple[str, ...]

    def sentence(self) -> str:
        parts = []
        if self.cleared:
            parts.append(f"Checking again, {len(self.cleared)} other problem{'s' if len(self.cleared) > 1 else ''} "
                         f"cleared with it: " + "; ".join(self.cleared) + ".")
        if self.new:
            parts.append(f"Checking again found {len(self.new)} new problem{'s' if len(self.new) > 1 else ''} "
                         "(the fix let a later step run, which now shows what it needs): " + "; ".join(self.new) + ".")
        return " ".join(parts)


def count_change(before: list[Finding], after: list[Finding], fixed_id: str) -> CountChange:
    ids_after = {f.id for f in after}
    ids_before = {f.id for f in before}
    cleared = tuple(f.title for f in before if f.id not in ids_after and f.id != fixed_id)
    new = tuple(f.title for f in after if f.id not in ids_before)
    return CountChange(cleared, new)


@dataclass(frozen=True)
class Blocker:
    """Something that still keeps the editor from working, and whether the user must act."""

    text: str
    by_hand: bool  # no automatic fix (or it was skipped): the user must change something
    todo: str = ""  # what to do, when we know it (the command to install a missing tool)


def verification_lines(probes: list[ProbeResult], contexts: list[str]) -> list[tuple[str, str, bool]]:
    """(tool, what happened, ok) for go, gopls and dlv in the editor's contexts; a tool with no
    probe there is reported as not found, not left out. Contexts that share one environment share
    one probe, and the same result in two contexts is one line."""
    out: list[tuple[str, str, bool]] = []
    for tool in TOOLS:
        mine = [p for p in probes if p.tool == tool and (p.context in contexts or set(p.contexts) & set(contexts))]
        if not mine:
            out.append((tool, "not found in these contexts", False))
            continue
        for p in mine:
            ok = p.status == "ok"
            what = p.detail or p.classification or p.status
            if p.status == "skipped":
                what, ok = "not found on PATH", False
            where = [c for c in contexts if c == p.context or c in p.contexts]
            line = (tool, f"{what} ({', '.join(where)})" if len(contexts) > 1 and where else what, ok)
            if line not in out:
                out.append(line)
    return out


def still_blocking(d: Diagnosis | None, probes: list[ProbeResult], contexts: list[str], editor: str,
                   skipped: list[str]) -> list[Blocker]:
    """What still keeps the editor from working once the wizard is through: its errors left,
    and every check of go / gopls / dlv that did not pass."""
    out: list[Blocker] = []
    if d is not None:
        for f in d.findings:
            if f.severity is Severity.ERROR and blocks(f, contexts, editor):
                out.append(Blocker(f.title, by_hand=f.id in skipped or not d.plans.get(f.id)))
    for tool, what, ok in verification_lines(probes, contexts):
        if not ok:
            todo = (f"install {tool}: `go install {TOOL_MODULES[tool]}` in the same environment, with its GOBIN "
                    "(or GOPATH/bin) on PATH" if "not found" in what and tool in TOOL_MODULES else "")
            out.append(Blocker(f"{tool}: {what}", by_hand=True, todo=todo))
    return out


@dataclass
class WizardState:
    """The progress, saved after every step so that quitting and starting again resumes."""

    step: str = "editor"
    editor: str | None = None
    workspace: str | None = None
    index: int = 0
    applied: list[str] = field(default_factory=list)  # journal entry ids
    titles: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # finding ids

    @staticmethod
    def path(home: str) -> str:
        return posixpath.join(state_dir(home), "wizard.json")

    def save(self, host: Host, home: str) -> None:
        host.makedirs(state_dir(home))
        host.write_atomic(self.path(home), json.dumps(asdict(self), indent=1).encode(), mode=0o600)

    @classmethod
    def load(cls, host: Host, home: str) -> WizardState | None:
        try:
            data = json.loads(host.read_text(cls.path(home)))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (HostError, ValueError, TypeError):
            return None
