"""The shells goenv-tui can trace: one driver module each. A new shell is its module plus a line here."""

from __future__ import annotations

from goenv_tui.host import Host
from goenv_tui.shells.bash import BashDriver
from goenv_tui.shells.driver import ShellDriver
from goenv_tui.shells.fish import FishDriver
from goenv_tui.shells.zsh import ZshDriver

# In the order they are listed (`--shell`, the report) and traced.
DRIVERS: dict[str, type[ShellDriver]] = {d.name: d for d in (BashDriver, ZshDriver, FishDriver)}


def make_driver(shell: str, host: Host) -> ShellDriver:
    return DRIVERS[shell](host)
