#!/usr/bin/env python3
"""Regenerate screenshots/*.svg (shown in the README) from the bundled demo home.

    python scripts/screenshots.py

As root, the shells read the UI fixtures' own /etc startup files (tests/ui/fixtures.py:
FixedEtcHost), so the pictures do not depend on this machine's /etc/profile or /etc/zsh.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from goenv_tui.demo import build_demo_home  # noqa: E402
from goenv_tui.shells.tracer import TraceOptions  # noqa: E402
from goenv_tui.ui.app import GoenvApp  # noqa: E402
from tests.ui.fixtures import FixedEtcHost  # noqa: E402

SHOTS = [("findings", "1"), ("init-chain", "2"), ("variables", "3"), ("resolution", "4")]
SIZE = (110, 32)


async def shoot(home: str) -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name, key in SHOTS:
        host = FixedEtcHost() if os.geteuid() == 0 else None
        app = GoenvApp(TraceOptions(home=home, shells=("bash", "zsh"), login_shell="/bin/bash"), host=host, stable=True)
        async with app.run_test(size=SIZE) as pilot:
            while app.diagnosis is None:  # it starts after the first paint
                await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            if name == "init-chain":
                app.query_one("#chain-view").show_context("bash-sshd-command", f"{home}/.bashrc", 8)
                await pilot.pause()
            if name == "variables":
                app.query_one("#variables-view").show_variable("GOROOT", "bash-nologin-interactive")
                await pilot.pause()
            app.save_screenshot(filename=f"{name}.svg", path=str(out))
            print(f"screenshots/{name}.svg")


def main() -> None:
    home = "/tmp/goenv-tui-demo"
    if os.path.exists(home):
        shutil.rmtree(home)
    build_demo_home(home)
    asyncio.run(shoot(home))


if __name__ == "__main__":
    main()
