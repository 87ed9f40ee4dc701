from __future__ import annotations

import shutil

import pytest

from tests.homes import Home


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home")


def pytest_collection_modifyitems(config, items):
    # A missing shell is a failure in CI (GOENV_TUI_CI=1), never a silent skip.
    import os

    if os.environ.get("GOENV_TUI_CI"):
        missing = [s for s in ("bash", "zsh", "tmux", "unshare") if shutil.which(s) is None]
        if missing:
            raise pytest.UsageError(f"CI is missing required tools: {', '.join(missing)}")
