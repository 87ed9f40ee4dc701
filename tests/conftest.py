from __future__ import annotations

import os
import shutil

import pytest

from tests.homes import Home

# Every diagnosis the suite makes (in this process and in the `goenv-tui` it starts) fails on a
# finding whose severity its check did not declare (goenv_tui.checks.base.finding).
os.environ["GOENV_TUI_STRICT_CHECKS"] = "1"


@pytest.fixture(autouse=True)
def _children_may_run():
    """`q` in an app stops every child process and refuses new ones (goenv_tui.host.process);
    each test starts with children allowed again, whatever the one before did."""
    from goenv_tui.host.process import resume

    resume()
    yield


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture(scope="session")
def old_dlv(request) -> str:
    """A real dlv v1.20.2 built with Debian's go1.19 (cached between runs): old and stale."""
    import os
    import subprocess

    from tests import gotools

    cache = request.config.cache.mkdir("old-dlv-v1.20.2")
    target = cache / "dlv"
    if not target.exists():
        env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOBIN=str(cache))
        subprocess.run([gotools.go119(), "install", "github.com/go-delve/delve/cmd/dlv@v1.20.2"],
                       env=env, check=True, capture_output=True, timeout=600)
    return str(target)


def pytest_collection_modifyitems(config, items):
    # A missing shell is a failure in CI (GOENV_TUI_CI=1), never a silent skip.
    import os

    if os.environ.get("GOENV_TUI_CI"):
        missing = [s for s in ("bash", "zsh", "tmux", "unshare") if shutil.which(s) is None]
        if missing:
            raise pytest.UsageError(f"CI is missing required tools: {', '.join(missing)}")
