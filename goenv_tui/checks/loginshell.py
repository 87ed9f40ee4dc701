"""A Go set-up written for one shell while the login shell is another."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from goenv_tui.checks.base import CheckContext, check, context_go, finding
from goenv_tui.frameworks import owner_of, user_call_site
from goenv_tui.model import Finding, Location, Severity

_MOVE_TO = {"bash": "~/.profile or ~/.bashrc", "zsh": "~/.zshenv or ~/.zprofile", "fish": "~/.config/fish/config.fish"}


def _go_lines(ctx: CheckContext, cid: str, not_read: set[str], login_env: list[dict[str, str]]) -> list[Location]:
    """Lines of the home, read only by this shell, that give it something the login shell's
    contexts lack: a Go variable none of them has, or a Go tool's folder on PATH none of them has."""
    home = ctx.facts.home.rstrip("/") + "/"
    out = []
    for a in ctx.graph.contexts[cid].assignments:
        path = a.location.path
        if not path.startswith(home) or path in not_read:
            continue
        if a.var.startswith("GO") and not a.var.startswith("GOENV_"):
            lacking = all(a.var not in env for env in login_env)
        elif a.var == "PATH":
            added = [e for e in (a.value or "").split(":") if e not in (a.before or "").split(":") and e in ctx.facts.tools_in]
            lacking = any(all(e not in env.get("PATH", "").split(":") for env in login_env) for e in added)
        else:
            lacking = False
        if lacking:
            out.append(_users_line(ctx, cid, a.location))
    return out


def _users_line(ctx: CheckContext, cid: str, loc: Location) -> Location:
    """The user's own line behind a framework's (the `source ~/.gvm/scripts/gvm` that read it)."""
    home = ctx.facts.home

    def owned(path: str) -> bool:
        ft = ctx.facts.files.get(path)
        return owner_of(home, path, ft.realpath if ft else None, (ft.text or "")[:2048] if ft else None) is not None

    if not owned(loc.path):
        return loc
    return user_call_site(ctx.graph.contexts[cid].files, loc.path, owned) or loc


@check("GOENV-LOGIN-001", Severity.WARNING, "Go set up only in a shell that is not the login shell", also=(Severity.ERROR,))
def other_shell_only(ctx: CheckContext) -> Iterator[Finding]:
    """Go configured in ~/.zshrc (or fish's config.fish) while the account's login shell is bash:
    Terminal tabs, VS Code (its terminal and its environment), sshd and Remote-SSH all start the
    login shell, so nothing the editor starts reads those lines — `zsh` typed by hand is the only
    place they work."""
    login = posixpath.basename(ctx.facts.login_shell or "")
    if not login:
        return
    primary = [t for t in ctx.facts.contexts if t.id in ctx.facts.primary]
    primary_ok = [t for t in ctx.graph.ok_contexts() if t.id in ctx.facts.primary]
    if not primary_ok or len(primary_ok) != len(primary) or any(t.spec.shell != login for t in primary_ok):
        return  # a login-shell context that could not be traced: too little is known to say this
    read_by_login = {sf.path for t in primary_ok for sf in t.files} | {
        sf.realpath for t in primary_ok for sf in t.files if sf.realpath}
    login_has_go = any(context_go(ctx, t.id)[0] is not None for t in primary_ok)
    for shell in ("zsh", "fish", "bash"):
        if shell == login:
            continue
        others = [t for t in ctx.graph.ok_contexts() if t.spec.shell == shell]
        lines: dict[Location, None] = {}
        for t in others:
            for loc in _go_lines(ctx, t.id, read_by_login, [p.env for p in primary_ok]):
                lines.setdefault(loc, None)
        if not lines:
            continue
        other_has_go = any(context_go(ctx, t.id)[0] is not None for t in others)
        severity = Severity.ERROR if other_has_go and not login_has_go else Severity.WARNING
        files = list(dict.fromkeys(ctx.tilde(loc.path) for loc in lines))
        shown = ", ".join(ctx.where(loc) for loc in list(lines)[:4]) + (" …" if len(lines) > 4 else "")
        missing = "no `go` at all" if not login_has_go else "none of these settings"
        yield finding(
            f"{shell}|{login}", severity,
            f"Go is set up for {shell} ({', '.join(files)}), but your login shell is {login}",
            f"{shown} configure Go in {shell}'s startup files, but the account's login shell is "
            f"{ctx.facts.login_shell}. Terminal tabs, VS Code (its terminal and the environment it gives "
            f"gopls and dlv), `ssh host cmd` and Remote-SSH start {login}, which never reads those files, "
            f"so they get {missing}. Two ways out: make {shell} the login shell "
            f"(`chsh -s $(command -v {shell})`, then log out and in), or move these lines to "
            f"{_MOVE_TO.get(login, 'the login shell’s startup file')}.",
            contexts=[t.id for t in primary_ok] + [t.id for t in others],
            locations=list(lines),
            evidence=[f"var:{t.id}:PATH" for t in primary_ok],
            data={"shell": shell, "login_shell": login},
        )
