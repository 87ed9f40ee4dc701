"""A Go set-up written for zsh or fish while the account's login shell is another (issue 10 item 8)."""

from __future__ import annotations

import os

from goenv_tui.model import Severity
from tests import gotools
from tests.homes import Home

GO_DIR = os.path.dirname(gotools.go())


def _login(d):
    return [f for f in d.findings if f.check == "GOENV-LOGIN-001"]


def test_zsh_only_setup_with_bash_login_shell(home: Home) -> None:
    home.file(".zshrc", f'export PATH="{GO_DIR}:$PATH"\nexport GOPATH="$HOME/work"\n')
    d = home.diagnose(shells=("bash", "zsh"), login_shell="/bin/bash")
    (f,) = _login(d)
    assert f.severity is Severity.ERROR  # bash, which everything starts, finds no go at all
    assert [(loc.path, loc.line) for loc in f.locations] == [(home.p(".zshrc"), 1), (home.p(".zshrc"), 2)]
    assert "login shell is /bin/bash" in f.detail and "chsh -s $(command -v zsh)" in f.detail
    assert "move these lines to ~/.profile or ~/.bashrc" in f.detail
    assert "VS Code" in f.detail


def test_fish_only_setup_with_bash_login_shell(home: Home) -> None:
    home.file(".config/fish/config.fish", f"fish_add_path -g {GO_DIR}\n")
    d = home.diagnose(shells=("bash", "fish"), login_shell="/bin/bash")
    (f,) = _login(d)
    assert f.severity is Severity.ERROR and f.data == {"shell": "fish", "login_shell": "bash"}
    assert f.locations[0].path == home.p(".config/fish/config.fish")
    assert "chsh -s $(command -v fish)" in f.detail


def test_bash_only_setup_with_zsh_login_shell(home: Home) -> None:
    home.file(".bashrc", f'export PATH="{GO_DIR}:$PATH"\n')
    d = home.diagnose(shells=("bash", "zsh"), login_shell="/bin/zsh")
    (f,) = _login(d)
    assert "move these lines to ~/.zshenv or ~/.zprofile" in f.detail


def test_same_setup_in_both_shells_is_not_flagged(home: Home) -> None:
    line = f'export PATH="{GO_DIR}:$PATH"\n'
    home.file(".zshrc", line).file(".bashrc", line).file(".profile", ". ~/.bashrc\n")
    d = home.diagnose(shells=("bash", "zsh"), login_shell="/bin/bash")
    assert _login(d) == []


def test_setup_in_the_login_shell_itself_is_not_flagged(home: Home) -> None:
    home.file(".zshrc", f'export PATH="{GO_DIR}:$PATH"\n')
    d = home.diagnose(shells=("bash", "zsh"), login_shell="/bin/zsh")
    assert _login(d) == []
