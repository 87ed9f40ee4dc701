"""Launch contexts: the ways a process gets its environment, and which real programs use each.

The ids are part of the report contract. `used_by` depends on the OS and on the user's login
shell (sshd, terminals and VS Code start the login shell, not "bash"). Every claim below is
taken from the program's source or manual; the reference is in the comment beside it.
"""

from __future__ import annotations

from goenv_tui.model import ContextSpec
from goenv_tui.shells.registry import DRIVERS

SHELLS = tuple(DRIVERS)


def all_specs(shells: tuple[str, ...] | list[str] = ("bash", "zsh")) -> list[ContextSpec]:
    specs: list[ContextSpec] = []
    for shell in shells:
        if shell not in SHELLS:
            continue
        for login in (True, False):
            for interactive in (True, False):
                cid = f"{shell}-{'login' if login else 'nologin'}-{'interactive' if interactive else 'noninteractive'}"
                specs.append(ContextSpec(cid, shell, login, interactive))
        # What sshd runs for `ssh host cmd` (and Remote-SSH's `ssh -T host bash`) when this is the
        # login shell: `$SHELL -c cmd` with sshd's own environment (its PATH, SSH_CLIENT, …).
        specs.append(ContextSpec(f"{shell}-sshd-command", shell, False, False, sshd_command=True))
    return specs


# Who starts a process which way (sources checked; see shared/research and the notes below).
# - iTerm2 runs `login -fpl USER` and starts the shell with a "-" argv[0] (iTerm2
#   sources/shell_launcher.c); Terminal.app likewise starts login shells.
# - GNOME Terminal's `login-shell` setting defaults to false (org.gnome.Terminal.gschema.xml):
#   Linux terminal emulators start non-login interactive shells.
# - tmux(1): an empty default-command "instructs tmux to create a login shell" (spawn.c "-%s").
# - VS Code integrated terminal: macOS profiles pass `-l`, Linux profiles no args
#   (microsoft/vscode terminalPlatformConfiguration.ts).
# - VS Code started from the Dock/launcher (not by `code` from a terminal) resolves its
#   environment with `$SHELL -i -l -c` on macOS and Linux (microsoft/vscode
#   src/vs/platform/shell/node/shellEnv.ts). The Remote-SSH server does the same for its
#   extension host on the remote side (src/vs/server/node/extensionHostConnection.ts), so
#   gopls and dlv under Remote-SSH see the login-interactive environment.
# - sshd runs `ssh host cmd` as `$SHELL -c cmd`, and `ssh host` as a login shell (openssh
#   session.c do_child), with its own environment: PATH from its compiled-in default,
#   SSH_CLIENT/SSH_CONNECTION, no SHLVL. That is `{bash,zsh,fish}-sshd-command`: Debian's bash
#   (SSH_SOURCE_BASHRC) then reads ~/.bashrc, `zsh -c` reads ~/.zshenv (and /etc/zsh/zshenv),
#   `fish -c` reads conf.d and config.fish (`status is-login` and `is-interactive` false).
#   Remote-SSH starts its server with `ssh -T host bash` (extension logs in
#   microsoft/vscode-remote-release issues), i.e. `$SHELL -c bash`.
# - JetBrains IDEs on macOS load the shell environment with `$SHELL -l -i -c`
#   (intellij-community EnvironmentUtil.java); not on Linux.
# - fish as the login shell: the rules above hold unchanged. shellEnv.ts passes `-i -l -c` to
#   fish too (fish-login-interactive); sshd's `$SHELL -c cmd` is fish-sshd-command; the
#   Linux integrated terminal starts `fish` (fish-nologin-interactive). fish reads every startup
#   file in every mode: only `status is-login` / `status is-interactive` tell the contexts apart.


def used_by(spec: ContextSpec, os_name: str, login_shell: str | None) -> list[str]:
    """Programs that start processes in this context, on this OS with this login shell."""
    is_login_shell = bool(login_shell) and (login_shell or "").rsplit("/", 1)[-1] == spec.shell
    mac = os_name == "darwin"
    out: list[str] = []
    if spec.sshd_command:
        if is_login_shell:
            out += ["`ssh host cmd`", "VS Code Remote-SSH server start (`ssh -T host bash`)", "scp/rsync over ssh"]
        return out
    if spec.login and spec.interactive:
        if is_login_shell:
            if mac:
                out += ["Terminal.app / iTerm2", "VS Code integrated terminal (macOS)", "GoLand/JetBrains IDEs (macOS)"]
            out += [
                "VS Code started from the Dock/launcher (`$SHELL -i -l -c`)",
                "VS Code Remote-SSH extension host: gopls, dlv (remote side)",
                "`ssh host` interactive login",
                "tmux new window",
            ]
        return out
    if spec.login and not spec.interactive:
        return [f"`{spec.shell} -l -c` (login scripts, some launchers)"]
    if not spec.login and spec.interactive:
        if is_login_shell and not mac:
            out += ["VS Code integrated terminal (Linux)", "terminal emulators (GNOME Terminal, Konsole, …)"]
        out += [f"`{spec.shell}` started from another shell"]
        return out
    out += [f"`{spec.shell} -c` and {spec.shell} scripts"]
    if spec.shell == "bash":
        out += ["cron jobs with SHELL=/bin/bash"]
    return out


def is_primary(spec: ContextSpec, os_name: str, login_shell: str | None) -> bool:
    """Whether editors and terminals really start processes this way for this user.

    Differences between primary contexts are what users trip over ("works in my terminal, not in
    VS Code"); a bare `bash -c` reads no startup file at all and differs by design.
    """
    is_login_shell = bool(login_shell) and (login_shell or "").rsplit("/", 1)[-1] == spec.shell
    if not is_login_shell:
        return False
    if spec.sshd_command:
        return True
    # `ssh host cmd` is the sshd-command context; a bare `$SHELL -c` (scripts) or `-l -c` is not
    # how terminals and editors start tools.
    return spec.interactive
