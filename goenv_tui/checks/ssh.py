"""SSH: what sshd really gives `ssh host cmd` compared with what the startup files explain, and,
when goenv-tui runs inside an SSH session, this terminal compared with what Remote-SSH gets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from goenv_tui.checks.base import CheckContext, check, finding
from goenv_tui.model import Finding, Severity

WATCH = ("PATH", "GOROOT", "GOPATH", "GOBIN", "GOFLAGS", "GOPROXY", "GO111MODULE", "GOTOOLCHAIN")


def _sshd_context(ctx: CheckContext) -> str | None:
    shell = (ctx.facts.login_shell or "bash").rsplit("/", 1)[-1]
    cid = f"{shell}-sshd-command"
    return cid if cid in ctx.graph.contexts else None


def _differences(a: dict[str, str], b: dict[str, str], names: Iterable[str]) -> list[tuple[str, str | None, str | None]]:
    out = []
    for name in names:
        if a.get(name) != b.get(name):
            out.append((name, a.get(name), b.get(name)))
    return out


@check("GOENV-SSH-001", Severity.WARNING, "sshd's real environment differs from the traced one")
def sshd_differs(ctx: CheckContext) -> Iterator[Finding]:
    """sshd adds what no startup file shows — PAM's /etc/environment, ~/.ssh/environment,
    SetEnv in sshd_config — so `ssh host cmd` and Remote-SSH can see a Go the trace does not
    explain. Asking the real sshd catches it."""
    real = ctx.facts.sshd_env
    cid = _sshd_context(ctx)
    if not real or cid is None or real.get("HOME", "").rstrip("/") != ctx.facts.home.rstrip("/"):
        return
    traced = ctx.graph.contexts[cid].env
    names = sorted({n for n in list(real) + list(traced) if n in WATCH or n.startswith("GO")})
    diff = _differences(real, traced, names)
    if not diff:
        return
    yield finding(
        cid, Severity.WARNING,
        f"`ssh {ctx.facts.host_name} cmd` really gets a different {', '.join(d[0] for d in diff[:3])} than its startup files explain",
        f"Asked directly, sshd on {ctx.facts.host_name} starts commands with values that tracing {cid} does not "
        "produce. Something outside the startup files sets them: /etc/environment (pam_env), ~/.ssh/environment "
        "(PermitUserEnvironment) or SetEnv/AcceptEnv in sshd_config.",
        contexts=[cid],
        chain=[f"{n}: sshd gives {r!r}, the trace gives {t!r}" for n, r, t in diff],
    )


@check("GOENV-SSH-002", Severity.WARNING, "This SSH session differs from what Remote-SSH gets")
def session_differs(ctx: CheckContext) -> Iterator[Finding]:
    """You test `go version` in an SSH session and it works, but VS Code Remote-SSH starts its
    server with `ssh -T host bash`, which reads fewer startup files: a different (or no) go."""
    mine = ctx.facts.session_env
    cid = _sshd_context(ctx)
    if not mine or cid is None or (mine.get("HOME") or "").rstrip("/") != ctx.facts.home.rstrip("/"):
        return  # only this user's own home says anything about this session
    traced = ctx.graph.contexts[cid].env
    names = sorted({n for n in list(mine) + list(traced) if n in WATCH or n.startswith("GO")})
    diff = _differences(mine, traced, names)
    if not diff:
        return
    extra: list[str] = []
    for n, m, t in diff:
        if n == "PATH":
            missing = [e for e in (m or "").split(":") if e and e not in (t or "").split(":")]
            if missing:
                extra.append(f"PATH entries of this session missing for Remote-SSH: {', '.join(ctx.tilde(e) for e in missing[:5])}")
        else:
            extra.append(f"{n}: this session has {m!r}, Remote-SSH's server gets {t!r}")
    yield finding(
        cid, Severity.WARNING,
        "This SSH session's environment is not what VS Code Remote-SSH will see",
        f"goenv-tui runs inside an SSH session (interactive, reading more startup files). VS Code Remote-SSH starts "
        f"its server as {cid} ({', '.join(ctx.graph.contexts[cid].used_by[:2])}), which gets a different environment.",
        contexts=[cid], chain=extra or [f"{n} differs" for n, _, _ in diff],
    )
