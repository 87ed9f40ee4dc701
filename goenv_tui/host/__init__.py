"""All system access goes through a Host: processes, files, and facts about the machine.

Collectors, checks and fixes take a Host and never call subprocess or open() on user files
themselves, so the same code runs against this machine or (later) a remote one over SSH.
"""

from __future__ import annotations

from goenv_tui.host.base import ConnectionLost, FileInfo, Host, HostError, RunResult
from goenv_tui.host.local import LocalHost

__all__ = ["ConnectionLost", "FileInfo", "Host", "HostError", "LocalHost", "RunResult"]
